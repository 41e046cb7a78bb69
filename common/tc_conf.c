/* tc_conf.c: a daemon's settings from the config file, GUNICORN_CMD_ARGS,
 * TANDEM_CMD_ARGS and its command line, each name taken by the daemon that
 * owns it, and one clear line for every name that no one takes. */
#include "tc_conf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc_gunicorn.h"
#include "tc_shlex.h"
#include "tc_suggest.h"

/* ---- keys ---- */

/* A row reachable by key from the shared config file. */
static const tc_opt *file_row(const tc_opt *table, const char *key)
{
    const tc_opt *o = tc_opt_find_key(table, key);
    return o && !(o->flags & TC_OPT_OWN_KEY) ? o : NULL;
}

int tc_conf_key(const tc_conf_space *sp, const char *key, const tc_opt **row)
{
    const tc_opt *mine = file_row(sp->table, key), *theirs = file_row(sp->other, key);
    *row = NULL;
    if ((mine && (mine->flags & TC_OPT_CLI_ONLY)) || (theirs && (theirs->flags & TC_OPT_CLI_ONLY)))
        return TC_KEY_CLI_ONLY;
    int kind = (mine ? TC_KEY_MINE : 0) | (theirs ? TC_KEY_OTHERS : 0);
    /* A Python SSLContext cannot reach tandem-proxy's TLS, which is C: the
     * file must not look as if it set one up (client certificates...). */
    if (strcmp(key, "ssl_context") == 0)
        return TC_KEY_UNSUPPORTED;
    if (tc_gunicorn_is_hook(key))
        kind |= sp->runs_hooks ? TC_KEY_MINE : TC_KEY_OTHERS;
    *row = mine;
    if (kind)
        return kind;
    return tc_gunicorn_find_key(key) ? TC_KEY_UNSUPPORTED : TC_KEY_UNKNOWN;
}

static void consider_keys(tc_near *n, const tc_opt *table)
{
    for (const tc_opt *o = table; o->key; o++)
        if (!(o->flags & (TC_OPT_OWN_KEY | TC_OPT_CLI_ONLY)))
            tc_near_consider(n, o->key, 0);
}

/* The nearest key of either daemon, or of Gunicorn's. */
static const char *nearest_key(const tc_conf_space *sp, const char *key)
{
    tc_near n;
    if (tc_near_init(&n, key, strlen(key)) != 0)
        return NULL;
    consider_keys(&n, sp->table);
    consider_keys(&n, sp->other);
    for (const tc_gunicorn_setting *g = tc_gunicorn_settings; g->key; g++)
        tc_near_consider(&n, g->key, 0);
    return tc_near_best(&n);
}

void tc_conf_key_error(const tc_conf_space *sp, const char *key, int kind, char *err, size_t errlen)
{
    if (kind == TC_KEY_CLI_ONLY) {
        snprintf(err, errlen, "'%s' is a command-line setting, not for a config file", key);
    } else if (kind == TC_KEY_UNSUPPORTED && strcmp(key, "ssl_context") == 0) {
        snprintf(err, errlen,
                 "ssl_context: tandem-proxy does TLS in C and runs no Python, so a hook "
                 "making an SSLContext cannot apply; remove it and set certfile and keyfile");
    } else if (kind == TC_KEY_UNSUPPORTED) {
        snprintf(err, errlen, "'%s' %s", key, tc_gunicorn_refusal(tc_gunicorn_find_key(key)));
    } else {
        const char *near = nearest_key(sp, key);
        snprintf(err, errlen,
                 "unknown setting '%s'%s%s%s (names of your own must start with "
                 "'_')",
                 key, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    }
}

/* ---- values ---- */

static void row_name(const tc_opt *o, char *buf, size_t len)
{
    if (o->flag)
        snprintf(buf, len, "%s (%s)", o->key, o->flag);
    else
        snprintf(buf, len, "%s", o->key);
}

/* v as Python writes it, cut to fit buf. */
static void show(const tc_pyval *v, char *buf, size_t len)
{
    FILE *f = fmemopen(buf, len, "w");
    if (f == NULL) {
        snprintf(buf, len, "?");
        return;
    }
    tc_pyval_write(f, v);
    fclose(f);
    buf[len - 1] = '\0';
}

static const char *wanted(const tc_opt *o)
{
    switch (o->type) {
    case TC_OPT_STR: return "a str";
    case TC_OPT_INT: return "an int";
    case TC_OPT_BOOL: return "True or False";
    case TC_OPT_LIST: return "a list of str, or a str with commas";
    case TC_OPT_CHOICE: return "a str";
    case TC_OPT_DICT: return "a dict of str to str";
    case TC_OPT_PYDICT: return "a dict";
    }
    return "?";
}

static int wrong_type(const tc_opt *o, const tc_pyval *v, char *err, size_t errlen)
{
    char name[128], text[96];
    row_name(o, name, sizeof name);
    show(v, text, sizeof text);
    const char *type = tc_pyval_type(v);
    int k = snprintf(err, errlen, "%s: %s is %s %s, not %s", name, text,
                     strchr("aeiou", type[0]) ? "an" : "a", type, wanted(o));
    if (o->type == TC_OPT_INT && k > 0 && (size_t)k < errlen)
        snprintf(err + k, errlen - (size_t)k, " (allowed: %lld..%lld)", o->min, o->max);
    return -1;
}

static int set_list(const tc_opt *o, void *settings, const tc_pyval *v, char *err, size_t errlen)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->kind != TC_PY_STR)
            return wrong_type(o, v->items[i], err, errlen);
    /* An empty list is a list: it replaces the default. */
    if (tc_opt_unset(o, settings, err, errlen))
        return -1;
    for (size_t i = 0; i < v->n; i++)
        if (tc_opt_set(o, settings, v->items[i]->s, err, errlen))
            return -1;
    return 0;
}

/* A logconfig_dict row keeps the dict's literal text. */
static int set_pydict(const tc_opt *o, void *settings, const tc_pyval *v, char *err, size_t errlen)
{
    if (v->kind != TC_PY_DICT)
        return wrong_type(o, v, err, errlen);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    tc_pyval_write(f, v);
    fclose(f);
    int rc = text ? tc_opt_set(o, settings, text, err, errlen) : -1;
    free(text);
    return rc;
}

/* A dict replaces the whole setting: Gunicorn takes the file's dict as it is. */
static int set_dict(const tc_opt *o, void *settings, const tc_pyval *v, char *err, size_t errlen)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->kind != TC_PY_STR)
            return wrong_type(o, v->items[i], err, errlen);
    tc_strlist *d = (tc_strlist *)(void *)((char *)settings + o->offset);
    tc_strlist_free(d);
    for (size_t i = 0; i < v->n; i++)
        if (tc_strlist_add(d, v->items[i]->s)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    return 0;
}

int tc_conf_set_value(const tc_opt *o, void *settings, const tc_pyval *v, char *err, size_t errlen)
{
    char text[64];
    if (o->type == TC_OPT_PYDICT)
        return set_pydict(o, settings, v, err, errlen);
    switch (v->kind) {
    case TC_PY_NONE: return tc_opt_unset(o, settings, err, errlen);
    case TC_PY_STR:
        if (o->type == TC_OPT_DICT)
            return wrong_type(o, v, err, errlen);
        if (o->type == TC_OPT_LIST && tc_opt_unset(o, settings, err, errlen))
            return -1;
        return tc_opt_set(o, settings, v->s, err, errlen);
    case TC_PY_BOOL:
        if (o->type != TC_OPT_BOOL)
            return wrong_type(o, v, err, errlen);
        return tc_opt_set(o, settings, v->i ? "true" : "false", err, errlen);
    case TC_PY_INT:
        if (o->type != TC_OPT_INT)
            return wrong_type(o, v, err, errlen);
        if (v->big) {
            char name[128];
            row_name(o, name, sizeof name);
            snprintf(err, errlen, "%s: %s is out of range (allowed: %lld..%lld)", name, v->s,
                     o->min, o->max);
            return -1;
        }
        snprintf(text, sizeof text, "%lld", v->i);
        return tc_opt_set(o, settings, text, err, errlen);
    case TC_PY_LIST:
    case TC_PY_TUPLE:
        if (o->type != TC_OPT_LIST)
            return wrong_type(o, v, err, errlen);
        return set_list(o, settings, v, err, errlen);
    case TC_PY_DICT:
        if (o->type != TC_OPT_DICT)
            return wrong_type(o, v, err, errlen);
        return set_dict(o, settings, v, err, errlen);
    default: return wrong_type(o, v, err, errlen);
    }
}

/* ---- the config file ---- */

static int apply_assignment(const tc_conf_space *sp, void *settings, const tc_pyassign *a,
                            const char *hint, char *err, size_t errlen)
{
    const tc_opt *row;
    int kind = tc_conf_key(sp, a->name, &row);
    if (kind & (TC_KEY_MINE | TC_KEY_OTHERS)) {
        if (!(kind & TC_KEY_MINE) || row == NULL)
            return 0;
        if (a->value) {
            if (tc_conf_set_value(row, settings, a->value, err, errlen))
                return -1;
            return sp->check ? sp->check(settings, a->name, err, errlen) : 0;
        }
        if (a->why)
            snprintf(err, errlen, "%s: %s is not a value %s can take; %s", a->name, a->why,
                     sp->prog, hint);
        else
            snprintf(err, errlen,
                     "%s: the value is computed (not a literal, or set under a "
                     "condition), and %s does not run Python: %s",
                     a->name, sp->prog, hint);
        return -1;
    }
    if (kind == TC_KEY_UNKNOWN && a->function)
        return 0;
    tc_conf_key_error(sp, a->name, kind, err, errlen);
    return -1;
}

int tc_conf_apply_file(const tc_conf_space *sp, void *settings, const char *path,
                       const tc_pyconf *c, const char *hint, char *err, size_t errlen)
{
    char msg[1024];
    tc_opt_lists_replaceable(sp->table, settings);
    for (size_t i = 0; i < c->n; i++) {
        const tc_pyassign *a = &c->v[i];
        if (a->name[0] == '_' || !tc_pyconf_is_last(c, a))
            continue;
        if (apply_assignment(sp, settings, a, hint, msg, sizeof msg)) {
            snprintf(err, errlen, "%s:%d: %s", path, a->line, msg);
            return -1;
        }
    }
    return 0;
}

/* ---- flags ---- */

static int add_arg(tc_conf_args *a, const tc_opt *row, const char *value)
{
    tc_conf_arg *v = realloc(a->v, (a->n + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    a->v = v;
    if ((v[a->n].value = strdup(value)) == NULL)
        return -1;
    v[a->n++].row = row;
    return 0;
}

static void consider_flags(tc_near *n, const tc_opt *table, int shared)
{
    for (const tc_opt *o = table; o->key; o++) {
        if (o->flag && !(shared && (o->flags & TC_OPT_OWN_FLAG)))
            tc_near_consider(n, o->flag, 2);
        for (const char *p = o->aliases; p && *p;) {
            size_t len = strcspn(p, " ");
            tc_near_consider_len(n, p, len, 2);
            p += len;
            while (*p == ' ')
                p++;
        }
    }
}

/* The nearest flag, in buf. */
static const char *nearest_flag(const tc_conf_space *sp, const char *arg, int shared, char *buf,
                                size_t len)
{
    tc_near n;
    if (strncmp(arg, "--", 2) != 0 || tc_near_init(&n, arg + 2, strcspn(arg + 2, "=")) != 0)
        return NULL;
    consider_flags(&n, sp->table, shared);
    if (shared)
        consider_flags(&n, sp->other, shared);
    const char *best = tc_near_best(&n);
    if (best == NULL)
        return NULL;
    snprintf(buf, len, "%.*s", (int)n.best_len, best);
    return buf;
}

static int flag_error(const tc_conf_space *sp, const char *arg, int shared, char *err,
                      size_t errlen)
{
    const tc_gunicorn_setting *g = tc_gunicorn_find_flag(arg);
    const tc_opt *theirs = shared ? NULL : tc_opt_find_flag(sp->other, arg);
    size_t n = strcspn(arg, "=");
    if (theirs) {
        snprintf(err, errlen,
                 "option '%.*s' is %s's, not %s's (see %s(8), or run both with "
                 "tandem)",
                 (int)n, arg, sp->other_prog, sp->prog, sp->other_prog);
    } else if (g) {
        snprintf(err, errlen, "option '%.*s' (%s) %s", (int)n, arg, g->key, tc_gunicorn_refusal(g));
    } else {
        char buf[TC_NEAR_MAX_LEN + 3];
        const char *near = nearest_flag(sp, arg, shared, buf, sizeof buf);
        snprintf(err, errlen, "unrecognized option '%s' (see --help)%s%s%s", arg,
                 near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
    }
    return -1;
}

typedef struct {
    const tc_conf_space *sp;
    tc_conf_args *out;
} cli_ctx;

static int cli_visit(void *ctx, const tc_opt *o, const char *arg, const char *value, char *err,
                     size_t errlen)
{
    cli_ctx *c = ctx;
    if (o == NULL)
        return flag_error(c->sp, arg, 0, err, errlen);
    if (add_arg(c->out, o, value) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int tc_conf_collect_cli(const tc_conf_space *sp, int argc, char **argv, tc_conf_args *out,
                        char **positionals, int max_pos, int *npos, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    cli_ctx c = { sp, out };
    return tc_opt_walk_argv(sp->table, argc, argv, cli_visit, &c, positionals, max_pos, npos, err,
                            errlen);
}

static int collect_words(const tc_conf_space *sp, int argc, char **argv, tc_conf_args *out,
                         char *err, size_t errlen)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *value;
        if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0) {
            snprintf(err, errlen, "unexpected argument '%s' (options only)", arg);
            return -1;
        }
        const tc_opt *mine = tc_opt_find_shared_flag(sp->table, arg);
        const tc_opt *o = mine ? mine : tc_opt_find_shared_flag(sp->other, arg);
        if (o == NULL)
            return flag_error(sp, arg, 1, err, errlen);
        if (tc_opt_flag_value(o, argc, argv, &i, &value, err, errlen))
            return -1;
        if (mine && add_arg(out, mine, value)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int tc_conf_collect_env(const tc_conf_space *sp, const char *var, tc_conf_args *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->source = var;
    const char *s = getenv(var);
    if (s == NULL || *s == '\0')
        return 0;
    char **words, msg[512];
    int n;
    if (tc_shlex_split(s, &words, &n, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", var, msg);
        return -1;
    }
    int rc = collect_words(sp, n, words, out, msg, sizeof msg);
    if (rc)
        snprintf(err, errlen, "%s: %s", var, msg);
    tc_shlex_free(words);
    return rc;
}

int tc_conf_args_apply(const tc_conf_args *a, const tc_opt *table, void *settings, char *err,
                       size_t errlen)
{
    char msg[1024];
    tc_opt_lists_replaceable(table, settings);
    for (size_t i = 0; i < a->n; i++) {
        if (tc_opt_set(a->v[i].row, settings, a->v[i].value, msg, sizeof msg) == 0)
            continue;
        if (a->source)
            snprintf(err, errlen, "%s: %s", a->source, msg);
        else
            snprintf(err, errlen, "%s", msg);
        return -1;
    }
    return 0;
}

const char *tc_conf_args_get(const tc_conf_args *a, const char *key)
{
    for (size_t i = a->n; i-- > 0;)
        if (strcmp(a->v[i].row->key, key) == 0)
            return a->v[i].value;
    return NULL;
}

void tc_conf_args_free(tc_conf_args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i].value);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

/* ---- where the file is ---- */

const char *tc_conf_location(const tc_conf_args *cli, const tc_conf_args *gunicorn_env,
                             const tc_conf_args *tandem_env)
{
    const tc_conf_args *in_order[] = { cli, tandem_env, gunicorn_env };
    for (size_t i = 0; i < 3; i++) {
        const char *c = in_order[i] ? tc_conf_args_get(in_order[i], "config") : NULL;
        if (c && *c)
            return c;
    }
    static char def[PATH_MAX];
    char cwd[PATH_MAX - sizeof TC_CONF_DEFAULT_FILE - 1];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return NULL;
    snprintf(def, sizeof def, "%s/%s", strcmp(cwd, "/") ? cwd : "", TC_CONF_DEFAULT_FILE);
    return access(def, F_OK) == 0 ? def : NULL;
}

int tc_conf_is_module(const char *location) { return strncmp(location, "python:", 7) == 0; }

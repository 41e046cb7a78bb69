/* tc_opt.c: parses command lines and values against a program's settings
 * table, so every daemon names, ranges and documents its settings one way. */
#include "tc_opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tc_pyconf.h"
#include "tc_pyval.h"

#define FIELD(settings, opt) ((char *)(settings) + (opt)->offset)

int tc_parse_ll(const char *s, long long *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s)
        return -1;
    *out = v;
    return 0;
}

int tc_parse_bool(const char *s, int *out)
{
    static const char *yes[] = { "1", "true", "yes", "on" };
    static const char *no[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int tc_strlist_add(tc_strlist *l, const char *item)
{
    char **items = realloc(l->items, (l->n + 1) * sizeof *items);
    if (items == NULL)
        return -1;
    l->items = items;
    if ((l->items[l->n] = strdup(item)) == NULL)
        return -1;
    l->n++;
    return 0;
}

void tc_strlist_free(tc_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int tc_csv_next(const char **p, const char **tok, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    const char *start = s;
    while (*s && *s != ',')
        s++;
    size_t n = (size_t)(s - start);
    while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
        n--;
    *p = s;
    *tok = start;
    *len = n;
    return n > 0;
}

/* Splits a comma list into l; empty items are skipped ("h2,,h1" = "h2,h1"). */
static int strlist_add_csv(tc_strlist *l, const char *value)
{
    const char *p = value, *tok;
    size_t n;
    while (tc_csv_next(&p, &tok, &n)) {
        char *item = strndup(tok, n);
        if (item == NULL || tc_strlist_add(l, item) != 0) {
            free(item);
            return -1;
        }
        free(item);
    }
    return 0;
}

static void opt_name(const tc_opt *opt, char *buf, size_t len)
{
    if (opt->flag)
        snprintf(buf, len, "%s (%s)", opt->key, opt->flag);
    else
        snprintf(buf, len, "%s", opt->key);
}

static int set_int(const tc_opt *opt, void *field, const char *value, char *err, size_t errlen)
{
    long long v;
    char name[128];
    opt_name(opt, name, sizeof name);
    if (tc_parse_ll(value, &v) != 0) {
        snprintf(err, errlen, "%s: '%s' is not an integer (allowed: %lld..%lld)", name, value,
                 opt->min, opt->max);
        return -1;
    }
    if (v < opt->min || v > opt->max) {
        snprintf(err, errlen, "%s: %lld is out of range (allowed: %lld..%lld)", name, v, opt->min,
                 opt->max);
        return -1;
    }
    *(long long *)field = v;
    return 0;
}

int tc_opt_set_str(void *field, const char *value, char *err, size_t errlen)
{
    char *copy = strdup(value);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(*(char **)field);
    *(char **)field = copy;
    return 0;
}

/* A dict's literal text, checked to read back as a dict. */
static int set_pydict(const tc_opt *opt, void *field, const char *value, char *err, size_t errlen)
{
    size_t n = strlen(value);
    char *src = malloc(n + 5);
    if (src == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(src, "_ = ", 4);
    memcpy(src + 4, value, n + 1);
    tc_pyconf c;
    int line, ok = 0;
    char why[256];
    if (tc_pyconf_parse(src, n + 4, &c, &line, why, sizeof why) == 0) {
        ok = c.n == 1 && c.v[0].value && c.v[0].value->kind == TC_PY_DICT;
        tc_pyconf_free(&c);
    }
    free(src);
    if (!ok) {
        char name[128];
        opt_name(opt, name, sizeof name);
        snprintf(err, errlen, "%s: not a dict literal", name);
        return -1;
    }
    return tc_opt_set_str(field, value, err, errlen);
}

int tc_opt_is_choice(const tc_opt *o, const char *value)
{
    for (int i = 0; o->choices && o->choices[i]; i++)
        if (strcasecmp(value, o->choices[i]) == 0)
            return 1;
    return 0;
}

void tc_opt_choice_error(const tc_opt *o, const char *value, char *err, size_t errlen)
{
    char name[128];
    opt_name(o, name, sizeof name);
    int k = snprintf(err, errlen, "%s: '%s' is not one of ", name, value);
    for (int i = 0; o->choices[i] && k > 0 && (size_t)k < errlen; i++)
        k += snprintf(err + k, errlen - (size_t)k, "%s%s", i ? ", " : "", o->choices[i]);
}

static int set_choice(const tc_opt *opt, void *field, const char *value, char *err, size_t errlen)
{
    for (int i = 0; opt->choices[i]; i++)
        if (strcasecmp(value, opt->choices[i]) == 0) {
            *(int *)field = i;
            return 0;
        }
    tc_opt_choice_error(opt, value, err, errlen);
    return -1;
}

static int set_list(const tc_opt *opt, tc_strlist *l, const char *value, char *err, size_t errlen)
{
    if (l->from_default) {
        tc_strlist_free(l);
        l->from_default = 0;
    }
    if (opt->parse)
        return opt->parse(opt, l, value, err, errlen);
    if (strlist_add_csv(l, value) == 0)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* "KEY=VALUE,KEY=VALUE" (a default's text) replaces the dict. */
static int set_dict(const tc_opt *opt, tc_strlist *d, const char *value, char *err, size_t errlen)
{
    const char *p = value, *tok;
    size_t n;
    tc_strlist_free(d);
    while (tc_csv_next(&p, &tok, &n)) {
        const char *eq = memchr(tok, '=', n);
        char *k = eq ? strndup(tok, (size_t)(eq - tok)) : NULL;
        char *v = eq ? strndup(eq + 1, n - (size_t)(eq - tok) - 1) : NULL;
        int rc = !eq ? -2 : (!k || !v || tc_strlist_add(d, k) || tc_strlist_add(d, v)) ? -1 : 0;
        free(k);
        free(v);
        if (rc == -2) {
            char name[128];
            opt_name(opt, name, sizeof name);
            snprintf(err, errlen, "%s: '%.*s' is not KEY=VALUE", name, (int)n, tok);
            return -1;
        }
        if (rc < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int tc_opt_set(const tc_opt *opt, void *settings, const char *value, char *err, size_t errlen)
{
    void *field = FIELD(settings, opt);
    char name[128];
    if (opt->type == TC_OPT_LIST)
        return set_list(opt, field, value, err, errlen);
    if (opt->parse)
        return opt->parse(opt, field, value, err, errlen);
    switch (opt->type) {
    case TC_OPT_STR: return tc_opt_set_str(field, value, err, errlen);
    case TC_OPT_INT: return set_int(opt, field, value, err, errlen);
    case TC_OPT_BOOL:
        if (tc_parse_bool(value, (int *)field) == 0)
            return 0;
        opt_name(opt, name, sizeof name);
        snprintf(err, errlen, "%s: '%s' is not a boolean (allowed: true, false)", name, value);
        return -1;
    case TC_OPT_CHOICE: return set_choice(opt, field, value, err, errlen);
    case TC_OPT_DICT: return set_dict(opt, field, value, err, errlen);
    case TC_OPT_PYDICT: return set_pydict(opt, field, value, err, errlen);
    case TC_OPT_LIST: break;
    }
    snprintf(err, errlen, "%s: unknown setting type", opt->key);
    return -1;
}

int tc_opt_unset(const tc_opt *opt, void *settings, char *err, size_t errlen)
{
    void *field = FIELD(settings, opt);
    if (opt->type == TC_OPT_STR) {
        free(*(char **)field);
        *(char **)field = NULL;
        return 0;
    }
    if (opt->type == TC_OPT_LIST) {
        tc_strlist_free(field);
        ((tc_strlist *)field)->from_default = 0;
        return 0;
    }
    char name[128];
    opt_name(opt, name, sizeof name);
    snprintf(err, errlen, "%s: None is not allowed", name);
    return -1;
}

void tc_opt_lists_replaceable(const tc_opt *table, void *settings)
{
    for (const tc_opt *o = table; o->key; o++)
        if (o->type == TC_OPT_LIST)
            ((tc_strlist *)FIELD(settings, o))->from_default = 1;
}

int tc_opt_defaults(const tc_opt *table, void *settings, char *err, size_t errlen)
{
    for (const tc_opt *o = table; o->key; o++) {
        if (o->def == NULL)
            continue;
        if ((o->type == TC_OPT_LIST || o->type == TC_OPT_DICT) && o->def[0] == '\0')
            continue;
        if (tc_opt_set(o, settings, o->def, err, errlen) != 0)
            return -1;
    }
    tc_opt_lists_replaceable(table, settings);
    return 0;
}

const tc_opt *tc_opt_find_key(const tc_opt *table, const char *key)
{
    for (const tc_opt *o = table; o->key; o++)
        if (strcmp(o->key, key) == 0)
            return o;
    return NULL;
}

/* Whether arg (up to '=') is name. */
static int same_flag(const char *arg, const char *name, size_t namelen)
{
    size_t n = strcspn(arg, "=");
    return n == namelen && strncmp(arg, name, n) == 0;
}

static int spells_alias(const tc_opt *o, const char *arg)
{
    for (const char *p = o->aliases; p && *p;) {
        size_t n = strcspn(p, " ");
        if (n && same_flag(arg, p, n))
            return 1;
        p += n;
        while (*p == ' ')
            p++;
    }
    return 0;
}

int tc_opt_spells(const tc_opt *o, const char *arg)
{
    if (arg[0] != '-' || arg[1] == '\0')
        return 0;
    if (arg[1] != '-')
        return o->short_flag && o->short_flag == arg[1];
    if (o->flag && same_flag(arg, o->flag, strlen(o->flag)))
        return 1;
    return spells_alias(o, arg) ? 2 : 0;
}

const tc_opt *tc_opt_find_flag(const tc_opt *table, const char *arg)
{
    for (const tc_opt *o = table; o->key; o++)
        if (tc_opt_spells(o, arg))
            return o;
    return NULL;
}

const tc_opt *tc_opt_find_shared_flag(const tc_opt *table, const char *arg)
{
    for (const tc_opt *o = table; o->key; o++) {
        int how = tc_opt_spells(o, arg);
        if (how == 2 || (how == 1 && !(o->flags & TC_OPT_OWN_FLAG)))
            return o;
    }
    return NULL;
}

int tc_opt_flag_value(const tc_opt *o, int argc, char **argv, int *i, const char **value, char *err,
                      size_t errlen)
{
    const char *arg = argv[*i];
    const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
    if (o->type == TC_OPT_BOOL) {
        *value = eq ? eq + 1 : "true";
        if (!eq && arg[1] != '-' && arg[2] != '\0') {
            snprintf(err, errlen, "option '%s' takes no value", arg);
            return -1;
        }
        return 0;
    }
    if (eq) {
        *value = eq + 1;
        return 0;
    }
    if (arg[1] != '-' && arg[2] != '\0') {
        *value = arg + 2;
        return 0;
    }
    if (o->bare && (*i + 1 >= argc || !tc_opt_is_choice(o, argv[*i + 1]))) {
        *value = o->bare;
        return 0;
    }
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "option '%s' requires a value (%s)", arg,
                 o->metavar ? o->metavar : "VALUE");
        return -1;
    }
    *value = argv[++*i];
    return 0;
}

int tc_opt_walk_argv(const tc_opt *table, int argc, char **argv, tc_opt_visit visit, void *ctx,
                     char **positionals, int max_pos, int *npos, char *err, size_t errlen)
{
    int options_done = 0;
    const tc_opt *bare = NULL; /* the option before took its bare value */
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (*npos >= max_pos) {
                /* "--proxy-protocol v3": meant as its value, most likely. */
                if (bare)
                    tc_opt_choice_error(bare, arg, err, errlen);
                else
                    snprintf(err, errlen, "unexpected argument '%s'", arg);
                return -1;
            }
            positionals[(*npos)++] = argv[i];
            bare = NULL;
            continue;
        }
        const tc_opt *o = tc_opt_find_flag(table, arg);
        const char *value = NULL;
        int at = i;
        if (o && tc_opt_flag_value(o, argc, argv, &i, &value, err, errlen) != 0)
            return -1;
        bare = o && o->bare && i == at && !strchr(arg, '=') ? o : NULL;
        if (visit(ctx, o, arg, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int set_visit(void *settings, const tc_opt *o, const char *arg, const char *value, char *err,
                     size_t errlen)
{
    if (o == NULL) {
        snprintf(err, errlen, "unrecognized option '%s' (see --help)", arg);
        return -1;
    }
    return tc_opt_set(o, settings, value, err, errlen);
}

int tc_opt_parse_argv(const tc_opt *table, void *settings, int argc, char **argv,
                      char **positionals, int max_pos, int *npos, char *err, size_t errlen)
{
    return tc_opt_walk_argv(table, argc, argv, set_visit, settings, positionals, max_pos, npos, err,
                            errlen);
}

int tc_opt_asks(int argc, char **argv, const char *s, const char *l)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], s) == 0 || strcmp(argv[i], l) == 0)
            return 1;
    }
    return 0;
}

void tc_opt_usage_row(FILE *out, const tc_opt *o)
{
    char left[96];
    int n = 0;
    if (o->short_flag)
        n = snprintf(left, sizeof left, "-%c, ", o->short_flag);
    snprintf(left + n, sizeof left - (size_t)n, "%s%s%s", o->flag, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
    fprintf(out, "  %-38s %s", left, o->help ? o->help : "");
    if (o->aliases)
        fprintf(out, " (also %s)", o->aliases);
    if (o->def && o->def[0] && o->type != TC_OPT_BOOL)
        fprintf(out, " [%s]", o->def);
    fputc('\n', out);
}

void tc_opt_usage_help_version(FILE *out)
{
    fprintf(out, "  %-38s %s\n  %-38s %s\n", "-h, --help", "show this help and exit",
            "-v, --version", "show the version and exit");
}

void tc_opt_usage(FILE *out, const char *usage, const tc_opt *table)
{
    fprintf(out, "%s\n\noptions:\n", usage);
    for (const tc_opt *o = table; o->key; o++)
        if (o->flag)
            tc_opt_usage_row(out, o);
    tc_opt_usage_help_version(out);
}

static void write_list(FILE *out, char *const *items, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", out);
        tc_py_write_str(out, items[i], strlen(items[i]));
    }
    fputc(']', out);
}

static void write_dict(FILE *out, const tc_strlist *d)
{
    fputc('{', out);
    for (size_t i = 0; i + 1 < d->n; i += 2) {
        if (i)
            fputs(", ", out);
        tc_py_write_str(out, d->items[i], strlen(d->items[i]));
        fputs(": ", out);
        tc_py_write_str(out, d->items[i + 1], strlen(d->items[i + 1]));
    }
    fputc('}', out);
}

void tc_opt_write_value(FILE *out, const tc_opt *o, const void *settings)
{
    const char *field = (const char *)settings + o->offset;
    switch (o->type) {
    case TC_OPT_STR: {
        const char *s = *(char *const *)field;
        if (s)
            tc_py_write_str(out, s, strlen(s));
        else
            fputs("None", out);
        break;
    }
    case TC_OPT_INT: fprintf(out, "%lld", *(const long long *)field); break;
    case TC_OPT_BOOL: fputs(*(const int *)field ? "True" : "False", out); break;
    case TC_OPT_CHOICE: {
        const char *s = o->choices[*(const int *)field];
        tc_py_write_str(out, s, strlen(s));
        break;
    }
    case TC_OPT_LIST: {
        const tc_strlist *l = (const tc_strlist *)field;
        write_list(out, l->items, l->n);
        break;
    }
    case TC_OPT_DICT: write_dict(out, (const tc_strlist *)field); break;
    case TC_OPT_PYDICT: {
        const char *s = *(char *const *)field;
        fputs(s ? s : "{}", out);
        break;
    }
    }
}

void tc_opt_write_default(FILE *out, const tc_opt *o)
{
    const char *d = o->def;
    switch (o->type) {
    case TC_OPT_STR:
    case TC_OPT_CHOICE:
        if (d)
            tc_py_write_str(out, d, strlen(d));
        else
            fputs("None", out);
        break;
    case TC_OPT_INT: fputs(d ? d : "None", out); break;
    case TC_OPT_PYDICT: fputs(d ? d : "{}", out); break;
    case TC_OPT_BOOL: {
        int b = 0;
        fputs(d && tc_parse_bool(d, &b) == 0 && b ? "True" : "False", out);
        break;
    }
    case TC_OPT_LIST: {
        const char *p = d ? d : "", *tok;
        size_t n, k = 0;
        fputc('[', out);
        while (tc_csv_next(&p, &tok, &n)) {
            if (k++)
                fputs(", ", out);
            tc_py_write_str(out, tok, n);
        }
        fputc(']', out);
        break;
    }
    case TC_OPT_DICT: {
        tc_strlist dict = { 0 };
        char err[128];
        if (set_dict(o, &dict, d ? d : "", err, sizeof err) == 0)
            write_dict(out, &dict);
        tc_strlist_free(&dict);
        break;
    }
    }
}

char *tc_opt_value_text(const tc_opt *o, const void *settings)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    tc_opt_write_value(f, o, settings);
    fclose(f);
    return text;
}

void tc_opt_print(FILE *out, const tc_opt *table, const void *settings)
{
    for (const tc_opt *o = table; o->key; o++) {
        fprintf(out, "%-32s = ", o->key);
        tc_opt_write_value(out, o, settings);
        fputc('\n', out);
    }
}

void tc_opt_free(const tc_opt *table, void *settings)
{
    for (const tc_opt *o = table; o->key; o++) {
        void *field = FIELD(settings, o);
        if (o->type == TC_OPT_STR || o->type == TC_OPT_PYDICT) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (o->type == TC_OPT_LIST || o->type == TC_OPT_DICT) {
            tc_strlist_free(field);
        }
    }
}

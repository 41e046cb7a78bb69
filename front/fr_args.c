/* fr_args.c: splits Gunicorn's command line between tandem-proxy and
 * tandem-appd, each flag to the owner(s) fr_flags.c finds for it. */
#include "fr_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_flags.h"
#include "tc_gunicorn.h"
#include "tc_shlex.h"

int fr_argv_push(fr_argv *a, char *s)
{
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        char **v = realloc(a->v, (size_t)cap * sizeof *v);
        if (v == NULL)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
    return 0;
}

void fr_args_free(fr_args *a)
{
    free(a->proxy.v);
    free(a->appd.v);
    memset(a, 0, sizeof *a);
}

/* The value of a flag: "--x=v", "-xv", or the next argument.  A boolean has
 * none unless written "--x=v", which the daemon parses (--preload=false). */
static int take_value(const fr_flag *f, int argc, char **argv, int *i, char **value, char *err,
                      size_t errlen)
{
    char *arg = argv[*i];
    char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
    *value = eq ? eq + 1 : NULL;
    if (f->row->type == TC_OPT_BOOL) {
        if (arg[1] != '-' && arg[2] != '\0') {
            snprintf(err, errlen, "option '%s' takes no value", arg);
            return -1;
        }
        return 0;
    }
    if (eq)
        return 0;
    if (arg[1] != '-' && arg[2] != '\0') {
        *value = arg + 2;
        return 0;
    }
    /* "--proxy-protocol app:app": the flag's bare meaning, the app stays. */
    if (f->row->bare && (*i + 1 >= argc || !tc_opt_is_choice(f->row, argv[*i + 1]))) {
        *value = (char *)f->row->bare;
        return 0;
    }
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "option '%s' requires a value", arg);
        return -1;
    }
    *value = argv[++*i];
    return 0;
}

/* Appends "--flag VALUE" (a boolean: "--flag" or its "--flag=value" whole). */
static int push_flag(fr_argv *a, const char *flag, const fr_flag *f, char *arg, char *value)
{
    if (f->row->type == TC_OPT_BOOL)
        /* No decision renames a boolean, so arg spells the daemon's flag. */
        return fr_argv_push(a, value ? arg : (char *)flag);
    return fr_argv_push(a, (char *)flag) || fr_argv_push(a, value);
}

/* tandem's own flags: what they set in out. */
static void take_own(fr_args *out, const fr_flag *f, const char *value)
{
    int on = 1;
    if (f->row->type == TC_OPT_BOOL && value && tc_parse_bool(value, &on) != 0)
        on = 1;
    if (strcmp(f->row->key, "pidfile") == 0)
        out->pidfile = value;
    else if (strcmp(f->row->key, "config") == 0)
        out->config = value;
    else if (strcmp(f->row->key, "check_config") == 0)
        out->check_config = on;
    else if (strcmp(f->row->key, "print_config") == 0)
        out->print_config = on;
    else if (strcmp(f->row->key, "daemon") == 0)
        out->daemon = on;
}

static int route(fr_args *out, const fr_flag *f, char *arg, char *value)
{
    if (f->front) {
        take_own(out, f, value);
        return 0;
    }
    if (f->to_proxy && push_flag(&out->proxy, f->to_proxy, f, arg, value))
        return -1;
    if (f->to_appd && push_flag(&out->appd, f->to_appd, f, arg, value))
        return -1;
    return 0;
}

static int unknown_flag(const char *arg, char *err, size_t errlen)
{
    const tc_gunicorn_setting *g = tc_gunicorn_find_flag(arg);
    if (g) {
        snprintf(err, errlen, "option '%.*s' (%s) %s", (int)strcspn(arg, "="), arg, g->key,
                 tc_gunicorn_refusal(g));
        return -1;
    }
    const char *near = fr_flag_nearest(arg);
    snprintf(err, errlen, "unrecognized option '%s' (see tandem --help)%s%s%s", arg,
             near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
    return -1;
}

/* One option at argv[*i] (and its value, which may be the next argument). */
static int take_flag(fr_args *out, int argc, char **argv, int *i, char *err, size_t errlen)
{
    char *arg = argv[*i], *value;
    fr_flag f;
    if (fr_flag_find(arg, &f) != 0)
        return unknown_flag(arg, err, errlen);
    if (f.refused) {
        snprintf(err, errlen, "option '%s' %s", f.flag, f.refused);
        return -1;
    }
    if (take_value(&f, argc, argv, i, &value, err, errlen))
        return -1;
    if (route(out, &f, arg, value)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* The app spec goes to appd; there is one. */
static int take_app(fr_args *out, char *arg, char *err, size_t errlen)
{
    if (out->has_app) {
        snprintf(err, errlen, "unexpected argument '%s': one MODULE:CALLABLE only", arg);
        return -1;
    }
    out->has_app = 1;
    if (fr_argv_push(&out->appd, arg)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int fr_args_split(int argc, char **argv, fr_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            out->help = 1;
            continue;
        }
        if (strcmp(arg, "-v") == 0 || strcmp(arg, "--version") == 0) {
            out->version = 1;
            continue;
        }
        int rc = arg[0] != '-' || arg[1] == '\0' ? take_app(out, arg, err, errlen)
                                                 : take_flag(out, argc, argv, &i, err, errlen);
        if (rc)
            return -1;
    }
    return 0;
}

/* One variable's words, split as tandem's command line would be. */
static int env_words(const char *var, fr_args *env, char *err, size_t errlen)
{
    const char *s = getenv(var);
    char msg[512], **words;
    int n;
    memset(env, 0, sizeof *env);
    if (s == NULL || *s == '\0')
        return 0;
    if (tc_shlex_split(s, &words, &n, msg, sizeof msg) == 0) {
        /* fr_args_split skips argv[0]; the words are kept: env points into them. */
        char **argv = malloc(((size_t)n + 2) * sizeof *argv);
        if (argv == NULL) {
            tc_shlex_free(words);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        argv[0] = (char *)var;
        memcpy(argv + 1, words, ((size_t)n + 1) * sizeof *argv);
        free(words);
        if (fr_args_split(n + 1, argv, env, msg, sizeof msg) == 0) {
            if (!env->has_app && !env->help && !env->version)
                return 0;
            snprintf(msg, sizeof msg, "options only (no app, -h or -v)");
        }
    }
    snprintf(err, errlen, "%s: %s", var, msg);
    return -1;
}

int fr_args_env(fr_args *a, char *err, size_t errlen)
{
    static const char *const vars[] = { "GUNICORN_CMD_ARGS", "TANDEM_CMD_ARGS" };
    const char *config = NULL;
    for (size_t i = 0; i < 2; i++) {
        fr_args env;
        int rc = env_words(vars[i], &env, err, errlen);
        if (env.config)
            config = env.config;
        a->check_config |= env.check_config;
        a->print_config |= env.print_config;
        fr_args_free(&env);
        if (rc)
            return -1;
    }
    if (a->config == NULL)
        a->config = config;
    return 0;
}

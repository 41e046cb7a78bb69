/* tc_logconf.c: what a logging configuration says of gunicorn.error and
 * gunicorn.access (tc_logconf.h), read from dictConfig's shape: a dict
 * merged over Gunicorn's CONFIG_DEFAULTS, a JSON file, or an INI file
 * turned into that shape (tc_logconf_ini.c). */
#include "tc_logconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tc_json.h"
#include "tc_log.h"
#include "tc_logconf_int.h"
#include "tc_pyconf.h"

/* gunicorn/glogging.py's CONFIG_DEFAULTS, which a dict is merged over. */
static const char config_defaults[] =
    "{'version': 1, 'disable_existing_loggers': False,"
    " 'root': {'level': 'INFO', 'handlers': ['console']},"
    " 'loggers': {'gunicorn.error': {'level': 'INFO', 'handlers': ['error_console'],"
    " 'propagate': True, 'qualname': 'gunicorn.error'},"
    " 'gunicorn.access': {'level': 'INFO', 'handlers': ['console'], 'propagate': True,"
    " 'qualname': 'gunicorn.access'}},"
    " 'handlers': {'console': {'class': 'logging.StreamHandler', 'formatter': 'generic',"
    " 'stream': 'ext://sys.stdout'}, 'error_console': {'class': 'logging.StreamHandler',"
    " 'formatter': 'generic', 'stream': 'ext://sys.stderr'}},"
    " 'formatters': {'generic': {'format': '" TC_LOGCONF_ERROR_FORMAT "',"
    " 'datefmt': '" TC_LOGCONF_ERROR_DATEFMT "', 'class': 'logging.Formatter'}}}";

typedef struct {
    const tc_pyval *loggers, *handlers, *formatters, *root;
    tc_logconf *out;
    char *err;
    size_t errlen;
} walk;

const tc_pyval *tc_logconf_get(const tc_pyval *d, const char *key)
{
    if (d == NULL || d->kind != TC_PY_DICT)
        return NULL;
    for (size_t i = 0; i + 1 < d->n; i += 2)
        if (d->items[i]->kind == TC_PY_STR && strcmp(d->items[i]->s, key) == 0)
            return d->items[i + 1];
    return NULL;
}

static const char *get_str(const tc_pyval *d, const char *key)
{
    const tc_pyval *v = tc_logconf_get(d, key);
    return v && v->kind == TC_PY_STR ? v->s : NULL;
}

static int fail(walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(walk *w, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(w->err, w->errlen, "log config: %s", msg);
    return -1;
}

static void note(walk *w, const char *logger, const char *handler, const char *why)
{
    size_t k = strlen(w->out->note);
    snprintf(w->out->note + k, sizeof w->out->note - k, "%s%s: handler '%s' %s", k ? "; " : "",
             logger, handler, why);
}

/* A level as Python's logging takes it: a name (any case here) or a
 * number; NOTSET is 0. */
static int level_value(walk *w, const char *logger, const tc_pyval *v, int *level)
{
    static const struct {
        const char *name;
        int level;
    } names[] = { { "CRITICAL", 50 }, { "FATAL", 50 }, { "ERROR", 40 }, { "WARNING", 30 },
                  { "WARN", 30 },     { "INFO", 20 },  { "DEBUG", 10 }, { "NOTSET", 0 } };
    if (v->kind == TC_PY_INT && !v->big && v->i >= 0 && v->i <= 1000) {
        *level = (int)v->i;
        return 0;
    }
    for (size_t i = 0; v->kind == TC_PY_STR && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(v->s, names[i].name) == 0) {
            *level = names[i].level;
            return 0;
        }
    return fail(w, "%s: level %s is not a logging level", logger,
                v->kind == TC_PY_STR ? v->s : "(not a name or number)");
}

static const tc_pyval *logger_config(walk *w, const char *name)
{
    return strcmp(name, "root") == 0 ? w->root : tc_logconf_get(w->loggers, name);
}

/* The logger's level: its own, else (NOTSET) its ancestors' as the
 * configuration sets them, else Python's root default, WARNING. */
static int effective_level(walk *w, const char *name, int *level)
{
    const char *chain[] = { name, "gunicorn", "root" };
    for (size_t i = 0; i < 3; i++) {
        const tc_pyval *lv = tc_logconf_get(logger_config(w, chain[i]), "level");
        if (lv == NULL && i == 0) {
            *level = 0; /* no level given: the logger keeps the daemon's */
            return 0;
        }
        if (lv && level_value(w, chain[i], lv, level) < 0)
            return -1;
        if (lv && *level)
            return 0;
    }
    *level = TC_LOG_WARNING;
    return 0;
}

/* Whether the handler formats as tandem writes (else a note). */
static void check_format(walk *w, const char *logger, const char *hname, const tc_pyval *h,
                         int error_log)
{
    const char *fname = get_str(h, "formatter");
    const tc_pyval *f = fname ? tc_logconf_get(w->formatters, fname) : NULL;
    const char *fmt = f ? get_str(f, "format") : NULL, *datefmt = f ? get_str(f, "datefmt") : NULL;
    int same = error_log ? fmt && strcmp(fmt, TC_LOGCONF_ERROR_FORMAT) == 0 && datefmt &&
                               strcmp(datefmt, TC_LOGCONF_ERROR_DATEFMT) == 0
                         : fmt == NULL || strcmp(fmt, "%(message)s") == 0;
    if (!same)
        note(w, logger, hname,
             error_log ? "has a format tandem does not apply (error lines keep Gunicorn's)"
                       : "has a format tandem does not apply (lines follow access_log_format)");
}

static int handler_dest(walk *w, const char *logger, const char *hname, tc_logdest *d,
                        int error_log)
{
    const tc_pyval *h = tc_logconf_get(w->handlers, hname);
    const char *cls = h ? get_str(h, "class") : NULL;
    if (cls == NULL)
        return fail(w, "%s: handler '%s' is not defined (or has no class)", logger, hname);
    if (strncmp(cls, "logging.", 8) == 0)
        cls += 8;
    if (strcmp(cls, "NullHandler") == 0) {
        d->kind = TC_LOGDEST_NONE;
        return 0;
    }
    int rc;
    if (strcmp(cls, "StreamHandler") == 0)
        rc = tc_logconf_stream(h, d, w->err, w->errlen);
    else if (strcmp(cls, "FileHandler") == 0 || strcmp(cls, "handlers.WatchedFileHandler") == 0)
        rc = tc_logconf_file(h, d, w->err, w->errlen);
    else
        return fail(w,
                    "%s: handler class %s is not one tandem's own lines can use (StreamHandler, "
                    "FileHandler, handlers.WatchedFileHandler, NullHandler; rotate with USR1)",
                    logger, cls);
    if (rc == 0)
        check_format(w, logger, hname, h, error_log);
    return rc;
}

static int configure(walk *w, const char *logger, tc_logdest *d, int error_log)
{
    const tc_pyval *lc = tc_logconf_get(w->loggers, logger);
    if (lc == NULL)
        return 0; /* left alone */
    if (effective_level(w, logger, &d->level) < 0)
        return -1;
    const tc_pyval *hl = tc_logconf_get(lc, "handlers");
    d->kind = TC_LOGDEST_NONE;
    int used = 0;
    for (size_t i = 0; hl && (hl->kind == TC_PY_LIST || hl->kind == TC_PY_TUPLE) && i < hl->n;
         i++) {
        if (hl->items[i]->kind != TC_PY_STR)
            return fail(w, "%s: a handler name is not a str", logger);
        tc_logdest one = { 0 };
        if (handler_dest(w, logger, hl->items[i]->s, &one, error_log) < 0)
            return -1;
        int hlevel = 0;
        const tc_pyval *lv = tc_logconf_get(tc_logconf_get(w->handlers, hl->items[i]->s), "level");
        if (lv && level_value(w, logger, lv, &hlevel) < 0) {
            free(one.path);
            return -1;
        }
        if (one.kind == TC_LOGDEST_NONE)
            continue;
        if (used++) {
            free(one.path);
            return fail(w,
                        "%s: more than one handler writes its lines (%s); tandem writes "
                        "them to one place",
                        logger, hl->items[i]->s);
        }
        d->kind = one.kind;
        d->path = one.path;
        d->handler_level = hlevel;
    }
    return 0;
}

static int section(walk *w, const tc_pyval *user, const tc_pyval *defaults, const char *key,
                   const tc_pyval **out)
{
    const tc_pyval *v = tc_logconf_get(user, key);
    *out = v ? v : tc_logconf_get(defaults, key);
    if (*out && (*out)->kind != TC_PY_DICT)
        return fail(w, "'%s' is not a dict", key);
    return 0;
}

static int walk_dict(const tc_pyval *user, const tc_pyval *defaults, tc_logconf *out, char *err,
                     size_t errlen)
{
    walk w = { 0 };
    w.out = out;
    w.err = err;
    w.errlen = errlen;
    const tc_pyval *inc = tc_logconf_get(user, "incremental");
    if (inc && inc->kind == TC_PY_BOOL && inc->i)
        return fail(&w, "incremental configurations are not supported yet");
    if (section(&w, user, defaults, "loggers", &w.loggers) < 0 ||
        section(&w, user, defaults, "handlers", &w.handlers) < 0 ||
        section(&w, user, defaults, "formatters", &w.formatters) < 0 ||
        section(&w, user, defaults, "root", &w.root) < 0)
        return -1;
    if (configure(&w, "gunicorn.error", &out->error, 1) < 0 ||
        configure(&w, "gunicorn.access", &out->access, 0) < 0) {
        tc_logconf_free(out);
        return -1;
    }
    return 0;
}

tc_pyval *tc_logconf_literal(const char *text)
{
    size_t n = strlen(text);
    char *src = malloc(n + 5);
    if (src == NULL)
        return NULL;
    memcpy(src, "_ = ", 4);
    memcpy(src + 4, text, n + 1);
    tc_pyconf c;
    int line;
    char why[128];
    tc_pyval *v = NULL;
    if (tc_pyconf_parse(src, n + 4, &c, &line, why, sizeof why) == 0) {
        if (c.n == 1) {
            v = c.v[0].value;
            c.v[0].value = NULL;
        }
        tc_pyconf_free(&c);
    }
    free(src);
    return v;
}

/* dictConfig's view: the user's keys over Gunicorn's defaults (ini: none). */
static int from_dict(const tc_pyval *dict, int with_defaults, tc_logconf *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (dict->kind != TC_PY_DICT) {
        snprintf(err, errlen, "log config: not a dict");
        return -1;
    }
    tc_pyval *defaults = with_defaults ? tc_logconf_literal(config_defaults) : NULL;
    if (with_defaults && defaults == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = walk_dict(dict, defaults, out, err, errlen);
    tc_pyval_free(defaults);
    return rc;
}

int tc_logconf_from_dict(const tc_pyval *dict, tc_logconf *out, char *err, size_t errlen)
{
    return from_dict(dict, 1, out, err, errlen);
}

int tc_logconf_from_ini_dict(const tc_pyval *dict, tc_logconf *out, char *err, size_t errlen)
{
    return from_dict(dict, 0, out, err, errlen);
}

static int load_json(const char *path, tc_logconf *out, char *err, size_t errlen)
{
    size_t len;
    char *text = tc_pyconf_slurp(path, &len), msg[256];
    if (text == NULL) {
        snprintf(err, errlen, "logconfig_json (--log-config-json): cannot read %s: %s", path,
                 strerror(errno));
        return -1;
    }
    tc_pyval *v = tc_json_parse(text, len, msg, sizeof msg);
    free(text);
    if (v == NULL) {
        snprintf(err, errlen, "logconfig_json (--log-config-json): %s: %s", path, msg);
        return -1;
    }
    int rc = tc_logconf_from_dict(v, out, err, errlen);
    tc_pyval_free(v);
    return rc;
}

static int load_ini(const char *path, tc_logconf *out, char *err, size_t errlen)
{
    size_t len;
    char *text = tc_pyconf_slurp(path, &len);
    if (text == NULL) {
        snprintf(err, errlen, "logconfig (--log-config): cannot read %s: %s", path,
                 strerror(errno));
        return -1;
    }
    int rc = tc_logconf_from_ini(text, len, path, out, err, errlen);
    free(text);
    return rc;
}

int tc_logconf_load(const char *dict_text, const char *json_path, const char *ini_path,
                    tc_logconf *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (dict_text && strcmp(dict_text, "{}") != 0) {
        tc_pyval *v = tc_logconf_literal(dict_text);
        if (v == NULL) {
            snprintf(err, errlen, "logconfig_dict: not a dict literal");
            return -1;
        }
        int rc = tc_logconf_from_dict(v, out, err, errlen);
        tc_pyval_free(v);
        return rc;
    }
    if (json_path && *json_path)
        return load_json(json_path, out, err, errlen);
    if (ini_path && *ini_path)
        return load_ini(ini_path, out, err, errlen);
    return 0;
}

void tc_logconf_free(tc_logconf *c)
{
    free(c->error.path);
    free(c->access.path);
    c->error.path = c->access.path = NULL;
}

const char *tc_logdest_path(const tc_logdest *d, int stderr_is_usual)
{
    switch (d->kind) {
    case TC_LOGDEST_STDOUT: return stderr_is_usual ? "/dev/stdout" : "-";
    case TC_LOGDEST_STDERR: return stderr_is_usual ? "-" : "/dev/stderr";
    case TC_LOGDEST_FILE: return d->path;
    case TC_LOGDEST_NONE: return "/dev/null";
    default: return NULL;
    }
}

void tc_logconf_apply(const tc_logconf *c, tc_logconf_effect *e)
{
    if (c->error.kind != TC_LOGDEST_UNSET) {
        e->errorlog = tc_logdest_path(&c->error, 1);
        if (c->error.level)
            e->level = c->error.level;
        if (c->error.handler_level > e->level)
            e->level = c->error.handler_level;
        e->error_syslog = 0;
    }
    if (c->access.kind != TC_LOGDEST_UNSET) {
        int level = c->access.level ? c->access.level : TC_LOG_INFO;
        if (c->access.handler_level > level)
            level = c->access.handler_level;
        /* access lines are logged at INFO */
        int on = c->access.kind != TC_LOGDEST_NONE && level <= TC_LOG_INFO;
        e->accesslog = on ? tc_logdest_path(&c->access, 0) : NULL;
        e->access_syslog = 0;
    }
}

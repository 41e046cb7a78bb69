/* tc_logconf_ini.c: a fileConfig INI file turned into dictConfig's shape
 * (loggers, root, handlers, formatters) for tc_logconf.c, with Gunicorn's
 * %(here)s and %(__file__)s; and handlers' streams and files read from
 * either shape. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc_ini.h"
#include "tc_logconf_int.h"

#define VALUE_MAX 4096

typedef struct {
    const tc_ini *ini;
    const char *const *defaults;
    char *err;
    size_t errlen;
} ini_reader;

/* Adds key: value to dict, taking value over (freed on failure). */
static int add(tc_pyval *dict, const char *key, tc_pyval *value)
{
    if (value == NULL)
        return -1;
    tc_pyval *k = tc_pyval_str(key, strlen(key));
    if (k == NULL || tc_pyval_append(dict, k) != 0) {
        tc_pyval_free(value);
        return -1;
    }
    return tc_pyval_append(dict, value);
}

/* section[key], interpolated, as a str; 1 when absent, -1 on error. */
static int add_str(ini_reader *r, tc_pyval *dict, const char *section, const char *key,
                   const char *as)
{
    char buf[VALUE_MAX];
    if (tc_ini_raw(r->ini, section, key) == NULL)
        return 1;
    if (tc_ini_get(r->ini, section, key, r->defaults, buf, sizeof buf, r->err, r->errlen) < 0)
        return -1;
    return add(dict, as, tc_pyval_str(buf, strlen(buf)));
}

/* "a, b,c" as a list of names. */
static tc_pyval *name_list(const char *text)
{
    tc_pyval *l = tc_pyval_new(TC_PY_LIST);
    for (const char *p = text; l && *p;) {
        size_t n = strcspn(p, ",");
        const char *s = p;
        size_t k = n;
        while (k && (*s == ' ' || *s == '\t' || *s == '\n')) {
            s++;
            k--;
        }
        while (k && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '\n'))
            k--;
        if (k && tc_pyval_append(l, tc_pyval_str(s, k)) != 0)
            return NULL;
        p += n + (p[n] == ',');
    }
    return l;
}

/* [SECTION] keys=a,b: the names; NULL with err when missing. */
static tc_pyval *keys_of(ini_reader *r, const char *section, int required)
{
    char buf[VALUE_MAX];
    if (!tc_ini_has_section(r->ini, section) && !required)
        return tc_pyval_new(TC_PY_LIST);
    if (tc_ini_get(r->ini, section, "keys", r->defaults, buf, sizeof buf, r->err, r->errlen) < 0)
        return NULL;
    return name_list(buf);
}

static int one_logger(ini_reader *r, const char *name, tc_pyval *loggers, tc_pyval *top)
{
    char sect[256], qual[VALUE_MAX], buf[VALUE_MAX];
    snprintf(sect, sizeof sect, "logger_%s", name);
    int root = strcmp(name, "root") == 0;
    if (!root &&
        tc_ini_get(r->ini, sect, "qualname", r->defaults, qual, sizeof qual, r->err, r->errlen) < 0)
        return -1;
    tc_pyval *lg = tc_pyval_new(TC_PY_DICT);
    if (lg == NULL || add_str(r, lg, sect, "level", "level") < 0) {
        tc_pyval_free(lg);
        return -1;
    }
    if (tc_ini_raw(r->ini, sect, "handlers")) {
        if (tc_ini_get(r->ini, sect, "handlers", r->defaults, buf, sizeof buf, r->err, r->errlen) <
                0 ||
            add(lg, "handlers", name_list(buf)) < 0) {
            tc_pyval_free(lg);
            return -1;
        }
    }
    return root ? add(top, "root", lg) : add(loggers, qual, lg);
}

static int one_handler(ini_reader *r, const char *name, tc_pyval *handlers)
{
    char sect[256];
    snprintf(sect, sizeof sect, "handler_%s", name);
    static const char *const keys[] = { "class", "level", "formatter", "args", "kwargs" };
    tc_pyval *h = tc_pyval_new(TC_PY_DICT);
    for (size_t i = 0; h && i < sizeof keys / sizeof keys[0]; i++)
        if (add_str(r, h, sect, keys[i], keys[i]) < 0) {
            tc_pyval_free(h);
            return -1;
        }
    return add(handlers, name, h);
}

/* fileConfig reads a formatter's format and datefmt raw: no interpolation. */
static int add_raw(tc_pyval *dict, const tc_ini *ini, const char *section, const char *key)
{
    const char *v = tc_ini_raw(ini, section, key);
    return v ? add(dict, key, tc_pyval_str(v, strlen(v))) : 0;
}

static int one_formatter(ini_reader *r, const char *name, tc_pyval *formatters)
{
    char sect[256];
    snprintf(sect, sizeof sect, "formatter_%s", name);
    tc_pyval *f = tc_pyval_new(TC_PY_DICT);
    if (f == NULL || add_raw(f, r->ini, sect, "format") < 0 ||
        add_raw(f, r->ini, sect, "datefmt") < 0) {
        tc_pyval_free(f);
        return -1;
    }
    return add(formatters, name, f);
}

/* Each name of [SECTION] keys= through fn into a new dict added as key. */
static int each(ini_reader *r, const char *section, int required, tc_pyval *top, const char *key,
                int (*fn)(ini_reader *, const char *, tc_pyval *))
{
    tc_pyval *names = keys_of(r, section, required), *d = tc_pyval_new(TC_PY_DICT);
    int rc = names && d ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < names->n; i++)
        rc = fn(r, names->items[i]->s, d);
    tc_pyval_free(names);
    if (rc == 0)
        return add(top, key, d);
    tc_pyval_free(d);
    return -1;
}

static int loggers(ini_reader *r, tc_pyval *top)
{
    tc_pyval *names = keys_of(r, "loggers", 1), *d = tc_pyval_new(TC_PY_DICT);
    int rc = names && d ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < names->n; i++)
        rc = one_logger(r, names->items[i]->s, d, top);
    tc_pyval_free(names);
    if (rc == 0)
        return add(top, "loggers", d);
    tc_pyval_free(d);
    return -1;
}

int tc_logconf_from_ini(const char *text, size_t len, const char *path, tc_logconf *out, char *err,
                        size_t errlen)
{
    tc_ini ini;
    char msg[512];
    memset(out, 0, sizeof *out);
    if (tc_ini_parse(text, len, &ini, msg, sizeof msg) < 0) {
        snprintf(err, errlen, "logconfig (--log-config): %s: %s", path, msg);
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    const char *const defaults[] = { "__file__", path, "here", dirname(dir), NULL };
    ini_reader r = { &ini, defaults, msg, sizeof msg };
    tc_pyval *top = tc_pyval_new(TC_PY_DICT);
    int rc = -1;
    if (top && loggers(&r, top) == 0 &&
        each(&r, "handlers", 0, top, "handlers", one_handler) == 0 &&
        each(&r, "formatters", 0, top, "formatters", one_formatter) == 0)
        rc = 0;
    if (rc < 0)
        snprintf(err, errlen, "logconfig (--log-config): %s: %s", path, msg);
    else
        rc = tc_logconf_from_ini_dict(top, out, err, errlen);
    tc_pyval_free(top);
    tc_ini_free(&ini);
    return rc;
}

/* ---- handler arguments, in dictConfig's keys or fileConfig's ---- */

static void squeeze(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    for (; *in && k + 1 < cap; in++)
        if (*in != ' ' && *in != '\t')
            out[k++] = *in;
    out[k] = '\0';
}

int tc_logconf_stream(const tc_pyval *h, tc_logdest *d, char *err, size_t errlen)
{
    const tc_pyval *stream = tc_logconf_get(h, "stream"), *args = tc_logconf_get(h, "args");
    char text[64] = "";
    if (stream && stream->kind == TC_PY_STR)
        snprintf(text, sizeof text, "%s", stream->s);
    else if (args && args->kind == TC_PY_STR)
        squeeze(args->s, text, sizeof text);
    if (!*text || !strcmp(text, "ext://sys.stderr") || !strcmp(text, "()") ||
        !strcmp(text, "(sys.stderr,)")) {
        d->kind = TC_LOGDEST_STDERR;
    } else if (!strcmp(text, "ext://sys.stdout") || !strcmp(text, "(sys.stdout,)")) {
        d->kind = TC_LOGDEST_STDOUT;
    } else {
        snprintf(err, errlen,
                 "log config: a StreamHandler writes to sys.stdout or sys.stderr "
                 "only, for tandem's own lines");
        return -1;
    }
    return 0;
}

/* filename and mode from dictConfig's keys, or args=(filename, mode) and kwargs=. */
static void file_args(const tc_pyval *h, const tc_pyval *args, const tc_pyval *kwargs,
                      const char **file, const char **mode)
{
    const tc_pyval *f = tc_logconf_get(h, "filename"), *m = tc_logconf_get(h, "mode");
    if (args && (args->kind == TC_PY_TUPLE || args->kind == TC_PY_LIST)) {
        f = args->n > 0 ? args->items[0] : f;
        m = args->n > 1 ? args->items[1] : m;
    }
    if (tc_logconf_get(kwargs, "filename"))
        f = tc_logconf_get(kwargs, "filename");
    if (tc_logconf_get(kwargs, "mode"))
        m = tc_logconf_get(kwargs, "mode");
    *file = f && f->kind == TC_PY_STR ? f->s : NULL;
    *mode = m && m->kind == TC_PY_STR ? m->s : m ? "?" : "a";
}

int tc_logconf_file(const tc_pyval *h, tc_logdest *d, char *err, size_t errlen)
{
    const tc_pyval *a = tc_logconf_get(h, "args"), *k = tc_logconf_get(h, "kwargs");
    tc_pyval *args = a && a->kind == TC_PY_STR ? tc_logconf_literal(a->s) : NULL;
    tc_pyval *kwargs = k && k->kind == TC_PY_STR ? tc_logconf_literal(k->s) : NULL;
    const char *file, *mode;
    file_args(h, args, kwargs, &file, &mode);
    int rc = -1;
    if (file == NULL || !*file)
        snprintf(err, errlen, "log config: a FileHandler's filename must be a literal str");
    else if (strcmp(mode, "a") != 0 && strcmp(mode, "a+") != 0)
        snprintf(err, errlen,
                 "log config: FileHandler mode '%s': tandem's own log files are "
                 "opened for appending ('a') only",
                 mode);
    else if ((d->path = strdup(file)) == NULL)
        snprintf(err, errlen, "out of memory");
    else {
        d->kind = TC_LOGDEST_FILE;
        rc = 0;
    }
    tc_pyval_free(args);
    tc_pyval_free(kwargs);
    return rc;
}

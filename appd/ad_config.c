/* ad_config.c: runs the config file the way Gunicorn does, then takes from
 * its namespace each name the config reader (tc_pyconf) saw assigned at
 * module level: tandem-appd's settings, the proxy's (kept for export), the
 * server hooks; anything else is an error naming the file and line. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad_config.h"
#include "ad_python.h"
#include "px_settings.h"
#include "tc_gunicorn.h"
#include "tc_pyconf.h"

/* Deeper values are not settings. */
#define MAX_DEPTH 16

typedef struct {
    char *key;
    tc_pyval *value;
    int line;
} proxy_value;

typedef struct {
    char *location;     /* as given: a path or python:MODULE */
    char *path;         /* the file its lines are in */
    PyObject *globals;  /* the file's namespace (owned) */
    PyObject *hooks;    /* name -> callable */
    proxy_value *proxy; /* the proxy's settings, in file order */
    size_t nproxy;
} config_state;

static config_state conf;
static config_state before_reload; /* the file as it was, until a reload succeeds */

/* ---- running the file ---- */

/* The line of path in the traceback tb that raised (its last frame there). */
static int traceback_line(PyObject *tb, const char *path)
{
    int line = 0;
    Py_XINCREF(tb);
    while (tb && tb != Py_None) {
        PyObject *frame = PyObject_GetAttrString(tb, "tb_frame");
        PyObject *code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
        PyObject *file = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
        const char *f = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
        if (f && strcmp(f, path) == 0) {
            PyObject *n = PyObject_GetAttrString(tb, "tb_lineno");
            if (n)
                line = (int)PyLong_AsLong(n);
            Py_XDECREF(n);
        }
        PyObject *next = PyObject_GetAttrString(tb, "tb_next");
        Py_XDECREF(file);
        Py_XDECREF(code);
        Py_XDECREF(frame);
        Py_DECREF(tb);
        tb = next;
    }
    Py_XDECREF(tb);
    PyErr_Clear();
    return line;
}

/* "FILE:LINE: SyntaxError: message", as the line and text Python reports. */
static void syntax_error(PyObject *value, const char *path, char *err, size_t errlen)
{
    PyObject *msg = PyObject_GetAttrString(value, "msg");
    PyObject *lineno = PyObject_GetAttrString(value, "lineno");
    PyObject *file = PyObject_GetAttrString(value, "filename");
    const char *m = msg && PyUnicode_Check(msg) ? PyUnicode_AsUTF8(msg) : NULL;
    const char *f = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
    long line = lineno && PyLong_Check(lineno) ? PyLong_AsLong(lineno) : 0;
    snprintf(err, errlen, "%s:%ld: SyntaxError: %s", f ? f : path, line, m ? m : "invalid syntax");
    Py_XDECREF(msg);
    Py_XDECREF(lineno);
    Py_XDECREF(file);
    PyErr_Clear();
}

/* The pending exception as one line naming the file and line of path that
 * raised it; clears it. */
static void exception_line(const char *path, char *err, size_t errlen)
{
    char what[768];
    ad_python_exc_line(what, sizeof what);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (type && PyErr_GivenExceptionMatches(type, PyExc_SyntaxError) && value) {
        syntax_error(value, path, err, errlen);
    } else {
        int line = traceback_line(tb, path);
        if (line > 0)
            snprintf(err, errlen, "%s:%d: %s", path, line, what);
        else
            snprintf(err, errlen, "%s: %s", path, what);
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

static int set_str(PyObject *dict, const char *key, const char *value)
{
    PyObject *v = value ? PyUnicode_DecodeFSDefault(value) : Py_NewRef(Py_None);
    int rc = v ? PyDict_SetItemString(dict, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

/* Gunicorn's namespace for a config file: __file__ and __name__ set. */
static PyObject *fresh_namespace(const char *path)
{
    PyObject *g = PyDict_New();
    if (g == NULL || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) ||
        set_str(g, "__name__", "__config__") || set_str(g, "__file__", path) ||
        set_str(g, "__doc__", NULL) || set_str(g, "__package__", NULL)) {
        Py_XDECREF(g);
        return NULL;
    }
    return g;
}

/* Executes src as the file path; its namespace, or NULL with err. */
static PyObject *run_source(const char *src, const char *path, char *err, size_t errlen)
{
    PyObject *code = Py_CompileStringExFlags(src, path, Py_file_input, NULL, -1);
    PyObject *g = code ? fresh_namespace(path) : NULL;
    PyObject *r = g ? PyEval_EvalCode(code, g, g) : NULL;
    if (r == NULL) {
        exception_line(path, err, errlen);
        Py_CLEAR(g);
    }
    Py_XDECREF(r);
    Py_XDECREF(code);
    return g;
}

/* python:MODULE imported; its namespace (a new reference to its dict) and
 * its source file when it has one. */
static PyObject *import_module(const char *location, char **file, char *err, size_t errlen)
{
    const char *name = location + strlen("python:");
    PyObject *mod = PyImport_ImportModule(name);
    if (mod == NULL) {
        exception_line(location, err, errlen);
        return NULL;
    }
    PyObject *f = PyObject_GetAttrString(mod, "__file__");
    const char *fs = f && PyUnicode_Check(f) ? PyUnicode_AsUTF8(f) : NULL;
    size_t n = fs ? strlen(fs) : 0;
    *file = fs && n > 3 && strcmp(fs + n - 3, ".py") == 0 ? strdup(fs) : NULL;
    Py_XDECREF(f);
    PyErr_Clear();
    PyObject *dict = Py_NewRef(PyModule_GetDict(mod));
    Py_DECREF(mod);
    return dict;
}

/* ---- values ---- */

static tc_pyval *to_pyval(PyObject *o, int depth, const char **why);

static tc_pyval *items_to_pyval(PyObject *o, tc_py_kind kind, int depth, const char **why)
{
    tc_pyval *seq = tc_pyval_new(kind);
    if (seq == NULL)
        return NULL;
    if (kind == TC_PY_DICT) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v)) {
            tc_pyval *pk = to_pyval(k, depth + 1, why),
                     *pv = pk ? to_pyval(v, depth + 1, why) : NULL;
            if (pv == NULL || tc_pyval_append(seq, pk) || tc_pyval_append(seq, pv)) {
                if (pv == NULL)
                    tc_pyval_free(pk);
                tc_pyval_free(seq);
                return NULL;
            }
        }
        return seq;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    for (Py_ssize_t i = 0; i < n; i++) {
        tc_pyval *item = to_pyval(PySequence_Fast_GET_ITEM(o, i), depth + 1, why);
        if (item == NULL || tc_pyval_append(seq, item)) {
            tc_pyval_free(seq);
            return NULL;
        }
    }
    return seq;
}

static tc_pyval *str_to_pyval(PyObject *o, const char **why)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s == NULL) {
        PyErr_Clear();
        *why = "a str with a lone surrogate";
        return NULL;
    }
    if (memchr(s, '\0', (size_t)n)) {
        *why = "a str with a NUL character";
        return NULL;
    }
    return tc_pyval_str(s, (size_t)n);
}

static tc_pyval *int_to_pyval(PyObject *o)
{
    int overflow;
    tc_pyval *v = tc_pyval_new(TC_PY_INT);
    if (v == NULL)
        return NULL;
    v->i = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        /* Kept as its decimal text, as the literal reader keeps it. */
        PyObject *text = PyObject_Str(o);
        const char *t = text ? PyUnicode_AsUTF8(text) : NULL;
        v->big = 1;
        v->s = t ? strdup(t) : NULL;
        v->len = v->s ? strlen(v->s) : 0;
        Py_XDECREF(text);
        if (v->s == NULL) {
            PyErr_Clear();
            tc_pyval_free(v);
            return NULL;
        }
    }
    return v;
}

/* A Python value as a literal the proxy can read; NULL with *why. */
static tc_pyval *to_pyval(PyObject *o, int depth, const char **why)
{
    tc_pyval *v = NULL;
    *why = NULL;
    if (depth > MAX_DEPTH) {
        *why = "nested too deeply";
    } else if (o == Py_None) {
        v = tc_pyval_new(TC_PY_NONE);
    } else if (PyBool_Check(o)) {
        if ((v = tc_pyval_new(TC_PY_BOOL)))
            v->i = o == Py_True;
    } else if (PyLong_Check(o)) {
        v = int_to_pyval(o);
    } else if (PyFloat_Check(o)) {
        double f = PyFloat_AsDouble(o);
        if (isnan(f))
            *why = "nan, which no literal spells";
        else if ((v = tc_pyval_new(TC_PY_FLOAT)))
            v->f = f;
    } else if (PyUnicode_Check(o)) {
        v = str_to_pyval(o, why);
    } else if (PyList_Check(o) || PyTuple_Check(o)) {
        v = items_to_pyval(o, PyList_Check(o) ? TC_PY_LIST : TC_PY_TUPLE, depth, why);
    } else if (PyDict_Check(o)) {
        v = items_to_pyval(o, TC_PY_DICT, depth, why);
    } else {
        *why = "not a value";
    }
    if (v == NULL && *why == NULL)
        *why = "out of memory";
    return v;
}

/* ---- taking the names ---- */

static int keep_for_proxy(const char *key, tc_pyval *v, int line)
{
    proxy_value *p = realloc(conf.proxy, (conf.nproxy + 1) * sizeof *p);
    if (p == NULL)
        return -1;
    conf.proxy = p;
    if ((p[conf.nproxy].key = strdup(key)) == NULL)
        return -1;
    p[conf.nproxy].line = line;
    p[conf.nproxy++].value = v;
    return 0;
}

static int take(ad_settings *s, const char *name, int line, PyObject *value, char *err,
                size_t errlen)
{
    const tc_opt *row;
    int kind = tc_conf_key(&ad_conf_space, name, &row);
    if (!(kind & (TC_KEY_MINE | TC_KEY_OTHERS))) {
        /* A function or module under a name of its own is the file's helper. */
        if (kind == TC_KEY_UNKNOWN && (PyCallable_Check(value) || PyModule_Check(value)))
            return 0;
        tc_conf_key_error(&ad_conf_space, name, kind, err, errlen);
        return -1;
    }
    if ((kind & TC_KEY_MINE) && row == NULL)
        return 0; /* a server hook: see take_hooks */
    const char *why;
    tc_pyval *v = to_pyval(value, 0, &why);
    if (v == NULL) {
        if (strcmp(why, "not a value") == 0)
            snprintf(err, errlen, "%s: a %s is not a setting value", name, Py_TYPE(value)->tp_name);
        else
            snprintf(err, errlen, "%s: the value is %s", name, why);
        return -1;
    }
    int rc = 0;
    if (row)
        rc = tc_conf_set_value(row, s, v, err, errlen);
    if (row && rc == 0 && ad_conf_space.check)
        rc = ad_conf_space.check(s, name, err, errlen);
    if (rc == 0 && (kind & TC_KEY_OTHERS)) {
        if (keep_for_proxy(name, v, line) == 0)
            return 0;
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    tc_pyval_free(v);
    return rc;
}

/* Each name the reader saw assigned at module level, at its deciding line. */
static int take_assigned(ad_settings *s, const tc_pyconf *scan, const char *path, char *err,
                         size_t errlen)
{
    char msg[1024];
    for (size_t i = 0; i < scan->n; i++) {
        const tc_pyassign *a = &scan->v[i];
        if (a->name[0] == '_' || !tc_pyconf_is_last(scan, a))
            continue;
        PyObject *value = PyDict_GetItemString(conf.globals, a->name); /* borrowed */
        if (value == NULL)
            continue; /* deleted again */
        if (take(s, a->name, a->line, value, msg, sizeof msg)) {
            snprintf(err, errlen, "%s:%d: %s", path, a->line, msg);
            return -1;
        }
    }
    return 0;
}

/* Without the source (a compiled module), every public name of the namespace. */
static int take_namespace(ad_settings *s, const char *path, char *err, size_t errlen)
{
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    char msg[1024];
    while (PyDict_Next(conf.globals, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (name == NULL || name[0] == '_' || PyType_Check(v))
            continue;
        if (take(s, name, 0, v, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", path, msg);
            return -1;
        }
    }
    return 0;
}

/* ssl_context makes a Python SSLContext, which the proxy's TLS (C) cannot
 * use: an error at the function's line (the reader skips definitions). */
static int refuse_ssl_context(PyObject *fn, const char *path, char *err, size_t errlen)
{
    char msg[512];
    tc_conf_key_error(&ad_conf_space, "ssl_context", TC_KEY_UNSUPPORTED, msg, sizeof msg);
    PyObject *code = PyObject_GetAttrString(fn, "__code__");
    PyObject *first = code ? PyObject_GetAttrString(code, "co_firstlineno") : NULL;
    long line = first && PyLong_Check(first) ? PyLong_AsLong(first) : 0;
    Py_XDECREF(first);
    Py_XDECREF(code);
    PyErr_Clear();
    snprintf(err, errlen, "%s:%ld: %s", path, line, msg);
    return -1;
}

/* Gunicorn's server hooks the namespace holds, kept for the master. */
static int take_hooks(const tc_pyconf *scan, const char *path, char *err, size_t errlen)
{
    conf.hooks = PyDict_New();
    if (conf.hooks == NULL)
        goto oom;
    for (const tc_gunicorn_setting *g = tc_gunicorn_settings; g->key; g++) {
        if (!g->hook)
            continue;
        PyObject *fn = PyDict_GetItemString(conf.globals, g->key); /* borrowed */
        if (fn == NULL)
            continue;
        if (strcmp(g->key, "ssl_context") == 0)
            return refuse_ssl_context(fn, path, err, errlen);
        if (!PyCallable_Check(fn)) {
            const tc_pyassign *a = scan ? tc_pyconf_find(scan, g->key) : NULL;
            snprintf(err, errlen, "%s:%d: %s: a server hook must be callable, not '%s'", path,
                     a ? a->line : 0, g->key, Py_TYPE(fn)->tp_name);
            return -1;
        }
        if (PyDict_SetItemString(conf.hooks, g->key, fn) != 0)
            goto oom;
    }
    return 0;
oom:
    PyErr_Clear();
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* ---- the loader ---- */

/* Runs location; its source (heap, for the reader) in *src when known. */
static int run(const char *location, char **src, char **path, char *err, size_t errlen)
{
    size_t len;
    *src = NULL;
    *path = NULL;
    if (tc_conf_is_module(location)) {
        conf.globals = import_module(location, path, err, errlen);
        if (conf.globals == NULL)
            return -1;
        if (*path)
            *src = tc_pyconf_slurp(*path, &len);
        return 0;
    }
    if ((*src = tc_pyconf_slurp(location, &len)) == NULL) {
        snprintf(err, errlen, "cannot read config file %s: %s", location,
                 errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
        return -1;
    }
    if (strlen(*src) != len) {
        snprintf(err, errlen, "%s: source code cannot contain null bytes", location);
        return -1;
    }
    *path = strdup(location);
    conf.globals = run_source(*src, location, err, errlen);
    return conf.globals ? 0 : -1;
}

int ad_config_load(const char *location, ad_settings *s, void *ctx, char *err, size_t errlen)
{
    const ad_config_argv *args = ctx;
    free(conf.location);
    if ((conf.location = strdup(location)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Gunicorn runs the file from the working directory, first on sys.path
     * (once: a reload finds it there). */
    if (!Py_IsInitialized() &&
        (ad_python_start(args->argc, args->argv, err, errlen) || ad_python_path_cwd(err, errlen)))
        return -1;
    char *src, *path;
    int rc = run(location, &src, &path, err, errlen);
    tc_pyconf scan = { 0 };
    char msg[8];
    int line, scanned = rc == 0 && src &&
                        tc_pyconf_parse(src, strlen(src), &scan, &line, msg, sizeof msg) == 0;
    const char *shown = path ? path : location;
    free(conf.path);
    conf.path = strdup(shown);
    if (rc == 0)
        rc = scanned ? take_assigned(s, &scan, shown, err, errlen)
                     : take_namespace(s, shown, err, errlen);
    if (rc == 0)
        rc = take_hooks(scanned ? &scan : NULL, shown, err, errlen);
    tc_pyconf_free(&scan);
    free(src);
    free(path);
    return rc;
}

PyObject *ad_config_hook(const char *name)
{
    return conf.hooks ? PyDict_GetItemString(conf.hooks, name) : NULL;
}

int ad_config_proxy_values(PyObject *dict)
{
    for (size_t i = 0; i < conf.nproxy; i++) {
        PyObject *v = PyDict_GetItemString(conf.globals, conf.proxy[i].key); /* borrowed */
        if (v && PyDict_SetItemString(dict, conf.proxy[i].key, v) != 0)
            return -1;
    }
    return 0;
}

/* ---- reload ---- */

static void state_free(config_state *c)
{
    free(c->location);
    free(c->path);
    Py_XDECREF(c->globals);
    Py_XDECREF(c->hooks);
    for (size_t i = 0; i < c->nproxy; i++) {
        free(c->proxy[i].key);
        tc_pyval_free(c->proxy[i].value);
    }
    free(c->proxy);
    memset(c, 0, sizeof *c);
}

void ad_config_reload_begin(void)
{
    state_free(&before_reload);
    before_reload = conf;
    memset(&conf, 0, sizeof conf);
}

void ad_config_reload_end(int keep)
{
    if (keep) {
        state_free(&before_reload);
        return;
    }
    state_free(&conf);
    conf = before_reload;
    memset(&before_reload, 0, sizeof before_reload);
}

/* ---- export ---- */

/* One of the proxy's values, as the proxy will check it when it starts. */
static int check_for_proxy(const proxy_value *p, char *err, size_t errlen)
{
    px_settings scratch;
    memset(&scratch, 0, sizeof scratch);
    int rc = px_settings_defaults(&scratch, err, errlen);
    if (rc == 0)
        rc = tc_conf_set_value(tc_opt_find_key(px_settings_table, p->key), &scratch, p->value, err,
                               errlen);
    if (rc == 0)
        rc = px_settings_check_key(&scratch, p->key, err, errlen);
    tc_opt_free(px_settings_table, &scratch);
    return rc;
}

int ad_config_check_proxy(char *err, size_t errlen)
{
    char msg[1024];
    for (size_t i = 0; i < conf.nproxy; i++) {
        if (check_for_proxy(&conf.proxy[i], msg, sizeof msg) == 0)
            continue;
        if (conf.proxy[i].line > 0)
            snprintf(err, errlen, "%s:%d: %s", conf.path, conf.proxy[i].line, msg);
        else
            snprintf(err, errlen, "%s: %s", conf.path ? conf.path : "", msg);
        return -1;
    }
    return 0;
}

static int write_export(FILE *f)
{
    fprintf(f, "# tandem-proxy's settings from %s, evaluated by tandem-appd %s.\n",
            conf.location ? conf.location : "no config file", PACKAGE_VERSION);
    for (size_t i = 0; i < conf.nproxy; i++) {
        fprintf(f, "%s = ", conf.proxy[i].key);
        tc_pyval_write(f, conf.proxy[i].value);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

int ad_config_export(const char *path, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0) {
        if (write_export(stdout) == 0 && fflush(stdout) == 0)
            return 0;
        snprintf(err, errlen, "export_proxy_config: standard output: %s", strerror(errno));
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = f ? write_export(f) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "export_proxy_config (--export-proxy-config): %s: %s", path,
                 strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

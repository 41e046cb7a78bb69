/* ad_python.c: starts the embedded CPython the way `python3` would (same
 * sys.executable, site-packages, PYTHON* variables) minus its signal
 * handlers, imports the app, turns exceptions into log lines, and holds a
 * worker's Python start and end. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "ad_logging.h"
#include "ad_python.h"
#include "tc_log.h"

void ad_python_log_raw(const char *text, size_t n)
{
    int fd = tc_log_fd();
    while (n > 0) {
        ssize_t w = write(fd, text, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        text += w;
        n -= (size_t)w;
    }
}

static int path_insert(PyObject *path, Py_ssize_t at, const char *dir)
{
    PyObject *s = PyUnicode_DecodeFSDefault(dir);
    if (s == NULL)
        return -1;
    int rc = PyList_Insert(path, at, s);
    Py_DECREF(s);
    return rc;
}

int ad_python_start(int argc, char **argv, char *err, size_t errlen)
{
    if (Py_IsInitialized())
        return 0;
    PyConfig config;
    PyStatus st;
    PyConfig_InitPythonConfig(&config);
    /* The daemons own SIGINT/SIGTERM; Python must not install handlers. */
    config.install_signal_handlers = 0;
    config.parse_argv = 0;
    /* sys.executable = the python3 matching libpython, so subprocesses
     * (multiprocessing, sys.executable -m ...) run the same interpreter. */
    st = PyConfig_SetBytesString(&config, &config.program_name, TANDEM_PYTHON);
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesArgv(&config, argc, argv);
    if (!PyStatus_Exception(st))
        st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) {
        snprintf(err, errlen, "cannot start Python: %s%s%s", st.func ? st.func : "",
                 st.func ? ": " : "", st.err_msg ? st.err_msg : "unknown error");
        return -1;
    }
    return 0;
}

int ad_python_path_cwd(char *err, size_t errlen)
{
    PyObject *path = PySys_GetObject("path"); /* borrowed */
    char cwd[4096];
    if (path == NULL || getcwd(cwd, sizeof cwd) == NULL || path_insert(path, 0, cwd) != 0) {
        PyErr_Clear();
        snprintf(err, errlen, "cannot set sys.path");
        return -1;
    }
    return 0;
}

/* A config file started Python before --env took effect: os.environ, read
 * once at start-up, learns the variables too. */
static int environ_sync(const tc_strlist *raw_env, char *err, size_t errlen)
{
    PyObject *os = raw_env->n ? PyImport_ImportModule("os") : NULL;
    PyObject *environ = os ? PyObject_GetAttrString(os, "environ") : NULL;
    int rc = raw_env->n && environ == NULL ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < raw_env->n; i++) {
        const char *kv = raw_env->items[i], *eq = strchr(kv, '=');
        PyObject *k = PyUnicode_DecodeFSDefaultAndSize(kv, eq - kv);
        PyObject *v = PyUnicode_DecodeFSDefault(eq + 1);
        rc = k && v ? PyObject_SetItem(environ, k, v) : -1;
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    Py_XDECREF(environ);
    Py_XDECREF(os);
    if (rc != 0) {
        PyErr_Clear();
        snprintf(err, errlen, "cannot set os.environ");
    }
    return rc;
}

int ad_python_init(const ad_settings *s, int argc, char **argv, char *err, size_t errlen)
{
    if (ad_python_start(argc, argv, err, errlen) != 0)
        return -1;
    if (ad_python_path_cwd(err, errlen) != 0)
        return -1;
    PyObject *path = PySys_GetObject("path"); /* borrowed */
    for (size_t i = s->pythonpath.n; i-- > 0;) {
        if (path_insert(path, 0, s->pythonpath.items[i]) != 0) {
            PyErr_Clear();
            snprintf(err, errlen, "cannot set sys.path");
            return -1;
        }
    }
    if (environ_sync(&s->raw_env, err, errlen) != 0)
        return -1;
    return ad_logging_python(s, err, errlen);
}

void ad_python_exc_line(char *buf, size_t len)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    const char *tname = type ? ((PyTypeObject *)type)->tp_name : "Exception";
    const char *dot = strrchr(tname, '.');
    if (dot)
        tname = dot + 1;
    PyObject *str = value ? PyObject_Str(value) : NULL;
    const char *msg = str ? PyUnicode_AsUTF8(str) : NULL;
    if (msg == NULL) {
        PyErr_Clear();
        msg = "";
    }
    if (*msg)
        snprintf(buf, len, "%s: %s", tname, msg);
    else
        snprintf(buf, len, "%s", tname);
    Py_XDECREF(str);
    PyErr_Restore(type, value, tb);
}

void ad_python_log_exception(int level, const char *fmt, ...)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL)
        return;
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value)
        PyException_SetTraceback(value, tb);

    va_list ap;
    va_start(ap, fmt);
    tc_vlog(level, fmt, ap);
    va_end(ap);
    if (level < tc_log_get_level())
        goto out;

    /* traceback.format_exception gives exactly what Python would print,
     * chained causes included; it goes out raw (one write) after the line. */
    PyObject *mod = PyImport_ImportModule("traceback");
    PyObject *lines = mod ? PyObject_CallMethod(mod, "format_exception", "OOO", type,
                                                value ? value : Py_None, tb ? tb : Py_None)
                          : NULL;
    PyObject *empty = PyUnicode_FromString("");
    PyObject *text = lines && empty ? PyUnicode_Join(empty, lines) : NULL;
    Py_ssize_t n;
    const char *utf8 = text ? PyUnicode_AsUTF8AndSize(text, &n) : NULL;
    if (utf8) {
        ad_python_log_raw(utf8, (size_t)n);
    } else {
        PyErr_Clear();
        const char *tname = ((PyTypeObject *)type)->tp_name;
        ad_python_log_raw(tname, strlen(tname));
        ad_python_log_raw("\n", 1);
    }
    Py_XDECREF(text);
    Py_XDECREF(empty);
    Py_XDECREF(lines);
    Py_XDECREF(mod);
out:
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

static int is_identifier(const char *p, size_t n)
{
    if (n == 0 || (p[0] >= '0' && p[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c >= 0x80))
            return 0;
    }
    return 1;
}

/* The module itself is missing (not something it imports): the one line says
 * it all and a traceback through importlib would only be noise. */
static int missing_module_itself(const char *module)
{
    if (!PyErr_ExceptionMatches(PyExc_ModuleNotFoundError))
        return 0;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    int same = 0;
    PyObject *name = value ? PyObject_GetAttrString(value, "name") : NULL;
    if (name && PyUnicode_Check(name)) {
        const char *n = PyUnicode_AsUTF8(name);
        size_t nl = n ? strlen(n) : 0;
        /* "a.b" missing because "a" is: still the module the user named. */
        same = n && strncmp(module, n, nl) == 0 && (module[nl] == '\0' || module[nl] == '.');
    }
    PyErr_Clear();
    Py_XDECREF(name);
    PyErr_Restore(type, value, tb);
    return same;
}

PyObject *ad_python_load_app(const char *spec, char *line, size_t len)
{
    char module[512], expr[512];
    const char *colon = strchr(spec, ':');
    size_t ml = colon ? (size_t)(colon - spec) : strlen(spec);
    if (ml >= sizeof module || (colon && strlen(colon + 1) >= sizeof expr)) {
        snprintf(line, len, "'%s': application name too long", spec);
        return NULL;
    }
    memcpy(module, spec, ml);
    module[ml] = '\0';
    snprintf(expr, sizeof expr, "%s", colon ? colon + 1 : "application");

    PyObject *obj = PyImport_ImportModule(module);
    if (obj == NULL) {
        char exc[768];
        ad_python_exc_line(exc, sizeof exc);
        if (missing_module_itself(module))
            PyErr_Clear();
        else
            ad_python_log_exception(TC_LOG_ERROR, "Exception while importing '%s'", module);
        snprintf(line, len, "cannot import '%s': %s", module, exc);
        return NULL;
    }

    size_t el = strlen(expr);
    int call = el > 2 && strcmp(expr + el - 2, "()") == 0;
    if (call)
        expr[el -= 2] = '\0';
    for (char *p = expr;;) {
        char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!is_identifier(p, n)) {
            snprintf(
                line, len,
                "'%s': '%s' is not a name, a dotted name or a factory call like 'create_app()'",
                spec, colon ? colon + 1 : "");
            Py_DECREF(obj);
            return NULL;
        }
        if (!dot)
            break;
        p = dot + 1;
    }
    for (char *p = expr; p;) {
        char *dot = strchr(p, '.');
        if (dot)
            *dot = '\0';
        PyObject *next = PyObject_GetAttrString(obj, p);
        Py_DECREF(obj);
        if (next == NULL) {
            char exc[768];
            if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
                PyObject *type, *value, *tb;
                PyErr_Fetch(&type, &value, &tb);
                PyErr_NormalizeException(&type, &value, &tb);
                PyObject *str = value ? PyObject_Str(value) : NULL;
                const char *m = str ? PyUnicode_AsUTF8(str) : NULL;
                snprintf(exc, sizeof exc, "%s", m ? m : "no such attribute");
                Py_XDECREF(str);
                Py_XDECREF(type);
                Py_XDECREF(value);
                Py_XDECREF(tb);
                PyErr_Clear();
            } else {
                ad_python_exc_line(exc, sizeof exc);
                ad_python_log_exception(TC_LOG_ERROR, "Exception while loading '%s'", spec);
            }
            snprintf(line, len, "'%s' not found: %s", spec, exc);
            return NULL;
        }
        obj = next;
        p = dot ? dot + 1 : NULL;
    }
    if (call) {
        PyObject *made = PyObject_CallNoArgs(obj);
        Py_DECREF(obj);
        if (made == NULL) {
            char exc[768];
            ad_python_exc_line(exc, sizeof exc);
            ad_python_log_exception(TC_LOG_ERROR, "Exception in application factory '%s'", spec);
            snprintf(line, len, "'%s' failed: %s", spec, exc);
            return NULL;
        }
        obj = made;
    }
    if (!PyCallable_Check(obj)) {
        snprintf(line, len, "'%s' is not callable (it is a %s object)", spec,
                 Py_TYPE(obj)->tp_name);
        Py_DECREF(obj);
        return NULL;
    }
    return obj;
}

PyObject *ad_python_worker_app(const char *spec, PyObject *preloaded, char *line, size_t len)
{
    if (preloaded == NULL)
        return ad_python_load_app(spec, line, len);
    Py_INCREF(preloaded);
    return preloaded;
}

void ad_python_enable_faulthandler(int fd)
{
    PyObject *fh = PyImport_ImportModule("faulthandler");
    PyObject *rv = fh ? PyObject_CallMethod(fh, "enable", "iO", fd, Py_True) : NULL;
    if (rv == NULL)
        PyErr_Clear();
    Py_XDECREF(rv);
    Py_XDECREF(fh);
}

void ad_python_abort(int fd)
{
    PyGILState_Ensure();
    /* enable() does nothing while enabled: off first, which also puts back
     * the default action the signal pipe replaced. */
    PyObject *fh = PyImport_ImportModule("faulthandler");
    PyObject *rv = fh ? PyObject_CallMethod(fh, "disable", NULL) : NULL;
    if (rv == NULL)
        PyErr_Clear();
    Py_XDECREF(rv);
    Py_XDECREF(fh);
    signal(SIGABRT, SIG_DFL);
    ad_python_enable_faulthandler(fd);
    raise(SIGABRT);
    _exit(1); /* not reached: SIGABRT is not blocked on this thread */
}

void ad_python_finalize(PyObject *app)
{
    Py_XDECREF(app);
    Py_FinalizeEx();
}

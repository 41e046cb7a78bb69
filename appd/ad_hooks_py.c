/* ad_hooks_py.c: the objects Gunicorn's server hooks receive (see
 * ad_hooks_py.h).  The classes are Python, defined below in a private
 * module: hooks written for Gunicorn set attributes on them (req.start =
 * time.time() in pre_request), subclass-check nothing and print them, and
 * plain classes allow all of that.  C fills them from the settings, the
 * request head and the response rules' state, and gives them the error log
 * and the worker's own state. */
#include "config.h"

#include <Python.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_config.h"
#include "ad_hooks_py.h"
#include "ad_python.h"
#include "ad_worker.h"
#include "tc_log.h"

/* clang-format off */
static const char classes_src[] =
"import sys as _sys\n"
"import traceback as _traceback\n"
"from http import HTTPStatus as _HTTPStatus\n"
"\n"
"_LEVELS = {'debug': 10, 'info': 20, 'warning': 30, 'warn': 30, 'error': 40,\n"
"           'exception': 40, 'critical': 50}\n"
"\n"
"\n"
"class Config:\n"
"    \"\"\"server.cfg and worker.cfg: the settings by name, as Gunicorn's.\"\"\"\n"
"\n"
"    def __init__(self, values):\n"
"        self.__dict__.update(values)\n"
"\n"
"    def __getattr__(self, name):\n"
"        raise AttributeError('tandem-appd has no setting %r' % (name,))\n"
"\n"
"    def __repr__(self):\n"
"        return '<tandem Config: %s>' % ', '.join(sorted(self.__dict__))\n"
"\n"
"\n"
"class Log:\n"
"    \"\"\"server.log and worker.log: lines in tandem-appd's error log.\"\"\"\n"
"\n"
"    def _emit(self, level, msg, args, kwargs):\n"
"        text = str(msg)\n"
"        if len(args) == 1 and isinstance(args[0], dict) and args[0]:\n"
"            args = args[0]\n"
"        if args:\n"
"            try:\n"
"                text = text % args\n"
"            except (TypeError, ValueError, KeyError):\n"
"                text = '%s %r' % (text, args)\n"
"        exc, tb = kwargs.get('exc_info'), None\n"
"        if exc:\n"
"            if isinstance(exc, BaseException):\n"
"                exc = (type(exc), exc, exc.__traceback__)\n"
"            elif not isinstance(exc, tuple):\n"
"                exc = _sys.exc_info()\n"
"            if exc[0] is not None:\n"
"                tb = ''.join(_traceback.format_exception(*exc))\n"
"        _log(level, text, tb)\n"
"\n"
"    def critical(self, msg, *args, **kwargs):\n"
"        self._emit(50, msg, args, kwargs)\n"
"\n"
"    def error(self, msg, *args, **kwargs):\n"
"        self._emit(40, msg, args, kwargs)\n"
"\n"
"    def warning(self, msg, *args, **kwargs):\n"
"        self._emit(30, msg, args, kwargs)\n"
"\n"
"    warn = warning\n"
"\n"
"    def info(self, msg, *args, **kwargs):\n"
"        self._emit(20, msg, args, kwargs)\n"
"\n"
"    def debug(self, msg, *args, **kwargs):\n"
"        self._emit(10, msg, args, kwargs)\n"
"\n"
"    def exception(self, msg, *args, **kwargs):\n"
"        kwargs.setdefault('exc_info', True)\n"
"        self._emit(40, msg, args, kwargs)\n"
"\n"
"    def log(self, lvl, msg, *args, **kwargs):\n"
"        if isinstance(lvl, str):\n"
"            lvl = _LEVELS.get(lvl.lower(), 20)\n"
"        self._emit(int(lvl), msg, args, kwargs)\n"
"\n"
"    def reopen_files(self):\n"
"        _reopen()\n"
"\n"
"    def close_on_exec(self):\n"
"        pass\n"
"\n"
"\n"
"class Listener:\n"
"    \"\"\"An entry of server.LISTENERS: tandem-appd's socket.\"\"\"\n"
"\n"
"    def __init__(self, address):\n"
"        self.address = address\n"
"\n"
"    def __str__(self):\n"
"        return self.address\n"
"\n"
"\n"
"class Server:\n"
"    \"\"\"The server argument: tandem-appd's master (Gunicorn's Arbiter).\"\"\"\n"
"\n"
"    master_name = 'Master'\n"
"\n"
"    def __init__(self, cfg, pid, proc_name, bind):\n"
"        self.log = Log()\n"
"        self.pid = pid\n"
"        self.proc_name = proc_name\n"
"        self.num_workers = None\n"
"        self.WORKERS = {}\n"
"        self.LISTENERS = [Listener(bind)]\n"
"        self.reexec_pid = 0\n"
"        self.master_pid = 0\n"
"        self.set_cfg(cfg)\n"
"\n"
"    def set_cfg(self, cfg):\n"
"        self.cfg = cfg\n"
"        self.timeout = cfg.timeout\n"
"        self.worker_class = cfg.worker_class\n"
"\n"
"    def __repr__(self):\n"
"        return '<tandem-appd master %d>' % self.pid\n"
"\n"
"\n"
"class Worker:\n"
"    \"\"\"The worker argument: one worker process.\"\"\"\n"
"\n"
"    def __init__(self, server, index, age):\n"
"        self.age = age\n"
"        self.index = index\n"
"        self.ppid = server.pid\n"
"        self.pid = None\n"
"        self.cfg = server.cfg\n"
"        self.log = server.log\n"
"        self.timeout = self.cfg.timeout\n"
"        self.max_requests = self.cfg.max_requests\n"
"        self.booted = False\n"
"        self.aborted = False\n"
"        self.wsgi = None\n"
"        self.sockets = []\n"
"        self.tmp = None\n"
"        self._here = False\n"
"        self._exited = False\n"
"\n"
"    @property\n"
"    def alive(self):\n"
"        if self._here:\n"
"            return _alive()\n"
"        return self.pid is not None and not self._exited\n"
"\n"
"    @property\n"
"    def nr(self):\n"
"        return _requests() if self._here else 0\n"
"\n"
"    def notify(self):\n"
"        \"\"\"Gunicorn's heartbeat: tandem's workers beat by themselves.\"\"\"\n"
"\n"
"    def __repr__(self):\n"
"        return '<Worker %s>' % self.pid\n"
"\n"
"\n"
"class Request:\n"
"    \"\"\"req of pre_request and post_request: the head, as Gunicorn's Request.\"\"\"\n"
"\n"
"    def __init__(self, method, path, query, version, scheme, headers, peer, stream_id):\n"
"        self.method = method\n"
"        self.path = path\n"
"        self.query = query\n"
"        self.uri = path + '?' + query if query else path\n"
"        self.fragment = ''\n"
"        self.version = version\n"
"        self.scheme = scheme\n"
"        self.headers = headers\n"
"        self.trailers = []\n"
"        self.peer_addr = self.remote_addr = peer\n"
"        self.stream_id = stream_id\n"
"\n"
"    def __repr__(self):\n"
"        return '<Request %s %s>' % (self.method, self.uri)\n"
"\n"
"\n"
"class Response:\n"
"    \"\"\"resp of post_request: what was sent.\"\"\"\n"
"\n"
"    def __init__(self, status_code, headers, sent):\n"
"        try:\n"
"            reason = _HTTPStatus(status_code).phrase\n"
"        except ValueError:\n"
"            reason = ''\n"
"        self.status_code = status_code\n"
"        self.status = ('%d %s' % (status_code, reason)).rstrip()\n"
"        self.headers = headers\n"
"        self.sent = sent\n"
"\n"
"    def __repr__(self):\n"
"        return '<Response %s>' % self.status\n";
/* clang-format on */

static PyObject *mod_dict; /* the private module's namespace (owned) */
static PyObject *cls_config, *cls_server, *cls_worker, *cls_request, *cls_response; /* borrowed */
static PyObject *str_here;

/* ---- what the classes call ---- */

/* _log(level, text, traceback or None): one line, then the traceback. */
static PyObject *py_log(PyObject *self, PyObject *args)
{
    int level;
    const char *text;
    PyObject *tb;
    if (!PyArg_ParseTuple(args, "isO", &level, &text, &tb))
        return NULL;
    if (level < tc_log_get_level())
        Py_RETURN_NONE;
    tc_log(level, "%s", text);
    Py_ssize_t n;
    const char *t = tb != Py_None ? PyUnicode_AsUTF8AndSize(tb, &n) : NULL;
    if (t)
        ad_python_log_raw(t, (size_t)n);
    PyErr_Clear();
    Py_RETURN_NONE;
}

static PyObject *py_reopen(PyObject *self, PyObject *unused)
{
    if (tc_log_reopen() != 0)
        tc_error("cannot reopen the log");
    Py_RETURN_NONE;
}

/* The worker's own state, read under W.mu (GIL -> W.mu is the lock order). */
static PyObject *py_alive(PyObject *self, PyObject *unused)
{
    pthread_mutex_lock(&W.mu);
    int alive = !ad_sched_stopping(&W.sched);
    pthread_mutex_unlock(&W.mu);
    return PyBool_FromLong(alive);
}

static PyObject *py_requests(PyObject *self, PyObject *unused)
{
    pthread_mutex_lock(&W.mu);
    unsigned long long n = W.requests;
    pthread_mutex_unlock(&W.mu);
    return PyLong_FromUnsignedLongLong(n);
}

static PyMethodDef methods[] = {
    { "_log", py_log, METH_VARARGS, NULL },
    { "_reopen", py_reopen, METH_NOARGS, NULL },
    { "_alive", py_alive, METH_NOARGS, NULL },
    { "_requests", py_requests, METH_NOARGS, NULL },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "tandem_hooks",
    .m_doc = "Objects tandem-appd passes to server hooks.",
    .m_size = -1,
    .m_methods = methods,
};

static PyObject *class_named(const char *name)
{
    PyObject *c = PyDict_GetItemString(mod_dict, name); /* borrowed */
    if (c == NULL)
        PyErr_Format(PyExc_RuntimeError, "tandem_hooks has no class %s", name);
    return c;
}

int ad_hooks_py_init(void)
{
    if (mod_dict)
        return 0;
    PyObject *mod = PyModule_Create(&module_def);
    if (mod == NULL)
        return -1;
    mod_dict = Py_NewRef(PyModule_GetDict(mod));
    Py_DECREF(mod);
    if (PyDict_GetItemString(mod_dict, "__builtins__") == NULL &&
        PyDict_SetItemString(mod_dict, "__builtins__", PyEval_GetBuiltins()) != 0)
        return -1;
    PyObject *r = PyRun_String(classes_src, Py_file_input, mod_dict, mod_dict);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    str_here = PyUnicode_InternFromString("_here");
    if (str_here == NULL || !(cls_config = class_named("Config")) ||
        !(cls_server = class_named("Server")) || !(cls_worker = class_named("Worker")) ||
        !(cls_request = class_named("Request")) || !(cls_response = class_named("Response")))
        return -1;
    return 0;
}

/* ---- settings ---- */

/* The rows as "key = literal" lines (what --print-config shows), read back
 * as values: one conversion for every type a row may have. */
static PyObject *settings_dict(const ad_settings *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return PyErr_NoMemory();
    tc_opt_print(f, ad_settings_table, s);
    fclose(f);
    PyObject *d = PyDict_New();
    PyObject *r = d ? PyRun_String(text, Py_file_input, d, d) : NULL;
    free(text);
    if (r == NULL) {
        Py_XDECREF(d);
        return NULL;
    }
    Py_DECREF(r);
    if (PyDict_DelItemString(d, "__builtins__") != 0)
        PyErr_Clear();
    return d;
}

PyObject *ad_hooks_py_config(const ad_settings *s)
{
    PyObject *d = settings_dict(s);
    if (d == NULL)
        return NULL;
    /* Gunicorn's bind is a list of addresses. */
    PyObject *bind = PyDict_GetItemString(d, "bind"); /* borrowed */
    PyObject *list = bind ? PyList_New(1) : NULL;
    if (list) {
        PyList_SET_ITEM(list, 0, Py_NewRef(bind));
        PyDict_SetItemString(d, "bind", list);
        Py_DECREF(list);
    }
    PyObject *cfg = NULL;
    if (!PyErr_Occurred() && ad_config_proxy_values(d) == 0)
        cfg = PyObject_CallOneArg(cls_config, d);
    Py_DECREF(d);
    return cfg;
}

PyObject *ad_hooks_py_server(PyObject *cfg, const ad_settings *s, const char *bind)
{
    const char *name = s->proc_name && *s->proc_name ? s->proc_name : s->app_spec;
    return PyObject_CallFunction(cls_server, "Olss", cfg, (long)getpid(), name ? name : "", bind);
}

PyObject *ad_hooks_py_worker(PyObject *server, uint32_t index, uint64_t age)
{
    return PyObject_CallFunction(cls_worker, "OkK", server, (unsigned long)index,
                                 (unsigned long long)age);
}

int ad_hooks_py_worker_here(PyObject *worker)
{
    return PyObject_SetAttr(worker, str_here, Py_True);
}

/* ---- requests ---- */

static PyObject *latin1(tp_str s)
{
    return PyUnicode_DecodeLatin1((const char *)s.ptr, (Py_ssize_t)s.len, NULL);
}

/* Gunicorn's Request has header names in upper case. */
static PyObject *upper_latin1(tp_str s)
{
    char small[128];
    char *buf = s.len <= sizeof small ? small : malloc(s.len);
    if (buf == NULL)
        return PyErr_NoMemory();
    for (uint32_t i = 0; i < s.len; i++) {
        char c = (char)s.ptr[i];
        buf[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    PyObject *o = PyUnicode_DecodeLatin1(buf, (Py_ssize_t)s.len, NULL);
    if (buf != small)
        free(buf);
    return o;
}

/* [(name, value), ...] of n fields, names in upper case when upper. */
static PyObject *field_list(const tp_header *f, uint32_t n, int upper)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (uint32_t i = 0; list && i < n; i++) {
        PyObject *k = upper ? upper_latin1(f[i].name) : latin1(f[i].name);
        PyObject *v = k ? latin1(f[i].value) : NULL;
        PyObject *t = v ? PyTuple_Pack(2, k, v) : NULL;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (t == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

static PyObject *peer(const tp_request_head *h)
{
    if (h->peer_addr.len == 0)
        return Py_NewRef(Py_None);
    PyObject *addr = latin1(h->peer_addr);
    PyObject *t = addr ? Py_BuildValue("(OH)", addr, h->peer_port) : NULL;
    Py_XDECREF(addr);
    return t;
}

/* The proxy's decision (TLS, or a trusted front's secure_scheme_headers),
 * as wsgi.url_scheme and the ASGI scope read it. */
static PyObject *scheme(const tp_request_head *h)
{
    int https = h->scheme.len == 5 && memcmp(h->scheme.ptr, "https", 5) == 0;
    return PyUnicode_FromString(https ? "https" : "http");
}

PyObject *ad_hooks_py_request(const tp_request_head *h)
{
    PyObject *a[8] = { 0 };
    a[0] = latin1(h->method);
    a[1] = latin1(h->path);
    a[2] = latin1(h->query);
    a[3] = Py_BuildValue("(ii)", h->http_major, h->http_minor);
    a[4] = scheme(h);
    a[5] = field_list(h->headers, h->nheaders, 1);
    a[6] = peer(h);
    a[7] = h->h2_stream_id ? PyLong_FromUnsignedLong(h->h2_stream_id) : Py_NewRef(Py_None);
    PyObject *req = NULL;
    int ok = 1;
    for (int i = 0; i < 8; i++)
        ok = ok && a[i];
    if (ok)
        req = PyObject_Vectorcall(cls_request, a, 8, NULL);
    for (int i = 0; i < 8; i++)
        Py_XDECREF(a[i]);
    return req;
}

PyObject *ad_hooks_py_response(const ad_hooks_resp *r)
{
    if (r->status == 0)
        return Py_NewRef(Py_None);
    PyObject *headers = field_list(r->fields, r->nfields, 0);
    if (headers == NULL)
        return NULL;
    PyObject *resp =
        PyObject_CallFunction(cls_response, "IOK", r->status, headers, (unsigned long long)r->sent);
    Py_DECREF(headers);
    return resp;
}

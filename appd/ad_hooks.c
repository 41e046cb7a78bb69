/* ad_hooks.c: calls Gunicorn's server hooks (ad_hooks.h): which are
 * defined, what each receives, and what a hook that raises means, hook by
 * hook, as in Gunicorn.  The objects themselves are ad_hooks_py.c's. */
#include "config.h"

#include <Python.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ad_config.h"
#include "ad_hooks.h"
#include "ad_hooks_py.h"
#include "ad_python.h"
#include "tc_log.h"

enum {
    H_ON_STARTING,
    H_ON_RELOAD,
    H_WHEN_READY,
    H_PRE_FORK,
    H_POST_FORK,
    H_POST_WORKER_INIT,
    H_WORKER_INT,
    H_WORKER_ABORT,
    H_PRE_EXEC,
    H_PRE_REQUEST,
    H_POST_REQUEST,
    H_CHILD_EXIT,
    H_WORKER_EXIT,
    H_NWORKERS_CHANGED,
    H_ON_EXIT,
    H_COUNT
};

static const char *const names[H_COUNT] = {
    "on_starting",      "on_reload",  "when_ready",   "pre_fork",         "post_fork",
    "post_worker_init", "worker_int", "worker_abort", "pre_exec",         "pre_request",
    "post_request",     "child_exit", "worker_exit",  "nworkers_changed", "on_exit",
};

static PyObject *fn[H_COUNT]; /* the file's callables (owned), NULL when undefined */
static int any_defined;
static PyObject *server;      /* the Server object (owned), once a hook is defined */
static PyObject *self_worker; /* in a worker: its own Worker (borrowed: the master's ref) */

/* ---- calling ---- */

/* Logs the pending exception as raised by hook h; err gets "h hook: Type:
 * message" when given. */
static void log_failure(int h, int level, char *err, size_t errlen)
{
    char line[768];
    ad_python_exc_line(line, sizeof line);
    ad_python_log_exception(level, "Exception in %s hook", names[h]);
    if (err)
        snprintf(err, errlen, "%s hook: %s", names[h], line);
}

/* Calls hook h (when defined) with n args: 0, or -1 after logging. */
static int call(int h, PyObject *const *args, size_t n, char *err, size_t errlen)
{
    if (fn[h] == NULL)
        return 0;
    PyObject *r = PyObject_Vectorcall(fn[h], args, n, NULL);
    if (r) {
        Py_DECREF(r);
        return 0;
    }
    log_failure(h, TC_LOG_ERROR, err, errlen);
    return -1;
}

/* Sets obj.name = value (new reference, consumed); a failure is logged. */
static void set_attr(PyObject *obj, const char *name, PyObject *value)
{
    if (value == NULL || PyObject_SetAttrString(obj, name, value) != 0)
        ad_python_log_exception(TC_LOG_WARNING, "cannot set %s for the server hooks", name);
    Py_XDECREF(value);
}

/* ---- the master ---- */

static void take_hooks(void)
{
    any_defined = 0;
    for (int h = 0; h < H_COUNT; h++) {
        Py_XSETREF(fn[h], Py_XNewRef(ad_config_hook(names[h])));
        any_defined |= fn[h] != NULL;
    }
}

int ad_hooks_setup(const ad_settings *s, const char *bind, char *err, size_t errlen)
{
    take_hooks();
    if (!any_defined)
        return 0;
    PyObject *cfg = ad_hooks_py_init() == 0 ? ad_hooks_py_config(s) : NULL;
    if (cfg && server == NULL)
        server = ad_hooks_py_server(cfg, s, bind);
    else if (cfg)
        Py_XDECREF(PyObject_CallMethod(server, "set_cfg", "O", cfg));
    Py_XDECREF(cfg);
    if (server == NULL || PyErr_Occurred()) {
        char line[768];
        ad_python_exc_line(line, sizeof line);
        ad_python_log_exception(TC_LOG_ERROR, "cannot set up the server hooks");
        snprintf(err, errlen, "cannot set up the server hooks: %s", line);
        return -1;
    }
    return 0;
}

int ad_hooks_defined(const char *name)
{
    for (int h = 0; h < H_COUNT; h++)
        if (fn[h] && strcmp(names[h], name) == 0)
            return 1;
    return 0;
}

int ad_hooks_on_starting(char *err, size_t errlen)
{
    return call(H_ON_STARTING, &server, 1, err, errlen);
}

int ad_hooks_when_ready(char *err, size_t errlen)
{
    return call(H_WHEN_READY, &server, 1, err, errlen);
}

int ad_hooks_on_reload(char *err, size_t errlen)
{
    return call(H_ON_RELOAD, &server, 1, err, errlen);
}

int ad_hooks_nworkers_changed(uint32_t now, uint32_t before, char *err, size_t errlen)
{
    if (server == NULL)
        return 0;
    set_attr(server, "num_workers", PyLong_FromUnsignedLong(now));
    if (fn[H_NWORKERS_CHANGED] == NULL)
        return 0;
    PyObject *a[3] = { server, PyLong_FromUnsignedLong(now),
                       before ? PyLong_FromUnsignedLong(before) : Py_NewRef(Py_None) };
    int rc = -1;
    if (a[1] && a[2])
        rc = call(H_NWORKERS_CHANGED, a, 3, err, errlen);
    else
        log_failure(H_NWORKERS_CHANGED, TC_LOG_ERROR, err, errlen);
    Py_XDECREF(a[1]);
    Py_XDECREF(a[2]);
    return rc;
}

struct _object *ad_hooks_worker_new(uint32_t index, uint64_t age)
{
    if (server == NULL || !any_defined)
        return NULL;
    PyObject *w = ad_hooks_py_worker(server, index, age);
    if (w == NULL)
        ad_python_log_exception(TC_LOG_ERROR, "cannot make the worker object of the server hooks");
    return w;
}

int ad_hooks_pre_fork(struct _object *worker, char *err, size_t errlen)
{
    if (worker == NULL)
        return 0;
    PyObject *a[2] = { server, worker };
    return call(H_PRE_FORK, a, 2, err, errlen);
}

void ad_hooks_forked(struct _object *worker, pid_t pid)
{
    if (worker == NULL)
        return;
    PyObject *key = PyLong_FromLong((long)pid);
    set_attr(worker, "pid", Py_XNewRef(key));
    PyObject *workers = PyObject_GetAttrString(server, "WORKERS");
    if (key == NULL || workers == NULL || PyObject_SetItem(workers, key, worker) != 0)
        ad_python_log_exception(TC_LOG_WARNING, "cannot record worker %d for the server hooks",
                                (int)pid);
    Py_XDECREF(workers);
    Py_XDECREF(key);
}

int ad_hooks_child_exit(struct _object *worker, char *err, size_t errlen)
{
    if (worker == NULL)
        return 0;
    set_attr(worker, "_exited", Py_NewRef(Py_True));
    PyObject *workers = PyObject_GetAttrString(server, "WORKERS");
    PyObject *pid = PyObject_GetAttrString(worker, "pid");
    if (workers == NULL || pid == NULL || PyObject_DelItem(workers, pid) != 0)
        PyErr_Clear();
    Py_XDECREF(workers);
    Py_XDECREF(pid);
    PyObject *a[2] = { server, worker };
    int rc = call(H_CHILD_EXIT, a, 2, err, errlen);
    Py_DECREF(worker);
    return rc;
}

void ad_hooks_server_pids(pid_t reexec_pid, pid_t master_pid)
{
    if (server == NULL)
        return;
    set_attr(server, "reexec_pid", PyLong_FromLong((long)reexec_pid));
    set_attr(server, "master_pid", PyLong_FromLong((long)master_pid));
}

void ad_hooks_pre_exec(void) { call(H_PRE_EXEC, &server, 1, NULL, 0); }

void ad_hooks_on_exit(void) { call(H_ON_EXIT, &server, 1, NULL, 0); }

/* ---- a worker ---- */

void ad_hooks_worker_begin(struct _object *worker)
{
    self_worker = worker;
    if (worker == NULL)
        return;
    set_attr(worker, "pid", PyLong_FromLong((long)getpid()));
    if (ad_hooks_py_worker_here(worker) != 0)
        ad_python_log_exception(TC_LOG_WARNING, "cannot set up the worker object");
}

int ad_hooks_post_fork(char *err, size_t errlen)
{
    if (self_worker == NULL)
        return 0;
    PyObject *a[2] = { server, self_worker };
    return call(H_POST_FORK, a, 2, err, errlen);
}

int ad_hooks_post_worker_init(struct _object *app, char *err, size_t errlen)
{
    if (self_worker == NULL)
        return 0;
    set_attr(self_worker, "wsgi", Py_NewRef(app));
    if (call(H_POST_WORKER_INIT, &self_worker, 1, err, errlen) != 0)
        return -1;
    set_attr(self_worker, "booted", Py_NewRef(Py_True));
    return 0;
}

/* worker_exit(server, worker): a failure is worth a warning only. */
static void worker_exit(void)
{
    PyObject *a[2] = { server, self_worker };
    if (fn[H_WORKER_EXIT] == NULL || self_worker == NULL)
        return;
    PyObject *r = PyObject_Vectorcall(fn[H_WORKER_EXIT], a, 2, NULL);
    if (r == NULL)
        log_failure(H_WORKER_EXIT, TC_LOG_WARNING, NULL, 0);
    Py_XDECREF(r);
}

void ad_hooks_worker_exit(void) { worker_exit(); }

/* A signal that ends the worker: hook h(worker), then worker_exit. */
static void ending_signal(int h)
{
    if (self_worker == NULL || (fn[h] == NULL && fn[H_WORKER_EXIT] == NULL))
        return;
    PyGILState_STATE g = PyGILState_Ensure();
    if (h == H_WORKER_ABORT)
        set_attr(self_worker, "aborted", Py_NewRef(Py_True));
    call(h, &self_worker, 1, NULL, 0);
    worker_exit();
    PyGILState_Release(g);
}

void ad_hooks_worker_int(void) { ending_signal(H_WORKER_INT); }

void ad_hooks_worker_abort(void) { ending_signal(H_WORKER_ABORT); }

/* ---- requests ---- */

int ad_hooks_want_request(void) { return self_worker && (fn[H_PRE_REQUEST] || fn[H_POST_REQUEST]); }

struct _object *ad_hooks_pre_request(const tp_request_head *h, int *failed)
{
    *failed = 0;
    PyObject *req = ad_hooks_py_request(h);
    if (req == NULL) {
        *failed = 1;
        return NULL;
    }
    if (fn[H_PRE_REQUEST] == NULL)
        return req;
    PyObject *a[2] = { self_worker, req };
    PyObject *r = PyObject_Vectorcall(fn[H_PRE_REQUEST], a, 2, NULL);
    if (r == NULL)
        *failed = 1; /* left set: the class answers 500 and logs it */
    Py_XDECREF(r);
    return req;
}

void ad_hooks_post_request(struct _object *req, struct _object *environ, const ad_hooks_resp *resp)
{
    if (req == NULL)
        return;
    if (fn[H_POST_REQUEST]) {
        PyObject *env = environ ? Py_NewRef(environ) : PyDict_New();
        PyObject *r = env ? ad_hooks_py_response(resp) : NULL;
        PyObject *a[4] = { self_worker, req, env, r };
        if (r == NULL)
            ad_python_log_exception(TC_LOG_ERROR, "cannot make post_request's arguments");
        else
            call(H_POST_REQUEST, a, 4, NULL, 0);
        Py_XDECREF(r);
        Py_XDECREF(env);
    }
    Py_DECREF(req);
}

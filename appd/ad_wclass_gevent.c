/* ad_wclass_gevent.c: the gevent worker class, for WSGI apps written for
 * gevent.  The standard library is monkey-patched before the app is
 * imported (as in Gunicorn's gevent worker); gevent's hub owns the main
 * thread and watches the proxy connections, the signal pipe, the wake
 * eventfd and the master's control socket with io watchers whose callbacks
 * call the generic handlers (ad_conn_on_readable, ad_worker_tick_locked...).
 * Each stream runs WSGI (wsgi_handle) in its own greenlet, up to
 * --worker-connections at once; where a thread would block on its client
 * (body bytes, credit, socket room) the greenlet waits on a gevent Waiter
 * that the hub switches back to when the stream has news.  One thread,
 * GIL always held. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "ad_conn.h"
#include "ad_exit.h"
#include "ad_python.h"
#include "ad_scoreboard.h"
#include "ad_stream.h"
#include "ad_wclass.h"
#include "ad_worker.h"
#include "tc_log.h"
#include "wsgi.h"

static PyObject *the_app, *hub, *hub_loop, *waiter_type, *spawn, *stop_event;
static PyObject *watchers; /* {(fd, events): watcher} for the connections */
static int tick_rc = AD_TICK_SERVE;
static int start_pending;
static ad_stream **news; /* streams with events since the hub last looked */
static size_t nnews, news_cap;
static int callback_scheduled;
static wsgi_req **free_reqs; /* one per running greenlet, reused */
static size_t nfree;

static PyObject *on_fd(PyObject *self, PyObject *args);
static PyObject *on_tick(PyObject *self, PyObject *unused);
static PyObject *on_soon(PyObject *self, PyObject *unused);
static PyObject *run_stream(PyObject *self, PyObject *ptr);
static PyMethodDef fd_def = { "_fd", on_fd, METH_VARARGS, NULL };
static PyMethodDef tick_def = { "_tick", on_tick, METH_NOARGS, NULL };
static PyMethodDef soon_def = { "_soon", on_soon, METH_NOARGS, NULL };
static PyMethodDef stream_def = { "_stream", run_stream, METH_O, NULL };

enum { FD_CONN_READ, FD_CONN_WRITE, FD_SIGNALS, FD_WAKE, FD_CTL };

/* ---- watchers ---- */

/* Starts an io watcher on fd for events (1 read, 2 write) calling
 * on_fd(kind, fd); kept in watchers so it can be stopped.  A failure is
 * logged. */
static void watch(int fd, int events, int kind)
{
    PyObject *w = PyObject_CallMethod(hub_loop, "io", "ii", fd, events);
    PyObject *cb = w ? PyCFunction_New(&fd_def, NULL) : NULL;
    PyObject *r = cb ? PyObject_CallMethod(w, "start", "Oii", cb, kind, fd) : NULL;
    PyObject *key = r ? Py_BuildValue("(ii)", fd, events) : NULL;
    if (key == NULL || PyDict_SetItem(watchers, key, w) != 0)
        ad_python_log_exception(TC_LOG_ERROR, "gevent: cannot watch fd %d", fd);
    Py_XDECREF(key);
    Py_XDECREF(r);
    Py_XDECREF(cb);
    Py_XDECREF(w);
}

static void unwatch(int fd, int events)
{
    PyObject *key = Py_BuildValue("(ii)", fd, events);
    PyObject *w = key ? PyDict_GetItemWithError(watchers, key) : NULL;
    if (w) {
        Py_INCREF(w);
        PyDict_DelItem(watchers, key);
        Py_XDECREF(PyObject_CallMethod(w, "stop", NULL));
        Py_XDECREF(PyObject_CallMethod(w, "close", NULL));
        Py_DECREF(w);
    }
    PyErr_Clear();
    Py_XDECREF(key);
}

static void sync_watches(void)
{
    ad_watch_change todo[32];
    int n = ad_worker_watch_changes(todo, 32);
    for (int i = 0; i < n; i++) {
        unsigned had = todo[i].had, want = todo[i].want;
        if ((want & AD_WATCH_READ) && !(had & AD_WATCH_READ))
            watch(todo[i].fd, 1, FD_CONN_READ);
        if ((want & AD_WATCH_WRITE) && !(had & AD_WATCH_WRITE))
            watch(todo[i].fd, 2, FD_CONN_WRITE);
        if (!(want & AD_WATCH_WRITE) && (had & AD_WATCH_WRITE))
            unwatch(todo[i].fd, 2);
    }
}

/* ---- greenlets ---- */

/* The hub wakes the greenlets whose streams had news, then starts queued
 * streams.  Hub only: a Waiter is switched from the hub. */
static void deliver(void)
{
    while (nnews) {
        ad_stream *s = news[--nnews];
        PyObject *w = s->wc_data;
        if (w == NULL)
            continue;
        Py_INCREF(w);
        PyObject *r = PyObject_CallMethod(w, "switch", "O", Py_None);
        if (r == NULL)
            ad_python_log_exception(TC_LOG_ERROR, "gevent: cannot wake a request");
        Py_XDECREF(r);
        Py_DECREF(w);
    }
    while (start_pending) {
        start_pending = 0;
        for (;;) {
            pthread_mutex_lock(&W.mu);
            ad_stream *s = ad_sched_running(&W.sched) < W.capacity ? ad_sched_next(&W.sched) : NULL;
            ad_worker_unlock();
            if (s == NULL)
                break;
            PyObject *fn = PyCFunction_New(&stream_def, NULL);
            PyObject *g = fn ? PyObject_CallFunction(spawn, "ON", fn, PyLong_FromVoidPtr(s)) : NULL;
            if (g == NULL) {
                ad_python_log_exception(TC_LOG_ERROR, "gevent: cannot start a greenlet");
                pthread_mutex_lock(&W.mu);
                ad_stream_done_locked(s); /* resets it */
                ad_worker_unlock();
            }
            Py_XDECREF(g);
            Py_XDECREF(fn);
        }
    }
}

static void after(void)
{
    deliver();
    sync_watches();
    ad_worker_report_closes();
}

/* Events noted from a greenlet reach the hub through a callback. */
static void schedule_soon(void)
{
    if (callback_scheduled || (nnews == 0 && !start_pending))
        return;
    PyObject *cb = PyCFunction_New(&soon_def, NULL);
    PyObject *r = cb ? PyObject_CallMethod(hub_loop, "run_callback", "O", cb) : NULL;
    if (r == NULL)
        ad_python_log_exception(TC_LOG_ERROR, "gevent: run_callback");
    else
        callback_scheduled = 1;
    Py_XDECREF(r);
    Py_XDECREF(cb);
}

static PyObject *on_soon(PyObject *self, PyObject *unused)
{
    callback_scheduled = 0;
    after();
    Py_RETURN_NONE;
}

/* Waits in the current greenlet for news about s (GIL held). */
static void green_wait(ad_stream *s)
{
    PyObject *w = PyObject_CallNoArgs(waiter_type);
    if (w == NULL) {
        PyErr_Clear();
        return;
    }
    s->wc_data = w;
    schedule_soon();
    PyObject *r = PyObject_CallMethod(w, "get", NULL);
    s->wc_data = NULL;
    if (r == NULL)
        PyErr_Clear(); /* killed: the caller re-checks and sees its stream */
    Py_XDECREF(r);
    Py_DECREF(w);
}

static void green_body_wait(ad_stream *s, uint32_t gen)
{
    size_t avail;
    if (s->gen == gen && ad_stream_body_state(s, &avail) == AD_RD_MORE && avail == 0)
        green_wait(s);
}

static void green_send_wait(ad_stream *s, const ad_send *op)
{
    (void)op;
    green_wait(s);
}

static const wsgi_waits green_waits = { green_body_wait, green_send_wait, 1 };

static PyObject *run_stream(PyObject *self, PyObject *ptr)
{
    ad_stream *s = PyLong_AsVoidPtr(ptr);
    wsgi_req *req = nfree ? free_reqs[--nfree] : wsgi_req_new();
    if (req == NULL) {
        pthread_mutex_lock(&W.mu);
        ad_stream_done_locked(s);
        ad_worker_unlock();
        return PyErr_NoMemory();
    }
    wsgi_handle(req, s, the_app);
    pthread_mutex_lock(&W.mu);
    ad_stream_done_locked(s);
    ad_worker_unlock();
    start_pending = 1; /* a slot is free */
    wsgi_req **fr = realloc(free_reqs, (nfree + 1) * sizeof *fr);
    if (fr) {
        free_reqs = fr;
        free_reqs[nfree++] = req;
    } else {
        wsgi_req_free(req);
    }
    schedule_soon();
    Py_RETURN_NONE;
}

/* ---- the hub's callbacks ---- */

/* The worker's tick; the graceful stop's end wakes the main greenlet. */
static void tick(void)
{
    if (ad_worker_tick_once(&tick_rc, after))
        Py_XDECREF(PyObject_CallMethod(stop_event, "set", NULL));
}

static void schedule_tick(void)
{
    PyObject *t = PyObject_CallMethod(hub_loop, "timer", "d", ad_worker_tick_interval() / 1000.0);
    PyObject *cb = t ? PyCFunction_New(&tick_def, NULL) : NULL;
    PyObject *r = cb ? PyObject_CallMethod(t, "start", "O", cb) : NULL;
    if (r == NULL)
        ad_python_log_exception(TC_LOG_ERROR, "gevent: cannot schedule the tick");
    Py_XDECREF(r);
    Py_XDECREF(cb);
    Py_XDECREF(t);
}

static PyObject *on_tick(PyObject *self, PyObject *unused)
{
    tick();
    if (tick_rc == AD_TICK_SERVE)
        schedule_tick();
    Py_RETURN_NONE;
}

static PyObject *on_fd(PyObject *self, PyObject *args)
{
    int kind, fd;
    if (!PyArg_ParseTuple(args, "ii", &kind, &fd))
        return NULL;
    switch (kind) {
    case FD_CONN_READ: ad_worker_conn_readable(fd); break;
    case FD_CONN_WRITE: ad_worker_conn_writable(fd); break;
    case FD_SIGNALS: ad_worker_on_signals(); break;
    case FD_WAKE: ad_worker_on_wake(); break;
    case FD_CTL:
        ad_worker_on_ctl();
        if (ad_worker_ctl_fd() < 0)
            unwatch(fd, 1); /* the master is gone: its socket is closed */
        break;
    }
    after();
    if (kind >= FD_SIGNALS)
        tick();
    Py_RETURN_NONE;
}

/* ---- the class ---- */

static uint32_t green_capacity(const ad_settings *s) { return (uint32_t)s->worker_connections; }

static int green_prepare(const ad_settings *s)
{
    (void)s;
    PyObject *monkey = PyImport_ImportModule("gevent.monkey");
    PyObject *r = monkey ? PyObject_CallMethod(monkey, "patch_all", NULL) : NULL;
    Py_XDECREF(monkey);
    if (r == NULL) {
        ad_python_log_exception(TC_LOG_CRITICAL, "-k gevent needs gevent (Debian's "
                                                 "python3-gevent)");
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

static int green_init(const ad_settings *s, PyObject *app)
{
    the_app = app;
    PyObject *gevent = PyImport_ImportModule("gevent");
    PyObject *ghub = PyImport_ImportModule("gevent.hub");
    PyObject *gevt = PyImport_ImportModule("gevent.event");
    hub = gevent ? PyObject_CallMethod(gevent, "get_hub", NULL) : NULL;
    hub_loop = hub ? PyObject_GetAttrString(hub, "loop") : NULL;
    spawn = gevent ? PyObject_GetAttrString(gevent, "spawn") : NULL;
    waiter_type = ghub ? PyObject_GetAttrString(ghub, "Waiter") : NULL;
    stop_event = gevt ? PyObject_CallMethod(gevt, "Event", NULL) : NULL;
    watchers = PyDict_New();
    Py_XDECREF(gevent);
    Py_XDECREF(ghub);
    Py_XDECREF(gevt);
    if (!hub_loop || !spawn || !waiter_type || !stop_event || !watchers || wsgi_init(s) != 0) {
        ad_python_log_exception(TC_LOG_CRITICAL, "cannot set up the gevent worker");
        return -1;
    }
    wsgi_set_waits(&green_waits);
    return 0;
}

static int green_run(void)
{
    int sigfd = ad_worker_take_signals();
    if (sigfd < 0) {
        tc_crit("worker setup failed: signals");
        _exit(AD_EXIT_BOOT);
    }
    ad_worker_set_loop_thread(1);
    watch(sigfd, 1, FD_SIGNALS);
    watch(W.wakefd, 1, FD_WAKE);
    if (ad_worker_ctl_fd() >= 0)
        watch(ad_worker_ctl_fd(), 1, FD_CTL);
    schedule_tick();
    ad_worker_ready();
    /* The main greenlet sleeps; the hub serves until the tick says stop. */
    PyObject *r = PyObject_CallMethod(stop_event, "wait", NULL);
    if (r == NULL) {
        ad_python_log_exception(TC_LOG_CRITICAL, "gevent: the hub failed");
        return 0;
    }
    Py_DECREF(r);
    ad_worker_report_closes();
    return tick_rc == AD_TICK_DONE;
}

static void green_shutdown(void)
{
    while (nfree)
        wsgi_req_free(free_reqs[--nfree]);
}

static void note(ad_stream *s)
{
    if (nnews == news_cap) {
        size_t cap = news_cap ? 2 * news_cap : 64;
        ad_stream **n = realloc(news, cap * sizeof *n);
        if (n == NULL)
            return; /* the waiter re-checks on its next wake-up */
        news = n;
        news_cap = cap;
    }
    news[nnews++] = s;
}

static void green_on_queued(ad_stream *s)
{
    (void)s;
    start_pending = 1;
}

static void green_conn_closing(ad_conn *c)
{
    if (c->wc_watch & AD_WATCH_READ)
        unwatch(c->fd, 1);
    if (c->wc_watch & AD_WATCH_WRITE)
        unwatch(c->fd, 2);
    c->wc_watch = 0;
}

const ad_wclass ad_wclass_gevent = {
    .name = "gevent",
    .wire_class = TP_CLASS_GEVENT,
    .capacity = green_capacity,
    .prepare = green_prepare,
    .init = green_init,
    .run = green_run,
    .shutdown = green_shutdown,
    .on_queued = green_on_queued,
    .on_data = note,
    .on_writable = note,
    .on_reset = note,
    .on_conn_closing = green_conn_closing,
};

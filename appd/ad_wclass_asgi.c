/* ad_wclass_asgi.c: the asgi worker class.  One asyncio event loop (uvloop
 * when installed) owns the worker's main thread and holds the GIL: the
 * proxy connections, the signal pipe, the wake eventfd and the master's
 * control socket are registered with it (add_reader, and add_writer while a
 * connection has output waiting), and its callbacks call the same generic
 * handlers the epoll loop of the thread classes calls (ad_conn_on_readable,
 * ad_worker_tick_locked...), decoding frames in C.  What a frame means for a
 * request is recorded under W.mu and acted on once W.mu is released
 * (asgi_settle): no second thread, no GIL hand-off per request.  The app
 * itself runs as one task per stream (asgi_req.c). */
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
#include "asgi.h"
#include "tc_log.h"

static PyObject *loop;
static int sigfd = -1, ctlfd = -1;
static int tick_rc = AD_TICK_SERVE;
static PyObject *tick_handle;

/* ---- registering descriptors ---- */

static PyObject *on_conn_read(PyObject *self, PyObject *fd);
static PyObject *on_conn_write(PyObject *self, PyObject *fd);
static PyObject *on_signals(PyObject *self, PyObject *fd);
static PyObject *on_wake(PyObject *self, PyObject *fd);
static PyObject *on_ctl(PyObject *self, PyObject *fd);
static PyObject *on_tick(PyObject *self, PyObject *unused);
static PyMethodDef conn_read_def = { "_conn_read", on_conn_read, METH_O, NULL };
static PyMethodDef conn_write_def = { "_conn_write", on_conn_write, METH_O, NULL };
static PyMethodDef signals_def = { "_signals", on_signals, METH_O, NULL };
static PyMethodDef wake_def = { "_wake", on_wake, METH_O, NULL };
static PyMethodDef ctl_def = { "_ctl", on_ctl, METH_O, NULL };
static PyMethodDef tick_def = { "_tick", on_tick, METH_NOARGS, NULL };

/* loop.add_reader(fd, cb, fd) and friends; a failure is logged. */
static void watch(const char *how, int fd, PyMethodDef *def)
{
    PyObject *r;
    if (def) {
        PyObject *cb = PyCFunction_New(def, NULL);
        r = cb ? PyObject_CallMethod(loop, how, "iOi", fd, cb, fd) : NULL;
        Py_XDECREF(cb);
    } else {
        r = PyObject_CallMethod(loop, how, "i", fd);
    }
    if (r == NULL)
        ad_python_log_exception(TC_LOG_ERROR, "asgi: %s(%d)", how, fd);
    Py_XDECREF(r);
}

/* New connections are read; those with output waiting are watched for
 * room.  The Python calls happen after W.mu is released. */
static void sync_watches(void)
{
    ad_watch_change todo[32];
    int n = ad_worker_watch_changes(todo, 32);
    for (int i = 0; i < n; i++) {
        unsigned had = todo[i].had, want = todo[i].want;
        if ((want & AD_WATCH_READ) && !(had & AD_WATCH_READ))
            watch("add_reader", todo[i].fd, &conn_read_def);
        if ((want & AD_WATCH_WRITE) && !(had & AD_WATCH_WRITE))
            watch("add_writer", todo[i].fd, &conn_write_def);
        if (!(want & AD_WATCH_WRITE) && (had & AD_WATCH_WRITE))
            watch("remove_writer", todo[i].fd, NULL);
    }
}

void asgi_loop_after(void)
{
    asgi_settle();
    sync_watches();
    ad_worker_report_closes();
}

/* ---- the loop's callbacks ---- */

static PyObject *on_conn_read(PyObject *self, PyObject *fd)
{
    ad_worker_conn_readable((int)PyLong_AsLong(fd));
    asgi_loop_after();
    Py_RETURN_NONE;
}

static PyObject *on_conn_write(PyObject *self, PyObject *fd)
{
    ad_worker_conn_writable((int)PyLong_AsLong(fd));
    asgi_loop_after();
    Py_RETURN_NONE;
}

/* The worker's tick: heartbeat, closing broken and drained connections,
 * and the graceful stop's progress, which ends the loop. */
static void tick(void)
{
    if (ad_worker_tick_once(&tick_rc, asgi_loop_after)) {
        PyObject *r = PyObject_CallMethod(loop, "stop", NULL);
        if (r == NULL)
            ad_python_log_exception(TC_LOG_ERROR, "asgi: loop.stop()");
        Py_XDECREF(r);
    }
}

static void schedule_tick(void)
{
    PyObject *cb = PyCFunction_New(&tick_def, NULL);
    Py_XSETREF(tick_handle, cb ? PyObject_CallMethod(loop, "call_later", "dO",
                                                     ad_worker_tick_interval() / 1000.0, cb)
                               : NULL);
    Py_XDECREF(cb);
    if (tick_handle == NULL)
        ad_python_log_exception(TC_LOG_ERROR, "asgi: cannot schedule the tick");
}

static PyObject *on_tick(PyObject *self, PyObject *unused)
{
    tick();
    if (tick_rc == AD_TICK_SERVE)
        schedule_tick();
    Py_RETURN_NONE;
}

static PyObject *on_signals(PyObject *self, PyObject *fd)
{
    ad_worker_on_signals();
    tick();
    Py_RETURN_NONE;
}

static PyObject *on_wake(PyObject *self, PyObject *fd)
{
    ad_worker_on_wake();
    tick();
    Py_RETURN_NONE;
}

static PyObject *on_ctl(PyObject *self, PyObject *fd)
{
    ad_worker_on_ctl();
    if (ad_worker_ctl_fd() < 0 && ctlfd >= 0) {
        /* The master is gone (the socket is closed): let go of the number
         * before anything can reuse it. */
        watch("remove_reader", ctlfd, NULL);
        ctlfd = -1;
    }
    asgi_loop_after();
    tick();
    Py_RETURN_NONE;
}

/* ---- the class ---- */

static uint32_t asgi_capacity(const ad_settings *s) { return (uint32_t)s->worker_connections; }

static int asgi_prepare(const ad_settings *s)
{
    (void)s;
    return 0;
}

static int asgi_class_init(const ad_settings *s, PyObject *app)
{
    if (asgi_init(s, app) != 0)
        return -1;
    loop = asgi_loop();
    return 0;
}

static int asgi_run(void)
{
    sigfd = ad_worker_take_signals();
    if (sigfd < 0) {
        tc_crit("worker setup failed: signals");
        _exit(AD_EXIT_BOOT);
    }
    ad_worker_set_loop_thread(1);
    watch("add_reader", sigfd, &signals_def);
    watch("add_reader", W.wakefd, &wake_def);
    ctlfd = ad_worker_ctl_fd();
    if (ctlfd >= 0)
        watch("add_reader", ctlfd, &ctl_def);
    schedule_tick();
    ad_worker_ready();
    PyObject *r = PyObject_CallMethod(loop, "run_forever", NULL);
    if (r == NULL) {
        ad_python_log_exception(TC_LOG_CRITICAL, "asgi: the event loop failed");
        return 0;
    }
    Py_DECREF(r);
    if (tick_handle) {
        Py_XDECREF(PyObject_CallMethod(tick_handle, "cancel", NULL));
        Py_CLEAR(tick_handle);
    }
    watch("remove_reader", sigfd, NULL);
    watch("remove_reader", W.wakefd, NULL);
    if (ctlfd >= 0)
        watch("remove_reader", ctlfd, NULL);
    ad_worker_report_closes();
    return tick_rc == AD_TICK_DONE;
}

/* Lifespan shutdown, once every stream finished. */
static void asgi_class_shutdown(void) { asgi_shutdown(); }

static void asgi_on_queued(ad_stream *s)
{
    (void)s;
    asgi_queued();
}

static void asgi_on_event(ad_stream *s) { asgi_event(s); }

static void asgi_conn_closing(ad_conn *c)
{
    if (c->wc_watch & AD_WATCH_READ)
        watch("remove_reader", c->fd, NULL);
    if (c->wc_watch & AD_WATCH_WRITE)
        watch("remove_writer", c->fd, NULL);
    c->wc_watch = 0;
}

const ad_wclass ad_wclass_asgi = {
    .name = "asgi",
    .wire_class = TP_CLASS_ASGI,
    .capacity = asgi_capacity,
    .prepare = asgi_prepare,
    .init = asgi_class_init,
    .run = asgi_run,
    .shutdown = asgi_class_shutdown,
    .on_queued = asgi_on_queued,
    .on_data = asgi_on_event,
    .on_writable = asgi_on_event,
    .on_reset = asgi_on_event,
    .on_conn_closing = asgi_conn_closing,
};

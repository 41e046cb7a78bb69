/* asgi_req.c: one request's life under the asgi worker: the request object
 * that the app's receive and send are bound to, its task (started when the
 * scheduler admits the stream, at most --worker-connections at once), the
 * events the connection reader records for it and what they complete, the
 * disconnect grace period, and the end: a 500 or a reset for an app that
 * failed, then the stream's retirement. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad_conn.h"
#include "ad_hooks.h"
#include "ad_python.h"
#include "ad_worker.h"
#include "asgi_int.h"
#include "tc_log.h"

PyObject *asgi_str_type, *asgi_str_body, *asgi_str_more_body, *asgi_str_headers, *asgi_str_status,
    *asgi_str_trailers, *asgi_str_more_trailers, *asgi_str_links, *asgi_str_path,
    *asgi_str_http_request, *asgi_str_http_disconnect;
PyObject *asgi_client_gone;

static PyObject *the_loop, *the_app, *the_state;
static PyObject *s_create_future, *s_create_task, *s_add_done_callback, *s_call_later, *s_cancel,
    *s_done, *s_set_result, *s_set_exception, *s_cancelled, *s_exception;
static double grace_seconds;
static asgi_req *ev_head; /* requests with news, each holding a reference */
static int start_pending; /* streams may wait in the scheduler */
static unsigned running;  /* requests started, not retired */

/* ---- the request object ---- */

static PyObject *req_receive(PyObject *self, PyObject *unused)
{
    PyObject *r = asgi_receive((asgi_req *)self);
    asgi_loop_after();
    return r;
}

static PyObject *req_send(PyObject *self, PyObject *msg)
{
    PyObject *r = asgi_send((asgi_req *)self, msg);
    asgi_loop_after();
    return r;
}

static PyObject *req_done(PyObject *self, PyObject *task);
static PyObject *req_grace(PyObject *self, PyObject *unused);

static PyMethodDef receive_def = { "receive", req_receive, METH_NOARGS,
                                   "receive() -> awaitable: the next ASGI event of the request" };
static PyMethodDef send_def = { "send", req_send, METH_O,
                                "send(message) -> awaitable: an ASGI message of the response" };
static PyMethodDef done_def = { "_done", req_done, METH_O, NULL };
static PyMethodDef grace_def = { "_grace", req_grace, METH_NOARGS, NULL };

static void req_dealloc(PyObject *self)
{
    asgi_req *q = (asgi_req *)self;
    Py_XDECREF(q->task);
    Py_XDECREF(q->recv_fut);
    Py_XDECREF(q->send_fut);
    Py_XDECREF(q->grace);
    Py_XDECREF(q->receive_fn);
    Py_XDECREF(q->send_fn);
    Py_XDECREF(q->op_obj);
    Py_XDECREF(q->head_list);
    Py_XDECREF(q->trailer_list);
    Py_XDECREF(q->hook_req);
    Py_XDECREF(q->hook_scope);
    ad_resp_free(&q->resp);
    free(q->head_fields);
    free(q->trailer_fields);
    free(q->hint_fields);
    free(q->filebuf);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject asgi_ReqType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tandem.ASGIRequest",
    .tp_basicsize = sizeof(asgi_req),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "one HTTP request under the asgi worker",
    .tp_dealloc = req_dealloc,
};

static asgi_req *req_new(ad_stream *s)
{
    asgi_req *q = PyObject_New(asgi_req, &asgi_ReqType);
    if (q == NULL)
        return NULL;
    memset((char *)q + sizeof(PyObject), 0, sizeof *q - sizeof(PyObject));
    ad_resp_init(&q->resp);
    q->file.fd = -1;
    q->receive_fn = PyCFunction_New(&receive_def, (PyObject *)q);
    q->send_fn = PyCFunction_New(&send_def, (PyObject *)q);
    if (q->receive_fn == NULL || q->send_fn == NULL) {
        Py_DECREF(q);
        return NULL;
    }
    q->s = s;
    ad_resp_begin(&q->resp, &s->req, s->id, s->conn->peer_max_frame);
    return q;
}

/* ---- futures ---- */

PyObject *asgi_loop_create_future(void)
{
    return PyObject_CallMethodNoArgs(the_loop, s_create_future);
}

void asgi_resolve(PyObject **fut, PyObject *value, PyObject *exc)
{
    PyObject *f = *fut;
    *fut = NULL;
    if (f == NULL)
        return;
    PyObject *d = PyObject_CallMethodNoArgs(f, s_done);
    if (d == Py_False) {
        PyObject *r = value ? PyObject_CallMethodOneArg(f, s_set_result, value)
                            : PyObject_CallMethodOneArg(f, s_set_exception, exc);
        if (r == NULL)
            ad_python_log_exception(TC_LOG_ERROR, "asgi: cannot complete an awaitable");
        Py_XDECREF(r);
    }
    if (d == NULL)
        PyErr_Clear();
    Py_XDECREF(d);
    Py_DECREF(f);
}

static void resolve_gone(PyObject **fut)
{
    PyObject *e = PyObject_CallFunction(asgi_client_gone, "s",
                                        "client disconnected (the response was cancelled)");
    if (e == NULL) {
        PyErr_Clear();
        return;
    }
    asgi_resolve(fut, NULL, e);
    Py_DECREF(e);
}

/* ---- events ---- */

void asgi_touch(asgi_req *q)
{
    if (q->ev_listed)
        return;
    q->ev_listed = 1;
    Py_INCREF(q);
    q->ev_next = ev_head;
    ev_head = q;
}

void asgi_event(ad_stream *s)
{
    if (s->wc_data)
        asgi_touch(s->wc_data);
}

void asgi_queued(void) { start_pending = 1; }

unsigned asgi_running(void) { return running; }

static void schedule_grace(asgi_req *q)
{
    if (grace_seconds <= 0) {
        PyObject *r = PyObject_CallMethodNoArgs(q->task, s_cancel);
        if (r == NULL)
            PyErr_Clear();
        Py_XDECREF(r);
        q->grace = Py_NewRef(Py_None); /* once */
        return;
    }
    PyObject *fn = PyCFunction_New(&grace_def, (PyObject *)q);
    PyObject *delay = PyFloat_FromDouble(grace_seconds);
    q->grace =
        fn && delay ? PyObject_CallMethodObjArgs(the_loop, s_call_later, delay, fn, NULL) : NULL;
    Py_XDECREF(fn);
    Py_XDECREF(delay);
    if (q->grace == NULL) {
        PyErr_Clear();
        q->grace = Py_NewRef(Py_None);
    }
}

/* What the recorded news means for q: a blocked write goes on, a waiting
 * receive() completes, a client that left starts the grace period. */
static void progress(asgi_req *q)
{
    if (q->s == NULL)
        return;
    if (q->op_kind != ASGI_OP_NONE) {
        int kind = q->op_kind;
        int rc = asgi_write_resume(q);
        if (rc != AD_SEND_BLOCKED && kind == ASGI_OP_FINAL) {
            asgi_retire(q);
            return;
        }
        if (rc != AD_SEND_BLOCKED && q->op_kind == ASGI_OP_NONE) {
            if (rc == AD_SEND_DONE)
                asgi_resolve(&q->send_fut, Py_None, NULL);
            else
                resolve_gone(&q->send_fut);
        }
    }
    asgi_recv_progress(q);
    if (!q->finished && q->grace == NULL && q->task && asgi_client_left(q))
        schedule_grace(q);
}

/* ---- the server hooks around a request (ad_hooks.h) ---- */

/* pre_request(worker, req) before the app's task exists: 0, or -1 with
 * the hook's exception set (the request is then answered 500). */
static int hooks_begin(asgi_req *q, PyObject *scope)
{
    if (!ad_hooks_want_request())
        return 0;
    int failed;
    q->hook_req = ad_hooks_pre_request(&q->s->req, &failed);
    q->hook_scope = failed ? NULL : Py_NewRef(scope);
    return failed ? -1 : 0;
}

/* post_request(worker, req, scope, resp) once the response is out. */
static void hooks_end(asgi_req *q)
{
    PyObject *req = q->hook_req;
    if (req == NULL)
        return;
    q->hook_req = NULL;
    ad_hooks_resp resp = { 0 };
    if (q->hook_scope == NULL) {
        /* pre_request raised: no response of the app's */
    } else if (q->answered_500) {
        resp.status = 500;
    } else if (q->resp.head_sent) {
        resp.status = q->resp.status;
        resp.fields = q->resp.fields;
        resp.nfields = q->resp.nfields;
    }
    resp.sent = q->resp.sent;
    ad_hooks_post_request(req, q->hook_scope, &resp);
    Py_CLEAR(q->hook_scope);
}

/* ---- start ---- */

static void conclude(asgi_req *q, PyObject *exc, int cancelled);

/* pre_request raised (exception pending): a 500, as Gunicorn answers, and
 * the app never runs. */
static void refuse(asgi_req *q)
{
    char d[256];
    ad_python_log_exception(TC_LOG_ERROR, "Error handling request (pre_request hook) %s",
                            ad_resp_desc(&q->resp, d, sizeof d));
    q->finished = 1;
    q->resp.finishing = 1;
    ad_resp_out out;
    if (ad_resp_error(&q->resp, &out) &&
        asgi_write(q, &out, NULL, ASGI_OP_FINAL) == AD_SEND_BLOCKED)
        return; /* progress() retires it once the write is out */
    asgi_retire(q);
}

static void start_stream(ad_stream *s)
{
    asgi_req *q = req_new(s);
    if (q == NULL) {
        ad_python_log_exception(TC_LOG_ERROR, "asgi: cannot start a request");
        pthread_mutex_lock(&W.mu);
        ad_stream_done_locked(s); /* resets it */
        ad_worker_unlock();
        return;
    }
    q->ws = (s->req.flags & TP_REQ_WEBSOCKET) != 0;
    pthread_mutex_lock(&W.mu);
    s->wc_data = q; /* the stream's reference, dropped by asgi_retire */
    ad_worker_unlock();
    running++;
    PyObject *scope = asgi_scope_build(s, the_state);
    if (scope && hooks_begin(q, scope) != 0) {
        Py_DECREF(scope);
        refuse(q);
        return;
    }
    PyObject *coro =
        scope ? PyObject_CallFunctionObjArgs(the_app, scope, q->receive_fn, q->send_fn, NULL)
              : NULL;
    Py_XDECREF(scope);
    q->task = coro ? PyObject_CallMethodOneArg(the_loop, s_create_task, coro) : NULL;
    Py_XDECREF(coro);
    PyObject *done = q->task ? PyCFunction_New(&done_def, (PyObject *)q) : NULL;
    PyObject *r = done ? PyObject_CallMethodOneArg(q->task, s_add_done_callback, done) : NULL;
    Py_XDECREF(done);
    if (r == NULL) {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        if (v && tb)
            PyException_SetTraceback(v, tb);
        conclude(q, v, 0);
        Py_XDECREF(t);
        Py_XDECREF(v);
        Py_XDECREF(tb);
    }
    Py_XDECREF(r);
}

static void start_queued(void)
{
    for (;;) {
        pthread_mutex_lock(&W.mu);
        ad_stream *s = ad_sched_running(&W.sched) < W.capacity ? ad_sched_next(&W.sched) : NULL;
        ad_worker_unlock();
        if (s == NULL)
            return;
        start_stream(s);
    }
}

void asgi_settle(void)
{
    for (;;) {
        while (ev_head) {
            asgi_req *q = ev_head;
            ev_head = q->ev_next;
            q->ev_listed = 0;
            progress(q);
            Py_DECREF(q);
        }
        if (!start_pending)
            return;
        start_pending = 0;
        start_queued();
    }
}

/* ---- the end ---- */

void asgi_retire(asgi_req *q)
{
    ad_stream *s = q->s;
    if (s == NULL)
        return;
    pthread_mutex_lock(&W.mu);
    s->wc_data = NULL;
    ad_stream_done_locked(s);
    ad_worker_unlock();
    q->s = NULL;
    running--;
    start_pending = 1;
    hooks_end(q);
    if (q->grace && q->grace != Py_None) {
        PyObject *r = PyObject_CallMethodNoArgs(q->grace, s_cancel);
        if (r == NULL)
            PyErr_Clear();
        Py_XDECREF(r);
    }
    /* Break the cycles through the task and the bound callables. */
    Py_CLEAR(q->grace);
    Py_CLEAR(q->task);
    Py_CLEAR(q->receive_fn);
    Py_CLEAR(q->send_fn);
    Py_CLEAR(q->recv_fut);
    Py_CLEAR(q->send_fut);
    Py_CLEAR(q->op_obj);
    Py_CLEAR(q->head_list);
    Py_CLEAR(q->trailer_list);
    Py_DECREF(q);
}

static void log_app_exception(asgi_req *q, PyObject *exc)
{
    char d[256];
    Py_INCREF(exc);
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
    ad_python_log_exception(TC_LOG_ERROR, "Exception in ASGI application %s",
                            ad_resp_desc(&q->resp, d, sizeof d));
}

/* What the end of the app's task leaves to do: nothing when the response
 * is complete; the response's end when only trailers were missing; a 500 (or
 * a reset after the head) when the app failed or stopped short; nothing but
 * a debug line when the client had gone.  Then the stream retires. */
static void conclude(asgi_req *q, PyObject *exc, int cancelled)
{
    char d[256];
    q->finished = 1;
    if (q->op_kind != ASGI_OP_NONE) {
        /* A write still waits for the client though the task ended (an app
         * that sent from another task): the response cannot be completed. */
        if (q->op_kind == ASGI_OP_FILE && q->file.fd >= 0)
            close(q->file.fd);
        q->op_kind = ASGI_OP_NONE;
        ad_stream_reset(q->s, TP_RESET_INTERNAL_ERROR);
        ad_resp_abort(&q->resp);
    }
    int gone = asgi_client_left(q);
    ad_resp_out out;
    int have = 0;
    ad_resp_desc(&q->resp, d, sizeof d);
    if (q->ws && asgi_ws_conclude(q, exc || cancelled)) {
        asgi_retire(q);
        return;
    }
    if (exc || cancelled) {
        if (gone) {
            PyObject *why = exc ? PyObject_Str(exc) : NULL;
            tc_debug("%s: client went away (%s: %s)", d, exc ? Py_TYPE(exc)->tp_name : "cancelled",
                     why && PyUnicode_Check(why) ? PyUnicode_AsUTF8(why) : "");
            Py_XDECREF(why);
            PyErr_Clear();
        } else if (exc) {
            log_app_exception(q, exc);
        } else {
            tc_error("%s: the ASGI app's task was cancelled before its response was complete", d);
        }
        q->resp.finishing = 1;
        q->answered_500 = !gone && !q->resp.head_sent;
        have = !gone && ad_resp_error(&q->resp, &out);
    } else if (!q->resp.done && !gone) {
        q->resp.finishing = 1;
        if (!q->started) {
            tc_error("%s: the ASGI app returned without sending http.response.start", d);
            q->answered_500 = !q->resp.head_sent;
            have = ad_resp_error(&q->resp, &out);
        } else if (!q->body_done) {
            tc_error("%s: the ASGI app returned before the response body was complete "
                     "(more_body was still True)",
                     d);
            have = ad_resp_error(&q->resp, &out);
        } else {
            q->resp.hold_end = 0; /* trailers announced, never sent: end without them */
            have = ad_resp_end(&q->resp, &out);
        }
    }
    if (have && asgi_write(q, &out, NULL, ASGI_OP_FINAL) == AD_SEND_BLOCKED)
        return; /* progress() retires it once the write is out */
    asgi_retire(q);
}

static PyObject *req_done(PyObject *self, PyObject *task)
{
    asgi_req *q = (asgi_req *)self;
    if (q->s == NULL || q->finished)
        Py_RETURN_NONE;
    PyObject *c = PyObject_CallMethodNoArgs(task, s_cancelled);
    int cancelled = c == Py_True;
    Py_XDECREF(c);
    PyObject *exc = cancelled ? NULL : PyObject_CallMethodNoArgs(task, s_exception);
    if (exc == NULL)
        PyErr_Clear();
    Py_INCREF(q);
    conclude(q, exc && exc != Py_None ? exc : NULL, cancelled);
    Py_XDECREF(exc);
    Py_DECREF(q);
    asgi_loop_after();
    Py_RETURN_NONE;
}

/* The client left --asgi-disconnect-grace-period seconds ago and the task
 * still runs: it is cancelled. */
static PyObject *req_grace(PyObject *self, PyObject *unused)
{
    asgi_req *q = (asgi_req *)self;
    if (q->s && !q->finished && q->task) {
        char d[256];
        tc_debug("%s: cancelling the app's task: its client left",
                 ad_resp_desc(&q->resp, d, sizeof d));
        PyObject *r = PyObject_CallMethodNoArgs(q->task, s_cancel);
        if (r == NULL)
            PyErr_Clear();
        Py_XDECREF(r);
    }
    Py_RETURN_NONE;
}

/* ---- set-up ---- */

static int intern_all(void)
{
    struct {
        PyObject **p;
        const char *s;
    } t[] = {
        { &asgi_str_type, "type" },
        { &asgi_str_body, "body" },
        { &asgi_str_more_body, "more_body" },
        { &asgi_str_headers, "headers" },
        { &asgi_str_status, "status" },
        { &asgi_str_trailers, "trailers" },
        { &asgi_str_more_trailers, "more_trailers" },
        { &asgi_str_links, "links" },
        { &asgi_str_path, "path" },
        { &asgi_str_http_request, "http.request" },
        { &asgi_str_http_disconnect, "http.disconnect" },
        { &s_create_future, "create_future" },
        { &s_create_task, "create_task" },
        { &s_add_done_callback, "add_done_callback" },
        { &s_call_later, "call_later" },
        { &s_cancel, "cancel" },
        { &s_done, "done" },
        { &s_set_result, "set_result" },
        { &s_set_exception, "set_exception" },
        { &s_cancelled, "cancelled" },
        { &s_exception, "exception" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if ((*t[i].p = PyUnicode_InternFromString(t[i].s)) == NULL)
            return -1;
    return 0;
}

int asgi_init(const ad_settings *s, PyObject *app)
{
    grace_seconds = (double)s->asgi_disconnect_grace_period;
    if (intern_all() != 0 || asgi_done_init() != 0 || asgi_scope_init(s) != 0 ||
        PyType_Ready(&asgi_ReqType) != 0) {
        ad_python_log_exception(TC_LOG_CRITICAL, "cannot set up ASGI");
        return -1;
    }
    return asgi_glue_init(s, app, &the_loop, &the_app, &the_state);
}

PyObject *asgi_loop(void) { return the_loop; }

void asgi_shutdown(void) { asgi_glue_shutdown(); }

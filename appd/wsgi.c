/* wsgi.c: the WSGI layer's entry points (wsgi.h): per-worker set-up, the
 * per-thread request state, and one request from environ to final frame,
 * between the server hooks pre_request and post_request. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include "ad_conn.h"
#include "ad_hooks.h"
#include "ad_python.h"
#include "tc_log.h"
#include "wsgi_req.h"

static void thread_body_wait(ad_stream *s, uint32_t gen)
{
    Py_BEGIN_ALLOW_THREADS ad_stream_body_wait(s, gen);
    Py_END_ALLOW_THREADS
}

static void thread_send_wait(ad_stream *s, const ad_send *op)
{
    Py_BEGIN_ALLOW_THREADS ad_stream_send_wait(s, op);
    Py_END_ALLOW_THREADS
}

static const wsgi_waits thread_waits = { thread_body_wait, thread_send_wait, 0 };
const wsgi_waits *wsgi_wait = &thread_waits;

void wsgi_set_waits(const wsgi_waits *w) { wsgi_wait = w; }

int wsgi_init(const ad_settings *s)
{
    if (wsgi_response_init() != 0 || wsgi_start_init() != 0 || wsgi_input_init() != 0 ||
        wsgi_file_init() != 0 || wsgi_ext_init() != 0)
        return -1;
    return wsgi_environ_init(s);
}

wsgi_req *wsgi_req_new(void)
{
    wsgi_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    if ((r->send_lock = PyThread_allocate_lock()) == NULL) {
        free(r);
        return NULL;
    }
    ad_resp_init(&r->resp);
    return r;
}

void wsgi_req_free(wsgi_req *r)
{
    if (r == NULL)
        return;
    Py_CLEAR(r->hints_fn);
    Py_CLEAR(r->trailers_fn);
    Py_CLEAR(r->trailers);
    Py_CLEAR(r->held);
    Py_CLEAR(r->sr);
    Py_CLEAR(r->input);
    Py_CLEAR(r->headers);
    ad_resp_free(&r->resp);
    free(r->head_fields);
    free(r->trailer_fields);
    free(r->hint_fields);
    free(r->filebuf);
    PyThread_free_lock(r->send_lock);
    free(r);
}

static void begin(wsgi_req *r, ad_stream *s)
{
    r->s = s;
    r->started = 0;
    r->answered_500 = 0;
    ad_resp_begin(&r->resp, &s->req, s->id, s->conn->peer_max_frame);
    /* Until the result iterable is exhausted, app code may queue trailers. */
    r->resp.hold_end = r->resp.trailers_ok;
}

/* Runs the app (env built, the hooks' pre_request passed). */
static void run_app(wsgi_req *r, PyObject *app, PyObject *env)
{
    PyObject *sr = env ? wsgi_start_for(r) : NULL;
    if (sr == NULL || wsgi_ext_set(r, env) != 0) {
        wsgi_response_error(r, "Error preparing request");
        return;
    }
    PyObject *args[2] = { env, sr };
    PyObject *result = PyObject_Vectorcall(app, args, 2, NULL);
    if (result == NULL) {
        r->resp.finishing = 1;
        wsgi_response_error(r, "Error handling request");
        return;
    }
    wsgi_response_run(r, result);
    Py_DECREF(result);
}

/* post_request(worker, req, environ, resp) with what was sent: the app's
 * head, or the 500 that replaced it (None when pre_request failed). */
static void post_request(wsgi_req *r, PyObject *req, PyObject *env, int pre_failed)
{
    ad_hooks_resp resp = { 0 };
    if (!pre_failed && r->answered_500) {
        resp.status = 500;
    } else if (!pre_failed && r->resp.head_sent) {
        resp.status = r->resp.status;
        resp.fields = r->resp.fields;
        resp.nfields = r->resp.nfields;
    }
    resp.sent = r->resp.sent;
    ad_hooks_post_request(req, env, &resp);
}

void wsgi_handle(wsgi_req *r, ad_stream *s, PyObject *app)
{
    begin(r, s);
    PyObject *env = NULL, *req = NULL;
    int pre_failed = 0;
    /* Gunicorn's pre_request runs before the environ exists; when it
     * raises the request is answered 500, as an app error would be. */
    if (ad_hooks_want_request())
        req = ad_hooks_pre_request(&s->req, &pre_failed);
    if (pre_failed) {
        wsgi_response_error(r, "Error handling request (pre_request hook)");
    } else {
        env = wsgi_environ_build(r);
        run_app(r, app, env);
    }
    if (PyErr_Occurred())
        ad_python_log_exception(TC_LOG_ERROR, "Error after request");
    wsgi_start_unbind(r->sr);
    wsgi_input_unbind(r->input);
    if (!r->resp.done)
        ad_stream_reset(s, TP_RESET_INTERNAL_ERROR);
    if (req)
        post_request(r, req, env, pre_failed);
    Py_XDECREF(env);
    Py_CLEAR(r->headers);
    Py_CLEAR(r->trailers);
    Py_CLEAR(r->held);
    r->s = NULL;
}

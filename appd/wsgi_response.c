/* wsgi_response.c: what the app returns, sent: the result iterable (close()
 * always called), its items as body bytes, the chunk held back while
 * trailers may still come, and the 500 / RESET answers to app errors.  What
 * may be sent when (the head at the first non-empty chunk, Content-Length,
 * HEAD/204/304, trailers) is decided by the response rules (ad_response.c);
 * this file converts Python values and carries out their steps.  wsgi.c
 * calls the app; start_response lives in wsgi_start.c, the file wrapper in
 * wsgi_file.c, early hints and trailers in wsgi_ext.c.
 *
 * Response bytes are not copied by Python or by us in the common case: the
 * bytes object's buffer goes to writev(2) directly while we hold a reference
 * (the GIL is held, or the object is private to this thread); only what the
 * socket does not take at once is copied into the connection's buffer. */
#include "config.h"

#include <Python.h>

#include "ad_python.h"
#include "ad_response.h"
#include "tc_log.h"
#include "wsgi_req.h"

static PyObject *str_close;

int wsgi_response_body_view(PyObject *data, Py_buffer *view)
{
    if (PyUnicode_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "response body must be bytes, not str (encode it)");
        return -1;
    }
    return PyObject_GetBuffer(data, view, PyBUF_SIMPLE);
}

/* Writes op to r's stream, holding the GIL except while blocked on the
 * client (credit, socket room): a request takes the GIL once, not once per
 * chunk.  op->data belongs to an object we hold a reference to, so it stays
 * valid while other threads run.  0, or -1 when the client is gone. */
int wsgi_response_write(wsgi_req *r, ad_send *op)
{
    int rc;
    while ((rc = ad_stream_send_step(r->s, op)) == AD_SEND_BLOCKED) {
        wsgi_wait->send_wait(r->s, op);
    }
    return rc == AD_SEND_DONE ? 0 : -1;
}

/* Carries out one step of the response rules: 0, or -1 when the client
 * is gone. */
static int apply(wsgi_req *r, const ad_resp_out *out)
{
    int rc = 0;
    if (out->write) {
        ad_send op = { .pre = out->pre,
                       .prelen = out->prelen,
                       .data = out->data,
                       .len = out->len,
                       .end = out->end,
                       .post = out->post,
                       .postlen = out->postlen };
        rc = wsgi_response_write(r, &op);
    }
    if (out->reset && rc == 0)
        ad_stream_reset(r->s, TP_RESET_INTERNAL_ERROR);
    ad_resp_written(&r->resp, out, rc == 0);
    return rc;
}

/* Sends body bytes (GIL held); end: nothing follows.  The rules send the
 * head with the first non-empty chunk (or at the end), so start_response
 * can still be replaced until then (PEP 3333).  0, or -1 when the client is
 * gone. */
void wsgi_send_lock(wsgi_req *r)
{
    if (PyThread_acquire_lock(r->send_lock, NOWAIT_LOCK))
        return;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(r->send_lock, WAIT_LOCK);
    Py_END_ALLOW_THREADS
}

void wsgi_send_unlock(wsgi_req *r) { PyThread_release_lock(r->send_lock); }

int wsgi_response_send(wsgi_req *r, const uint8_t *p, size_t n, int end)
{
    ad_resp_out out;
    int rc = 0;
    wsgi_send_lock(r);
    if (ad_resp_body(&r->resp, p, n, end, &out))
        rc = apply(r, &out);
    wsgi_send_unlock(r);
    return rc;
}

/* Sends the held chunk (see send_item): 0 or -1 (client gone). */
static int send_held(wsgi_req *r, int end)
{
    PyObject *h = r->held;
    r->held = NULL;
    int rc = wsgi_response_send(r, (const uint8_t *)PyBytes_AS_STRING(h),
                                (size_t)PyBytes_GET_SIZE(h), end);
    Py_DECREF(h);
    return rc;
}

/* The app raised (exception pending).  Before the head: a 500; after it:
 * RESET(INTERNAL_ERROR), the only honest signal left.  A client that went
 * away is not an app error: logged at debug. */
void wsgi_response_error(wsgi_req *r, const char *what)
{
    char d[256];
    if (ad_stream_is_cancelled(r->s)) {
        if (tc_log_get_level() <= TC_LOG_DEBUG) {
            char line[512];
            ad_python_exc_line(line, sizeof line);
            tc_debug("%s: client went away (%s)", ad_resp_desc(&r->resp, d, sizeof d), line);
        }
        PyErr_Clear();
        ad_resp_abort(&r->resp);
        return;
    }
    ad_python_log_exception(TC_LOG_ERROR, "%s %s", what, ad_resp_desc(&r->resp, d, sizeof d));
    if (r->held) {
        /* The body was complete before the error: deliver it as HTTP/1
         * clients got it (there the end went out with it), without the
         * trailers of a response that failed. */
        Py_CLEAR(r->trailers);
        ad_resp_set_trailers(&r->resp, NULL, 0);
        send_held(r, 1);
    }
    ad_resp_out out;
    wsgi_send_lock(r);
    int head_was_out = r->resp.head_sent;
    if (ad_resp_error(&r->resp, &out)) {
        r->answered_500 = !head_was_out;
        apply(r, &out);
    }
    wsgi_send_unlock(r);
}

/* ---- the request ---- */

/* One body item: 0, -1 (exception set) or -2 (client gone).
 *
 * While r->resp.hold_end, the bytes object that completes a known length is held
 * back instead of sent, until the iterable says it is exhausted: code after
 * the app's last yield may still queue trailers, and holding lets that chunk
 * leave in one write with END_STREAM or the TRAILERS frame instead of an
 * extra frame after it.  The wait is one more next() on an iterable that has
 * nothing left to give (Flask's and Django's responses return at once).
 * Only exact bytes are held: they are immutable, so a reference is enough. */
static int send_item(wsgi_req *r, PyObject *item)
{
    if (!r->started) {
        PyErr_SetString(PyExc_AssertionError,
                        "the app produced body bytes before calling start_response()");
        return -1;
    }
    if (PyBytes_CheckExact(item)) {
        Py_ssize_t n = PyBytes_GET_SIZE(item);
        if (r->held) {
            if (n == 0)
                return 0;
            /* More after the declared length: send what was held without
             * the end; the rules drop and log the excess. */
            if (send_held(r, 0) != 0)
                return -2;
        } else if (r->resp.hold_end && !r->resp.done && n > 0 &&
                   ad_resp_completes(&r->resp, (uint64_t)n)) {
            Py_INCREF(item);
            r->held = item;
            return 0;
        }
        const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(item);
        return wsgi_response_send(r, p, (size_t)n, 0) ? -2 : 0;
    }
    if (r->held && send_held(r, 0) != 0)
        return -2;
    Py_buffer view;
    if (wsgi_response_body_view(item, &view) != 0)
        return -1;
    int rc = wsgi_response_send(r, view.buf, (size_t)view.len, 0);
    PyBuffer_Release(&view);
    return rc ? -2 : 0;
}

static int iterate(wsgi_req *r, PyObject *result)
{
    if (PyList_CheckExact(result) || PyTuple_CheckExact(result)) {
        /* The whole body is known: give it a Content-Length (no chunking on
         * HTTP/1.1) and end the stream on its last frame. */
        Py_ssize_t n = PySequence_Fast_GET_SIZE(result);
        /* No app code runs from here on: END_STREAM waits only for trailers
         * already queued. */
        r->resp.hold_end = ad_resp_has_trailers(&r->resp);
        if (r->started && ad_resp_length_open(&r->resp)) {
            uint64_t total = 0;
            Py_ssize_t i;
            for (i = 0; i < n; i++) {
                PyObject *it = PySequence_Fast_GET_ITEM(result, i);
                if (!PyBytes_CheckExact(it))
                    break;
                total += (uint64_t)PyBytes_GET_SIZE(it);
            }
            if (i == n)
                ad_resp_known_rest(&r->resp, total);
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(result); i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(result, i);
            Py_INCREF(item); /* other threads may run while we wait for credit */
            int rc = send_item(r, item);
            Py_DECREF(item);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (PyObject_TypeCheck(result, &wsgi_FileWrapperType)) {
        /* Sent from C: as for lists, no app code runs meanwhile. */
        r->resp.hold_end = ad_resp_has_trailers(&r->resp);
        int rc = wsgi_file_send(r, result);
        if (rc != 1)
            return rc;
        r->resp.hold_end = r->resp.trailers_ok;
    }
    PyObject *it = PyObject_GetIter(result);
    if (it == NULL)
        return -1;
    PyObject *item;
    int rc = 0;
    while ((item = PyIter_Next(it)) != NULL) {
        rc = send_item(r, item);
        Py_DECREF(item);
        if (rc)
            break;
        if (r->resp.done && ad_stream_is_cancelled(r->s)) {
            rc = -2;
            break;
        }
    }
    Py_DECREF(it);
    if (rc == 0 && PyErr_Occurred())
        rc = -1;
    return rc;
}

/* The iterable is exhausted: end the stream with the held chunk, an empty
 * DATA frame or the trailers (or reset it when the body fell short). */
static void finish(wsgi_req *r)
{
    r->resp.hold_end = 0;
    if (r->resp.done)
        return;
    if (!r->started) {
        PyErr_SetString(PyExc_AssertionError, "the app returned without calling start_response()");
        wsgi_response_error(r, "Error handling request");
        return;
    }
    if (r->held) { /* it completes the length by construction */
        send_held(r, 1);
        return;
    }
    ad_resp_out out;
    wsgi_send_lock(r);
    if (ad_resp_end(&r->resp, &out))
        apply(r, &out);
    wsgi_send_unlock(r);
}

static void close_result(wsgi_req *r, PyObject *result)
{
    if (PyList_CheckExact(result) || PyTuple_CheckExact(result) || PyBytes_CheckExact(result))
        return;
    PyObject *close = PyObject_GetAttr(result, str_close);
    if (close == NULL) {
        PyErr_Clear();
        return;
    }
    PyObject *rv = PyObject_CallNoArgs(close);
    Py_DECREF(close);
    if (rv == NULL) {
        char d[256];
        ad_python_log_exception(TC_LOG_ERROR, "Error closing the response of %s",
                                ad_resp_desc(&r->resp, d, sizeof d));
    }
    Py_XDECREF(rv);
}

void wsgi_response_run(wsgi_req *r, PyObject *result)
{
    int rc = iterate(r, result);
    r->resp.finishing = 1; /* trailers queued from now on would never be sent */
    if (rc == -1)
        wsgi_response_error(r, "Error handling request");
    else if (rc == -2)
        ad_resp_abort(&r->resp);
    else
        finish(r);
    close_result(r, result);
}

int wsgi_response_init(void)
{
    str_close = PyUnicode_InternFromString("close");
    return str_close ? 0 : -1;
}

/* wsgi_response.c: what the app returns, sent: the head (at the first
 * non-empty chunk, per PEP 3333), the result iterable (close() always
 * called), Content-Length policing, the end of the stream (END_STREAM or the
 * app's trailers), and the 500 / RESET answers to app errors.  wsgi.c calls
 * the app; start_response lives in wsgi_start.c, the file wrapper in
 * wsgi_file.c, early hints and trailers in wsgi_ext.c.
 *
 * Response bytes are not copied by Python or by us in the common case: the
 * bytes object's buffer goes to writev(2) directly while we hold a reference
 * (the GIL is held, or the object is private to this thread); only what the
 * socket does not take at once is copied into the connection's buffer. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "ad_conn.h"
#include "ad_http.h"
#include "ad_python.h"
#include "tc_log.h"
#include "wsgi_req.h"

static PyObject *str_close;

static const char body500[] =
    "<html><head><title>Internal Server Error</title></head><body><h1><p>"
    "Internal Server Error</p></h1></body></html>";

const char *wsgi_response_desc(wsgi_req *r, char *buf, size_t len)
{
    const tp_request_head *h = &r->s->req;
    snprintf(buf, len, "%.*s %.*s", (int)h->method.len, (const char *)h->method.ptr,
             (int)(h->path.len > 200 ? 200 : h->path.len), (const char *)h->path.ptr);
    return buf;
}

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
        Py_BEGIN_ALLOW_THREADS
        ad_stream_send_wait(r->s, op);
        Py_END_ALLOW_THREADS
    }
    return rc == AD_SEND_DONE ? 0 : -1;
}

/* ---- the head ---- */

/* Encodes RESPONSE_HEAD from start_response's data into r->scratch.  When the
 * codec or the proxy's max_frame refuses it, a bare 500 replaces it and the
 * stream ends there (returns 1). */
int wsgi_response_encode_head(wsgi_req *r, int end)
{
    char lenbuf[24];
    int k = wsgi_fields_fill(r->headers, &r->th, &r->th_cap, 1);
    if (k < 0) return -1;
    if (r->content_length == WSGI_NO_LENGTH && r->auto_length != WSGI_NO_LENGTH) {
        int l = snprintf(lenbuf, sizeof lenbuf, "%llu", (unsigned long long)r->auto_length);
        r->th[k].name = (tp_str){(const uint8_t *)"content-length", 14};
        r->th[k].value = (tp_str){(const uint8_t *)lenbuf, (uint32_t)l};
        k++;
    }
    tp_response_head head = {(uint16_t)r->status, (uint32_t)k, r->th};
    r->scratch.len = 0;
    uint64_t size = tp_response_head_size(TP_FRAME_RESPONSE_HEAD, &head);
    int rc = size <= r->s->conn->peer_max_frame
                 ? tp_encode_response_head(&r->scratch, r->s->id, end ? TP_FLAG_END_STREAM : 0,
                                           &head)
                 : TP_E_TOO_BIG;
    if (rc == TP_OK) return 0;
    char d[256];
    tc_error("%s: response head not sendable (%s, %llu bytes); answering 500",
             wsgi_response_desc(r, d, sizeof d), tp_strerror(rc), (unsigned long long)size);
    tp_header cl = {{(const uint8_t *)"content-length", 14}, {(const uint8_t *)"0", 1}};
    tp_response_head h500 = {500, 1, &cl};
    r->scratch.len = 0;
    tp_encode_response_head(&r->scratch, r->s->id, TP_FLAG_END_STREAM, &h500);
    return 1;
}

static uint64_t body_limit(const wsgi_req *r)
{
    return r->content_length != WSGI_NO_LENGTH ? r->content_length : r->auto_length;
}

/* Sends body bytes (GIL held); end: nothing follows.  The head goes out with
 * the first non-empty chunk (or at the end), so start_response can still be
 * replaced until then (PEP 3333).  Reaching the Content-Length ends the
 * stream, unless r->hold_end (trailers may still be queued).  At the end,
 * queued trailers go out as a TRAILERS frame in the same write as the last
 * bytes.  0, or -1 when the client is gone. */
int wsgi_response_send(wsgi_req *r, const uint8_t *p, size_t n, int end)
{
    if (r->done) return 0;
    if (n == 0 && !end) return 0;
    uint64_t limit = body_limit(r);
    if (limit != WSGI_NO_LENGTH) {
        if (r->sent + n > limit) {
            if (!r->truncated_logged) {
                char d[256];
                tc_warn("%s: the app sent more than its Content-Length (%llu); "
                        "extra bytes dropped", wsgi_response_desc(r, d, sizeof d),
                        (unsigned long long)limit);
                r->truncated_logged = 1;
            }
            n = (size_t)(limit - r->sent);
        }
        if (r->sent + n == limit && !r->hold_end) end = 1;
    }
    int nobody = r->is_head || !ad_status_has_body(r->status);
    size_t send_n = nobody ? 0 : n;
    int trail = end && wsgi_ext_has_trailers(r);
    r->sent += n;
    size_t prelen = 0;
    r->scratch.len = 0;
    if (!r->head_sent) {
        int e = wsgi_response_encode_head(r, end && send_n == 0 && !trail);
        if (e < 0) return -1;
        prelen = r->scratch.len;
        r->head_sent = 1;
        if (e == 1) {
            send_n = 0;
            end = 1;
            trail = 0;
        }
    }
    int bad_trailers = 0;
    if (trail) {
        int tr = wsgi_ext_encode_trailers(r);   /* appended after the head, if any */
        if (tr != TP_OK) {
            /* Refused at send_trailers() already when too big; what is left
             * (no memory) cannot deliver the response the app meant. */
            char d[256];
            tc_error("%s: trailers not sendable (%s); resetting the stream",
                     wsgi_response_desc(r, d, sizeof d), tp_strerror(tr));
            r->scratch.len = prelen;
            trail = 0;
            end = 0;
            bad_trailers = 1;
        }
    }
    /* Pointers only now: encoding the trailers may have moved scratch. */
    const uint8_t *pre = prelen ? r->scratch.data : NULL;
    const uint8_t *post = trail ? r->scratch.data + prelen : NULL;
    size_t postlen = trail ? r->scratch.len - prelen : 0;
    if (send_n == 0 && !end && prelen == 0 && !bad_trailers) return 0;
    ad_send op = {pre, prelen, p, send_n, end, post, postlen, 0};
    int rc = wsgi_response_write(r, &op);
    if (bad_trailers && rc == 0) ad_stream_reset(r->s, TP_RESET_INTERNAL_ERROR);
    if (end || rc != 0 || bad_trailers) r->done = 1;
    return rc;
}

/* Sends the held chunk (see send_item): 0 or -1 (client gone). */
static int send_held(wsgi_req *r, int end)
{
    PyObject *h = r->held;
    r->held = NULL;
    int rc = wsgi_response_send(r, (const uint8_t *)PyBytes_AS_STRING(h), (size_t)PyBytes_GET_SIZE(h),
                         end);
    Py_DECREF(h);
    return rc;
}

static void send_500(wsgi_req *r)
{
    char len[16];
    int l = snprintf(len, sizeof len, "%zu", sizeof body500 - 1);
    tp_header h[2] = {
        {{(const uint8_t *)"content-type", 12}, {(const uint8_t *)"text/html", 9}},
        {{(const uint8_t *)"content-length", 14}, {(const uint8_t *)len, (uint32_t)l}},
    };
    tp_response_head head = {500, 2, h};
    r->scratch.len = 0;
    int end_in_head = r->is_head;
    if (tp_encode_response_head(&r->scratch, r->s->id, end_in_head ? TP_FLAG_END_STREAM : 0,
                                &head) != TP_OK)
        return;
    r->head_sent = 1;
    r->done = 1;
    ad_send op = {r->scratch.data, r->scratch.len, (const uint8_t *)body500,
                  end_in_head ? 0 : sizeof body500 - 1, 1, NULL, 0, 0};
    wsgi_response_write(r, &op);
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
            tc_debug("%s: client went away (%s)", wsgi_response_desc(r, d, sizeof d), line);
        }
        PyErr_Clear();
        r->done = 1;
        return;
    }
    ad_python_log_exception(TC_LOG_ERROR, "%s %s", what, wsgi_response_desc(r, d, sizeof d));
    if (r->held) {
        /* The body was complete before the error: deliver it as HTTP/1
         * clients got it (there the end went out with it), without the
         * trailers of a response that failed. */
        Py_CLEAR(r->trailers);
        send_held(r, 1);
    }
    if (r->done) return;
    if (!r->head_sent) {
        send_500(r);
    } else {
        ad_stream_reset(r->s, TP_RESET_INTERNAL_ERROR);
        r->done = 1;
    }
}

/* ---- the request ---- */

/* One body item: 0, -1 (exception set) or -2 (client gone).
 *
 * While r->hold_end, the bytes object that completes a known length is held
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
            if (n == 0) return 0;
            /* More after the declared length: send what was held without
             * the end; wsgi_response_send drops and logs the excess. */
            if (send_held(r, 0) != 0) return -2;
        } else if (r->hold_end && !r->done && n > 0) {
            uint64_t limit = body_limit(r);
            if (limit != WSGI_NO_LENGTH && r->sent + (uint64_t)n >= limit) {
                Py_INCREF(item);
                r->held = item;
                return 0;
            }
        }
        return wsgi_response_send(r, (const uint8_t *)PyBytes_AS_STRING(item), (size_t)n, 0) ? -2 : 0;
    }
    if (r->held && send_held(r, 0) != 0) return -2;
    Py_buffer view;
    if (wsgi_response_body_view(item, &view) != 0) return -1;
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
        r->hold_end = wsgi_ext_has_trailers(r);
        if (r->started && !r->head_sent && r->content_length == WSGI_NO_LENGTH && !r->is_head &&
            ad_status_has_body(r->status)) {
            uint64_t total = 0;
            Py_ssize_t i;
            for (i = 0; i < n; i++) {
                PyObject *it = PySequence_Fast_GET_ITEM(result, i);
                if (!PyBytes_CheckExact(it)) break;
                total += (uint64_t)PyBytes_GET_SIZE(it);
            }
            if (i == n) r->auto_length = r->sent + total;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(result); i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(result, i);
            Py_INCREF(item);   /* other threads may run while we wait for credit */
            int rc = send_item(r, item);
            Py_DECREF(item);
            if (rc) return rc;
        }
        return 0;
    }
    if (PyObject_TypeCheck(result, &wsgi_FileWrapperType)) {
        /* Sent from C: as for lists, no app code runs meanwhile. */
        r->hold_end = wsgi_ext_has_trailers(r);
        int rc = wsgi_file_send(r, result);
        if (rc != 1) return rc;
        r->hold_end = r->trailers_ok;
    }
    PyObject *it = PyObject_GetIter(result);
    if (it == NULL) return -1;
    PyObject *item;
    int rc = 0;
    while ((item = PyIter_Next(it)) != NULL) {
        rc = send_item(r, item);
        Py_DECREF(item);
        if (rc) break;
        if (r->done && ad_stream_is_cancelled(r->s)) {
            rc = -2;
            break;
        }
    }
    Py_DECREF(it);
    if (rc == 0 && PyErr_Occurred()) rc = -1;
    return rc;
}

/* The iterable is exhausted: end the stream with the held chunk, an empty
 * DATA frame or the trailers. */
static void finish(wsgi_req *r)
{
    r->hold_end = 0;
    if (r->done) return;
    if (!r->started) {
        PyErr_SetString(PyExc_AssertionError, "the app returned without calling start_response()");
        wsgi_response_error(r, "Error handling request");
        return;
    }
    if (r->held) {   /* it completes the length by construction */
        send_held(r, 1);
        return;
    }
    int nobody = r->is_head || !ad_status_has_body(r->status);
    /* The length tandem announced (a file's size) binds like the app's own:
     * a file that shrank mid-send must not end as if complete. */
    uint64_t limit = body_limit(r);
    if (!nobody && limit != WSGI_NO_LENGTH && r->sent < limit) {
        char d[256];
        tc_error("%s: the app sent %llu of %s Content-Length %llu bytes; resetting the stream "
                 "(the client would wait forever)", wsgi_response_desc(r, d, sizeof d),
                 (unsigned long long)r->sent,
                 r->content_length != WSGI_NO_LENGTH ? "its" : "the file's announced",
                 (unsigned long long)limit);
        ad_stream_reset(r->s, TP_RESET_INTERNAL_ERROR);
        r->done = 1;
        return;
    }
    wsgi_response_send(r, NULL, 0, 1);
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
                                wsgi_response_desc(r, d, sizeof d));
    }
    Py_XDECREF(rv);
}

void wsgi_response_run(wsgi_req *r, PyObject *result)
{
    int rc = iterate(r, result);
    r->finishing = 1;   /* trailers queued from now on would never be sent */
    if (rc == -1) wsgi_response_error(r, "Error handling request");
    else if (rc == -2) r->done = 1;
    else finish(r);
    close_result(r, result);
}

int wsgi_response_init(void)
{
    str_close = PyUnicode_InternFromString("close");
    return str_close ? 0 : -1;
}

/* wsgi_response.c: runs the app for one stream and sends what it returns:
 * the head (at the first non-empty chunk, per PEP 3333), the result iterable
 * (close() always called), Content-Length policing, the end of the stream
 * (END_STREAM or the app's trailers), and the 500 / RESET answers to app
 * errors.  start_response lives in wsgi_start.c, the file wrapper in
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
#include "wsgi.h"

static PyObject *str_close;

static const char body500[] =
    "<html><head><title>Internal Server Error</title></head><body><h1><p>"
    "Internal Server Error</p></h1></body></html>";

/* ---- helpers (shared with wsgi_start.c and wsgi_file.c) ---- */

/* A str whose characters are all < 256: its UCS1 buffer *is* the latin-1
 * encoding, so headers are sent from the str objects without encoding. */
int ad_latin1_view(PyObject *o, const uint8_t **p, size_t *n)
{
    if (!PyUnicode_Check(o)) return -1;
    if (PyUnicode_READY(o) != 0) {   /* legacy strings from old C extensions */
        PyErr_Clear();
        return -2;
    }
    if (PyUnicode_KIND(o) != PyUnicode_1BYTE_KIND) return -2;
    *p = PyUnicode_1BYTE_DATA(o);
    *n = (size_t)PyUnicode_GET_LENGTH(o);
    return 0;
}

const char *ad_req_desc(ad_req *r, char *buf, size_t len)
{
    const tp_request_head *h = &r->s->req;
    snprintf(buf, len, "%.*s %.*s", (int)h->method.len, (const char *)h->method.ptr,
             (int)(h->path.len > 200 ? 200 : h->path.len), (const char *)h->path.ptr);
    return buf;
}

/* ---- the head ---- */

/* Points r->th at the latin-1 bytes of a validated header list (no copies);
 * with_length adds tandem's computed Content-Length.  Returns the count or -1. */
int ad_req_fill_headers(ad_req *r, PyObject *list, int with_length, char *lenbuf, size_t lenlen)
{
    Py_ssize_t n = list ? PyList_GET_SIZE(list) : 0;
    uint32_t need = (uint32_t)n + 1;
    if (r->th_cap < need) {
        tp_header *t = realloc(r->th, need * sizeof *t);
        if (t == NULL) return -1;
        r->th = t;
        r->th_cap = need;
    }
    uint32_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(list, i);
        size_t nl, vl;
        const uint8_t *np, *vp;
        ad_latin1_view(PyTuple_GET_ITEM(t, 0), &np, &nl);
        ad_latin1_view(PyTuple_GET_ITEM(t, 1), &vp, &vl);
        r->th[k].name = (tp_str){np, (uint32_t)nl};
        r->th[k].value = (tp_str){vp, (uint32_t)vl};
        k++;
    }
    if (with_length) {
        int l = snprintf(lenbuf, lenlen, "%llu", (unsigned long long)r->auto_length);
        r->th[k].name = (tp_str){(const uint8_t *)"content-length", 14};
        r->th[k].value = (tp_str){(const uint8_t *)lenbuf, (uint32_t)l};
        k++;
    }
    return (int)k;
}

/* Encodes RESPONSE_HEAD from start_response's data into r->scratch.  When the
 * codec or the proxy's max_frame refuses it, a bare 500 replaces it and the
 * stream ends there (returns 1). */
int ad_req_encode_head(ad_req *r, int end)
{
    char lenbuf[24];
    int k = ad_req_fill_headers(r, r->headers,
                         r->content_length == AD_NO_LENGTH && r->auto_length != AD_NO_LENGTH,
                         lenbuf, sizeof lenbuf);
    if (k < 0) return -1;
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
             ad_req_desc(r, d, sizeof d), tp_strerror(rc), (unsigned long long)size);
    tp_header cl = {{(const uint8_t *)"content-length", 14}, {(const uint8_t *)"0", 1}};
    tp_response_head h500 = {500, 1, &cl};
    r->scratch.len = 0;
    tp_encode_response_head(&r->scratch, r->s->id, TP_FLAG_END_STREAM, &h500);
    return 1;
}

static uint64_t body_limit(const ad_req *r)
{
    return r->content_length != AD_NO_LENGTH ? r->content_length : r->auto_length;
}

/* Sends body bytes (GIL held); end: nothing follows.  The head goes out with
 * the first non-empty chunk (or at the end), so start_response can still be
 * replaced until then (PEP 3333).  Reaching the Content-Length ends the
 * stream, unless r->hold_end (trailers may still be queued).  At the end,
 * queued trailers go out as a TRAILERS frame in the same write as the last
 * bytes.  0, or -1 when the client is gone. */
int ad_req_send(ad_req *r, const uint8_t *p, size_t n, int end)
{
    if (r->done) return 0;
    if (n == 0 && !end) return 0;
    uint64_t limit = body_limit(r);
    if (limit != AD_NO_LENGTH) {
        if (r->sent + n > limit) {
            if (!r->truncated_logged) {
                char d[256];
                tc_warn("%s: the app sent more than its Content-Length (%llu); "
                        "extra bytes dropped", ad_req_desc(r, d, sizeof d),
                        (unsigned long long)limit);
                r->truncated_logged = 1;
            }
            n = (size_t)(limit - r->sent);
        }
        if (r->sent + n == limit && !r->hold_end) end = 1;
    }
    int nobody = r->is_head || !ad_status_has_body(r->status);
    size_t send_n = nobody ? 0 : n;
    int trail = end && ad_req_has_trailers(r);
    r->sent += n;
    size_t prelen = 0;
    r->scratch.len = 0;
    if (!r->head_sent) {
        int e = ad_req_encode_head(r, end && send_n == 0 && !trail);
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
        int tr = ad_req_encode_trailers(r);   /* appended after the head, if any */
        if (tr != TP_OK) {
            /* Refused at send_trailers() already when too big; what is left
             * (no memory) cannot deliver the response the app meant. */
            char d[256];
            tc_error("%s: trailers not sendable (%s); resetting the stream",
                     ad_req_desc(r, d, sizeof d), tp_strerror(tr));
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
    int rc = ad_stream_send(r->s, pre, prelen, p, send_n, end, post, postlen, 1);
    if (bad_trailers && rc == 0) ad_stream_reset(r->s, TP_RESET_INTERNAL_ERROR);
    if (end || rc != 0 || bad_trailers) r->done = 1;
    return rc;
}

/* Sends the held chunk (see send_item): 0 or -1 (client gone). */
static int send_held(ad_req *r, int end)
{
    PyObject *h = r->held;
    r->held = NULL;
    int rc = ad_req_send(r, (const uint8_t *)PyBytes_AS_STRING(h), (size_t)PyBytes_GET_SIZE(h),
                         end);
    Py_DECREF(h);
    return rc;
}

static void send_500(ad_req *r)
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
    ad_stream_send(r->s, r->scratch.data, r->scratch.len, (const uint8_t *)body500,
                   end_in_head ? 0 : sizeof body500 - 1, 1, NULL, 0, 1);
}

/* The app raised (exception pending).  Before the head: a 500; after it:
 * RESET(INTERNAL_ERROR), the only honest signal left.  A client that went
 * away is not an app error: logged at debug. */
static void app_error(ad_req *r, const char *what)
{
    char d[256];
    if (ad_stream_is_cancelled(r->s)) {
        if (tc_log_get_level() <= TC_LOG_DEBUG) {
            char line[512];
            ad_python_exc_line(line, sizeof line);
            tc_debug("%s: client went away (%s)", ad_req_desc(r, d, sizeof d), line);
        }
        PyErr_Clear();
        r->done = 1;
        return;
    }
    ad_python_log_exception(TC_LOG_ERROR, "%s %s", what, ad_req_desc(r, d, sizeof d));
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
static int send_item(ad_req *r, PyObject *item)
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
             * the end; ad_req_send drops and logs the excess. */
            if (send_held(r, 0) != 0) return -2;
        } else if (r->hold_end && !r->done && n > 0) {
            uint64_t limit = body_limit(r);
            if (limit != AD_NO_LENGTH && r->sent + (uint64_t)n >= limit) {
                Py_INCREF(item);
                r->held = item;
                return 0;
            }
        }
        return ad_req_send(r, (const uint8_t *)PyBytes_AS_STRING(item), (size_t)n, 0) ? -2 : 0;
    }
    if (r->held && send_held(r, 0) != 0) return -2;
    Py_buffer view;
    if (ad_body_view(item, &view) != 0) return -1;
    int rc = ad_req_send(r, view.buf, (size_t)view.len, 0);
    PyBuffer_Release(&view);
    return rc ? -2 : 0;
}

static int iterate(ad_req *r, PyObject *result)
{
    if (PyList_CheckExact(result) || PyTuple_CheckExact(result)) {
        /* The whole body is known: give it a Content-Length (no chunking on
         * HTTP/1.1) and end the stream on its last frame. */
        Py_ssize_t n = PySequence_Fast_GET_SIZE(result);
        /* No app code runs from here on: END_STREAM waits only for trailers
         * already queued. */
        r->hold_end = ad_req_has_trailers(r);
        if (r->started && !r->head_sent && r->content_length == AD_NO_LENGTH && !r->is_head &&
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
    if (PyObject_TypeCheck(result, &ad_FileWrapperType)) {
        /* Sent from C: as for lists, no app code runs meanwhile. */
        r->hold_end = ad_req_has_trailers(r);
        int rc = ad_send_file(r, result);
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
static void finish(ad_req *r)
{
    r->hold_end = 0;
    if (r->done) return;
    if (!r->started) {
        PyErr_SetString(PyExc_AssertionError, "the app returned without calling start_response()");
        app_error(r, "Error handling request");
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
    if (!nobody && limit != AD_NO_LENGTH && r->sent < limit) {
        char d[256];
        tc_error("%s: the app sent %llu of %s Content-Length %llu bytes; resetting the stream "
                 "(the client would wait forever)", ad_req_desc(r, d, sizeof d),
                 (unsigned long long)r->sent,
                 r->content_length != AD_NO_LENGTH ? "its" : "the file's announced",
                 (unsigned long long)limit);
        ad_stream_reset(r->s, TP_RESET_INTERNAL_ERROR);
        r->done = 1;
        return;
    }
    ad_req_send(r, NULL, 0, 1);
}

static void close_result(ad_req *r, PyObject *result)
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
                                ad_req_desc(r, d, sizeof d));
    }
    Py_XDECREF(rv);
}

void ad_wsgi_handle(ad_req *r, ad_stream *s, PyObject *app)
{
    const tp_request_head *h = &s->req;
    r->s = s;
    r->started = r->head_sent = r->done = r->truncated_logged = r->finishing = 0;
    r->status = 0;
    r->content_length = r->auto_length = AD_NO_LENGTH;
    r->sent = 0;
    r->is_head = h->method.len == 4 && memcmp(h->method.ptr, "HEAD", 4) == 0;
    /* h2 clients always take trailers (RFC 9113 8.1); HTTP/1.1 ones only
     * after "TE: trailers", and only in a chunked body. */
    r->trailers_ok = h->http_major >= 2 ||
                     (h->http_minor >= 1 && (h->flags & TP_REQ_TE_TRAILERS) != 0);
    r->hold_end = r->trailers_ok;

    PyObject *result = NULL;
    PyObject *env = ad_environ_build(r);
    PyObject *sr = env ? ad_sr_for(r) : NULL;
    if (sr == NULL || ad_ext_set(r, env) != 0) {
        app_error(r, "Error preparing request");
        goto out;
    }
    PyObject *args[2] = {env, sr};
    result = PyObject_Vectorcall(app, args, 2, NULL);
    if (result == NULL) {
        r->finishing = 1;
        app_error(r, "Error handling request");
        goto out;
    }
    int rc = iterate(r, result);
    r->finishing = 1;   /* trailers queued from now on would never be sent */
    if (rc == -1) app_error(r, "Error handling request");
    else if (rc == -2) r->done = 1;
    else finish(r);
    close_result(r, result);
out:
    if (PyErr_Occurred()) ad_python_log_exception(TC_LOG_ERROR, "Error after request");
    ad_sr_unbind(r->sr);
    ad_input_unbind(r->input);
    Py_XDECREF(result);
    Py_XDECREF(env);
    Py_CLEAR(r->headers);
    Py_CLEAR(r->trailers);
    Py_CLEAR(r->held);
    if (!r->done) ad_stream_reset(s, TP_RESET_INTERNAL_ERROR);
    r->s = NULL;
}

void ad_wsgi_req_free(ad_req *r)
{
    Py_CLEAR(r->hints_fn);
    Py_CLEAR(r->trailers_fn);
    Py_CLEAR(r->trailers);
    Py_CLEAR(r->held);
    Py_CLEAR(r->sr);
    Py_CLEAR(r->input);
    Py_CLEAR(r->headers);
    tp_buf_free(&r->scratch);
    free(r->th);
    free(r->filebuf);
    memset(r, 0, sizeof *r);
}

int ad_response_types_ready(void)
{
    return PyType_Ready(&ad_StartResponseType) || PyType_Ready(&ad_FileWrapperType);
}

int ad_wsgi_init(const ad_settings *s)
{
    str_close = PyUnicode_InternFromString("close");
    if (str_close == NULL) return -1;
    if (ad_response_types_ready() != 0 || ad_input_ready() != 0 || ad_file_init() != 0 ||
        ad_ext_init() != 0)
        return -1;
    return ad_environ_init(s);
}

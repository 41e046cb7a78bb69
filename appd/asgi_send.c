/* asgi_send.c: send() for the HTTP scope.  Each message is checked (a
 * misbehaving app gets an exception naming its mistake, and the client
 * never sees a corrupt response), then carried out through the response
 * rules (ad_response.c), which decide what goes on the wire when: the head
 * with the first body bytes, Content-Length, HEAD/204/304, trailers, 103
 * hints.  A write the client's window or the socket cannot take now leaves
 * send() waiting on a future that a later event completes (asgi_req.c):
 * back-pressure from the client reaches the app's await. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgi_int.h"

/* ---- the write in progress ---- */

static void finish_write(asgi_req *q, int rc)
{
    int ok = rc == AD_SEND_DONE;
    if (q->out.reset && ok)
        ad_stream_reset(q->s, TP_RESET_INTERNAL_ERROR);
    ad_resp_written(&q->resp, &q->out, ok);
    q->op_kind = ASGI_OP_NONE;
    Py_CLEAR(q->op_obj);
    if (q->resp.done)
        asgi_touch(q); /* a receive() may wait for the response's end */
}

static int write_op(asgi_req *q, const ad_send *op, PyObject *obj, int kind)
{
    q->op = *op;
    int rc = ad_stream_send_step(q->s, &q->op);
    if (rc == AD_SEND_BLOCKED) {
        q->op_kind = kind;
        q->op_obj = Py_XNewRef(obj);
        return rc;
    }
    finish_write(q, rc);
    return rc;
}

int asgi_write(asgi_req *q, const ad_resp_out *out, PyObject *obj, int kind)
{
    q->out = *out;
    if (!out->write) {
        finish_write(q, AD_SEND_DONE);
        return AD_SEND_DONE;
    }
    ad_send op = { .pre = out->pre,
                   .prelen = out->prelen,
                   .data = out->data,
                   .len = out->len,
                   .end = out->end,
                   .post = out->post,
                   .postlen = out->postlen };
    return write_op(q, &op, obj, kind);
}

int asgi_write_op(asgi_req *q, const ad_send *op, PyObject *obj, int kind)
{
    q->out = (ad_resp_out){ .write = 1 }; /* ends nothing: done only if the client is gone */
    return write_op(q, op, obj, kind);
}

/* The file of a pathsend is out (or the client left): the rules learn how
 * much went, and the response ends unless trailers are to follow. */
static int file_done(asgi_req *q, int rc)
{
    close(q->file.fd);
    q->file.fd = -1;
    q->op_kind = ASGI_OP_NONE;
    ad_file_end(&q->file, &q->resp, rc == AD_SEND_GONE);
    ad_resp_out out;
    if (rc != AD_SEND_DONE || q->want_trailers || !ad_resp_end(&q->resp, &out)) {
        if (q->resp.done)
            asgi_touch(q);
        return rc;
    }
    return asgi_write(q, &out, NULL, ASGI_OP_SEND);
}

int asgi_write_resume(asgi_req *q)
{
    int rc;
    if (q->op_kind == ASGI_OP_FILE) {
        rc = ad_file_step(&q->file, q->s);
        return rc == AD_SEND_BLOCKED ? rc : file_done(q, rc);
    }
    rc = ad_stream_send_step(q->s, &q->op);
    if (rc != AD_SEND_BLOCKED)
        finish_write(q, rc);
    return rc;
}

/* ---- message fields ---- */

/* msg[key] borrowed, or NULL: *bad set when that is an error (raised). */
static PyObject *field(PyObject *msg, PyObject *key, int *bad)
{
    PyObject *v = PyDict_GetItemWithError(msg, key);
    if (v == NULL && PyErr_Occurred())
        *bad = 1;
    return v;
}

static int want_bool(PyObject *v, const char *type, const char *key, int *out)
{
    if (v == NULL) {
        *out = 0;
        return 0;
    }
    if (!PyBool_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s: '%s' must be a bool, not %.100s", type, key,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    *out = v == Py_True;
    return 0;
}

static PyObject *want_bytes(PyObject *v, const char *type, const char *key)
{
    if (v == NULL)
        return PyBytes_FromStringAndSize(NULL, 0);
    if (!PyBytes_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s: '%s' must be bytes, not %.100s%s", type, key,
                     Py_TYPE(v)->tp_name, PyUnicode_Check(v) ? " (encode it)" : "");
        return NULL;
    }
    return Py_NewRef(v);
}

static int fail(PyObject *type, const char *msg)
{
    PyErr_SetString(type, msg);
    return -1;
}

/* ---- the messages ---- */

int asgi_http_start(asgi_req *q, PyObject *msg, const char *t)
{
    int bad = 0, trailers;
    if (q->started) {
        PyErr_Format(PyExc_RuntimeError, "%s sent a second time (the response has already started)",
                     t);
        return -1;
    }
    PyObject *status = field(msg, asgi_str_status, &bad);
    if (bad)
        return -1;
    if (status == NULL || !PyLong_Check(status) || PyBool_Check(status)) {
        PyErr_Format(PyExc_TypeError, "%s: 'status' must be an int, not %.100s", t,
                     status ? Py_TYPE(status)->tp_name : "missing");
        return -1;
    }
    long code = PyLong_AsLong(status);
    if (code < 200 || code > 999) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError,
                         "%s: status %ld is not a final status 200..999 (send 103 with "
                         "http.response.early_hint or http.response.informational)",
                         t, code);
        return -1;
    }
    PyObject *headers = field(msg, asgi_str_headers, &bad);
    if (bad || want_bool(field(msg, asgi_str_trailers, &bad), t, "trailers", &trailers) || bad)
        return -1;
    PyObject *list;
    uint64_t clen;
    if (asgi_fields_check(headers, ASGI_FIELDS_FINAL, &list, &clen) != 0)
        return -1;
    int k = asgi_fields_fill(list, &q->head_fields, &q->head_cap, 1);
    if (k < 0) {
        Py_DECREF(list);
        PyErr_NoMemory();
        return -1;
    }
    ad_resp_set_head(&q->resp, (unsigned)code, clen, q->head_fields, (uint32_t)k);
    Py_XSETREF(q->head_list, list);
    q->started = 1;
    q->want_trailers = trailers;
    /* The stream does not end with the body while trailers are to come. */
    q->resp.hold_end = trailers;
    return AD_SEND_DONE;
}

static int check_body_order(asgi_req *q, const char *type)
{
    if (!q->started) {
        PyErr_Format(PyExc_RuntimeError, "%s sent before http.response.start", type);
        return -1;
    }
    if (q->body_done) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s sent after the response body was complete (an earlier message ended "
                     "it: more_body False, or a pathsend)",
                     type);
        return -1;
    }
    return 0;
}

int asgi_http_body(asgi_req *q, PyObject *msg, const char *t)
{
    int bad = 0, more;
    if (check_body_order(q, t))
        return -1;
    PyObject *bv = field(msg, asgi_str_body, &bad);
    if (bad || want_bool(field(msg, asgi_str_more_body, &bad), t, "more_body", &more) || bad)
        return -1;
    PyObject *body = want_bytes(bv, t, "body");
    if (body == NULL)
        return -1;
    if (!more)
        q->body_done = 1;
    ad_resp_out out;
    int rc = AD_SEND_DONE;
    if (ad_resp_body(&q->resp, (const uint8_t *)PyBytes_AS_STRING(body),
                     (size_t)PyBytes_GET_SIZE(body), !more && !q->want_trailers, &out))
        rc = asgi_write(q, &out, body, ASGI_OP_SEND);
    Py_DECREF(body);
    return rc;
}

static int on_trailers(asgi_req *q, PyObject *msg)
{
    static const char *const t = "http.response.trailers";
    int bad = 0, more;
    if (!q->want_trailers)
        return fail(PyExc_RuntimeError, "http.response.trailers sent, but http.response.start "
                                        "did not say trailers: True");
    if (!q->body_done)
        return fail(PyExc_RuntimeError, "http.response.trailers sent before the body was "
                                        "complete (send more_body False first)");
    if (q->trailers_done)
        return fail(PyExc_RuntimeError, "http.response.trailers sent after more_trailers False");
    PyObject *headers = field(msg, asgi_str_headers, &bad);
    if (bad || want_bool(field(msg, asgi_str_more_trailers, &bad), t, "more_trailers", &more) ||
        bad)
        return -1;
    PyObject *list;
    uint64_t clen;
    if (asgi_fields_check(headers, ASGI_FIELDS_TRAILERS, &list, &clen) != 0)
        return -1;
    if (q->trailer_list == NULL) {
        q->trailer_list = list;
    } else {
        Py_ssize_t had = PyList_GET_SIZE(q->trailer_list);
        int rc = PyList_SetSlice(q->trailer_list, had, had, list);
        Py_DECREF(list);
        if (rc != 0)
            return -1;
    }
    if (more)
        return AD_SEND_DONE;
    q->trailers_done = 1;
    int k = asgi_fields_fill(q->trailer_list, &q->trailer_fields, &q->trailer_cap, 0);
    if (k < 0) {
        PyErr_NoMemory();
        return -1;
    }
    uint64_t size;
    if (ad_resp_trailers_check(&q->resp, (uint32_t)k) == AD_RESP_SEND) {
        if (!ad_resp_trailers_fit(&q->resp, q->trailer_fields, (uint32_t)k, &size)) {
            PyErr_Format(PyExc_ValueError,
                         "trailers too large: %llu bytes encoded, the proxy accepts at most %u",
                         (unsigned long long)size, q->resp.max_frame);
            return -1;
        }
        ad_resp_set_trailers(&q->resp, q->trailer_fields, (uint32_t)k);
    }
    q->resp.finishing = 1;
    ad_resp_out out;
    if (!ad_resp_end(&q->resp, &out))
        return AD_SEND_DONE;
    return asgi_write(q, &out, NULL, ASGI_OP_SEND);
}

/* A 103 with fields (a checked list), before the final head. */
static int send_hints(asgi_req *q, PyObject *list, const char *type)
{
    int k = asgi_fields_fill(list, &q->hint_fields, &q->hint_cap, 0);
    if (k < 0) {
        PyErr_NoMemory();
        return -1;
    }
    int verdict = ad_resp_hints_check(&q->resp, (uint32_t)k);
    if (verdict == AD_RESP_LATE) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s sent after the response head went out (103 Early Hints must precede "
                     "the final response: send them before the first body bytes)",
                     type);
        return -1;
    }
    if (verdict == AD_RESP_SKIP)
        return AD_SEND_DONE;
    ad_resp_out out;
    int rc = ad_resp_encode_hints(&q->resp, q->hint_fields, (uint32_t)k, &out);
    if (rc != TP_OK) {
        PyErr_Format(PyExc_ValueError, "%s: early hints not sendable: %s", type, tp_strerror(rc));
        return -1;
    }
    return asgi_write(q, &out, NULL, ASGI_OP_SEND);
}

static int on_early_hint(asgi_req *q, PyObject *msg)
{
    static const char *const t = "http.response.early_hint";
    int bad = 0;
    PyObject *links = field(msg, asgi_str_links, &bad);
    if (bad)
        return -1;
    PyObject *seq = links ? PySequence_Fast(links, "http.response.early_hint: 'links' must be "
                                                   "a list of bytes")
                          : PyList_New(0);
    if (seq == NULL)
        return -1;
    PyObject *pairs = PyList_New(0);
    for (Py_ssize_t i = 0; pairs && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *pair = Py_BuildValue("(yO)", "link", PySequence_Fast_GET_ITEM(seq, i));
        if (pair == NULL || PyList_Append(pairs, pair) != 0)
            Py_CLEAR(pairs);
        Py_XDECREF(pair);
    }
    Py_DECREF(seq);
    PyObject *list;
    uint64_t clen;
    int rc = pairs ? asgi_fields_check(pairs, ASGI_FIELDS_HINTS, &list, &clen) : -1;
    Py_XDECREF(pairs);
    if (rc != 0)
        return -1;
    rc = send_hints(q, list, t);
    Py_DECREF(list);
    return rc;
}

static int on_informational(asgi_req *q, PyObject *msg)
{
    static const char *const t = "http.response.informational";
    int bad = 0;
    PyObject *status = field(msg, asgi_str_status, &bad);
    if (bad)
        return -1;
    if (status == NULL || !PyLong_Check(status) || PyLong_AsLong(status) != 103) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError,
                         "%s: status must be 103 (the only interim response "
                         "an app sends; 100 Continue is the proxy's)",
                         t);
        return -1;
    }
    PyObject *headers = field(msg, asgi_str_headers, &bad);
    if (bad)
        return -1;
    PyObject *list;
    uint64_t clen;
    if (asgi_fields_check(headers, ASGI_FIELDS_HINTS, &list, &clen) != 0)
        return -1;
    int rc = send_hints(q, list, t);
    Py_DECREF(list);
    return rc;
}

static int open_regular(PyObject *path, struct stat *st)
{
    PyObject *enc;
    if (!PyUnicode_Check(path) || !PyUnicode_FSConverter(path, &enc)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError,
                         "http.response.pathsend: 'path' must be a str, not %.100s",
                         path ? Py_TYPE(path)->tp_name : "missing");
        return -1;
    }
    int fd = open(PyBytes_AS_STRING(enc), O_RDONLY | O_CLOEXEC);
    Py_DECREF(enc);
    if (fd < 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        PyErr_Format(PyExc_ValueError, "http.response.pathsend: %R is not a regular file", path);
        return -1;
    }
    return fd;
}

/* The body from a file, sent from C: Python never reads it (ad_file.c,
 * shared with WSGI's file_wrapper). */
static int on_pathsend(asgi_req *q, PyObject *msg)
{
    int bad = 0;
    if (check_body_order(q, "http.response.pathsend"))
        return -1;
    PyObject *path = field(msg, asgi_str_path, &bad);
    if (bad)
        return -1;
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0)
        return -1;
    if (q->filebuf == NULL && (q->filebuf = malloc(AD_FILE_BUF)) == NULL) {
        close(fd);
        PyErr_NoMemory();
        return -1;
    }
    q->body_done = 1;
    int rc = ad_file_begin(&q->file, &q->resp, fd, 0, (uint64_t)st.st_size, q->filebuf);
    if (rc < 0) {
        close(fd);
        return fail(PyExc_RuntimeError, "the response head could not be encoded (see the "
                                        "error log)");
    }
    if (rc == 0) {
        q->file.fd = fd;
        return file_done(q, AD_SEND_DONE);
    }
    q->op_kind = ASGI_OP_FILE;
    rc = ad_file_step(&q->file, q->s);
    return rc == AD_SEND_BLOCKED ? rc : file_done(q, rc);
}

/* ---- send() ---- */

static int dispatch(asgi_req *q, PyObject *msg, const char *t)
{
    if (q->ws)
        return asgi_ws_send(q, msg, t);
    if (strcmp(t, "http.response.body") == 0)
        return asgi_http_body(q, msg, t);
    if (strcmp(t, "http.response.start") == 0)
        return asgi_http_start(q, msg, t);
    if (strcmp(t, "http.response.trailers") == 0)
        return on_trailers(q, msg);
    if (strcmp(t, "http.response.early_hint") == 0)
        return on_early_hint(q, msg);
    if (strcmp(t, "http.response.informational") == 0)
        return on_informational(q, msg);
    if (strcmp(t, "http.response.pathsend") == 0)
        return on_pathsend(q, msg);
    PyErr_Format(PyExc_ValueError,
                 "send(): unknown message type '%s' for an http scope (expected "
                 "http.response.start, http.response.body, http.response.trailers, "
                 "http.response.early_hint, http.response.informational or "
                 "http.response.pathsend)",
                 t);
    return -1;
}

PyObject *asgi_gone_error(void)
{
    PyErr_SetString(asgi_client_gone, "client disconnected (the response was cancelled)");
    return NULL;
}

PyObject *asgi_send(asgi_req *q, PyObject *msg)
{
    if (!PyDict_Check(msg)) {
        PyErr_Format(PyExc_TypeError, "send() takes an ASGI message (a dict), not %.100s",
                     Py_TYPE(msg)->tp_name);
        return NULL;
    }
    PyObject *type = PyDict_GetItemWithError(msg, asgi_str_type);
    if (type == NULL || !PyUnicode_Check(type)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "send(): the message's 'type' must be a str, not %.100s",
                         type ? Py_TYPE(type)->tp_name : "missing");
        return NULL;
    }
    const char *t = PyUnicode_AsUTF8(type);
    if (t == NULL)
        return NULL;
    if (q->s == NULL) {
        PyErr_Format(PyExc_RuntimeError,
                     "send('%s') called after its request finished (the app's task returned)", t);
        return NULL;
    }
    if (q->op_kind != ASGI_OP_NONE)
        return PyErr_Format(PyExc_RuntimeError,
                            "send('%s') called while an earlier send() of this request still "
                            "waits for the client (await each one before the next)",
                            t);
    if (asgi_client_left(q)) {
        /* Closing what the client closed already is no mistake. */
        if (q->ws && strcmp(t, "websocket.close") == 0)
            return asgi_done_none();
        return asgi_gone_error();
    }
    int rc = dispatch(q, msg, t);
    if (rc < 0)
        return NULL;
    if (rc == AD_SEND_GONE)
        return asgi_gone_error();
    if (rc == AD_SEND_DONE)
        return asgi_done_none();
    q->send_fut = asgi_loop_create_future();
    return Py_XNewRef(q->send_fut);
}

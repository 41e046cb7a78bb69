/* wsgi_start.c: the start_response callable and the write() callable it
 * returns: status and header validation (PEP 3333, and the field rules of
 * common/tc_http; also used for 103 hints and trailers), exc_info semantics. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "ad_http.h"
#include "tc_http.h"
#include "tc_log.h"
#include "wsgi.h"

typedef struct {
    PyObject_HEAD
    ad_req *r;      /* NULL once the request finished */
} ad_SR;

/* Validates one header of a list of the given kind (AD_HDRS_*) and appends
 * a (name, value) tuple of str to list: 0, or -1 with an exception naming
 * the header.  Blanks around the value are stripped as Gunicorn does (HTTP/2
 * forbids them on the wire). */
static int add_header(PyObject *list, int kind, PyObject *item, PyObject *name, PyObject *value,
                      uint64_t *clen)
{
    static int hop_warned;
    const uint8_t *np, *vp;
    size_t nl, vl;
    int rc = ad_latin1_view(name, &np, &nl);
    if (rc == -1) {
        PyErr_Format(PyExc_TypeError, "header name must be str, not %.100s",
                     Py_TYPE(name)->tp_name);
        return -1;
    }
    if (kind == AD_HDRS_TRAILERS && rc == 0) {
        /* Refused, not dropped: a trailer the app counts on (grpc-status,
         * a checksum) must not vanish silently. */
        int v = tc_http_trailer_check(np, nl);
        if (v != TC_HTTP_TRL_OK) {
            PyErr_Format(PyExc_ValueError, "invalid trailer %R: %s", name, tc_http_trailer_why(v));
            return -1;
        }
    }
    if (rc == -2 || !tc_http_name_ok(np, nl)) {
        PyErr_Format(PyExc_ValueError, "invalid header name %R (must be an HTTP token)", name);
        return -1;
    }
    rc = ad_latin1_view(value, &vp, &vl);
    if (rc == -1) {
        PyErr_Format(PyExc_TypeError, "header %R: value must be str, not %.100s", name,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (rc == -2) {
        PyErr_Format(PyExc_ValueError, "header %R: value %R is not latin-1 encodable", name,
                     value);
        return -1;
    }
    /* Blanks around the value are not part of it (RFC 9110 5.5): stripped
     * before the check, which then sees the value as it will be sent. */
    const uint8_t *tp = vp;
    size_t tl = vl;
    tc_http_trim_ows(&tp, &tl);
    size_t lead = (size_t)(tp - vp), trail = vl - lead - tl;
    if (!tc_http_value_ok(tp, tl)) {
        PyErr_Format(PyExc_ValueError,
                     "header %R: value %R contains a control character (CR, LF, NUL...)", name,
                     value);
        return -1;
    }
    if (tc_http_hop_by_hop(np, nl)) {
        /* PEP 3333 forbids these; wsgiref asserts, but real apps set
         * "Connection: close", so they are dropped (the proxy owns the client
         * connection) with one warning per worker. */
        if (!hop_warned) {
            hop_warned = 1;
            tc_warn("dropping hop-by-hop response header %.*s (the proxy manages "
                    "connections; warned once per worker)", (int)nl, (const char *)np);
        }
        return 0;
    }
    if (tc_http_name_is(np, nl, "content-length")) {
        if (kind == AD_HDRS_HINTS) {
            /* RFC 9110 8.6: never in a 1xx response. */
            PyErr_Format(PyExc_ValueError, "header %R is not allowed in 103 Early Hints", name);
            return -1;
        }
        uint64_t v;
        if (tc_http_content_length(tp, tl, &v) != 0 || (*clen != AD_NO_LENGTH && *clen != v)) {
            PyErr_Format(PyExc_ValueError, "invalid Content-Length %R", value);
            return -1;
        }
        *clen = v;
    }
    PyObject *t;
    if (lead || trail) {
        PyObject *sv = PyUnicode_Substring(value, (Py_ssize_t)lead, (Py_ssize_t)(vl - trail));
        t = sv ? PyTuple_Pack(2, name, sv) : NULL;
        Py_XDECREF(sv);
    } else if (PyTuple_CheckExact(item) && PyUnicode_CheckExact(name) &&
               PyUnicode_CheckExact(value)) {
        Py_INCREF(item);   /* immutable all the way down: keep the app's tuple */
        t = item;
    } else {
        t = PyTuple_Pack(2, name, value);
    }
    if (t == NULL) return -1;
    rc = PyList_Append(list, t);
    Py_DECREF(t);
    return rc;
}

int ad_check_headers(PyObject *headers, int kind, PyObject **out, uint64_t *clen)
{
    PyObject *seq = PySequence_Fast(headers, "headers must be a list of (name, value) tuples");
    if (seq == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *list = PyList_New(0);
    if (list == NULL) goto fail;
    *clen = AD_NO_LENGTH;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *pair = NULL;
        if (!PyTuple_Check(item) && !PyUnicode_Check(item) && !PyBytes_Check(item)) {
            /* PEP 3333 says tuples; Gunicorn takes any pair, and so do we. */
            pair = PySequence_Tuple(item);
            if (pair == NULL) PyErr_Clear();
        }
        PyObject *tup = pair ? pair : item;
        if (!PyTuple_Check(tup) || PyTuple_GET_SIZE(tup) != 2) {
            Py_XDECREF(pair);
            PyErr_Format(PyExc_TypeError, "headers[%zd] must be a (name, value) tuple, not %.100s",
                         i, Py_TYPE(item)->tp_name);
            goto fail;
        }
        int rc = add_header(list, kind, tup, PyTuple_GET_ITEM(tup, 0), PyTuple_GET_ITEM(tup, 1),
                            clen);
        Py_XDECREF(pair);
        if (rc != 0) goto fail;
    }
    Py_DECREF(seq);
    *out = list;
    return 0;
fail:
    Py_XDECREF(list);
    Py_DECREF(seq);
    return -1;
}

static PyObject *sr_write(PyObject *self, PyObject *data);
static PyMethodDef write_def = {"write", sr_write, METH_O,
                                "write(bytes): send body bytes now (PEP 3333 write callable)"};

static PyObject *sr_call(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"status", "headers", "exc_info", NULL};
    PyObject *status, *headers, *exc_info = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O:start_response", kwlist, &status, &headers,
                                     &exc_info))
        return NULL;
    ad_req *r = ((ad_SR *)self)->r;
    if (r == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "start_response() called after its request finished");
        return NULL;
    }
    if (exc_info != Py_None) {
        if (r->head_sent) {
            /* Too late to change the response: re-raise (PEP 3333). */
            if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3) {
                PyErr_SetString(PyExc_TypeError, "exc_info must be a (type, value, traceback) tuple");
                return NULL;
            }
            PyObject *t = PyTuple_GET_ITEM(exc_info, 0), *v = PyTuple_GET_ITEM(exc_info, 1),
                     *tb = PyTuple_GET_ITEM(exc_info, 2);
            Py_INCREF(t);
            Py_INCREF(v);
            Py_INCREF(tb);
            PyErr_Restore(t, v, tb == Py_None ? (Py_DECREF(tb), NULL) : tb);
            return NULL;
        }
    } else if (r->started) {
        PyErr_SetString(PyExc_AssertionError,
                        "start_response() called a second time without exc_info (PEP 3333)");
        return NULL;
    }
    if (!PyUnicode_Check(status)) {
        PyErr_Format(PyExc_TypeError, "status must be str, not %.100s", Py_TYPE(status)->tp_name);
        return NULL;
    }
    Py_ssize_t sl;
    const char *sp = PyUnicode_AsUTF8AndSize(status, &sl);
    if (sp == NULL) return NULL;
    unsigned code;
    const char *why;
    if (ad_status_parse(sp, (size_t)sl, &code, &why) != 0) {
        PyErr_Format(PyExc_ValueError, "invalid status %R: %s", status, why);
        return NULL;
    }
    if (code < 200) {
        PyErr_Format(PyExc_ValueError, "invalid status %R: a final status must be 200..999 "
                                       "(1xx are sent by the server)", status);
        return NULL;
    }
    PyObject *list;
    uint64_t clen;
    if (ad_check_headers(headers, AD_HDRS_FINAL, &list, &clen) != 0) return NULL;
    Py_XSETREF(r->headers, list);
    r->status = code;
    r->content_length = clen;
    r->started = 1;
    return PyCFunction_New(&write_def, self);
}

int ad_body_view(PyObject *data, Py_buffer *view)
{
    if (PyUnicode_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "response body must be bytes, not str (encode it)");
        return -1;
    }
    return PyObject_GetBuffer(data, view, PyBUF_SIMPLE);
}

static PyObject *sr_write(PyObject *self, PyObject *data)
{
    ad_req *r = ((ad_SR *)self)->r;
    if (r == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "write() called after its request finished");
        return NULL;
    }
    if (!r->started) {
        PyErr_SetString(PyExc_AssertionError, "write() called before start_response()");
        return NULL;
    }
    Py_buffer view;
    if (ad_body_view(data, &view) != 0) return NULL;
    int rc = ad_req_send(r, view.buf, (size_t)view.len, 0);
    PyBuffer_Release(&view);
    if (rc != 0) {
        PyErr_SetString(ad_client_gone(), "client disconnected (response cancelled)");
        return NULL;
    }
    Py_RETURN_NONE;
}

PyTypeObject ad_StartResponseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tandem.StartResponse",
    .tp_basicsize = sizeof(ad_SR),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "start_response(status, headers, exc_info=None) -> write",
    .tp_call = sr_call,
};

/* The start_response object and the two callables bound to it are made
 * once and reused request after request, unless the app kept one of them
 * (r and the two callables hold the only references otherwise): an app that
 * stored one must find it unbound, not pointing at a later request. */
PyObject *ad_sr_for(ad_req *r)
{
    if (r->sr && (Py_REFCNT(r->sr) > 3 || Py_REFCNT(r->hints_fn) > 1 ||
                  Py_REFCNT(r->trailers_fn) > 1)) {
        Py_CLEAR(r->hints_fn);
        Py_CLEAR(r->trailers_fn);
        Py_CLEAR(r->sr);
    }
    if (r->sr == NULL) {
        if ((r->sr = PyType_GenericAlloc(&ad_StartResponseType, 0)) == NULL) return NULL;
        r->hints_fn = ad_ext_hints_new(r->sr);
        r->trailers_fn = ad_ext_trailers_new(r->sr);
        if (r->hints_fn == NULL || r->trailers_fn == NULL) {
            Py_CLEAR(r->hints_fn);
            Py_CLEAR(r->trailers_fn);
            Py_CLEAR(r->sr);
            return NULL;
        }
    }
    ((ad_SR *)r->sr)->r = r;
    return r->sr;
}

void ad_sr_unbind(PyObject *sr)
{
    if (sr) ((ad_SR *)sr)->r = NULL;
}

ad_req *ad_sr_req(PyObject *sr)
{
    return ((ad_SR *)sr)->r;
}

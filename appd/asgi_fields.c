/* asgi_fields.c: header field lists from ASGI messages (iterables of
 * [name, value] byte strings) checked by the rules WSGI's are (RFC 9110
 * tokens, no CR/LF/NUL, hop-by-hop fields dropped, trailers and 103 limits)
 * and pointed at by tp_header arrays without copying the bytes. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>

#include "asgi_int.h"
#include "tc_http.h"
#include "tc_log.h"

/* Checks one field, appending (name, value) to list: 0, 1 dropped, or -1. */
static int add_field(PyObject *list, int kind, Py_ssize_t i, PyObject *name, PyObject *value,
                     uint64_t *clen)
{
    static int hop_warned;
    if (!PyBytes_Check(name) || !PyBytes_Check(value)) {
        PyObject *bad = PyBytes_Check(name) ? value : name;
        PyErr_Format(PyExc_TypeError, "headers[%zd]: %s must be bytes, not %.100s", i,
                     bad == name ? "name" : "value", Py_TYPE(bad)->tp_name);
        return -1;
    }
    const uint8_t *np = (const uint8_t *)PyBytes_AS_STRING(name);
    size_t nl = (size_t)PyBytes_GET_SIZE(name);
    const uint8_t *vp = (const uint8_t *)PyBytes_AS_STRING(value);
    size_t vl = (size_t)PyBytes_GET_SIZE(value);
    if (kind == ASGI_FIELDS_TRAILERS) {
        int v = tc_http_trailer_check(np, nl);
        if (v != TC_HTTP_TRL_OK) {
            PyErr_Format(PyExc_ValueError, "invalid trailer %R: %s", name, tc_http_trailer_why(v));
            return -1;
        }
    }
    if (!tc_http_name_ok(np, nl)) {
        PyErr_Format(PyExc_ValueError, "invalid header name %R (must be an HTTP token)", name);
        return -1;
    }
    const uint8_t *tp = vp;
    size_t tl = vl;
    tc_http_trim_ows(&tp, &tl);
    if (!tc_http_value_ok(tp, tl)) {
        PyErr_Format(PyExc_ValueError,
                     "header %R: value %R contains a control character (CR, LF, NUL...)", name,
                     value);
        return -1;
    }
    if (tc_http_hop_by_hop(np, nl)) {
        if (!hop_warned) {
            hop_warned = 1;
            tc_warn("dropping hop-by-hop response header %.*s (the proxy manages "
                    "connections; warned once per worker)",
                    (int)nl, (const char *)np);
        }
        return 1;
    }
    if (tc_http_name_is(np, nl, "content-length")) {
        uint64_t v;
        if (kind == ASGI_FIELDS_HINTS) {
            PyErr_Format(PyExc_ValueError, "header %R is not allowed in 103 Early Hints", name);
            return -1;
        }
        if (tc_http_content_length(tp, tl, &v) != 0 || (*clen != AD_RESP_NO_LENGTH && *clen != v)) {
            PyErr_Format(PyExc_ValueError, "invalid Content-Length %R", value);
            return -1;
        }
        *clen = v;
    }
    PyObject *sv =
        tl == vl ? Py_NewRef(value) : PyBytes_FromStringAndSize((const char *)tp, (Py_ssize_t)tl);
    PyObject *t = sv ? PyTuple_Pack(2, name, sv) : NULL;
    Py_XDECREF(sv);
    int rc = t ? PyList_Append(list, t) : -1;
    Py_XDECREF(t);
    return rc;
}

int asgi_fields_check(PyObject *headers, int kind, PyObject **out, uint64_t *clen)
{
    *clen = AD_RESP_NO_LENGTH;
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return -1;
    if (headers == NULL || headers == Py_None) {
        *out = list;
        return 0;
    }
    PyObject *seq = PySequence_Fast(headers, "headers must be an iterable of [name, value] pairs");
    if (seq == NULL)
        goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *pair = PyBytes_Check(item) || PyUnicode_Check(item)
                             ? NULL
                             : PySequence_Fast(item, "header is not a pair");
        if (pair == NULL || PySequence_Fast_GET_SIZE(pair) != 2) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "headers[%zd] must be a [name, value] pair of bytes, not %.100s", i,
                         Py_TYPE(item)->tp_name);
            Py_XDECREF(pair);
            Py_DECREF(seq);
            goto fail;
        }
        int rc = add_field(list, kind, i, PySequence_Fast_GET_ITEM(pair, 0),
                           PySequence_Fast_GET_ITEM(pair, 1), clen);
        Py_DECREF(pair);
        if (rc < 0) {
            Py_DECREF(seq);
            goto fail;
        }
    }
    Py_DECREF(seq);
    *out = list;
    return 0;
fail:
    Py_DECREF(list);
    return -1;
}

int asgi_fields_fill(PyObject *list, tp_header **arr, uint32_t *cap, uint32_t spare)
{
    Py_ssize_t n = list ? PyList_GET_SIZE(list) : 0;
    uint32_t need = (uint32_t)n + spare;
    if (need == 0)
        need = 1;
    if (*cap < need) {
        tp_header *t = realloc(*arr, need * sizeof *t);
        if (t == NULL)
            return -1;
        *arr = t;
        *cap = need;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(list, i);
        PyObject *nm = PyTuple_GET_ITEM(t, 0), *v = PyTuple_GET_ITEM(t, 1);
        (*arr)[i].name =
            (tp_str){ (const uint8_t *)PyBytes_AS_STRING(nm), (uint32_t)PyBytes_GET_SIZE(nm) };
        (*arr)[i].value =
            (tp_str){ (const uint8_t *)PyBytes_AS_STRING(v), (uint32_t)PyBytes_GET_SIZE(v) };
    }
    return (int)n;
}

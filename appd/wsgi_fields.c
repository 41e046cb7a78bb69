/* wsgi_fields.c: header field lists between Python and the wire: checking
 * the (name, value) lists an app gives start_response, wsgi.early_hints and
 * send_trailers (PEP 3333, RFC 9110 tokens, no CR/LF/NUL), and pointing
 * tp_header arrays at their latin-1 bytes without copying. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>

#include "ad_pyfields.h"
#include "wsgi_req.h"

/* A str whose characters are all < 256: its UCS1 buffer *is* the latin-1
 * encoding, so headers are sent from the str objects without encoding. */
int wsgi_fields_latin1(PyObject *o, const uint8_t **p, size_t *n)
{
    if (!PyUnicode_Check(o))
        return -1;
    if (PyUnicode_READY(o) != 0) { /* legacy strings from old C extensions */
        PyErr_Clear();
        return -2;
    }
    if (PyUnicode_KIND(o) != PyUnicode_1BYTE_KIND)
        return -2;
    *p = PyUnicode_1BYTE_DATA(o);
    *n = (size_t)PyUnicode_GET_LENGTH(o);
    return 0;
}

/* Validates one header of a list of the given kind (WSGI_FIELDS_*) and appends
 * a (name, value) tuple of str to list: 0, or -1 with an exception naming
 * the header.  Blanks around the value are stripped as Gunicorn does (HTTP/2
 * forbids them on the wire). */
static int add_header(PyObject *list, int kind, PyObject *item, PyObject *name, PyObject *value,
                      uint64_t *clen)
{
    const uint8_t *np, *vp;
    size_t nl = 0, vl = 0;
    int rc = wsgi_fields_latin1(name, &np, &nl);
    if (rc == -1) {
        PyErr_Format(PyExc_TypeError, "header name must be str, not %.100s",
                     Py_TYPE(name)->tp_name);
        return -1;
    }
    if (ad_pyfields_name(name, rc == 0 ? np : NULL, nl, kind == WSGI_FIELDS_TRAILERS) != 0)
        return -1;
    rc = wsgi_fields_latin1(value, &vp, &vl);
    if (rc == -1) {
        PyErr_Format(PyExc_TypeError, "header %R: value must be str, not %.100s", name,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (rc == -2) {
        PyErr_Format(PyExc_ValueError, "header %R: value %R is not latin-1 encodable", name, value);
        return -1;
    }
    const uint8_t *tp;
    size_t tl;
    rc = ad_pyfields_value(name, value, np, nl, vp, vl, kind == WSGI_FIELDS_HINTS, &tp, &tl, clen);
    if (rc != AD_PYFIELD_KEEP)
        return rc < 0 ? -1 : 0; /* an error, or a field dropped */
    size_t lead = (size_t)(tp - vp), trail = vl - lead - tl;
    PyObject *t;
    if (lead || trail) {
        PyObject *sv = PyUnicode_Substring(value, (Py_ssize_t)lead, (Py_ssize_t)(vl - trail));
        t = sv ? PyTuple_Pack(2, name, sv) : NULL;
        Py_XDECREF(sv);
    } else if (PyTuple_CheckExact(item) && PyUnicode_CheckExact(name) &&
               PyUnicode_CheckExact(value)) {
        Py_INCREF(item); /* immutable all the way down: keep the app's tuple */
        t = item;
    } else {
        t = PyTuple_Pack(2, name, value);
    }
    if (t == NULL)
        return -1;
    rc = PyList_Append(list, t);
    Py_DECREF(t);
    return rc;
}

int wsgi_fields_check(PyObject *headers, int kind, PyObject **out, uint64_t *clen)
{
    /* A tuple snapshot, not the app's list: converting an item can run
     * Python code (another thread, a __iter__) that shrinks the list under
     * a length read once. */
    PyObject *seq = PySequence_Tuple(headers);
    if (seq == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "headers must be a list of (name, value) tuples");
        }
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *list = PyList_New(0);
    if (list == NULL)
        goto fail;
    *clen = WSGI_NO_LENGTH;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *pair = NULL;
        if (!PyTuple_Check(item) && !PyUnicode_Check(item) && !PyBytes_Check(item)) {
            /* PEP 3333 says tuples; Gunicorn takes any pair, and so do we. */
            pair = PySequence_Tuple(item);
            if (pair == NULL)
                PyErr_Clear();
        }
        PyObject *tup = pair ? pair : item;
        if (!PyTuple_Check(tup) || PyTuple_GET_SIZE(tup) != 2) {
            Py_XDECREF(pair);
            PyErr_Format(PyExc_TypeError, "headers[%zd] must be a (name, value) tuple, not %.100s",
                         i, Py_TYPE(item)->tp_name);
            goto fail;
        }
        int rc =
            add_header(list, kind, tup, PyTuple_GET_ITEM(tup, 0), PyTuple_GET_ITEM(tup, 1), clen);
        Py_XDECREF(pair);
        if (rc != 0)
            goto fail;
    }
    Py_DECREF(seq);
    *out = list;
    return 0;
fail:
    Py_XDECREF(list);
    Py_DECREF(seq);
    return -1;
}

/* Points (*arr)[0..] at the latin-1 bytes of a checked field list (no
 * copies; valid while list lives), growing *arr to hold the fields plus
 * spare more.  Returns the count, or -1 when out of memory. */
int wsgi_fields_fill(PyObject *list, tp_header **arr, uint32_t *cap, uint32_t spare)
{
    Py_ssize_t n = list ? PyList_GET_SIZE(list) : 0;
    uint32_t need = (uint32_t)n + spare;
    if (*cap < need) {
        tp_header *t = realloc(*arr, need * sizeof *t);
        if (t == NULL)
            return -1;
        *arr = t;
        *cap = need;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(list, i);
        size_t nl, vl;
        const uint8_t *np, *vp;
        wsgi_fields_latin1(PyTuple_GET_ITEM(t, 0), &np, &nl);
        wsgi_fields_latin1(PyTuple_GET_ITEM(t, 1), &vp, &vl);
        (*arr)[i].name = (tp_str){ np, (uint32_t)nl };
        (*arr)[i].value = (tp_str){ vp, (uint32_t)vl };
    }
    return (int)n;
}

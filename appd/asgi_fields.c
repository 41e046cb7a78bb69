/* asgi_fields.c: header field lists from ASGI messages (iterables of
 * [name, value] byte strings) checked by the rules WSGI's are (RFC 9110
 * tokens, no CR/LF/NUL, hop-by-hop fields dropped, trailers and 103 limits)
 * and pointed at by tp_header arrays without copying the bytes. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>

#include "ad_pyfields.h"
#include "asgi_int.h"

/* Checks one field, appending (name, value) to list: 0, 1 dropped, or -1. */
static int add_field(PyObject *list, int kind, Py_ssize_t i, PyObject *name, PyObject *value,
                     uint64_t *clen)
{
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
    if (ad_pyfields_name(name, np, nl, kind == ASGI_FIELDS_TRAILERS) != 0)
        return -1;
    const uint8_t *tp;
    size_t tl;
    int rule =
        ad_pyfields_value(name, value, np, nl, vp, vl, kind == ASGI_FIELDS_HINTS, &tp, &tl, clen);
    if (rule != AD_PYFIELD_KEEP)
        return rule; /* -1, or 1: dropped */
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

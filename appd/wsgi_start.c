/* wsgi_start.c: the start_response callable and the write() callable it
 * returns: the status line, the header list (checked in wsgi_fields.c), and
 * exc_info semantics (PEP 3333). */
#include "config.h"

#include <Python.h>

#include "ad_http.h"
#include "wsgi_req.h"

typedef struct {
    PyObject_HEAD wsgi_req *r; /* NULL once the request finished */
} wsgi_SR;

static PyObject *sr_write(PyObject *self, PyObject *data);
static PyMethodDef write_def = { "write", sr_write, METH_O,
                                 "write(bytes): send body bytes now (PEP 3333 write callable)" };

static PyObject *sr_call(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "status", "headers", "exc_info", NULL };
    PyObject *status, *headers, *exc_info = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O:start_response", kwlist, &status, &headers,
                                     &exc_info))
        return NULL;
    wsgi_req *r = ((wsgi_SR *)self)->r;
    if (r == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "start_response() called after its request finished");
        return NULL;
    }
    if (exc_info != Py_None) {
        if (r->resp.head_sent) {
            /* Too late to change the response: re-raise (PEP 3333). */
            if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3) {
                PyErr_SetString(PyExc_TypeError,
                                "exc_info must be a (type, value, traceback) tuple");
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
    if (sp == NULL)
        return NULL;
    unsigned code;
    const char *why;
    if (ad_status_parse(sp, (size_t)sl, &code, &why) != 0) {
        PyErr_Format(PyExc_ValueError, "invalid status %R: %s", status, why);
        return NULL;
    }
    if (code < 200) {
        PyErr_Format(PyExc_ValueError,
                     "invalid status %R: a final status must be 200..999 "
                     "(1xx are sent by the server)",
                     status);
        return NULL;
    }
    PyObject *list;
    uint64_t clen;
    if (wsgi_fields_check(headers, WSGI_FIELDS_FINAL, &list, &clen) != 0)
        return NULL;
    int k = wsgi_fields_fill(list, &r->head_fields, &r->head_cap, 1);
    if (k < 0) {
        Py_DECREF(list);
        return PyErr_NoMemory();
    }
    /* The rules point at the new list's strings before the old list (which
     * the old array pointed into) is dropped. */
    ad_resp_set_head(&r->resp, code, clen, r->head_fields, (uint32_t)k);
    Py_XSETREF(r->headers, list);
    r->started = 1;
    return PyCFunction_New(&write_def, self);
}

static PyObject *sr_write(PyObject *self, PyObject *data)
{
    wsgi_req *r = ((wsgi_SR *)self)->r;
    if (r == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "write() called after its request finished");
        return NULL;
    }
    if (!r->started) {
        PyErr_SetString(PyExc_AssertionError, "write() called before start_response()");
        return NULL;
    }
    Py_buffer view;
    if (wsgi_response_body_view(data, &view) != 0)
        return NULL;
    int rc = wsgi_response_send(r, view.buf, (size_t)view.len, 0);
    PyBuffer_Release(&view);
    if (rc != 0) {
        PyErr_SetString(WSGI_CLIENT_GONE, "client disconnected (response cancelled)");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyTypeObject wsgi_StartResponseType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tandem.StartResponse",
    .tp_basicsize = sizeof(wsgi_SR),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "start_response(status, headers, exc_info=None) -> write",
    .tp_call = sr_call,
};

/* The start_response object and the two callables bound to it are made
 * once and reused request after request, unless the app kept one of them
 * (r and the two callables hold the only references otherwise): an app that
 * stored one must find it unbound, not pointing at a later request. */
PyObject *wsgi_start_for(wsgi_req *r)
{
    if (r->sr &&
        (Py_REFCNT(r->sr) > 3 || Py_REFCNT(r->hints_fn) > 1 || Py_REFCNT(r->trailers_fn) > 1)) {
        Py_CLEAR(r->hints_fn);
        Py_CLEAR(r->trailers_fn);
        Py_CLEAR(r->sr);
    }
    if (r->sr == NULL) {
        if ((r->sr = PyType_GenericAlloc(&wsgi_StartResponseType, 0)) == NULL)
            return NULL;
        r->hints_fn = wsgi_ext_hints_new(r->sr);
        r->trailers_fn = wsgi_ext_trailers_new(r->sr);
        if (r->hints_fn == NULL || r->trailers_fn == NULL) {
            Py_CLEAR(r->hints_fn);
            Py_CLEAR(r->trailers_fn);
            Py_CLEAR(r->sr);
            return NULL;
        }
    }
    ((wsgi_SR *)r->sr)->r = r;
    return r->sr;
}

void wsgi_start_unbind(PyObject *sr)
{
    if (sr)
        ((wsgi_SR *)sr)->r = NULL;
}

wsgi_req *wsgi_start_req(PyObject *sr) { return ((wsgi_SR *)sr)->r; }

int wsgi_start_init(void) { return PyType_Ready(&wsgi_StartResponseType); }

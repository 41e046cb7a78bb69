/* wsgi_errors.c: wsgi.errors, a text stream into the error log.  Writes go
 * out raw (no log prefix), like Gunicorn's errorlog stream, one write(2) per
 * call so lines from threads and workers do not interleave mid-call. */
#include "config.h"

#include <Python.h>

#include "ad_python.h"
#include "wsgi_req.h"

typedef struct {
    PyObject_HEAD
} wsgi_Errors;

static PyObject *errors_write(PyObject *self, PyObject *arg)
{
    Py_ssize_t n;
    const char *p;
    if (PyUnicode_Check(arg)) {
        p = PyUnicode_AsUTF8AndSize(arg, &n);
        if (p == NULL)
            return NULL;
    } else if (PyBytes_Check(arg)) {
        /* Not text, but common enough in the wild to accept. */
        p = PyBytes_AS_STRING(arg);
        n = PyBytes_GET_SIZE(arg);
    } else {
        PyErr_Format(PyExc_TypeError, "wsgi.errors.write() argument must be str, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    ad_python_log_raw(p, (size_t)n);
    return PyLong_FromSsize_t(n);
}

static PyObject *errors_writelines(PyObject *self, PyObject *seq)
{
    PyObject *it = PyObject_GetIter(seq);
    if (it == NULL)
        return NULL;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *r = errors_write(self, item);
        Py_DECREF(item);
        if (r == NULL) {
            Py_DECREF(it);
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *errors_flush(PyObject *self, PyObject *unused)
{
    Py_RETURN_NONE; /* every write is already a write(2) */
}

static PyMethodDef errors_methods[] = {
    { "write", errors_write, METH_O, "write(str) -> int: append to the error log" },
    { "writelines", errors_writelines, METH_O, "writelines(iterable of str)" },
    { "flush", errors_flush, METH_NOARGS, "no-op: writes are unbuffered" },
    { NULL, NULL, 0, NULL },
};

static PyTypeObject wsgi_ErrorsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tandem.ErrorStream",
    .tp_basicsize = sizeof(wsgi_Errors),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "wsgi.errors: text written here goes to tandem-appd's error log",
    .tp_methods = errors_methods,
};

PyObject *wsgi_errors_new(void)
{
    if (PyType_Ready(&wsgi_ErrorsType) != 0)
        return NULL;
    return PyType_GenericAlloc(&wsgi_ErrorsType, 0);
}

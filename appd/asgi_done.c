/* asgi_done.c: an awaitable that is complete when it is made.  receive()
 * and send() return one when they need not wait (the body bytes are there,
 * the frame went out): awaiting it suspends nothing and allocates no
 * future, so a request whose body and response fit the windows never
 * round-trips through the event loop.  When they must wait they return an
 * asyncio Future of the loop instead, completed from C (asgi_resolve);
 * receive()'s choice between the two, for both scopes, is made here. */
#include "config.h"

#include <Python.h>

#include "asgi_int.h"

typedef struct {
    PyObject_HEAD PyObject *value;
} asgi_Done;

static PyObject *done_none;

static void done_dealloc(PyObject *self)
{
    Py_XDECREF(((asgi_Done *)self)->value);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *done_await(PyObject *self)
{
    Py_INCREF(self);
    return self;
}

/* The first step of the await ends it: StopIteration carries the value (an
 * instance, so a tuple value is not taken for constructor arguments). */
static PyObject *done_next(PyObject *self)
{
    PyObject *v = ((asgi_Done *)self)->value;
    if (v == Py_None) {
        PyErr_SetNone(PyExc_StopIteration);
        return NULL;
    }
    PyObject *e = PyObject_CallOneArg(PyExc_StopIteration, v);
    if (e != NULL) {
        PyErr_SetObject(PyExc_StopIteration, e);
        Py_DECREF(e);
    }
    return NULL;
}

static PyObject *done_send(PyObject *self, PyObject *arg)
{
    (void)arg;
    return done_next(self);
}

static PyObject *done_throw(PyObject *self, PyObject *args)
{
    PyObject *type, *value = NULL, *tb = NULL;
    if (!PyArg_UnpackTuple(args, "throw", 1, 3, &type, &value, &tb))
        return NULL;
    if (PyExceptionInstance_Check(type)) {
        PyErr_SetObject((PyObject *)Py_TYPE(type), type);
    } else {
        PyErr_SetObject(type, value);
    }
    return NULL;
}

static PyObject *done_close(PyObject *self, PyObject *unused) { Py_RETURN_NONE; }

static PyMethodDef done_methods[] = {
    { "send", done_send, METH_O, NULL },
    { "throw", done_throw, METH_VARARGS, NULL },
    { "close", done_close, METH_NOARGS, NULL },
    { NULL, NULL, 0, NULL },
};

static PyAsyncMethods done_async = { .am_await = done_await };

static PyTypeObject asgi_DoneType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tandem.Done",
    .tp_basicsize = sizeof(asgi_Done),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "an awaitable that is already complete (receive() and send() that need not wait)",
    .tp_dealloc = done_dealloc,
    .tp_as_async = &done_async,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = done_next,
    .tp_methods = done_methods,
};

PyObject *asgi_done_new(PyObject *value)
{
    if (value == NULL)
        return NULL;
    asgi_Done *d = PyObject_New(asgi_Done, &asgi_DoneType);
    if (d == NULL) {
        Py_DECREF(value);
        return NULL;
    }
    d->value = value;
    return (PyObject *)d;
}

PyObject *asgi_receive_await(asgi_req *q, asgi_next_msg next, const char *what)
{
    if (q->recv_fut) {
        PyErr_Format(PyExc_RuntimeError,
                     "receive() called while an earlier receive() of this %s is still "
                     "waiting (await each one before the next)",
                     what);
        return NULL;
    }
    PyObject *msg = next(q);
    if (msg)
        return asgi_done_new(msg);
    if (PyErr_Occurred())
        return NULL;
    q->recv_fut = asgi_loop_create_future();
    return Py_XNewRef(q->recv_fut);
}

void asgi_receive_settle(asgi_req *q, asgi_next_msg next)
{
    if (q->recv_fut == NULL)
        return;
    PyObject *msg = next(q);
    if (msg) {
        asgi_resolve(&q->recv_fut, msg, NULL);
        Py_DECREF(msg);
    } else if (PyErr_Occurred()) {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        asgi_resolve(&q->recv_fut, NULL, v);
        Py_XDECREF(t);
        Py_XDECREF(v);
        Py_XDECREF(tb);
    }
}

/* Stateless, so one object serves every send() that completed at once. */
PyObject *asgi_done_none(void)
{
    Py_INCREF(done_none);
    return done_none;
}

int asgi_done_init(void)
{
    if (PyType_Ready(&asgi_DoneType) != 0)
        return -1;
    Py_INCREF(Py_None);
    done_none = asgi_done_new(Py_None);
    return done_none ? 0 : -1;
}

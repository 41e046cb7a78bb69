/* wsgi_input.c: wsgi.input, the request body as a file-like object reading
 * straight from the stream's buffer as REQUEST_DATA arrives.  Bytes are
 * copied once, from the stream buffer into the bytes object returned; while
 * waiting for the client the GIL is released. */
#include "config.h"

#include <Python.h>

#include "ad_stream.h"
#include "wsgi_req.h"

typedef struct {
    PyObject_HEAD ad_stream *s; /* NULL once its request finished */
    uint32_t gen;               /* s->gen while s serves this request */
    uint64_t length;            /* Content-Length, or WSGI_NO_LENGTH: sizes buffers */
    uint64_t consumed;
} wsgi_Input;

/* read(size) and readline(size): blocks until size bytes (or a newline when
 * nl), the end of the body, or a reset (ConnectionResetError). */
static PyObject *read_impl(wsgi_Input *self, Py_ssize_t size, int nl)
{
    ad_stream *s = self->s;
    if (s == NULL) {
        PyErr_SetString(PyExc_ValueError, "wsgi.input used after its request finished");
        return NULL;
    }
    /* A WebSocket request has no body: its stream stays open only for the
     * messages that would follow a 101, which WSGI never sends. */
    if (s->req.flags & TP_REQ_WEBSOCKET)
        return PyBytes_FromStringAndSize(NULL, 0);
    size_t hint;
    if (nl)
        hint = 256;
    else if (self->length != WSGI_NO_LENGTH)
        hint = self->length > self->consumed ? (size_t)(self->length - self->consumed) : 0;
    else
        hint = 65536;
    if (hint > 16u * 1024 * 1024)
        hint = 16u * 1024 * 1024; /* a lying length costs nothing */
    size_t alloc = size >= 0 && (size_t)size < hint ? (size_t)size : hint;
    PyObject *buf = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)alloc);
    if (buf == NULL)
        return NULL;
    size_t got = 0;
    for (;;) {
        if (got == alloc) {
            if (size >= 0 && got == (size_t)size)
                break;
            size_t grow = alloc < 4096 ? 4096 : alloc * 2;
            if (size >= 0 && grow > (size_t)size)
                grow = (size_t)size;
            if (_PyBytes_Resize(&buf, (Py_ssize_t)grow) != 0)
                return NULL;
            alloc = grow;
        }
        int st;
        size_t n =
            ad_stream_body_take(s, (uint8_t *)PyBytes_AS_STRING(buf) + got, alloc - got, nl, &st);
        got += n;
        self->consumed += n;
        if (st == AD_RD_NL || st == AD_RD_EOF)
            break;
        if (st == AD_RD_RESET) {
            Py_DECREF(buf);
            PyErr_SetString(WSGI_CLIENT_GONE, "client disconnected (request body cancelled)");
            return NULL;
        }
        if (n > 0)
            continue;
        wsgi_wait->body_wait(s, self->gen);
        if (self->s != s) {
            /* Its request finished while we waited (another thread of the
             * app read on): the pooled stream may now be another request's. */
            Py_DECREF(buf);
            PyErr_SetString(PyExc_ValueError, "wsgi.input used after its request finished");
            return NULL;
        }
    }
    if (got != alloc && _PyBytes_Resize(&buf, (Py_ssize_t)got) != 0)
        return NULL;
    return buf;
}

static int size_arg(PyObject *const *args, Py_ssize_t nargs, const char *fn, Py_ssize_t *out)
{
    *out = -1;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most 1 argument (%zd given)", fn, nargs);
        return -1;
    }
    if (nargs == 0 || args[0] == Py_None)
        return 0;
    Py_ssize_t v = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = v < 0 ? -1 : v;
    return 0;
}

static PyObject *input_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t size;
    if (size_arg(args, nargs, "read", &size) != 0)
        return NULL;
    if (size == 0)
        return PyBytes_FromStringAndSize(NULL, 0);
    return read_impl((wsgi_Input *)self, size, 0);
}

static PyObject *input_readline(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t size;
    if (size_arg(args, nargs, "readline", &size) != 0)
        return NULL;
    if (size == 0)
        return PyBytes_FromStringAndSize(NULL, 0);
    return read_impl((wsgi_Input *)self, size, 1);
}

static PyObject *input_readlines(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t hint;
    if (size_arg(args, nargs, "readlines", &hint) != 0)
        return NULL;
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    Py_ssize_t total = 0;
    for (;;) {
        PyObject *line = read_impl((wsgi_Input *)self, -1, 1);
        if (line == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        Py_ssize_t n = PyBytes_GET_SIZE(line);
        if (n == 0) {
            Py_DECREF(line);
            break;
        }
        int rc = PyList_Append(list, line);
        Py_DECREF(line);
        if (rc != 0) {
            Py_DECREF(list);
            return NULL;
        }
        total += n;
        if (hint > 0 && total >= hint)
            break;
    }
    return list;
}

static PyObject *input_iternext(PyObject *self)
{
    PyObject *line = read_impl((wsgi_Input *)self, -1, 1);
    if (line && PyBytes_GET_SIZE(line) == 0) {
        Py_DECREF(line);
        return NULL; /* StopIteration */
    }
    return line;
}

static PyMethodDef input_methods[] = {
    { "read", (PyCFunction)(void (*)(void))input_read, METH_FASTCALL,
      "read(size=-1) -> bytes: up to size bytes, all that is left when size < 0" },
    { "readline", (PyCFunction)(void (*)(void))input_readline, METH_FASTCALL,
      "readline(size=-1) -> bytes: one line, at most size bytes" },
    { "readlines", (PyCFunction)(void (*)(void))input_readlines, METH_FASTCALL,
      "readlines(hint=-1) -> list of lines" },
    { NULL, NULL, 0, NULL },
};

static PyTypeObject wsgi_InputType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tandem.Input",
    .tp_basicsize = sizeof(wsgi_Input),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "wsgi.input: the request body, read as it arrives from the proxy",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = input_iternext,
    .tp_methods = input_methods,
};

int wsgi_input_init(void) { return PyType_Ready(&wsgi_InputType); }

PyObject *wsgi_input_for(wsgi_req *r)
{
    if (r->input && Py_REFCNT(r->input) > 1)
        Py_CLEAR(r->input); /* the app kept it */
    if (r->input == NULL) {
        r->input = PyType_GenericAlloc(&wsgi_InputType, 0);
        if (r->input == NULL)
            return NULL;
    }
    wsgi_Input *in = (wsgi_Input *)r->input;
    in->s = r->s;
    in->gen = r->s->gen;
    in->consumed = 0;
    in->length =
        r->s->req.content_length == TP_LENGTH_UNKNOWN ? WSGI_NO_LENGTH : r->s->req.content_length;
    Py_INCREF(r->input);
    return r->input;
}

void wsgi_input_unbind(PyObject *input)
{
    if (input)
        ((wsgi_Input *)input)->s = NULL;
}

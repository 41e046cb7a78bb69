/* wsgi_file.c: wsgi.file_wrapper.  Iterating it reads the file-like in
 * Python (any object with read()); when the app returns one around a regular
 * file, the server instead pread(2)s the file descriptor in C without the GIL
 * and sends the bytes as RESPONSE_DATA under flow control.  (pread, not
 * sendfile: frame headers must interleave with the bytes and a frame must go
 * out whole, so one copy through a buffer is the simple, bounded choice.) */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wsgi_req.h"

#define AD_FILEBUF (256u * 1024u)

static PyObject *str_close, *str_fileno, *str_tell;

typedef struct {
    PyObject_HEAD PyObject *filelike;
    Py_ssize_t blksize;
} wsgi_FileWrapper;

static int fw_init(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "filelike", "block_size", NULL };
    wsgi_FileWrapper *fw = (wsgi_FileWrapper *)self;
    PyObject *f;
    Py_ssize_t bs = 8192;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|n:FileWrapper", kwlist, &f, &bs))
        return -1;
    Py_INCREF(f);
    Py_XSETREF(fw->filelike, f);
    fw->blksize = bs > 0 ? bs : 8192;
    return 0;
}

static void fw_dealloc(PyObject *self)
{
    Py_XDECREF(((wsgi_FileWrapper *)self)->filelike);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *fw_next(PyObject *self)
{
    wsgi_FileWrapper *fw = (wsgi_FileWrapper *)self;
    if (fw->filelike == NULL)
        return NULL;
    PyObject *data = PyObject_CallMethod(fw->filelike, "read", "n", fw->blksize);
    if (data == NULL)
        return NULL;
    if (PyObject_IsTrue(data) != 1) {
        Py_DECREF(data);
        return NULL;
    }
    return data;
}

static PyObject *fw_close(PyObject *self, PyObject *unused)
{
    wsgi_FileWrapper *fw = (wsgi_FileWrapper *)self;
    if (fw->filelike && PyObject_HasAttr(fw->filelike, str_close))
        return PyObject_CallMethodNoArgs(fw->filelike, str_close);
    Py_RETURN_NONE;
}

static PyMethodDef fw_methods[] = {
    { "close", fw_close, METH_NOARGS, "close the wrapped file" },
    { NULL, NULL, 0, NULL },
};

PyTypeObject wsgi_FileWrapperType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tandem.FileWrapper",
    .tp_basicsize = sizeof(wsgi_FileWrapper),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "wsgi.file_wrapper(filelike, block_size=8192): regular files are sent by the "
              "server without passing through Python",
    .tp_new = PyType_GenericNew,
    .tp_init = fw_init,
    .tp_dealloc = fw_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = fw_next,
    .tp_methods = fw_methods,
};

/* A FileWrapper around a regular file: read with pread(2) from its current
 * position, without the GIL, straight into RESPONSE_DATA.  1 = not
 * applicable (iterate instead), 0 = sent, -2 = client gone. */
int wsgi_file_send(wsgi_req *r, PyObject *wrapper)
{
    wsgi_FileWrapper *fw = (wsgi_FileWrapper *)wrapper;
    if (!r->started || r->resp.done || fw->filelike == NULL)
        return 1;
    PyObject *o = PyObject_CallMethodNoArgs(fw->filelike, str_fileno);
    long fd = o ? PyLong_AsLong(o) : -1;
    Py_XDECREF(o);
    struct stat st;
    if (fd < 0 || fstat((int)fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        PyErr_Clear();
        return 1;
    }
    /* tell() is the logical position of a buffered file; lseek the raw one. */
    off_t off = -1;
    o = PyObject_CallMethodNoArgs(fw->filelike, str_tell);
    if (o)
        off = (off_t)PyLong_AsLongLong(o);
    Py_XDECREF(o);
    if (off < 0) {
        PyErr_Clear();
        off = lseek((int)fd, 0, SEEK_CUR);
        if (off < 0)
            return 1;
    }
    uint64_t size = st.st_size > off ? (uint64_t)(st.st_size - off) : 0;
    int ends;
    uint64_t n = ad_resp_file_span(&r->resp, size, &ends);
    if (n == 0)
        return 0; /* finish() sends the head */
    if (r->filebuf == NULL && (r->filebuf = malloc(AD_FILEBUF)) == NULL)
        return 1;

    const uint8_t *pre = NULL;
    size_t prelen = 0;
    if (!r->resp.head_sent) {
        if (ad_resp_encode_head(&r->resp, 0) != 0)
            return 1;
        pre = r->resp.frames.data;
        prelen = r->resp.frames.len;
    }
    int head_out = prelen != 0;
    ad_stream *s = r->s;
    uint8_t *buf = r->filebuf;
    uint64_t left = n;
    int gone = 0;
    Py_BEGIN_ALLOW_THREADS while (left > 0)
    {
        size_t want = left < AD_FILEBUF ? (size_t)left : AD_FILEBUF;
        ssize_t k = pread((int)fd, buf, want, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break; /* file shrank: finish() reports the shortfall */
        off += k;
        left -= (uint64_t)k;
        ad_send op = { pre, prelen, buf, (size_t)k, left == 0 && ends, NULL, 0, 0 };
        if (ad_stream_send(s, &op) != 0) {
            gone = 1;
            break;
        }
        pre = NULL;
        prelen = 0;
    }
    Py_END_ALLOW_THREADS if (prelen) head_out = 0; /* nothing read: still owe the head */
    ad_resp_file_sent(&r->resp, n - left, head_out, !gone && left == 0 && ends);
    if (gone) {
        ad_resp_abort(&r->resp);
        return -2;
    }
    return 0;
}

int wsgi_file_init(void)
{
    str_close = PyUnicode_InternFromString("close");
    str_fileno = PyUnicode_InternFromString("fileno");
    str_tell = PyUnicode_InternFromString("tell");
    if (str_close == NULL || str_fileno == NULL || str_tell == NULL)
        return -1;
    return PyType_Ready(&wsgi_FileWrapperType);
}

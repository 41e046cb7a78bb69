/* wsgi_file.c: wsgi.file_wrapper.  Iterating it reads the file-like in
 * Python (any object with read()); when the app returns one around a regular
 * file, the server instead sends the file descriptor from C without the GIL
 * (ad_file.c, shared with ASGI's http.response.pathsend). */
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ad_file.h"
#include "wsgi_req.h"

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
    if (r->filebuf == NULL && (r->filebuf = malloc(AD_FILE_BUF)) == NULL)
        return 1;
    ad_file_send f;
    int rc = ad_file_begin(&f, &r->resp, (int)fd, off, size, r->filebuf);
    if (rc <= 0)
        return rc == 0 ? 0 : 1; /* nothing to send: finish() sends the head */
    ad_stream *s = r->s;
    if (wsgi_wait->green) {
        while ((rc = ad_file_step(&f, s)) == AD_SEND_BLOCKED)
            wsgi_wait->send_wait(s, &f.op);
    } else {
        /* pread and the waits both run without the GIL */
        Py_BEGIN_ALLOW_THREADS while ((rc = ad_file_step(&f, s)) == AD_SEND_BLOCKED)
            ad_stream_send_wait(s, &f.op);
        Py_END_ALLOW_THREADS
    }
    ad_file_end(&f, &r->resp, rc == AD_SEND_GONE);
    return rc == AD_SEND_GONE ? -2 : 0;
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

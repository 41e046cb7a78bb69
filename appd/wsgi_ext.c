/* wsgi_ext.c: the environ callables beyond PEP 3333, under Gunicorn's names
 * so apps move over unchanged: wsgi.early_hints (103) and
 * gunicorn.http2.send_trailers (a TRAILERS frame that ends the stream). */
#include "config.h"

#include <Python.h>

#include "ad_conn.h"
#include "ad_http.h"
#include "wsgi_req.h"

static PyObject *key_hints, *key_trailers;

int wsgi_ext_init(void)
{
    key_hints = PyUnicode_InternFromString("wsgi.early_hints");
    key_trailers = PyUnicode_InternFromString("gunicorn.http2.send_trailers");
    return key_hints && key_trailers ? 0 : -1;
}

/* ---- wsgi.early_hints ---- */

/* environ["wsgi.early_hints"](headers): one 103 response per call, before
 * the final one.  Validated like start_response's headers (plus: no
 * Content-Length in a 1xx).  A call once the head is out is an app bug and
 * raises: a 103 after the final head would be a malformed response.  When
 * the client cannot take 1xx (HTTP/1.0) the call does nothing, as in
 * Gunicorn, so apps need not check the protocol. */
static PyObject *early_hints(PyObject *self, PyObject *headers)
{
    wsgi_req *r = wsgi_start_req(self);
    if (r == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "wsgi.early_hints called after its request finished");
        return NULL;
    }
    PyObject *list;
    uint64_t clen;
    if (wsgi_fields_check(headers, WSGI_FIELDS_HINTS, &list, &clen) != 0) return NULL;
    if (r->head_sent || r->finishing) {
        Py_DECREF(list);
        PyErr_SetString(PyExc_RuntimeError,
                        "wsgi.early_hints called after the response head was sent "
                        "(103 Early Hints must precede the final response)");
        return NULL;
    }
    if (r->done || !(r->s->req.flags & TP_REQ_EARLY_HINTS) || PyList_GET_SIZE(list) == 0) {
        Py_DECREF(list);
        Py_RETURN_NONE;
    }
    int k = wsgi_fields_fill(list, &r->th, &r->th_cap, 0);
    tp_response_head head = {103, (uint32_t)(k < 0 ? 0 : k), r->th};
    r->scratch.len = 0;
    int rc = k < 0 ? TP_E_NOMEM
             : tp_response_head_size(TP_FRAME_RESPONSE_INFO, &head) > r->s->conn->peer_max_frame
                 ? TP_E_TOO_BIG
                 : tp_encode_response_info(&r->scratch, r->s->id, &head);
    if (rc != TP_OK) {
        Py_DECREF(list);
        PyErr_Format(PyExc_ValueError, "early hints not sendable: %s", tp_strerror(rc));
        return NULL;
    }
    ad_send op = {r->scratch.data, r->scratch.len, NULL, 0, 0, NULL, 0, 0};
    rc = wsgi_response_write(r, &op);
    Py_DECREF(list);   /* only now: th pointed into its strings */
    if (rc != 0) {
        PyErr_SetString(WSGI_CLIENT_GONE, "client disconnected (response cancelled)");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ---- gunicorn.http2.send_trailers ---- */

int wsgi_ext_has_trailers(const wsgi_req *r)
{
    return r->trailers_ok && r->trailers && PyList_GET_SIZE(r->trailers) > 0 && !r->is_head &&
           ad_status_has_body(r->status);
}

int wsgi_ext_encode_trailers(wsgi_req *r)
{
    int k = wsgi_fields_fill(r->trailers, &r->th, &r->th_cap, 0);
    if (k < 0) return TP_E_NOMEM;
    tp_response_head h = {0, (uint32_t)k, r->th};
    if (tp_response_head_size(TP_FRAME_TRAILERS, &h) > r->s->conn->peer_max_frame)
        return TP_E_TOO_BIG;
    return tp_encode_trailers(&r->scratch, r->s->id, (uint32_t)k, r->th);
}

/* environ["gunicorn.http2.send_trailers"](headers): queues trailer fields;
 * they leave as one TRAILERS frame ending the stream once the result
 * iterable is exhausted (Gunicorn queues them the same way).  Calls add up.
 * Every call validates, on every protocol, so a bad field fails in testing
 * with any client; fields the client cannot receive (HTTP/1.x without
 * "TE: trailers") are then dropped here rather than by the proxy.  close()
 * runs after the stream ended, so a call from there raises. */
static PyObject *send_trailers(PyObject *self, PyObject *headers)
{
    wsgi_req *r = wsgi_start_req(self);
    if (r == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "gunicorn.http2.send_trailers called after its request finished");
        return NULL;
    }
    PyObject *list;
    uint64_t clen;
    if (wsgi_fields_check(headers, WSGI_FIELDS_TRAILERS, &list, &clen) != 0) return NULL;
    if (r->finishing) {
        Py_DECREF(list);
        PyErr_SetString(PyExc_RuntimeError,
                        "gunicorn.http2.send_trailers called after the response was complete "
                        "(call it before the result iterable is exhausted, e.g. after the last "
                        "yield; close() is too late)");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (!r->trailers_ok || n == 0) {
        Py_DECREF(list);
        Py_RETURN_NONE;
    }
    if (r->trailers == NULL) {
        r->trailers = list;
    } else {
        Py_ssize_t had = PyList_GET_SIZE(r->trailers);
        int rc = PyList_SetSlice(r->trailers, had, had, list);
        Py_DECREF(list);
        if (rc != 0) return NULL;
    }
    /* Refuse what the proxy could not take now, while the app can still act
     * on the error, rather than resetting the stream at its end. */
    int k = wsgi_fields_fill(r->trailers, &r->th, &r->th_cap, 0);
    tp_response_head h = {0, (uint32_t)(k < 0 ? 0 : k), r->th};
    uint64_t size = tp_response_head_size(TP_FRAME_TRAILERS, &h);
    if (k < 0 || size > r->s->conn->peer_max_frame) {
        Py_ssize_t total = PyList_GET_SIZE(r->trailers);
        if (PyList_SetSlice(r->trailers, total - n, total, NULL) != 0) return NULL;
        if (k < 0) return PyErr_NoMemory();
        PyErr_Format(PyExc_ValueError,
                     "trailers too large: %llu bytes encoded, the proxy accepts at most %u",
                     (unsigned long long)size, r->s->conn->peer_max_frame);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef hints_def = {"early_hints", early_hints, METH_O,
                                "early_hints([(name, value), ...]): send 103 Early Hints now"};
static PyMethodDef trailers_def = {
    "send_trailers", send_trailers, METH_O,
    "send_trailers([(name, value), ...]): trailer fields sent after the body"};

PyObject *wsgi_ext_hints_new(PyObject *sr)
{
    return PyCFunction_New(&hints_def, sr);
}

PyObject *wsgi_ext_trailers_new(PyObject *sr)
{
    return PyCFunction_New(&trailers_def, sr);
}

int wsgi_ext_set(wsgi_req *r, PyObject *env)
{
    if (PyDict_SetItem(env, key_hints, r->hints_fn) != 0) return -1;
    return PyDict_SetItem(env, key_trailers, r->trailers_fn);
}

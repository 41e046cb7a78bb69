/* wsgi_ext.c: the environ callables beyond PEP 3333, under Gunicorn's names
 * so apps move over unchanged: wsgi.early_hints (103) and
 * gunicorn.http2.send_trailers (a TRAILERS frame that ends the stream). */
#include "config.h"

#include <Python.h>

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
/* One 103 from a checked field list, under the send lock: 0, or -1 with
 * an exception set. */
static int send_hints(wsgi_req *r, PyObject *list)
{
    int verdict = ad_resp_hints_check(&r->resp, (uint32_t)PyList_GET_SIZE(list));
    if (verdict == AD_RESP_LATE) {
        PyErr_SetString(PyExc_RuntimeError,
                        "wsgi.early_hints called after the response head was sent "
                        "(103 Early Hints must precede the final response)");
        return -1;
    }
    if (verdict == AD_RESP_SKIP)
        return 0;
    int k = wsgi_fields_fill(list, &r->hint_fields, &r->hint_cap, 0);
    ad_resp_out out;
    int rc = k < 0 ? TP_E_NOMEM : ad_resp_encode_hints(&r->resp, r->hint_fields, (uint32_t)k, &out);
    if (rc != TP_OK) {
        PyErr_Format(PyExc_ValueError, "early hints not sendable: %s", tp_strerror(rc));
        return -1;
    }
    ad_send op = { .pre = out.pre, .prelen = out.prelen };
    if (wsgi_response_write(r, &op) != 0) {
        PyErr_SetString(WSGI_CLIENT_GONE, "client disconnected (response cancelled)");
        return -1;
    }
    return 0;
}

static PyObject *early_hints(PyObject *self, PyObject *headers)
{
    wsgi_req *r = wsgi_start_req(self);
    if (r == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "wsgi.early_hints called after its request finished");
        return NULL;
    }
    PyObject *list;
    uint64_t clen;
    if (wsgi_fields_check(headers, WSGI_FIELDS_HINTS, &list, &clen) != 0)
        return NULL;
    /* Another app thread may be sending on this response: the rules, the
     * shared field array and the frame are this call's alone meanwhile. */
    wsgi_send_lock(r);
    int rc = send_hints(r, list);
    wsgi_send_unlock(r);
    Py_DECREF(list); /* only now: the frame was encoded from its strings */
    return rc == 0 ? Py_NewRef(Py_None) : NULL;
}

/* ---- gunicorn.http2.send_trailers ---- */

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
    if (wsgi_fields_check(headers, WSGI_FIELDS_TRAILERS, &list, &clen) != 0)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    int verdict = ad_resp_trailers_check(&r->resp, (uint32_t)n);
    if (verdict == AD_RESP_LATE) {
        Py_DECREF(list);
        PyErr_SetString(PyExc_RuntimeError,
                        "gunicorn.http2.send_trailers called after the response was complete "
                        "(call it before the result iterable is exhausted, e.g. after the last "
                        "yield; close() is too late)");
        return NULL;
    }
    if (verdict == AD_RESP_SKIP) {
        Py_DECREF(list);
        Py_RETURN_NONE;
    }
    if (r->trailers == NULL) {
        r->trailers = list;
    } else {
        Py_ssize_t had = PyList_GET_SIZE(r->trailers);
        int rc = PyList_SetSlice(r->trailers, had, had, list);
        Py_DECREF(list);
        if (rc != 0)
            return NULL;
    }
    /* Refuse what the proxy could not take now, while the app can still act
     * on the error, rather than resetting the stream at its end. */
    int k = wsgi_fields_fill(r->trailers, &r->trailer_fields, &r->trailer_cap, 0);
    uint64_t size = 0;
    if (k < 0 || !ad_resp_trailers_fit(&r->resp, r->trailer_fields, (uint32_t)k, &size)) {
        Py_ssize_t total = PyList_GET_SIZE(r->trailers);
        int cut = PyList_SetSlice(r->trailers, total - n, total, NULL);
        /* The array may have moved: point the rules at what is still queued. */
        k = wsgi_fields_fill(r->trailers, &r->trailer_fields, &r->trailer_cap, 0);
        ad_resp_set_trailers(&r->resp, r->trailer_fields, k < 0 ? 0 : (uint32_t)k);
        if (cut != 0)
            return NULL;
        if (size == 0)
            return PyErr_NoMemory();
        PyErr_Format(PyExc_ValueError,
                     "trailers too large: %llu bytes encoded, the proxy accepts at most %u",
                     (unsigned long long)size, r->resp.max_frame);
        return NULL;
    }
    ad_resp_set_trailers(&r->resp, r->trailer_fields, (uint32_t)k);
    Py_RETURN_NONE;
}

static PyMethodDef hints_def = { "early_hints", early_hints, METH_O,
                                 "early_hints([(name, value), ...]): send 103 Early Hints now" };
static PyMethodDef trailers_def = {
    "send_trailers", send_trailers, METH_O,
    "send_trailers([(name, value), ...]): trailer fields sent after the body"
};

PyObject *wsgi_ext_hints_new(PyObject *sr) { return PyCFunction_New(&hints_def, sr); }

PyObject *wsgi_ext_trailers_new(PyObject *sr) { return PyCFunction_New(&trailers_def, sr); }

int wsgi_ext_set(wsgi_req *r, PyObject *env)
{
    if (PyDict_SetItem(env, key_hints, r->hints_fn) != 0)
        return -1;
    return PyDict_SetItem(env, key_trailers, r->trailers_fn);
}

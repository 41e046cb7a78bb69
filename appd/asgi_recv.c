/* asgi_recv.c: receive() for the HTTP scope: http.request messages with the
 * body as it arrives (each taking what the stream holds, so the app's pace
 * drives the credit the proxy gets back and a large upload is never held
 * whole), then http.disconnect once the client has gone or the response is
 * complete.  The bytes are copied once, from the stream's buffer into the
 * message's bytes object. */
#include "config.h"

#include <Python.h>

#include "asgi_int.h"

static PyObject *disconnect_msg(void)
{
    PyObject *d = PyDict_New();
    if (d && PyDict_SetItem(d, asgi_str_type, asgi_str_http_disconnect) != 0)
        Py_CLEAR(d);
    return d;
}

static PyObject *request_msg(PyObject *body, int more)
{
    PyObject *d = body ? PyDict_New() : NULL;
    if (d == NULL || PyDict_SetItem(d, asgi_str_type, asgi_str_http_request) ||
        PyDict_SetItem(d, asgi_str_body, body) ||
        PyDict_SetItem(d, asgi_str_more_body, more ? Py_True : Py_False))
        Py_CLEAR(d);
    Py_XDECREF(body);
    return d;
}

/* The message receive() returns now: a new reference; NULL with no
 * exception when it must wait; NULL with one on failure. */
static PyObject *next_message(asgi_req *q)
{
    ad_stream *s = q->s;
    if (s == NULL || ad_stream_is_cancelled(s))
        return disconnect_msg();
    if (q->req_done)
        return q->resp.done ? disconnect_msg() : NULL;
    size_t avail;
    int st = ad_stream_body_state(s, &avail);
    if (st == AD_RD_EOF) {
        q->req_done = 1;
        return request_msg(PyBytes_FromStringAndSize(NULL, 0), 0);
    }
    if (avail == 0)
        return NULL;
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)avail);
    if (b == NULL)
        return NULL;
    size_t n = ad_stream_body_take(s, (uint8_t *)PyBytes_AS_STRING(b), avail, 0, &st);
    if (st == AD_RD_RESET) {
        Py_DECREF(b);
        return disconnect_msg();
    }
    if (n != avail && _PyBytes_Resize(&b, (Py_ssize_t)n) != 0)
        return NULL;
    if (st == AD_RD_EOF)
        q->req_done = 1;
    return request_msg(b, st != AD_RD_EOF);
}

PyObject *asgi_receive(asgi_req *q)
{
    if (q->ws)
        return asgi_ws_receive(q);
    return asgi_receive_await(q, next_message, "request");
}

void asgi_recv_progress(asgi_req *q)
{
    if (q->ws)
        asgi_ws_recv_progress(q);
    else
        asgi_receive_settle(q, next_message);
}

/* asgi_ws.c: the websocket scope (tandem-protocol(7) WEBSOCKETS): the proxy
 * owns RFC 6455 (handshake, framing, pings, close handshake), so the
 * worker sees whole messages and close codes.  receive() gives
 * websocket.connect at once, a websocket.receive per message (text when
 * its frames carry TEXT), then websocket.disconnect with the proxy's
 * WS_CLOSE code (1006 when the client vanished); send() takes
 * websocket.accept (a RESPONSE_HEAD 101 with the chosen subprotocol and the
 * app's fields), websocket.send (one message, DATA frames under flow
 * control, MESSAGE_END on the last), websocket.close (a WS_CLOSE after the
 * accept, a 403 before it), and websocket.http.response.start/body (a
 * denial with a body, through the HTTP response rules). */
#define PY_SSIZE_T_CLEAN
#include "config.h"

#include <Python.h>

#include <string.h>

#include "asgi_int.h"
#include "tc_log.h"

static PyObject *type_msg(const char *type) { return Py_BuildValue("{s:s}", "type", type); }

static PyObject *disconnect_msg(int code, const uint8_t *reason, size_t n)
{
    return Py_BuildValue("{s:s,s:i,s:s#}", "type", "websocket.disconnect", "code", code, "reason",
                         (const char *)reason, (Py_ssize_t)n);
}

/* A whole message, taken from the stream: websocket.receive. */
static PyObject *message(ad_stream *s, size_t len, int text)
{
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
    if (b == NULL)
        return NULL;
    ad_stream_ws_take(s, (uint8_t *)PyBytes_AS_STRING(b), len);
    PyObject *v = b;
    if (text) {
        /* The proxy checked it is UTF-8. */
        v = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(b), (Py_ssize_t)len, "surrogateescape");
        Py_DECREF(b);
        if (v == NULL)
            return NULL;
    }
    PyObject *m =
        Py_BuildValue("{s:s,s:O}", "type", "websocket.receive", text ? "text" : "bytes", v);
    Py_DECREF(v);
    return m;
}

/* The message receive() gives now: new reference; NULL without an
 * exception to wait. */
static PyObject *next_message(asgi_req *q)
{
    ad_stream *s = q->s;
    if (s == NULL)
        return disconnect_msg(1006, NULL, 0);
    if (q->ws_state == ASGI_WS_CONNECTING) {
        q->ws_state = ASGI_WS_HANDSHAKE;
        return type_msg("websocket.connect");
    }
    size_t len = 0;
    int text = 0;
    switch (ad_stream_ws_next(s, &len, &text)) {
    case AD_WS_MSG: return message(s, len, text);
    case AD_WS_CLOSED: return disconnect_msg(s->ws_code, s->ws_reason, s->ws_reason_len);
    case AD_WS_RESET: return disconnect_msg(1006, NULL, 0);
    default: break;
    }
    /* A denial is over once its response is. */
    if (q->ws_state == ASGI_WS_DENIED && q->resp.done)
        return disconnect_msg(1006, NULL, 0);
    return NULL;
}

PyObject *asgi_ws_receive(asgi_req *q) { return asgi_receive_await(q, next_message, "WebSocket"); }

void asgi_ws_recv_progress(asgi_req *q) { asgi_receive_settle(q, next_message); }

int asgi_client_left(asgi_req *q)
{
    if (q->s == NULL || ad_stream_is_cancelled(q->s))
        return 1;
    return q->ws && q->ws_state == ASGI_WS_ACCEPTED && q->s->ws_closed;
}

/* ---- send() ---- */

static PyObject *field(PyObject *msg, const char *key, int *bad)
{
    PyObject *v = PyDict_GetItemString(msg, key);
    (void)bad;
    return v == Py_None ? NULL : v;
}

static int before_answer(asgi_req *q, const char *t)
{
    if (q->ws_state == ASGI_WS_CONNECTING || q->ws_state == ASGI_WS_HANDSHAKE)
        return 0;
    PyErr_Format(PyExc_RuntimeError, "%s sent after the WebSocket was %s", t,
                 q->ws_state == ASGI_WS_DENIED ? "denied" : "accepted");
    return -1;
}

/* websocket.accept: the 101, with the subprotocol and the app's fields. */
static int on_accept(asgi_req *q, PyObject *msg)
{
    static const char *const t = "websocket.accept";
    int bad = 0;
    if (before_answer(q, t))
        return -1;
    PyObject *sub = field(msg, "subprotocol", &bad);
    if (sub && !PyUnicode_Check(sub)) {
        PyErr_Format(PyExc_TypeError, "%s: 'subprotocol' must be a str or None, not %.100s", t,
                     Py_TYPE(sub)->tp_name);
        return -1;
    }
    PyObject *list;
    uint64_t clen;
    if (asgi_fields_check(field(msg, "headers", &bad), ASGI_FIELDS_FINAL, &list, &clen) != 0)
        return -1;
    if (sub) {
        PyObject *enc = PyUnicode_AsUTF8String(sub);
        PyObject *pair = enc ? Py_BuildValue("(yO)", "sec-websocket-protocol", enc) : NULL;
        int rc = pair ? PyList_Append(list, pair) : -1;
        Py_XDECREF(pair);
        Py_XDECREF(enc);
        if (rc != 0) {
            Py_DECREF(list);
            return -1;
        }
    }
    int k = asgi_fields_fill(list, &q->head_fields, &q->head_cap, 0);
    tp_response_head head = { 101, (uint32_t)(k < 0 ? 0 : k), q->head_fields };
    q->resp.frames.len = 0;
    int rc = k < 0 ? TP_E_NOMEM : tp_encode_response_head(&q->resp.frames, q->s->id, 0, &head);
    Py_XSETREF(q->head_list, list);
    if (rc != TP_OK) {
        PyErr_Format(PyExc_ValueError, "%s: the 101 is not sendable: %s", t, tp_strerror(rc));
        return -1;
    }
    q->ws_state = ASGI_WS_ACCEPTED;
    q->started = 1;
    q->resp.head_sent = 1; /* from now on an app error resets the stream (1011) */
    ad_send op = { .pre = q->resp.frames.data, .prelen = q->resp.frames.len };
    return asgi_write_op(q, &op, NULL, ASGI_OP_SEND);
}

/* websocket.send: one message, text or bytes. */
static int on_send(asgi_req *q, PyObject *msg)
{
    static const char *const t = "websocket.send";
    int bad = 0;
    if (q->ws_state != ASGI_WS_ACCEPTED) {
        PyErr_Format(PyExc_RuntimeError, "%s sent %s", t,
                     q->ws_state == ASGI_WS_CLOSED ? "after websocket.close"
                                                   : "before websocket.accept");
        return -1;
    }
    PyObject *b = field(msg, "bytes", &bad), *x = field(msg, "text", &bad);
    if ((b == NULL) == (x == NULL)) {
        PyErr_Format(PyExc_ValueError, "%s: give exactly one of 'bytes' and 'text'", t);
        return -1;
    }
    const char *p;
    Py_ssize_t n;
    if (x) {
        if (!PyUnicode_Check(x)) {
            PyErr_Format(PyExc_TypeError, "%s: 'text' must be a str, not %.100s", t,
                         Py_TYPE(x)->tp_name);
            return -1;
        }
        if ((p = PyUnicode_AsUTF8AndSize(x, &n)) == NULL)
            return -1;
    } else {
        if (!PyBytes_Check(b)) {
            PyErr_Format(PyExc_TypeError, "%s: 'bytes' must be bytes, not %.100s", t,
                         Py_TYPE(b)->tp_name);
            return -1;
        }
        p = PyBytes_AS_STRING(b);
        n = PyBytes_GET_SIZE(b);
    }
    ad_send op = { .data = (const uint8_t *)p,
                   .len = (size_t)n,
                   .flags = x ? TP_FLAG_TEXT : 0,
                   .last_flags = TP_FLAG_MESSAGE_END };
    return asgi_write_op(q, &op, x ? x : b, ASGI_OP_SEND);
}

/* A 403 with no body: the close before the accept. */
static int deny(asgi_req *q)
{
    q->ws_state = ASGI_WS_DENIED;
    q->started = q->body_done = 1;
    if (asgi_fields_fill(NULL, &q->head_fields, &q->head_cap, 1) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    ad_resp_set_head(&q->resp, 403, AD_RESP_NO_LENGTH, q->head_fields, 0);
    ad_resp_known_rest(&q->resp, 0);
    ad_resp_out out;
    if (!ad_resp_end(&q->resp, &out))
        return AD_SEND_DONE;
    return asgi_write(q, &out, NULL, ASGI_OP_SEND);
}

static int on_close(asgi_req *q, PyObject *msg)
{
    static const char *const t = "websocket.close";
    int bad = 0;
    PyObject *code = field(msg, "code", &bad), *reason = field(msg, "reason", &bad);
    long c = 1000;
    if (code) {
        if (!PyLong_Check(code) || PyBool_Check(code)) {
            PyErr_Format(PyExc_TypeError, "%s: 'code' must be an int, not %.100s", t,
                         Py_TYPE(code)->tp_name);
            return -1;
        }
        c = PyLong_AsLong(code);
    }
    const char *r = "";
    Py_ssize_t rn = 0;
    if (reason &&
        (!PyUnicode_Check(reason) || (r = PyUnicode_AsUTF8AndSize(reason, &rn)) == NULL)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s: 'reason' must be a str, not %.100s", t,
                         Py_TYPE(reason)->tp_name);
        return -1;
    }
    if (c < 1000 || c > 4999 || rn > (Py_ssize_t)TP_WS_REASON_MAX) {
        PyErr_Format(PyExc_ValueError,
                     "%s: code %ld out of 1000..4999, or reason over %u bytes of UTF-8", t, c,
                     TP_WS_REASON_MAX);
        return -1;
    }
    if (q->ws_state == ASGI_WS_CONNECTING || q->ws_state == ASGI_WS_HANDSHAKE)
        return deny(q);
    if (q->ws_state != ASGI_WS_ACCEPTED) {
        PyErr_Format(PyExc_RuntimeError, "%s sent a second time, or after a denial", t);
        return -1;
    }
    q->ws_state = ASGI_WS_CLOSED;
    int rc = ad_stream_ws_close(q->s, (uint16_t)c, (const uint8_t *)r, (uint32_t)rn);
    ad_resp_abort(&q->resp); /* our direction is over */
    return rc;
}

int asgi_ws_send(asgi_req *q, PyObject *msg, const char *t)
{
    if (strcmp(t, "websocket.send") == 0)
        return on_send(q, msg);
    if (strcmp(t, "websocket.accept") == 0)
        return on_accept(q, msg);
    if (strcmp(t, "websocket.close") == 0)
        return on_close(q, msg);
    if (strcmp(t, "websocket.http.response.start") == 0) {
        if (before_answer(q, t))
            return -1;
        q->ws_state = ASGI_WS_DENIED;
        return asgi_http_start(q, msg, t);
    }
    if (strcmp(t, "websocket.http.response.body") == 0) {
        if (q->ws_state != ASGI_WS_DENIED) {
            PyErr_Format(PyExc_RuntimeError, "%s sent before websocket.http.response.start", t);
            return -1;
        }
        return asgi_http_body(q, msg, t);
    }
    PyErr_Format(PyExc_ValueError,
                 "send(): unknown message type '%s' for a websocket scope (expected "
                 "websocket.accept, websocket.send, websocket.close, "
                 "websocket.http.response.start or websocket.http.response.body)",
                 t);
    return -1;
}

int asgi_ws_conclude(asgi_req *q, int failed)
{
    if (q->ws_state == ASGI_WS_ACCEPTED && !failed) {
        /* The app returned without closing: a normal close for the client. */
        q->ws_state = ASGI_WS_CLOSED;
        ad_stream_ws_close(q->s, 1000, NULL, 0);
        ad_resp_abort(&q->resp);
        return 1;
    }
    if (q->ws_state == ASGI_WS_CLOSED)
        return 1;
    if (q->ws_state != ASGI_WS_DENIED && !failed) {
        char d[256];
        tc_error("%s: the ASGI app returned without accepting or closing the WebSocket",
                 ad_resp_desc(&q->resp, d, sizeof d));
    }
    return 0;
}

/* asgi_int.h: what the asgi_*.c files share: the per-request object (one
 * Python object per stream, bound to the app's receive and send), the
 * interned names, and each file's entry points.  Loop thread, GIL held. */
#ifndef TANDEM_ASGI_INT_H
#define TANDEM_ASGI_INT_H

#include <Python.h>

#include "ad_file.h"
#include "ad_response.h"
#include "ad_settings.h"
#include "ad_stream.h"
#include "asgi.h"

/* A websocket scope's progress. */
enum {
    ASGI_WS_CONNECTING = 0, /* websocket.connect not yet received */
    ASGI_WS_HANDSHAKE,      /* connected, neither accepted nor denied */
    ASGI_WS_ACCEPTED,       /* our 101 is out: messages flow */
    ASGI_WS_CLOSED,         /* our WS_CLOSE is out */
    ASGI_WS_DENIED,         /* answered with an HTTP response (403, websocket.http.response) */
};

/* What the request's one write in progress is for. */
enum { ASGI_OP_NONE = 0, ASGI_OP_SEND, ASGI_OP_FILE, ASGI_OP_FINAL };

typedef struct asgi_req {
    PyObject_HEAD ad_stream *s; /* NULL once the request finished */
    ad_resp resp;               /* the response rules' state */
    struct asgi_req *ev_next;   /* asgi_event's list (a reference while listed) */
    int ev_listed;
    PyObject *task;     /* the app's task */
    PyObject *recv_fut; /* a receive() waiting for the client, or NULL */
    PyObject *send_fut; /* a send() waiting for the client, or NULL */
    PyObject *grace;    /* the disconnect grace timer, or NULL */
    PyObject *receive_fn, *send_fn;
    /* progress */
    int started;       /* http.response.start received */
    int body_done;     /* more_body was False (or pathsend) */
    int want_trailers; /* start said trailers: True */
    int trailers_done; /* more_trailers was False */
    int req_done;      /* the request body's end went to the app */
    int finished;      /* the task is done */
    int ws;            /* a websocket scope: ws_state is its progress */
    int ws_state;      /* ASGI_WS_* */
    /* the server hooks around the request (ad_hooks.h) */
    int answered_500;     /* the server's 500 replaced the app's response */
    PyObject *hook_req;   /* pre_request's req, or NULL when no hook wants one */
    PyObject *hook_scope; /* post_request's environ; NULL when pre_request raised
                           * (then resp is None, as in Gunicorn) */
    /* the write in progress (one at a time: send() waits for it) */
    int op_kind;
    ad_send op;
    ad_resp_out out;
    PyObject *op_obj; /* keeps op.data alive */
    ad_file_send file;
    uint8_t *filebuf;
    /* the app's field lists: the bytes objects stay referenced while the
     * rules point at them */
    PyObject *head_list;
    tp_header *head_fields;
    uint32_t head_cap;
    PyObject *trailer_list;
    tp_header *trailer_fields;
    uint32_t trailer_cap;
    tp_header *hint_fields;
    uint32_t hint_cap;
} asgi_req;

/* Interned strings and shared objects (asgi_req.c). */
extern PyObject *asgi_str_type, *asgi_str_body, *asgi_str_more_body, *asgi_str_headers,
    *asgi_str_status, *asgi_str_trailers, *asgi_str_more_trailers, *asgi_str_links, *asgi_str_path,
    *asgi_str_http_request, *asgi_str_http_disconnect;
extern PyObject *asgi_client_gone; /* the ClientDisconnected exception type */

/* asgi_glue.c: the Python side that runs once per worker. */
int asgi_glue_init(const ad_settings *s, PyObject *app, PyObject **loop, PyObject **app3,
                   PyObject **state);
void asgi_glue_shutdown(void);

/* asgi_scope.c */
int asgi_scope_init(const ad_settings *s);
/* The HTTP scope of s's request: a new dict, or NULL with an exception. */
PyObject *asgi_scope_build(ad_stream *s, PyObject *state); /* websocket too */

/* asgi_done.c: awaitables that are already complete. */
int asgi_done_init(void);
PyObject *asgi_done_new(PyObject *value); /* steals value */
PyObject *asgi_done_none(void);           /* new reference */
/* The message receive() gives now (a new reference); NULL without an
 * exception to wait, NULL with one on failure. */
typedef PyObject *(*asgi_next_msg)(asgi_req *q);
/* receive() of either scope (what: "request", "WebSocket"): next(q)'s
 * message as an awaitable already complete, or else a future of the loop
 * in q->recv_fut that asgi_receive_settle completes; NULL with an
 * exception (a second receive() while one waits, a failure). */
PyObject *asgi_receive_await(asgi_req *q, asgi_next_msg next, const char *what);
/* While a receive() waits: completes its future with next(q)'s message,
 * or with the exception next raised; otherwise it goes on waiting. */
void asgi_receive_settle(asgi_req *q, asgi_next_msg next);

/* asgi_recv.c: receive() */
PyObject *asgi_receive(asgi_req *q);
/* Completes a waiting receive() when the client's news allows it. */
void asgi_recv_progress(asgi_req *q);

/* asgi_send.c: send() and the write in progress */
PyObject *asgi_send(asgi_req *q, PyObject *msg);
/* Starts writing out (one step of the rules) for kind, keeping obj alive
 * while the write lasts: AD_SEND_DONE, AD_SEND_BLOCKED (asgi_write_resume
 * goes on after the next event) or AD_SEND_GONE. */
int asgi_write(asgi_req *q, const ad_resp_out *out, PyObject *obj, int kind);
int asgi_write_resume(asgi_req *q);
/* The same for a write that is not a step of the response rules (a
 * WebSocket's 101 or message). */
int asgi_write_op(asgi_req *q, const ad_send *op, PyObject *obj, int kind);
/* http.response.start and http.response.body (also websocket.http.response.*):
 * AD_SEND_* or -1 with an exception. */
int asgi_http_start(asgi_req *q, PyObject *msg, const char *type);
int asgi_http_body(asgi_req *q, PyObject *msg, const char *type);
PyObject *asgi_gone_error(void); /* raises ClientDisconnected: NULL */

/* asgi_ws.c: the websocket scope's receive() and send() */
PyObject *asgi_ws_receive(asgi_req *q);
void asgi_ws_recv_progress(asgi_req *q);
/* One websocket.* message: AD_SEND_* or -1 with an exception. */
int asgi_ws_send(asgi_req *q, PyObject *msg, const char *type);
/* The task ended (failed: with an exception) with the WebSocket in its
 * state: 1 when that settles the stream (a normal close, or nothing left
 * to send), 0 when the HTTP rules' ending applies (a 500 before any answer,
 * a reset after the 101, the end of a denial). */
int asgi_ws_conclude(asgi_req *q, int failed);
/* Whether the client is gone: reset, or (WebSocket) closed. */
int asgi_client_left(asgi_req *q);
enum { ASGI_FIELDS_FINAL, ASGI_FIELDS_HINTS, ASGI_FIELDS_TRAILERS };
/* Checks an app's header list (an iterable of [name, value] byte strings)
 * of a kind (ASGI_FIELDS_*): *out gets a new list of (name, value) bytes
 * tuples, values stripped of surrounding blanks, *clen its Content-Length.
 * 0, or -1 with a TypeError or ValueError naming the field. */
int asgi_fields_check(PyObject *headers, int kind, PyObject **out, uint64_t *clen);
/* Points (*arr)[0..] at the bytes of such a list (valid while it lives),
 * with room for spare more.  The count, or -1 when out of memory. */
int asgi_fields_fill(PyObject *list, tp_header **arr, uint32_t *cap, uint32_t spare);

/* asgi_req.c */
/* Resolves fut with value (or raises exc when value is NULL) unless it is
 * done already (cancelled with its task). */
void asgi_resolve(PyObject **fut, PyObject *value, PyObject *exc);
/* Retires q's stream: its final frame is out, the task is done. */
void asgi_retire(asgi_req *q);
/* Re-examines q soon (from asgi_settle). */
void asgi_touch(asgi_req *q);
PyObject *asgi_loop_create_future(void);

#endif

/* ad_stream.h: one request/response exchange on a proxy connection: the
 * decoded request head, the bounded request-body buffer with its credit, and
 * the response side's flow-control window.  The connection reader (the loop
 * thread) feeds it; the worker class's code that runs it consumes it; both
 * under W.mu. */
#ifndef TANDEM_AD_STREAM_H
#define TANDEM_AD_STREAM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ad_wsq.h"
#include "tp.h"

typedef struct ad_conn ad_conn;
typedef struct ad_stream ad_stream;

enum { AD_ST_FREE = 0, AD_ST_QUEUED, AD_ST_RUNNING };

struct ad_stream {
    uint32_t id;
    uint32_t gen; /* bumped on recycle: stale handles see a change */
    int state;    /* AD_ST_* (mu) */
    ad_conn *conn;
    ad_stream *c_next, *c_prev; /* conn->streams (mu) */
    ad_stream *q_prev, *q_next; /* the scheduler's queue or running list (mu) */
    ad_stream *free_next;       /* W.free_streams (mu) */

    /* request head: a private copy of the frame payload, decoded in place */
    uint8_t *raw;
    uint32_t raw_len, raw_cap;
    tp_request_head req;
    tp_header *hdrs;
    uint32_t hdr_cap;

    /* request body (mu) */
    uint8_t *body;
    size_t body_rd, body_wr, body_cap;
    int req_ended;        /* END_STREAM seen */
    int reset_recv;       /* RESET from the proxy: its direction is over */
    uint32_t recv_window; /* bytes the proxy may still send */
    uint32_t unacked;     /* consumed, not yet credited back */

    /* response (mu) */
    int64_t send_credit; /* DATA bytes we may still send */
    int resp_ended;      /* our END_STREAM (or RESET) went out */
    int reset_sent;      /* our final frame was a RESET: late DATA is dropped */
    int cancel_owed;     /* ...a RESET CANCEL sent only once the class is done with s */
    int cancelled;       /* RESET from the proxy or the connection died */
    uint32_t cancel_reason;
    /* Threads blocked on cv: a count, not a flag, and kept across the
     * object's reuse: a thread of the app still in the wait of the last
     * request (stale wsgi.input) must not clear the mark of this one's
     * waiter when it leaves, or the next wake-up finds nobody (issue 15). */
    int waiting;
    pthread_cond_t cv;      /* an app thread blocked in a wait sleeps here */
    uint64_t busy_since_ms; /* app time start; 0 while waiting on the client */
    void *wc_data;          /* (mu) the worker class's own state for s, or NULL */

    /* WebSocket messages after our 101 (mu): the body buffer holds the
     * whole messages ws_q knows of, then the one still arriving */
    ad_wsq ws_q;
    int ws_closed; /* the proxy's WS_CLOSE arrived (its code and reason) */
    uint16_t ws_code;
    uint8_t ws_reason_len;
    uint8_t ws_reason[TP_WS_REASON_MAX];
};

/* Both directions ended (each side sent its final frame): the stream is
 * closed on the wire, though its class may still run the app's close(). */
static inline int ad_stream_wire_closed(const ad_stream *s)
{
    return s->resp_ended && (s->req_ended || s->reset_recv);
}

/* The connection reader, mu held. */
ad_stream *ad_stream_alloc_locked(void);
void ad_stream_free_locked(ad_stream *s);
/* Copies and decodes a REQUEST_HEAD payload.  TP_OK or a TP_E_* code. */
int ad_stream_set_head(ad_stream *s, const uint8_t *payload, uint32_t len);
/* Appends request DATA; -1 when it exceeds the window we granted.  Wakes
 * nobody: the caller tells the worker class (on_data). */
int ad_stream_feed_locked(ad_stream *s, const uint8_t *p, uint32_t n, int end);
/* Marks s cancelled; the caller tells the worker class (on_reset). */
void ad_stream_cancel_locked(ad_stream *s, uint32_t reason);
/* Wakes a thread blocked in one of the waits below on s (deferred until
 * W.mu is released when called on the loop thread). */
void ad_stream_wake_locked(ad_stream *s);

/* App side.  Nothing here takes or knows the GIL: the non-blocking calls
 * (body_take, send_step) are cheap enough to call with it held, and a caller
 * that holds it releases it around the blocking waits (body_wait,
 * send_wait, send) itself. */

enum { AD_RD_MORE = 0, AD_RD_NL, AD_RD_EOF, AD_RD_RESET };
/* Takes up to max buffered body bytes (up to and including a newline when
 * stop_nl) and credits them back to the proxy; *st says what ended it.
 * Never blocks. */
size_t ad_stream_body_take(ad_stream *s, uint8_t *dst, size_t max, int stop_nl, int *st);
/* What the body holds now, without taking it: AD_RD_RESET (cancelled),
 * AD_RD_EOF (ended, nothing left) or AD_RD_MORE with *avail bytes (0: wait
 * for more).  Never blocks. */
int ad_stream_body_state(ad_stream *s, size_t *avail);
/* Blocks until body bytes, the body's end or a reset arrive, or s is
 * recycled (its request finished under a reader it outlived).  gen is the
 * s->gen the caller read while s was surely its own (a reader that drops
 * the GIL before calling may otherwise find s already serving the next
 * request, and wait on its body). */
void ad_stream_body_wait(ad_stream *s, uint32_t gen);

/* One response write, in order: pre (already-encoded frames: head, 103
 * hints; not flow-controlled), then len bytes of data as RESPONSE_DATA frames
 * within the credit and the proxy's max_frame, END_STREAM on the last one
 * when end (an empty DATA frame if len is 0 and no pre frame carries it),
 * then post when postlen > 0: an encoded final frame (TRAILERS) written
 * right after the last DATA, in the same writev; it ends the stream, so no
 * DATA frame carries END_STREAM.  data is written straight from the
 * caller's buffer when the socket takes it (only what it does not take is
 * copied), so it must stay valid until the write is done.  off counts the
 * data bytes sent so far; the caller zeroes it. */
typedef struct {
    const uint8_t *pre;
    size_t prelen;
    const uint8_t *data;
    size_t len;
    int end;
    const uint8_t *post;
    size_t postlen;
    size_t off;
    uint8_t flags;      /* on every DATA frame (TEXT for a WebSocket text message) */
    uint8_t last_flags; /* on the last one (MESSAGE_END): an empty op still sends it */
} ad_send;

enum { AD_SEND_GONE = -1, AD_SEND_DONE = 0, AD_SEND_BLOCKED = 1 };
/* Writes what credit and socket room allow now, never blocking.
 * AD_SEND_DONE: all of op is out; AD_SEND_BLOCKED: call again once
 * ad_stream_send_wait returns (or, from an event loop, after the class's
 * on_writable); AD_SEND_GONE: the stream was cancelled or ended, or its
 * connection died. */
int ad_stream_send_step(ad_stream *s, ad_send *op);
/* Blocks until the step that returned AD_SEND_BLOCKED may go on. */
void ad_stream_send_wait(ad_stream *s, const ad_send *op);
/* Steps and waits until op is out: 0, or AD_SEND_GONE. */
int ad_stream_send(ad_stream *s, ad_send *op);
/* Aborts our side with RESET(reason) unless already ended/cancelled. */
void ad_stream_reset(ad_stream *s, uint32_t reason);
int ad_stream_is_cancelled(ad_stream *s);
/* ---- WebSocket messages (tandem-protocol(7) WEBSOCKETS), after our 101 ---- */

/* REQUEST_DATA of a WEBSOCKET stream with its TEXT/MESSAGE_END flags (the
 * connection reader, mu held).  Bytes are credited back as they arrive
 * while no complete message waits for the app (a message may be larger
 * than the window), and only once the app took them otherwise, so a
 * stream holds at most one complete message beyond its window.  -1 when
 * beyond the window. */
int ad_stream_ws_feed_locked(ad_stream *s, const uint8_t *p, uint32_t n, uint8_t flags);
/* The proxy's WS_CLOSE (mu held): the client closed. */
void ad_stream_ws_closed_locked(ad_stream *s, uint16_t code, tp_str reason);

enum { AD_WS_NONE = 0, AD_WS_MSG, AD_WS_CLOSED, AD_WS_RESET };
/* What comes next for the app, never blocking: AD_WS_MSG (a whole message
 * of *len bytes, *text), AD_WS_CLOSED (the proxy closed: s->ws_code and
 * ws_reason hold why), AD_WS_RESET (cancelled), or AD_WS_NONE (wait). */
int ad_stream_ws_next(ad_stream *s, size_t *len, int *text);
/* Copies the message ad_stream_ws_next announced into dst (len bytes) and
 * credits what may be credited. */
void ad_stream_ws_take(ad_stream *s, uint8_t *dst, size_t len);
/* Our WS_CLOSE with code and reason (at most TP_WS_REASON_MAX bytes): the
 * final frame of our direction.  AD_SEND_DONE, or AD_SEND_GONE when the
 * stream had ended or its connection died. */
int ad_stream_ws_close(ad_stream *s, uint16_t code, const uint8_t *reason, uint32_t len);

/* The class is done with s (W.mu held): retire it from the scheduler,
 * detach it from its connection, count the request, recycle it.  Its final
 * frame went out already (else a RESET INTERNAL_ERROR goes now). */
void ad_stream_done_locked(ad_stream *s);

#endif

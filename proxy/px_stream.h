/* px_stream.h: one request's life, whatever the client protocol: its head,
 * waiting for a worker, attached to a worker (request body forwarded under
 * the worker's window, response bytes credited back as they leave), the
 * failures mapped to 502/503/504 or a reset, and the events from the
 * worker.
 *
 * The client side is a protocol's: it allocates its stream (a struct whose
 * first member is px_stream, e.g. HTTP/2's, or px_stream itself for
 * HTTP/1) and fills a px_stream_ops table, which this module calls to send
 * toward the client.  Generic code never asks which protocol it serves.
 *
 * Ownership: a stream belongs to its connection's thread.  It outlives its
 * client (conn becomes NULL) until the worker's final frame arrives or a
 * timeout gives up on it; px_stream_free hands it back to its protocol. */
#ifndef TANDEM_PX_STREAM_H
#define TANDEM_PX_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <event2/event_struct.h>
#include "tp.h"
#include "px_queue.h"

typedef struct px_stream px_stream;
typedef struct px_conn px_conn;
typedef struct px_thread px_thread;
typedef struct px_upstream px_upstream;
typedef struct px_limits px_limits;
struct evbuffer;

enum px_stream_state {
    PX_ST_IDLE = 0, /* collecting the request head */
    PX_ST_QUEUED,   /* waiting for worker capacity or a first upstream connection */
    PX_ST_UP,       /* attached to a worker */
    PX_ST_DONE,     /* worker side finished (or never reached); client side drains */
};

/* Why a response that has started cannot complete (the protocol maps it:
 * RST_STREAM codes on h2, a close without the framing's end on HTTP/1). */
enum px_abort {
    PX_ABORT_INTERNAL = 0, /* the worker failed or timed out */
    PX_ABORT_CANCEL,       /* nobody wants the rest */
    PX_ABORT_DONE,         /* the response was complete; the client did not take it */
};

/* What to do with a client that took no response byte for --timeout. */
enum px_stall { PX_STALL_WAIT = 0, PX_STALL_RESET, PX_STALL_CLOSE };

/* The client side of a stream.  Each is called only while s->conn is set. */
typedef struct px_stream_ops {
    /* A worker took the stream: start moving the request body. */
    void (*dispatched)(px_stream *s);
    /* The worker granted credit: move more request body. */
    void (*pump_request)(px_stream *s);
    /* n request-body bytes from s->req reached the worker (0 when none
     * moved); h2 opens the client's window by as much. */
    void (*consumed)(px_stream *s, size_t n);
    /* The worker will read no more of the body: the client's bytes held
     * in s->req are dropped and their flow-control credit returned. */
    void (*body_abandoned)(px_stream *s);
    /* A 1xx (103 hints) from the worker. */
    void (*send_informational)(px_stream *s, const tp_response_head *h);
    /* The final head, or the proxy's own response (s->resp holds its body). */
    void (*send_head)(px_stream *s, const tp_response_head *h);
    /* s->resp grew, or the response ended (s->resp_end), possibly with
     * trailers kept in s->trailers: send what the client can take. */
    void (*data_ready)(px_stream *s);
    /* The head went out and the rest cannot follow. */
    void (*abort)(px_stream *s, enum px_abort why);
    /* The client took nothing for --timeout; reads: it reads the connection. */
    enum px_stall (*stalled)(px_stream *s, int reads);
    /* Back to the protocol's free list (px_stream_free). */
    void (*recycle)(px_stream *s);
    /* After a 101 (s->tunnel), the worker's side of a message tunnel
     * (WebSocket); NULL in tables of streams that never become one.
     * message: n bytes of a message at the front of in, with the DATA
     * frame's TP_FLAG_TEXT and TP_FLAG_MESSAGE_END; the protocol takes
     * (removes) them.  peer_close: the worker's WS_CLOSE, its final frame. */
    void (*message)(px_stream *s, struct evbuffer *in, size_t n, unsigned flags);
    void (*peer_close)(px_stream *s, unsigned code, tp_str reason);
} px_stream_ops;

struct px_stream {
    px_queue_link q; /* first: px_queue links point here */
    const px_stream_ops *ops;
    px_stream *free_next; /* the protocol's free list */
    px_thread *th;
    px_conn *conn;           /* NULL once the client side is gone */
    const px_limits *limits; /* the connection's */
    px_upstream *up;         /* worker connection while state == PX_ST_UP */
    uint32_t up_id;
    uint64_t head_end; /* the worker connection's out_total once its head was queued */
    int slot; /* worker table slot held, -1 none */
    uint8_t state;
    unsigned is_head : 1;      /* HEAD request: no response body to the client */
    unsigned req_end : 1;      /* client finished the request body */
    unsigned req_end_sent : 1; /* END_STREAM sent to the worker */
    unsigned resp_head : 1;    /* response head sent to the client */
    unsigned head_in : 1;      /* the worker's RESPONSE_HEAD arrived */
    unsigned resp_end : 1;     /* worker finished the response */
    unsigned resp_done : 1;    /* client side: last byte queued to the client */
    unsigned has_trailers : 1;
    unsigned head_kept : 1;     /* the head outlives the client's input: it can wait or retry */
    unsigned req_data_sent : 1; /* some body bytes went to a worker (no retry) */
    unsigned cancelled : 1;     /* client gone; waiting for the worker's final frame */
    unsigned tunnel : 1;        /* a 101 made it a two-way message tunnel (px_tunnel.c):
                                   DATA carries messages, WS_CLOSE ends a direction, and
                                   the no-progress timeout is off (the tunnel pings) */
    unsigned logged : 1;        /* its access-log line and metrics are out (px_stream_log.c) */
    unsigned retries : 3;
    unsigned reset_out : 1;    /* we reset the worker's stream: it owes a final frame */
    unsigned worker_reset : 1; /* the worker's RESET arrived (its final frame) */
    unsigned pieces_framed : 1; /* the protocol sends s->resp's pieces whole (px_piece.h) */
    uint16_t status;
    uint64_t body_in;        /* request body bytes the client sent (limit_request_body) */
    int64_t send_window;     /* REQUEST_DATA the worker allows now */
    int64_t resp_window;     /* RESPONSE_DATA the worker may still send */
    struct evbuffer *req;    /* body bytes waiting for the worker's window */
    struct evbuffer *resp;   /* response body waiting for the client */
    /* s->resp's pieces h2 may still send whole, oldest first (px_piece.h),
     * and the body bytes that went into s->resp and out of it. */
    struct px_piece *pieces, *pieces_last;
    uint64_t resp_in, resp_out;
    struct event timer;      /* queue wait / no-progress timeout (px_stream_timer.c) */
    const struct timeval *timer_tv; /* the period it runs, NULL when stopped */
    uint64_t timer_from_ns;         /* the period's start (CLOCK_MONOTONIC_COARSE) */
    struct timeval since;    /* dispatch time (tells 504 from 502) */
    tp_request_head head;
    tp_header *hdrs; /* the head's fields when kept here */
    uint32_t hdr_cap;
    tp_buf hold;     /* copies: a queued HTTP/1 head, joined cookies */
    tp_buf trailers; /* response trailers: (u32 name len, u32 value len, bytes)* */
    uint32_t ntrailers;
    uint64_t counters_t0_us; /* px_counters.c: when the head went to dispatch, 0 before */
    /* For the access log and metrics, kept only while they are on: */
    uint64_t resp_sent;  /* response body (a tunnel: message) bytes passed to the client */
    uint64_t start_ns;   /* the head was complete (CLOCK_MONOTONIC) */
    uint32_t worker_pid; /* the worker whose head went to the client, 0 none */
    tp_buf log_fields;   /* the response fields the format names: (u8 slot, u32 len, bytes)* */
    /* A small body collected before a worker is taken (px_bodybuf.h), and
     * the pace of a larger one. */
    unsigned collecting : 1;
    size_t collect_max;          /* submitted once s->req holds this much, whole or not */
    struct timeval pace_since;   /* the body's current pace period began (0: not yet) */
    uint64_t pace_bytes;         /* body bytes the client sent in it */
    /* Response bytes held for the client (px_budget.h): credit granted to
     * the worker and not yet passed on; a stream waiting for the
     * connection's room is on its list. */
    uint64_t held;
    px_stream *credit_prev, *credit_next;
    unsigned credit_waits : 1;
};

/* ---- for protocols ---- */

/* Makes fresh memory a stream (its buffers are allocated once and kept
 * across reuse).  0, or -1 out of memory. */
int px_stream_construct(px_stream *s);
/* Readies a constructed stream for a new request on c, keeping buffers. */
void px_stream_init(px_stream *s, px_conn *c, const px_stream_ops *ops);
/* The same for a stream with no client connection (px_stream_ghost.c). */
void px_stream_init_orphan(px_stream *s, px_thread *th, const px_limits *lim,
                           const px_stream_ops *ops);
/* s's worker side, reset by us while s still answers its client: a ghost
 * keeps the worker's capacity slot and its place in the upstream until the
 * worker's final frame (or --timeout), so a worker still running the app
 * does not look idle.  s keeps no worker.  -1 when out of memory (s keeps
 * it; releasing it is the caller's fallback). */
int px_stream_ghost_take(px_stream *s);
/* Releases what construct allocated (a protocol trimming its free list). */
void px_stream_destruct(px_stream *s);
/* Moves the request of src (head, held bytes, body) into dst, initialised
 * for the same connection; src is left empty (h2c: HTTP/1 -> stream 1). */
void px_stream_move_request(px_stream *dst, px_stream *src);
/* Copies every string of the head (and the header array) into s->hold so
 * it outlives the client's input buffer; sets head_kept.  0, or -1 out of
 * memory: the head is then emptied (no string points into the input any
 * more) and the caller answers and ends the stream. */
int px_stream_keep_head(px_stream *s);
/* Sends s->req to the worker as far as its window allows (the body of
 * protocols that buffer it in s->req). */
void px_stream_pump_request(px_stream *s);
/* The client made progress (body bytes moved): the timeout starts over. */
void px_stream_progress(px_stream *s);
/* n response bytes left for the client: credit the worker. */
void px_stream_resp_passed(px_stream *s, size_t n);
/* The proxy answers by itself (errors; s->resp gets body). */
void px_stream_local_response(px_stream *s, unsigned status, const char *body);
/* The same with one more response field (426's Sec-WebSocket-Version). */
void px_stream_local_response_field(px_stream *s, unsigned status, const char *body,
                                    const tp_header *extra);
/* The client is gone (reset, disconnect) or done with the response. */
void px_stream_client_gone(px_stream *s);
/* Hands s back to its protocol, letting go of any worker it holds. */
void px_stream_free(px_stream *s);

/* ---- for the dispatcher (px_dispatch.c) ---- */
/* Attached to a worker: the timeout runs, the protocol moves the body. */
void px_stream_dispatched(px_stream *s);
/* Starts s's timer for tv from now (NULL stops it); the same tv again
 * restarts the period without touching libevent (px_stream_timer.c). */
void px_stream_set_timer(px_stream *s, const struct timeval *tv);
/* Binds s's timer to its thread's loop, stopped. */
void px_stream_timer_init(px_stream *s);
/* The period ran out with no restart: px_stream.c decides what it means. */
void px_stream_timeout(px_stream *s);

/* ---- a message tunnel (px_tunnel.c), after a 101 ---- */
/* Sends n bytes of a message from src to the worker as one REQUEST_DATA
 * with flags (TP_FLAG_TEXT, TP_FLAG_MESSAGE_END); the caller keeps n
 * within s->send_window and the worker's max_frame. */
void px_stream_send_message(px_stream *s, struct evbuffer *src, size_t n, unsigned flags);
/* Ends the proxy's direction with WS_CLOSE (code, reason) unless it has
 * ended; once both directions have, the worker is let go. */
void px_stream_close_tunnel(px_stream *s, unsigned code, const uint8_t *reason, size_t len);
/* The worker's WS_CLOSE. */
void px_stream_on_ws_close(px_stream *s, unsigned code, tp_str reason);
/* For px_tunnel.c: the worker's side is over (px_stream.c's detach). */
void px_stream_detach_upstream(px_stream *s);

/* ---- events from the worker (px_upstream.c) ---- */
void px_stream_on_info(px_stream *s, const tp_response_head *h);
void px_stream_on_head(px_stream *s, const tp_response_head *h, int end);
/* flags: the DATA frame's (TP_FLAG_END_STREAM, and the message flags after a 101). */
void px_stream_on_data(px_stream *s, struct evbuffer *in, size_t n, unsigned flags);
void px_stream_on_trailers(px_stream *s, const tp_response_head *h);
void px_stream_on_reset(px_stream *s, uint32_t reason);
void px_stream_on_credit(px_stream *s, uint32_t n);
/* The worker broke the stream's flow control: reset it both ways. */
void px_stream_on_flow_error(px_stream *s);
/* The worker broke another rule of the stream (RESET with reason, 502). */
void px_stream_on_worker_error(px_stream *s, uint32_t reason);
/* The worker connection closed under the stream. */
/* The worker connection closed under s.  unstarted: the worker cannot have
 * begun it (its head never left this process, or a DRAIN excluded it), so
 * it may run elsewhere rather than fail. */
void px_stream_on_up_lost(px_stream *s, int unstarted);

#endif

/* px_upstream_int.h: what px_upstream.c (one worker connection),
 * px_upstream_out.c (its output) and px_pool.c (the thread's set of them)
 * share.  Nothing else includes it. */
#ifndef TANDEM_PX_UPSTREAM_INT_H
#define TANDEM_PX_UPSTREAM_INT_H

#include <stdint.h>
#include <sys/time.h>
#include "tp.h"
#include "tc_addr.h"
#include "px_idmap.h"
#include "px_piece.h"
#include "px_pool.h"
#include "px_upstream.h"

struct evbuffer;
struct event;
struct event_base;

#define PX_UP_MAX_FRAME TP_DEFAULT_MAX_FRAME
#define PX_READ_CHUNK (256 * 1024) /* one read(2) from appd takes up to this */

/* A RESPONSE_DATA body at least this long is read straight into pieces. */
#define PX_UP_BODY_MIN (16 * 1024)
#define PX_UP_BODY_PIECES ((PX_UP_MAX_FRAME + PX_PIECE_MAX - 1) / PX_PIECE_MAX)

/* The body being read into pieces (px_upstream_body.c); npieces 0 when none. */
typedef struct {
    uint8_t head[TP_HEADER_SIZE]; /* the frame's header, as it came */
    tp_frame_header fh;
    px_piece *pieces[PX_UP_BODY_PIECES]; /* one reference each; linked by next */
    uint32_t npieces;
    uint32_t fill, fill_off; /* the piece being filled, and how far */
    uint32_t left;           /* body bytes still to read */
} px_up_body;

enum px_up_state { PX_UP_CONNECTING = 1, PX_UP_HELLO, PX_UP_READY, PX_UP_DRAINING, PX_UP_CLOSED };

struct px_upstream {
    px_upstream *next; /* the pool's list */
    px_pool *pool;
    int fd;                 /* owned: closed when u is freed */
    struct event *read_ev;  /* reads (up_readable_cb): large ones */
    struct event *write_ev; /* added only while the socket refuses bytes */
    struct evbuffer *in;    /* what read_ev read, frames not yet decoded */
    struct evbuffer *out;   /* frames queued, not yet written (px_upstream_out.c) */
    uint8_t state;       /* PX_UP_* */
    uint8_t ping_out;    /* a liveness PING is unanswered */
    uint8_t write_armed; /* write_ev is added */
    uint8_t to_write;    /* on the pool's to_write list */
    uint8_t lost;        /* a frame could not be queued: closed at the end of the turn */
    int slot;         /* worker table slot once HELLO arrived */
    uint32_t asked;   /* the worker index our HELLO asked the master for, 0 any */
    tp_hello hello;
    uint32_t next_id;
    uint32_t nstreams;
    uint32_t last_ok;          /* DRAIN: streams above this never started */
    uint64_t out_total;        /* bytes ever queued to the worker */
    struct event *hello_timer; /* a worker that never says HELLO is dropped */
    px_idmap streams;          /* stream id -> px_stream */
    px_up_body body;
    px_upstream *reap_next;
    px_upstream *write_next; /* the pool's to_write list */
};

struct px_pool {
    px_thread *th;
    const tc_addr *addr;
    px_upstream *ups;
    int nups, nready, nconnecting;
    uint32_t worker_count; /* from HELLO: how many distinct workers to reach */
    uint8_t worker_class;  /* from HELLO: TP_CLASS_*, 0 before any */
    struct event *dial_ev;
    struct event *ping_ev; /* periodic liveness check of idle connections */
    int backoff_ms;
    int dial_failed; /* last attempt failed and nothing is connected */
    int asked_absent; /* a dial reached another worker than it asked for: redial later */
    struct timeval last_fail;
    px_upstream *reap;     /* closed this turn, freed at its end */
    px_upstream *to_write; /* queued frames this turn, written at its end */
    tp_buf out;        /* frames encoded before one evbuffer_add */
    tp_header *rh;     /* decoded response headers */
    uint32_t rh_cap;
};

/* px_upstream.c */
/* Connects and sends our HELLO asking the master for worker index asked (0:
 * any); the new connection is on p's list.  NULL with the cause in err
 * when the socket cannot connect. */
px_upstream *px_upstream_dial(px_pool *p, uint32_t asked, char *err, size_t errlen);
/* Closes u (why: logged; NULL when the caller has said enough), fails only
 * its streams, and puts it on the pool's reap list. */
void px_upstream_close(px_upstream *u, const char *why);
/* Registers s on u under a new id and sends its head: 1, -2 head too big
 * for the worker's frames, -3 out of memory. */
int px_upstream_open_stream(px_upstream *u, px_stream *s);
void px_upstream_free(px_upstream *u);

/* px_upstream_body.c: the front frame is a RESPONSE_DATA of fh (header and
 * part of the body in u->in, no more): 1 when its body is now read into
 * pieces (u->in drained of it), 0 when it must wait in u->in (no memory). */
int px_up_body_start(px_upstream *u, const tp_frame_header *fh);
/* One read into the body and, past it, u->in: 1 the body is whole, 0 not
 * yet, a negative errno (-EPIPE: the worker closed). */
int px_up_body_read(px_upstream *u);
/* The whole frame (header, then the pieces by reference), for decoding
 * while the pieces are handed (px_piece_hand); NULL out of memory. */
struct evbuffer *px_up_body_frame(px_upstream *u);
void px_up_body_free(px_up_body *b);

/* px_upstream_out.c: u's output.  Frames are appended to u->out and written
 * by px_upstream_write at the end of the turn, or by the write event while
 * the socket is full.  A write error closes u. */
/* The output buffer and write event on u->fd: 0, or -1 out of memory. */
int px_upstream_out_init(px_upstream *u, struct event_base *base);
/* u is closing: nothing more is written. */
void px_upstream_out_stop(px_upstream *u);
void px_upstream_out_free(px_upstream *u);
/* Bytes queued to the worker that have left our buffer. */
uint64_t px_upstream_delivered(const px_upstream *u);
/* Writes what u queued, unless the write event waits for the socket. */
void px_upstream_write(px_upstream *u);
/* Appends p->out to u's output and empties it. */
void px_upstream_commit(px_upstream *u);
void px_upstream_send_hello(px_upstream *u);
void px_upstream_ping(px_upstream *u);
void px_upstream_send_ping_ack(px_upstream *u, const uint8_t *opaque);
/* DRAIN naming the last stream id we opened. */
void px_upstream_send_drain(px_upstream *u);

/* px_pool.c: events from a connection */
void px_pool_maintain(px_pool *p);
/* u's HELLO was accepted (u is READY). */
void px_pool_on_ready(px_pool *p, px_upstream *u);
/* u takes no new stream (DRAIN from the worker, or ids run out). */
void px_pool_on_draining(px_pool *p, px_upstream *u);
/* A connection in state was (PX_UP_*) is closing; why is NULL when it was
 * our own decision.  Its streams fail after this, then px_pool_on_closed. */
void px_pool_on_closing(px_pool *p, int was, const char *why);
/* u is closed: off the list, freed at the end of the turn; dial again. */
void px_pool_on_closed(px_pool *p, px_upstream *u);
/* u has output (or a lost frame) for the end of the turn: on the to_write
 * list, the end-of-turn flush scheduled.  Once per turn. */
void px_pool_want_write(px_pool *p, px_upstream *u);
/* u leaves the to_write list (closing). */
void px_pool_forget_write(px_pool *p, px_upstream *u);

#endif

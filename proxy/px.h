/* px.h: tandem-proxy's internal types (thread, client connection, stream,
 * upstream connection) and the calls between its modules.  Every object is
 * owned by one event-loop thread; nothing here is locked. */
#ifndef TANDEM_PX_H
#define TANDEM_PX_H

#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/ssl.h>
#include <nghttp2/nghttp2.h>
#include "tp.h"
#include "tc_addr.h"
#include "h1_parser.h"
#include "px_settings.h"
#include "px_queue.h"

/* Bounds that keep memory per connection and per stream fixed. */
#define PX_OUT_HIGH (256 * 1024)      /* stop producing for a client above this */
#define PX_OUT_LOW (64 * 1024)        /* ...and resume below this */
#define PX_RESP_WINDOW (256 * 1024)   /* RESPONSE_DATA a worker may send before CREDIT */
#define PX_UP_MAX_FRAME TP_DEFAULT_MAX_FRAME
#define PX_CHUNKED_HOLD (64 * 1024)   /* de-chunked body held before the worker takes it */
#define PX_READ_CHUNK (256 * 1024)    /* one read(2) from appd takes up to this */

typedef struct px_thread px_thread;
typedef struct px_conn px_conn;
typedef struct px_stream px_stream;
typedef struct px_upstream px_upstream;

enum px_stream_state {
    PX_ST_IDLE = 0,    /* collecting the request head */
    PX_ST_QUEUED,      /* waiting for worker capacity or a first upstream connection */
    PX_ST_UP,          /* attached to a worker */
    PX_ST_DONE,        /* worker side finished (or never reached); client side drains */
};

struct px_stream {
    px_queue_link q;            /* first: px_queue links point here */
    px_stream *next, *prev;     /* conn's stream list / thread's free list */
    px_thread *th;
    px_conn *conn;              /* NULL once the client side is gone */
    px_upstream *up;            /* worker connection while state == PX_ST_UP */
    int32_t h2_id;
    uint32_t up_id;
    int slot;                   /* worker table slot held, -1 none */
    uint8_t state;
    uint8_t proto;              /* PX_PROTO_* of the client side */
    unsigned is_head : 1;       /* HEAD request: no response body to the client */
    unsigned req_end : 1;       /* client finished the request body */
    unsigned req_end_sent : 1;  /* END_STREAM sent to the worker */
    unsigned resp_head : 1;     /* response head sent to the client */
    unsigned head_in : 1;       /* the worker's RESPONSE_HEAD arrived */
    unsigned resp_end : 1;      /* worker finished the response */
    unsigned resp_done : 1;     /* client side: last byte queued to the client */
    unsigned h2_deferred : 1;   /* nghttp2 data provider waits for bytes */
    unsigned has_trailers : 1;
    unsigned te_trailers : 1;
    unsigned expect_continue : 1;
    unsigned keep_alive : 1;    /* h1: connection may carry another request */
    unsigned chunked_in : 1;    /* h1: request body is chunked */
    unsigned chunked_out : 1;   /* h1: response body is chunked */
    unsigned close_out : 1;     /* h1: response is close-delimited */
    unsigned held : 1;          /* head copied into hold (it waited) */
    unsigned req_data_sent : 1; /* some body bytes went to a worker (no retry) */
    unsigned body_seen : 1;     /* h2: DATA received */
    unsigned cancelled : 1;     /* client gone; waiting for the worker's final frame */
    unsigned prio_frame_9218 : 1; /* h2: a PRIORITY_UPDATE set urgency: the header no longer does */
    unsigned retries : 3;
    uint16_t status;
    uint64_t req_left;          /* h1 Content-Length body still to read from the client */
    uint64_t resp_left;         /* h1 response Content-Length still to write, UINT64_MAX none */
    int64_t send_window;        /* REQUEST_DATA the worker allows now */
    int64_t resp_window;        /* RESPONSE_DATA the worker may still send */
    uint32_t credit_pending;    /* response bytes passed on, not yet credited */
    uint32_t h2_unconsumed;     /* h2 body bytes received, not yet consumed */
    uint32_t h2_window_open;    /* h2 window 0: body bytes the client may still send */
    uint64_t h2_header_bytes;   /* h2: header list size so far (RFC 9113 §6.5.2) */
    struct evbuffer *req;       /* body bytes waiting for the worker's window */
    struct evbuffer *resp;      /* response body waiting for the client */
    struct event timer;         /* queue wait / no-progress timeout */
    struct timeval since;       /* dispatch time (tells 504 from 502) */
    tp_request_head head;
    tp_header *hdrs;
    uint32_t nhdrs, hdr_cap;
    nghttp2_rcbuf **rc;         /* h2: references keeping header bytes alive */
    uint32_t nrc, rc_cap;
    uint32_t ncookies;
    tp_buf hold;                /* copies: queued h1 head, joined cookies */
    tp_buf trailers;            /* response trailers kept for nghttp2 */
    uint32_t ntrailers;
};

struct px_conn {
    px_conn *next, *prev;       /* thread's connection list / free list */
    px_thread *th;
    struct bufferevent *bev;
    SSL *ssl;
    int fd;
    uint32_t id;
    uint8_t proto;
    uint8_t tls;
    uint8_t closing;            /* PX_CLOSE_* */
    uint8_t dirty;              /* h2 has frames to send this turn */
    uint8_t reaped;
    uint8_t goaway;
    uint8_t read_paused;
    uint8_t trusted;            /* peer in forwarded_allow_ips (may use h2c) */
    uint8_t h2_manual_window;   /* stream windows opened per worker credit (window 0) */
    char peer_ip[64], local_ip[64];
    uint16_t peer_port, local_port;
    const char *alpn;
    const char *sni;
    struct event timer;         /* idle / keep-alive / linger */
    px_conn *dirty_next;
    /* h2 */
    nghttp2_session *h2;
    px_stream *streams;
    uint32_t nstreams;
    /* Priority signals for streams not opened yet (RFC 7540 PRIORITY on an
     * idle stream, RFC 9218 PRIORITY_UPDATE before the HEADERS): a few,
     * the oldest forgotten first, as RFC 9218 §7.1 allows. */
    struct px_h2_prio_early {
        int32_t id;             /* 0: free */
        uint8_t has_7540, has_9218;
        uint8_t exclusive, urgency, incremental;
        uint16_t weight;
        uint32_t depends_on;
    } prio_early[8];
    uint8_t prio_early_next;
    uint16_t ext_len;           /* PRIORITY_UPDATE payload collected so far */
    uint8_t ext_drop;           /* ...too long or malformed: ignored */
    uint8_t ext_buf[260];
    /* h1 */
    px_stream *cur;
    px_h1_chunked chunked;
    tp_header *h1_hdrs;
    uint32_t h1_hdr_cap;
    uint32_t requests;
};

enum { PX_CLOSE_NONE = 0, PX_CLOSE_FLUSH, PX_CLOSE_LINGER, PX_CLOSE_NOW };

enum px_up_state { PX_UP_CONNECTING = 1, PX_UP_HELLO, PX_UP_READY, PX_UP_DRAINING, PX_UP_CLOSED };

struct px_upstream {
    px_upstream *next;
    px_thread *th;
    struct bufferevent *bev;
    uint8_t state;
    uint8_t reaped;
    int slot;                   /* worker table slot once HELLO arrived */
    tp_hello hello;
    uint32_t next_id;
    uint32_t nstreams;
    uint32_t last_ok;           /* DRAIN: streams above this never started */
    struct event *hello_timer;  /* a worker that never says HELLO is dropped */
    uint8_t ping_out;           /* a liveness PING is unanswered */
    px_stream **tab;            /* open-addressing map stream id -> stream */
    uint32_t tab_size, tab_used;
    px_upstream *reap_next;
};

struct px_thread {
    int index;
    pthread_t tid;
    struct event_base *base;
    struct event **accept_ev;
    int naccept;
    struct event *accept_resume_ev; /* out of fds: accepting pauses until this fires */
    struct event *wake_ev;      /* another thread freed capacity or asked us to stop */
    struct event *flush_ev;     /* end of turn: flush dirty sessions, free closed objects */
    atomic_int wake_stop;
    atomic_int waiting;         /* requests in this thread's queue (read by others) */
    int flush_scheduled;
    int stopping;
    px_conn *conns;
    uint32_t nconns;
    px_conn *free_conns;
    px_stream *free_streams;
    px_conn *dirty;
    px_conn *reap_conns;
    px_upstream *reap_ups;
    px_queue queue;
    _Atomic uint64_t queue_best; /* px_queue_best of queue, read by other threads */
    /* upstream pool */
    px_upstream *ups;
    int nups, nready, nconnecting;
    uint32_t worker_count;
    struct event *dial_ev;
    struct event *ping_ev;      /* periodic liveness check of idle worker connections */
    int backoff_ms;
    int dial_failed;            /* last attempt failed and nothing is connected */
    struct timeval last_fail;
    /* scratch */
    tp_buf out;                 /* frames encoded before one evbuffer_add */
    nghttp2_nv *nv;
    size_t nv_cap;
    uint8_t *lower;             /* lower-cased names for h2 */
    size_t lower_cap;
    tp_header *rh;              /* decoded response headers */
    uint32_t rh_cap;
    char date[32];
    time_t date_sec;
    const struct timeval *tv_timeout, *tv_keepalive, *tv_queue, *tv_linger;
    uint32_t conn_seq;
};

typedef struct {
    px_settings *cfg;
    SSL_CTX *ssl_ctx;
    tc_addr upstream;
    int nlisten;
    int *lfds;
    tc_addr *laddrs;
    int nthreads;
    px_thread *threads;
    atomic_int stopping;
    px_h1_limits h1_limits;
    uint32_t h1_max_hdrs;
    size_t h1_read_high;
} px_global;

extern px_global px_g;

/* px_server.c */
const char *px_thread_date(px_thread *th);
void px_thread_schedule_flush(px_thread *th);
void px_thread_wake_waiters(px_thread *self);
void px_thread_maybe_exit(px_thread *th);
void px_thread_wake(px_thread *t);

/* px_listener.c */
int px_listen_all(px_settings *cfg, char *err, size_t errlen);
int px_listener_attach(px_thread *th);
void px_listener_detach(px_thread *th);

/* px_tls.c */
SSL_CTX *px_tls_ctx_new(const px_settings *cfg, char *err, size_t errlen);

/* px_conn.c */
void px_conn_accept(px_thread *th, int fd);
void px_conn_close(px_conn *c, int how);
void px_conn_mark_dirty(px_conn *c);
void px_conn_flush(px_conn *c);
void px_conn_free_reaped(px_conn *c);
void px_conn_set_timer(px_conn *c, const struct timeval *tv);
void px_conn_shutdown(px_conn *c);
void px_conn_pause_read(px_conn *c, int pause);

/* h1_conn.c */
void px_h1_start(px_conn *c);
void px_h1_on_read(px_conn *c);
void px_h1_on_write(px_conn *c);
void px_h1_on_timeout(px_conn *c);
void px_h1_shutdown(px_conn *c);
int px_h1_send_info(px_stream *s, const tp_response_head *h);
int px_h1_send_head(px_stream *s, const tp_response_head *h);
void px_h1_pump_response(px_stream *s);
void px_h1_pump_request(px_stream *s);
void px_h1_abort(px_stream *s);
void px_h1_on_dispatch(px_stream *s);

/* h2c_switch.c: a cleartext HTTP/1 connection turning into HTTP/2 */
/* The connection preface arrived: 1 switched, 0 not allowed here. */
int px_h2c_prior_knowledge(px_conn *c, size_t skip);
/* A trusted peer on a prior-knowledge-only listener spoke HTTP/1. */
int px_h2c_h1_refused(const px_conn *c);
/* An Upgrade: h2c request may switch (trusted, allowed, no body). */
int px_h2c_can_upgrade(const px_conn *c, const px_h1_request *r);
/* Answers 101 and makes the held request s stream 1; -1 (nothing sent)
 * when its HTTP2-Settings is malformed: serve it as HTTP/1.1 then. */
int px_h2c_upgrade(px_conn *c, px_stream *s);

/* h2_session.c */
int px_h2_start(px_conn *c);
/* h2c Upgrade: the 101 is out; s (the upgrading request) becomes stream 1. */
int px_h2_start_upgrade(px_conn *c, px_stream *s, const uint8_t *settings, size_t len);
void px_h2_on_read(px_conn *c);
void px_h2_on_write(px_conn *c);
void px_h2_on_timeout(px_conn *c);
void px_h2_shutdown(px_conn *c);
void px_h2_flush(px_conn *c);
int px_h2_send_info(px_stream *s, const tp_response_head *h);
int px_h2_send_head(px_stream *s, const tp_response_head *h);
void px_h2_data_ready(px_stream *s);
void px_h2_abort(px_stream *s, uint32_t code);
/* The client's flow-control windows (stream and connection) let s send. */
int px_h2_window_open(px_stream *s);
void px_h2_consumed(px_stream *s, size_t n);
void px_h2_open_window(px_stream *s);
void px_h2_free(px_conn *c);

/* px_stream.c */
px_stream *px_stream_new(px_conn *c);
void px_stream_free(px_stream *s);
void px_stream_submit(px_stream *s);
void px_stream_hold_head(px_stream *s);
void px_stream_pump_request(px_stream *s);
void px_stream_client_gone(px_stream *s);
void px_stream_client_done(px_stream *s);
void px_stream_resp_passed(px_stream *s, size_t n);
void px_stream_local_response(px_stream *s, unsigned status, const char *body);
void px_stream_progress(px_stream *s);
/* The head's priority changed before dispatch: reorder the queue. */
void px_stream_priority_changed(px_stream *s);
void px_thread_drain_queue(px_thread *th);
void px_thread_fail_queue(px_thread *th, unsigned status);
/* upstream -> stream events */
void px_stream_on_info(px_stream *s, const tp_response_head *h);
void px_stream_on_head(px_stream *s, const tp_response_head *h, int end);
void px_stream_on_data(px_stream *s, struct evbuffer *in, size_t n, int end);
void px_stream_on_trailers(px_stream *s, const tp_response_head *h);
void px_stream_on_reset(px_stream *s, uint32_t reason);
void px_stream_on_credit(px_stream *s, uint32_t n);
/* The worker broke the stream's flow control: reset it both ways. */
void px_stream_on_flow_error(px_stream *s);
void px_stream_on_up_lost(px_stream *s);
void px_stream_detach_upstream(px_stream *s);

/* px_upstream.c */
void px_pool_init(px_thread *th);
void px_pool_maintain(px_thread *th);
void px_pool_close_all(px_thread *th);
/* 1 attached, 0 no capacity now (wait), -1 appd unreachable, -2 head too big */
int px_upstream_attach(px_stream *s);
int px_upstream_reachable(px_thread *th);
void px_upstream_send_reset(px_stream *s, uint32_t reason);
void px_upstream_send_credit(px_stream *s, uint32_t n);
void px_upstream_send_data(px_stream *s, struct evbuffer *src, size_t n, int end);
void px_upstream_forget(px_stream *s);
void px_upstream_free_reaped(px_upstream *u);

#endif

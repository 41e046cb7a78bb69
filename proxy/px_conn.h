/* px_conn.h: a client connection, whatever its protocol: the socket and its
 * TLS session, the one output path to the client, timers, and closing.
 *
 * A protocol (HTTP/1, HTTP/2, next the WebSocket tunnel) keeps its state in
 * its own struct whose first member is px_conn, and fills a px_conn_ops
 * table; generic code calls through the table and never asks which
 * protocol it serves.  The struct is allocated at the size of the largest
 * registered protocol (px_proto.h), so a connection can change protocol in
 * place (ALPN after the handshake, h2c) without its address changing.
 *
 * Ownership: a connection belongs to one thread.  px_conn_close() takes it
 * off the live list at once and frees it at the end of the loop turn, so a
 * callback on the stack never sees freed memory; protocol code must not
 * touch it after closing except through the return path. */
#ifndef TANDEM_PX_CONN_H
#define TANDEM_PX_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event_struct.h>
#include "px_queue.h"
#include "tp.h"

typedef struct px_conn px_conn;
typedef struct px_thread px_thread;
typedef struct px_listener px_listener;
typedef struct px_limits px_limits;
struct evbuffer;
struct ssl_st;

/* The socket's I/O (px_conn_io.c): plaintext in and out, the TLS records
 * not yet written, and the socket's two events.  The write event is added
 * only while the socket refuses bytes, so a request costs no epoll_ctl. */
typedef struct px_conn_io {
    struct evbuffer *in, *out; /* plaintext: the protocol's */
    struct evbuffer *wire;     /* TLS records made, not yet written (NULL: cleartext) */
    struct event rev, wev;
    size_t read_high; /* 0: no bound */
    uint8_t open;     /* the events and buffers are set up */
    uint8_t reading;  /* rev added */
    uint8_t writing;  /* wev added: the socket refused bytes */
    uint8_t read_full; /* in reached read_high */
    uint8_t read_later; /* run on_read on the next turn even with no new bytes */
    uint8_t flushing;   /* in px_conn_flush: additions need no dirty mark */
    uint8_t over_low;   /* output passed PX_OUT_LOW: tell on_write when it is below */
    uint8_t handshaken;
    uint8_t eof;     /* the socket read 0 */
    uint8_t drained; /* its last read took less than asked */
    uint8_t asleep;  /* idle: the buffers are freed (px_conn_io_release_idle) */
} px_conn_io;

typedef struct px_conn_ops {
    const char *name; /* "HTTP/1.1", "HTTP/2": for logs */
    /* The protocol takes the connection (its area is zeroed): set up and
     * handle what is already buffered.  May close c. */
    void (*start)(px_conn *c);
    void (*on_read)(px_conn *c);    /* input arrived */
    void (*on_write)(px_conn *c);   /* output fell below the low mark */
    void (*on_timeout)(px_conn *c); /* the connection timer fired */
    void (*shutdown)(px_conn *c);   /* graceful stop: finish what runs, take nothing new */
    void (*flush)(px_conn *c);      /* end of turn after px_conn_mark_dirty */
    void (*detach)(px_conn *c);     /* closing: every stream loses its client */
    void (*release)(px_conn *c);    /* the protocol lets go (closed, or switching) */
} px_conn_ops;

enum px_close { PX_CLOSE_NONE = 0, PX_CLOSE_FLUSH, PX_CLOSE_LINGER, PX_CLOSE_NOW };

struct px_conn {
    const px_conn_ops *ops; /* the handshake's until a protocol is chosen */
    px_conn *next, *prev;   /* thread's connection list / free list */
    px_thread *th;
    const px_listener *lis;  /* accepted on it */
    const px_limits *limits; /* the listener's, with this thread's timers */
    px_conn_io io; /* socket or TLS: use px_conn_in/px_conn_out */
    struct ssl_st *ssl;
    int fd;
    uint32_t id;
    uint8_t tls;
    uint8_t closing; /* PX_CLOSE_* */
    uint8_t dirty;   /* on the thread's dirty list */
    uint8_t reaped;
    uint8_t read_paused;
    uint8_t trusted;                /* peer in forwarded_allow_ips (may use h2c) */
    uint8_t pp_allowed;             /* peer in proxy_allow_ips (may send a PROXY header) */
    char peer_ip[64], local_ip[64]; /* the client's: a PROXY header's source when it sent one */
    uint16_t peer_port, local_port;
    /* A PROXY protocol header (px_conn_pp.c): its protocol (NULL: none)
     * and destination ("" when it carried no addresses). */
    const char *pp_proto;
    char pp_dst[46];
    uint16_t pp_dst_port;
    struct event *pp_ev;          /* reading the header: before the socket's I/O is set up */
    struct px_tls_client *client; /* its certificate's facts (cert_reqs), once asked */
    const char *alpn;
    const char *sni;
    struct event timer; /* idle / keep-alive / linger */
    px_conn *dirty_next;
    struct px_admit_ip *admit_ip; /* its address's count (px_admit.h), NULL when not counted */
    /* Its requests waiting for a worker, in its thread's queue (px_dispatch.c);
     * zeroed with the struct, the array freed when the connection is. */
    px_queue_flow flow;
    /* Response bytes its streams hold (px_budget.h), and the streams
     * waiting for room under --connection-buffer-size, first asked first. */
    uint64_t resp_held;
    struct px_stream *credit_first, *credit_last;
};

/* A new connection on fd from listener index li of th, counted by
 * px_admit_reserve and against ip (may be NULL).  Closes fd when it cannot
 * be set up; either way the count is given back when it is gone. */
void px_conn_accept(px_thread *th, int fd, size_t li, struct px_admit_ip *ip);
/* Hands c to another protocol in place: the old one's release, then the new
 * one's start (h2c prior knowledge; the ALPN choice). */
void px_conn_switch(px_conn *c, const px_conn_ops *ops);
/* The same without the start, for a protocol that sets itself up from
 * state it prepared before taking over (h2c Upgrade). */
void px_conn_handover(px_conn *c, const px_conn_ops *ops);
/* The protocol's struct (its first member is px_conn). */
#define PX_CONN_AS(type, c) ((type *)(void *)(c))

void px_conn_close(px_conn *c, int how);
/* Graceful stop (server stopping): the protocol finishes what runs. */
void px_conn_shutdown(px_conn *c);
void px_conn_mark_dirty(px_conn *c);
void px_conn_set_timer(px_conn *c, const struct timeval *tv);
void px_conn_pause_read(px_conn *c, int pause);

/* The one path to and from the client: protocol code reads from px_conn_in
 * and appends to px_conn_out; the bytes reach the socket at the end of the
 * loop turn, sealed into TLS records and written with one writev
 * (px_conn_io.c).  px_conn_out_len counts what is not yet written, records
 * included. */
struct evbuffer *px_conn_in(px_conn *c);
struct evbuffer *px_conn_out(px_conn *c);
size_t px_conn_out_len(px_conn *c);
/* Reading pauses when high bytes are buffered unparsed (0 = no bound). */
void px_conn_set_read_high(px_conn *c, size_t high);
/* Runs on_read on the next turn for bytes already buffered (pipelining). */
void px_conn_read_later(px_conn *c);

/* The connection facts every request head carries: addresses, ports, TLS
 * version and cipher, ALPN, SNI, the TLS flag and the connection id. */
void px_conn_fill_head(px_conn *c, tp_request_head *h);

/* px_server's end of turn: output for a dirty connection, freeing a closed one. */
void px_conn_flush(px_conn *c);
void px_conn_free_reaped(px_conn *c);

/* For px_conn_pp.c.  A listener with proxy_protocol first peeks at what
 * the client sends, before its socket's I/O is set up (TLS or not):
 * px_conn_pp_start takes c (0, or -1 when it cannot: c is closed then),
 * and once the header is read or known absent, px_conn_start_io hands the
 * socket to TLS or the cleartext protocol as if it had just been accepted. */
int px_conn_pp_start(px_conn *c);
void px_conn_start_io(px_conn *c);

/* For px_conn_io.c: what the I/O reports to the connection. */
void px_conn_handshake_done(px_conn *c);
void px_conn_io_drained(px_conn *c); /* every byte written (closing: linger) */

/* px_conn_io.c.  open: 0, or -1 when out of memory (c->ssl, when set, gets
 * the BIO; the caller still frees the SSL and closes the fd). */
int px_conn_io_open(px_conn *c);
void px_conn_io_close_events(px_conn *c); /* closed now: the socket's events off */
void px_conn_io_close(px_conn *c);        /* events off, buffers freed (not the SSL or fd) */
void px_conn_io_send(px_conn *c);        /* seal and write what is pending */
void px_conn_io_update_read(px_conn *c); /* read when neither paused nor full */
void px_conn_io_linger(px_conn *c);      /* close_notify, FIN; then read and drop raw bytes */
void px_conn_io_read_later(px_conn *c);
void px_conn_io_set_read_high(px_conn *c, size_t high);
size_t px_conn_io_pending(px_conn *c); /* plaintext and records not yet written */
/* Idle with nothing buffered (the protocol calls it once the connection is
 * quiet): the buffers go back to the allocator, px_conn_in/px_conn_out are
 * NULL until px_conn_io_wake, which every event of the connection calls
 * first (socket, timer, shutdown).  wake: 0, or -1 out of memory (the
 * caller closes the connection now). */
void px_conn_io_release_idle(px_conn *c);
int px_conn_io_wake(px_conn *c);

#endif

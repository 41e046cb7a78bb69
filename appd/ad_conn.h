/* ad_conn.h: one connection from tandem-proxy, owned by the worker's loop
 * thread (the one that reads the proxy sockets: in sync and gthread workers
 * the I/O thread or the app thread that leads, one at a time, ad_ioloop.h):
 * frame reader, output buffer, HELLO, and the per-connection stream list.
 * Other threads only append output (under W.mu). */
#ifndef TANDEM_AD_CONN_H
#define TANDEM_AD_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "tp.h"

typedef struct ad_conn ad_conn;
typedef struct ad_stream ad_stream;

struct ad_conn {
    int fd;
    uint32_t id;             /* worker-local number, for logs */
    int dead;                /* (mu) fd closed; no more output */
    int broken;              /* (mu) a write failed: the loop closes it */
    int refs;                /* (mu) 1 while open + 1 per stream object attached */
    int hello_ok;            /* proxy's HELLO received and accepted */
    uint32_t peer_window;    /* proxy's initial_window: our DATA per stream */
    uint32_t peer_max_frame; /* proxy's max_frame: our largest payload */
    int drain_recv;          /* proxy sent DRAIN: close once idle */
    int drain_sent;
    uint32_t last_stream; /* highest stream id seen */
    unsigned wc_watch;    /* (mu) what the class's own event loop watches fd for (AD_WATCH_*) */
    /* input: loop thread only */
    uint8_t *in;
    size_t in_len, in_cap;
    /* output: (mu) bytes out.data[out_off .. out.len) not yet written */
    tp_buf out;
    size_t out_off;
    int holding; /* (mu) they are held back (ad_wclass hold_output), not blocked */
    ad_stream *streams; /* (mu) open streams (queued or running) */
    uint32_t nstreams;
    ad_conn *next; /* (mu) W.conns */
};

/* Output high-water mark: a sender waits while more than this is queued for
 * one connection (the proxy is not reading). */
#define AD_OUT_HWM (4u * 1024u * 1024u)
/* Output held back for the writer's next response (ad_wclass hold_output)
 * stays below this: small responses are copied to leave in one writev;
 * larger ones go out at once, with what was held. */
#define AD_OUT_HOLD_MAX (16u * 1024u)
/* The most iovecs ad_conn_writev_locked sends without copying held output. */
#define AD_CONN_IOV_MAX 7

/* Loop thread. */
ad_conn *ad_conn_new(int fd); /* sends our HELLO */
/* Reads what the socket has and handles every complete frame.  Returns 0, or
 * -1 when the connection must close (EOF, error, protocol violation: logged). */
int ad_conn_on_readable(ad_conn *c);
/* Closes fd, cancels its streams, unlinks it (mu held).  Frees it unless a
 * running stream still holds it. */
void ad_conn_close_locked(ad_conn *c, const char *why);
void ad_conn_unref_locked(ad_conn *c);
/* Starts a graceful stop on c: DRAIN(last stream). (mu held) */
void ad_conn_drain_locked(ad_conn *c);

/* Any thread, mu held. */
static inline size_t ad_conn_pending(const ad_conn *c) { return c->out.len - c->out_off; }
/* Writes queued output; on EAGAIN leaves it queued (and wakes the loop when
 * called from another thread, so it watches POLLOUT).  -1 when broken. */
int ad_conn_flush_locked(ad_conn *c);
/* Writes iov (whole frames) after any queued output, without copying when
 * nothing is queued (or only held output, which goes in the same writev)
 * and the socket takes it; the rest is copied into the output buffer.
 * When the class holds output (ad_wclass hold_output) a small iov is only
 * copied, to leave with the next.  -1 when the connection is dead. */
int ad_conn_writev_locked(ad_conn *c, const struct iovec *iov, int iovcnt);

#endif

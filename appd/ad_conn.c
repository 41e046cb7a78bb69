/* ad_conn.c: a connection from tandem-proxy inside a worker: HELLO exchange,
 * the frame reader (loop thread) that admits streams into the scheduler and
 * tells the worker class what arrived for them, and the shared output path
 * (any thread, W.mu held) that writes whole frames without copying when the
 * socket has room. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad_conn.h"
#include "ad_scoreboard.h"
#include "ad_stream.h"
#include "ad_wclass.h"
#include "ad_worker.h"
#include "tc_log.h"

/* Reads take whatever the socket has, up to one largest frame plus slack so
 * many small frames arrive in one read(2). */
#define AD_IN_EXTRA (64u * 1024u)

static int out_append(ad_conn *c, const struct iovec *iov, int iovcnt, size_t skip)
{
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t n = iov[i].iov_len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        p += skip;
        n -= skip;
        skip = 0;
        if (tp_buf_append(&c->out, p, n) != TP_OK)
            return -1;
    }
    return 0;
}

int ad_conn_flush_locked(ad_conn *c)
{
    if (c->dead || c->broken)
        return -1;
    c->holding = 0;
    size_t before = ad_conn_pending(c);
    while (ad_conn_pending(c)) {
        ssize_t n = write(c->fd, c->out.data + c->out_off, ad_conn_pending(c));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            tc_debug("proxy connection %u: write: %s", c->id, strerror(errno));
            c->broken = 1;
            ad_worker_wake_locked();
            return -1;
        }
        c->out_off += (size_t)n;
    }
    if (ad_conn_pending(c) == 0) {
        c->out.len = c->out_off = 0;
    } else {
        /* Keep the unsent tail at the front once most of the buffer is spent. */
        if (c->out_off > c->out.len / 2) {
            memmove(c->out.data, c->out.data + c->out_off, ad_conn_pending(c));
            c->out.len -= c->out_off;
            c->out_off = 0;
        }
        if (!ad_worker_on_loop_thread())
            ad_worker_wake_locked(); /* it must watch POLLOUT */
    }
    if (before >= AD_OUT_HWM && ad_conn_pending(c) < AD_OUT_HWM)
        for (ad_stream *s = c->streams; s; s = s->c_next)
            W.wc->on_writable(s);
    return 0;
}

/* writev(2) until it takes something or the socket is full: the bytes
 * written (0 when full), or -1 when the connection broke. */
static ssize_t write_some(ad_conn *c, const struct iovec *iov, int iovcnt)
{
    for (;;) {
        ssize_t n = writev(c->fd, iov, iovcnt);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        tc_debug("proxy connection %u: writev: %s", c->id, strerror(errno));
        c->broken = 1;
        ad_worker_wake_locked();
        return -1;
    }
}

/* Whether iov may wait in the buffer for the writer's next response: the
 * class says one follows at once, and what is held stays small. */
static int may_hold(const ad_conn *c, size_t total)
{
    size_t pending = ad_conn_pending(c);
    return (pending == 0 || c->holding) && pending + total <= AD_OUT_HOLD_MAX &&
           W.wc->hold_output && W.wc->hold_output();
}

/* Writes held output and iov with one writev: the bytes of iov written. */
static ssize_t write_held_and(ad_conn *c, const struct iovec *iov, int iovcnt)
{
    struct iovec all[AD_CONN_IOV_MAX + 1];
    size_t pending = ad_conn_pending(c);
    all[0] = (struct iovec){ c->out.data + c->out_off, pending };
    memcpy(all + 1, iov, (size_t)iovcnt * sizeof *iov);
    c->holding = 0;
    ssize_t n = write_some(c, all, iovcnt + 1);
    if (n < 0)
        return -1;
    size_t took = (size_t)n < pending ? (size_t)n : pending;
    c->out_off += took;
    if (ad_conn_pending(c) == 0)
        c->out.len = c->out_off = 0;
    return n - (ssize_t)took;
}

int ad_conn_writev_locked(ad_conn *c, const struct iovec *iov, int iovcnt)
{
    if (c->dead || c->broken)
        return -1;
    size_t total = 0, done = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    int hold = may_hold(c, total);
    if (!hold && c->holding && iovcnt <= AD_CONN_IOV_MAX) {
        ssize_t n = write_held_and(c, iov, iovcnt);
        if (n < 0)
            return -1;
        done = (size_t)n;
        if (done == total)
            return 0;
    } else if (!hold && ad_conn_pending(c) == 0) {
        ssize_t n = write_some(c, iov, iovcnt);
        if (n < 0)
            return -1;
        done = (size_t)n;
        if (done == total)
            return 0;
    }
    /* Frames must stay whole on the wire: the unsent rest is copied, behind
     * anything already queued, before W.mu is released. */
    if (out_append(c, iov, iovcnt, done) != 0) {
        c->broken = 1;
        ad_worker_wake_locked();
        return -1;
    }
    if (hold) {
        c->holding = 1; /* the writer's next response, or its next poll, sends it */
        return 0;
    }
    if (c->holding) /* more pieces than write_held_and takes: rare */
        return ad_conn_flush_locked(c);
    if (!ad_worker_on_loop_thread())
        ad_worker_wake_locked();
    return 0;
}

ad_conn *ad_conn_new(int fd)
{
    ad_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->in_cap = (size_t)W.max_frame + TP_HEADER_SIZE + AD_IN_EXTRA;
    c->in = malloc(c->in_cap);
    if (c->in == NULL) {
        free(c);
        return NULL;
    }
    c->fd = fd;
    c->id = ++W.conn_seq;
    c->refs = 1;
    c->peer_window = 0;
    c->peer_max_frame = TP_MIN_MAX_FRAME;
    tp_buf_init(&c->out);
    tp_hello h = {
        .version = TP_VERSION,
        .role = TP_ROLE_WORKER,
        .worker_class = W.wc->wire_class,
        .pid = (uint32_t)getpid(),
        .capacity = W.capacity,
        .worker_index = W.index,
        .worker_count = AD_LOAD(ad_board->nworkers),
        .initial_window = W.initial_window,
        .max_frame = W.max_frame,
        .generation = AD_LOAD(ad_board->generation),
    };
    if (h.worker_count < h.worker_index)
        h.worker_count = h.worker_index;
    int rc = tp_encode_hello(&c->out, &h);
    if (rc != TP_OK)
        tc_error("HELLO: %s", tp_strerror(rc));
    return c;
}

void ad_conn_unref_locked(ad_conn *c)
{
    if (--c->refs > 0)
        return;
    tp_buf_free(&c->out);
    free(c->in);
    free(c);
}

static void detach_free_locked(ad_conn *c, ad_stream *s)
{
    if (s->c_prev)
        s->c_prev->c_next = s->c_next;
    else
        c->streams = s->c_next;
    if (s->c_next)
        s->c_next->c_prev = s->c_prev;
    c->nstreams--;
    ad_stream_free_locked(s);
    c->refs--;
}

void ad_conn_close_locked(ad_conn *c, const char *why)
{
    if (c->dead)
        return;
    if (why)
        tc_debug("proxy connection %u closed: %s", c->id, why);
    c->dead = 1;
    W.wc->on_conn_closing(c);
    close(c->fd);
    c->fd = -1;
    /* Queued streams never reached the app: free them.  Running ones are
     * cancelled; their worker class retires them (and drops the last ref). */
    ad_stream *s = c->streams;
    while (s) {
        ad_stream *next = s->c_next;
        if (s->state == AD_ST_QUEUED) {
            ad_sched_unqueue(&W.sched, s);
            detach_free_locked(c, s);
        } else {
            ad_stream_cancel_locked(s, TP_RESET_CANCEL);
            W.wc->on_reset(s);
        }
        s = next;
    }
    for (ad_conn **cp = &W.conns; *cp; cp = &(*cp)->next) {
        if (*cp == c) {
            *cp = c->next;
            break;
        }
    }
    ad_conn_unref_locked(c);
}

void ad_conn_drain_locked(ad_conn *c)
{
    if (c->dead || c->drain_sent || !c->hello_ok)
        return;
    c->drain_sent = 1;
    if (tp_encode_drain(&c->out, c->last_stream) == TP_OK)
        ad_conn_flush_locked(c);
}

static void send_reset_locked(ad_conn *c, uint32_t id, uint32_t reason)
{
    tp_encode_reset(&c->out, id, reason);
}

/* A new stream: admitted into the work queue, or refused so the proxy retries
 * it on another worker (it never reached the app). */
static int on_request_head(ad_conn *c, const tp_frame_header *fh, const uint8_t *p)
{
    if (c->drain_recv) {
        tc_error("proxy connection %u: REQUEST_HEAD after the proxy's DRAIN", c->id);
        return -1;
    }
    if (fh->stream > c->last_stream)
        c->last_stream = fh->stream;
    if (ad_sched_find(&W.sched, c, fh->stream)) {
        tc_error("proxy connection %u: REQUEST_HEAD for open stream %u", c->id, fh->stream);
        return -1;
    }
    if (c->drain_sent || !ad_sched_admits(&W.sched)) {
        send_reset_locked(c, fh->stream, TP_RESET_REFUSED_STREAM);
        return 0;
    }
    ad_stream *s = ad_stream_alloc_locked();
    if (s == NULL) {
        send_reset_locked(c, fh->stream, TP_RESET_REFUSED_STREAM);
        return 0;
    }
    int rc = ad_stream_set_head(s, p, fh->length);
    if (rc != TP_OK) {
        ad_stream_free_locked(s);
        if (rc == TP_E_TOO_MANY || rc == TP_E_NOMEM) {
            /* The link is still in sync: only this stream fails. */
            send_reset_locked(c, fh->stream,
                              rc == TP_E_TOO_MANY ? TP_RESET_PROTOCOL_ERROR
                                                  : TP_RESET_REFUSED_STREAM);
            return 0;
        }
        tc_error("proxy connection %u: bad REQUEST_HEAD on stream %u: %s", c->id, fh->stream,
                 tp_strerror(rc));
        return -1;
    }
    s->id = fh->stream;
    s->conn = c;
    s->req_ended = (fh->flags & TP_FLAG_END_STREAM) != 0;
    s->recv_window = W.initial_window;
    s->send_credit = c->peer_window;
    if (ad_sched_enqueue(&W.sched, s) != 0) {
        ad_stream_free_locked(s);
        send_reset_locked(c, fh->stream, TP_RESET_REFUSED_STREAM);
        return 0;
    }
    s->c_prev = NULL;
    s->c_next = c->streams;
    if (c->streams)
        c->streams->c_prev = s;
    c->streams = s;
    c->nstreams++;
    c->refs++;
    W.wc->on_queued(s);
    return 0;
}

static int on_frame(ad_conn *c, const tp_frame_header *fh, const uint8_t *p)
{
    uint32_t v;
    ad_stream *s;

    if (!c->hello_ok) {
        tp_hello h;
        if (fh->type != TP_FRAME_HELLO) {
            tc_error("proxy connection %u: %s before HELLO", c->id, tp_frame_type_name(fh->type));
            return -1;
        }
        int rc = tp_decode_hello(p, fh->length, &h);
        if (rc == TP_E_VALUE && h.version != TP_VERSION) {
            tc_error("proxy connection %u: protocol version %u, this worker speaks %u; closing",
                     c->id, h.version, TP_VERSION);
            return -1;
        }
        if (rc != TP_OK || h.role != TP_ROLE_PROXY) {
            tc_error("proxy connection %u: bad HELLO: %s", c->id,
                     rc != TP_OK ? tp_strerror(rc) : "peer is not a proxy");
            return -1;
        }
        c->hello_ok = 1;
        c->peer_window = h.initial_window;
        c->peer_max_frame = h.max_frame;
        if (ad_sched_stopping(&W.sched))
            ad_conn_drain_locked(c);
        return 0;
    }
    switch (fh->type) {
    case TP_FRAME_REQUEST_HEAD: return on_request_head(c, fh, p);
    case TP_FRAME_REQUEST_DATA:
        s = ad_sched_find(&W.sched, c, fh->stream);
        if (s == NULL)
            return 0; /* reset or finished: late bytes are dropped */
        if (s->req_ended) {
            tc_error("proxy connection %u: REQUEST_DATA after END_STREAM on stream %u", c->id,
                     s->id);
            return -1;
        }
        if (s->reset_sent) { /* in flight when we reset it: discarded */
            if (fh->flags & TP_FLAG_END_STREAM)
                s->req_ended = 1;
            return 0;
        }
        /* A WebSocket's DATA carries messages (TEXT, MESSAGE_END): only
         * after our 101, which only a class that accepts WebSockets sends. */
        if ((s->req.flags & TP_REQ_WEBSOCKET)
                ? ad_stream_ws_feed_locked(s, p, fh->length, fh->flags) != 0
                : ad_stream_feed_locked(s, p, fh->length, fh->flags & TP_FLAG_END_STREAM) != 0) {
            tc_warn("proxy connection %u: stream %u: DATA beyond the window", c->id, s->id);
            send_reset_locked(c, s->id, TP_RESET_FLOW_CONTROL_ERROR);
            s->resp_ended = s->reset_sent = 1;
            ad_stream_cancel_locked(s, TP_RESET_FLOW_CONTROL_ERROR);
            W.wc->on_reset(s);
        } else {
            W.wc->on_data(s);
        }
        return 0;
    case TP_FRAME_RESET:
        /* The client went away: the app is cancelled, and while our direction
         * is open RESET CANCEL is our final frame (tandem-protocol(7)). */
        s = ad_sched_find(&W.sched, c, fh->stream);
        if (s == NULL)
            return 0;
        if (tp_decode_u32(p, fh->length, &v) != TP_OK)
            return -1;
        s->reset_recv = 1;
        if (s->state == AD_ST_QUEUED) {
            if (!s->resp_ended)
                send_reset_locked(c, s->id, TP_RESET_CANCEL);
            ad_sched_unqueue(&W.sched, s);
            detach_free_locked(c, s);
            return 0;
        }
        if (!s->resp_ended) {
            /* The app runs on: our RESET CANCEL goes when it returns
             * (ad_stream_done_locked), so the proxy counts this worker busy
             * until it really is free.  What the app still writes is dropped. */
            s->resp_ended = s->reset_sent = 1;
            s->cancel_owed = 1;
        }
        ad_stream_cancel_locked(s, v);
        W.wc->on_reset(s);
        return 0;
    case TP_FRAME_CREDIT:
        if (tp_decode_credit(p, fh->length, &v) != TP_OK) {
            tc_error("proxy connection %u: bad CREDIT", c->id);
            return -1;
        }
        s = ad_sched_find(&W.sched, c, fh->stream);
        if (s == NULL)
            return 0;
        s->send_credit += v;
        if (s->send_credit > (int64_t)TP_MAX_WINDOW && !s->resp_ended) {
            send_reset_locked(c, s->id, TP_RESET_FLOW_CONTROL_ERROR);
            s->resp_ended = s->reset_sent = 1;
            ad_stream_cancel_locked(s, TP_RESET_FLOW_CONTROL_ERROR);
            W.wc->on_reset(s);
        }
        W.wc->on_writable(s);
        return 0;
    case TP_FRAME_PING:
        if (!(fh->flags & TP_FLAG_ACK))
            tp_encode_ping(&c->out, TP_FLAG_ACK, p);
        return 0;
    case TP_FRAME_DRAIN: c->drain_recv = 1; return 0;
    case TP_FRAME_WS_CLOSE: {
        /* Only ever after our 101 (a WSGI app answers a WebSocket request
         * as an ordinary one): the client closed its WebSocket. */
        uint16_t code;
        tp_str reason;
        if (tp_decode_ws_close(p, fh->length, &code, &reason) != TP_OK) {
            tc_error("proxy connection %u: bad WS_CLOSE", c->id);
            return -1;
        }
        s = ad_sched_find(&W.sched, c, fh->stream);
        if (s == NULL || !(s->req.flags & TP_REQ_WEBSOCKET) || s->req_ended)
            return 0; /* crossed our RESET, or not a WebSocket: nothing to close */
        ad_stream_ws_closed_locked(s, code, reason);
        W.wc->on_data(s);
        return 0;
    }
    default:
        tc_error("proxy connection %u: unexpected %s frame from the proxy", c->id,
                 tp_frame_type_name(fh->type));
        return -1;
    }
    return 0;
}

int ad_conn_on_readable(ad_conn *c)
{
    for (;;) {
        size_t space = c->in_cap - c->in_len;
        ssize_t n = read(c->fd, c->in + c->in_len, space);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            tc_debug("proxy connection %u: read: %s", c->id, strerror(errno));
            return -1;
        }
        if (n == 0)
            return -1;
        c->in_len += (size_t)n;

        size_t off = 0;
        int rc = 0;
        pthread_mutex_lock(&W.mu);
        while (rc == 0) {
            tp_frame_header fh;
            int d = tp_frame_header_decode(c->in + off, c->in_len - off, W.max_frame, &fh);
            if (d == TP_E_AGAIN)
                break;
            if (d != TP_OK) {
                tc_error("proxy connection %u: bad frame header: %s", c->id, tp_strerror(d));
                rc = -1;
                break;
            }
            if (c->in_len - off < TP_HEADER_SIZE + (size_t)fh.length)
                break;
            rc = on_frame(c, &fh, c->in + off + TP_HEADER_SIZE);
            off += TP_HEADER_SIZE + (size_t)fh.length;
        }
        if (rc == 0)
            ad_conn_flush_locked(c);
        ad_worker_unlock();
        if (rc != 0)
            return -1;
        if (off) {
            memmove(c->in, c->in + off, c->in_len - off);
            c->in_len -= off;
        }
        /* A short read means the socket is drained for now (poll is level-
         * triggered, so returning early is always safe).  A full buffer always
         * holds a whole frame, since in_cap exceeds the largest one. */
        if ((size_t)n < space)
            return 0;
    }
}

/* px_upstream.c: one connection to a tandem-appd worker: HELLO, the frame
 * reader (large reads, body bytes moved without copying), the map of its
 * streams, and failing only its own streams when it closes.  Frames toward
 * the worker are px_upstream_out.c; the pool (px_pool.c) dials and picks
 * connections. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "px_upstream_int.h"
#include "px_balance.h"
#include "px_idmap.h"
#include "px_conn.h"
#include "px_stream.h"
#include "px_thread.h"
#include "tc_log.h"

#define HELLO_TIMEOUT_S 5

static void up_readable_cb(evutil_socket_t fd, short what, void *arg);

uint32_t px_upstream_pid(const px_upstream *u) { return u->hello.pid; }

uint32_t px_upstream_max_frame(const px_upstream *u)
{
    return u->hello.max_frame ? u->hello.max_frame : TP_DEFAULT_MAX_FRAME;
}

int px_upstream_rebind(px_stream *from, px_stream *to)
{
    px_upstream *u = from->up;
    px_idmap_del(&u->streams, from->up_id);
    if (px_idmap_put(&u->streams, from->up_id, to) < 0) {
        px_idmap_put(&u->streams, from->up_id, from); /* a deleted slot is free again */
        return -1;
    }
    to->up = u;
    to->up_id = from->up_id;
    from->up = NULL;
    return 0;
}

/* ---- life ---- */

static void hello_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    px_upstream *u = arg;
    if (u->state == PX_UP_HELLO) {
        tc_warn("no HELLO from tandem-appd within %d s; closing and dialing again",
                HELLO_TIMEOUT_S);
        px_upstream_close(u, NULL);
    }
}

px_upstream *px_upstream_dial(px_pool *p, uint32_t asked, char *err, size_t errlen)
{
    int fd = tc_connect(p->addr, err, errlen);
    if (fd < 0)
        return NULL;
    struct event_base *base = p->th->base;
    px_upstream *u = calloc(1, sizeof *u);
    if (!u) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->fd = fd;
    u->pool = p;
    u->slot = -1;
    u->asked = asked;
    u->state = PX_UP_HELLO;
    u->next_id = 1;
    u->last_ok = UINT32_MAX;
    u->in = evbuffer_new();
    u->read_ev = event_new(base, fd, EV_READ | EV_PERSIST, up_readable_cb, u);
    if (!u->in || !u->read_ev || px_upstream_out_init(u, base) < 0) {
        px_upstream_free(u);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    event_add(u->read_ev, NULL);
    u->hello_timer = evtimer_new(base, hello_timeout_cb, u);
    if (u->hello_timer) {
        struct timeval tv = { HELLO_TIMEOUT_S, 0 };
        evtimer_add(u->hello_timer, &tv);
    }
    u->next = p->ups;
    p->ups = u;
    px_upstream_send_hello(u);
    return u;
}

int px_upstream_open_stream(px_upstream *u, px_stream *s)
{
    px_pool *p = u->pool;
    s->up = u;
    s->up_id = u->next_id++;
    if (u->next_id >= 0x7fffffffu) {
        /* Ids are never reused on a connection: retire it, dial afresh. */
        px_pool_on_draining(p, u);
        px_pool_maintain(p);
    }
    s->send_window = u->hello.initial_window;
    s->resp_window = PX_RESP_WINDOW_MIN; /* our HELLO's initial_window */
    s->req_end_sent = 0;
    s->reset_out = 0; /* a retried stream starts afresh with this worker */
    s->worker_reset = 0;
    if (px_idmap_put(&u->streams, s->up_id, s) < 0) {
        s->up = NULL;
        tc_warn("conn %u: out of memory attaching a stream", s->conn ? s->conn->id : 0);
        return -3;
    }
    u->nstreams++;
    int end = s->req_end && evbuffer_get_length(s->req) == 0;
    int rc = tp_encode_request_head(&p->out, s->up_id, end ? TP_FLAG_END_STREAM : 0, &s->head);
    if (rc != TP_OK || p->out.len - TP_HEADER_SIZE > px_upstream_max_frame(u)) {
        p->out.len = 0;
        tc_warn("conn %u: request head does not fit the worker's frame (%s)",
                s->conn ? s->conn->id : 0, rc != TP_OK ? tp_strerror(rc) : "too big");
        px_upstream_forget(s);
        return rc == TP_E_NOMEM ? -3 : -2;
    }
    px_upstream_commit(u);
    s->head_end = u->out_total;
    if (end)
        s->req_end_sent = 1;
    return 1;
}

void px_upstream_forget(px_stream *s)
{
    px_upstream *u = s->up;
    if (!u)
        return;
    px_idmap_del(&u->streams, s->up_id);
    u->nstreams--;
    s->up = NULL;
    if (u->state == PX_UP_DRAINING && u->nstreams == 0)
        px_upstream_close(u, NULL);
}

void px_upstream_close(px_upstream *u, const char *why)
{
    px_pool *p = u->pool;
    if (u->state == PX_UP_CLOSED)
        return;
    int was = u->state;
    u->state = PX_UP_CLOSED;
    px_pool_on_closing(p, was, why);
    if (why && was != PX_UP_HELLO && !p->th->stopping)
        tc_log(u->nstreams ? TC_LOG_WARNING : TC_LOG_INFO,
               "thread %d: connection to worker pid %u lost (%u streams open): %s", p->th->index,
               u->hello.pid, u->nstreams, why);
    event_del(u->read_ev);
    px_upstream_out_stop(u);
    if (u->hello_timer)
        evtimer_del(u->hello_timer);
    /* Fail only this connection's streams, and retry those the worker
     * cannot have started: a head still in our output buffer never left
     * (a write that failed, e.g. EPIPE from a worker that exited, leaves
     * it there), and a DRAIN named the streams it would not start. */
    uint64_t delivered = px_upstream_delivered(u);
    px_stream *s;
    while ((s = px_idmap_any(&u->streams))) {
        int unstarted = s->head_end > delivered || s->up_id > u->last_ok;
        px_upstream_forget(s);
        px_stream_on_up_lost(s, unstarted);
    }
    if (u->slot >= 0) {
        px_workers_unref(u->slot);
        u->slot = -1;
    }
    px_pool_on_closed(p, u);
}

void px_upstream_free(px_upstream *u)
{
    if (u->hello_timer)
        event_free(u->hello_timer);
    if (u->read_ev)
        event_free(u->read_ev);
    if (u->in)
        evbuffer_free(u->in);
    px_up_body_free(&u->body);
    px_upstream_out_free(u);
    close(u->fd);
    px_idmap_free(&u->streams);
    free(u);
}

/* ---- reader ---- */

static int decode_head(px_pool *p, uint8_t type, const uint8_t *b, size_t len, tp_response_head *h)
{
    for (;;) {
        if (!p->rh_cap) {
            p->rh = malloc(64 * sizeof *p->rh);
            if (!p->rh)
                return TP_E_NOMEM;
            p->rh_cap = 64;
        }
        int rc = tp_decode_response_head(type, b, len, h, p->rh, p->rh_cap);
        if (rc != TP_E_TOO_MANY)
            return rc;
        tp_header *n = realloc(p->rh, p->rh_cap * 2 * sizeof *n);
        if (!n)
            return TP_E_NOMEM;
        p->rh = n;
        p->rh_cap *= 2;
    }
}

static void on_hello(px_upstream *u, const uint8_t *b, size_t len)
{
    tp_hello h;
    int rc = tp_decode_hello(b, len, &h);
    if (rc != TP_OK || h.version != TP_VERSION || h.role != TP_ROLE_WORKER || h.capacity == 0) {
        tc_error("tandem-appd HELLO rejected: %s (version %u, role %u, capacity %u)",
                 rc != TP_OK ? tp_strerror(rc) : "unexpected values", h.version, h.role,
                 h.capacity);
        px_upstream_close(u, NULL);
        return;
    }
    if (u->state != PX_UP_HELLO) {
        px_upstream_close(u, "second HELLO");
        return;
    }
    u->hello = h;
    if (u->hello_timer)
        evtimer_del(u->hello_timer);
    u->slot = px_workers_ref(h.pid, h.capacity);
    if (u->slot < 0) {
        px_upstream_close(u, "worker table full");
        return;
    }
    u->state = PX_UP_READY;
    px_pool_on_ready(u->pool, u);
}

static void on_drain(px_upstream *u, uint32_t last)
{
    if (u->state == PX_UP_READY)
        px_pool_on_draining(u->pool, u);
    u->last_ok = last;
    tc_info("worker pid %u drains (%u streams open, last stream %u)", u->hello.pid, u->nstreams,
            last);
    /* Our DRAIN follows every head we sent: once the worker reads it, no
     * head is left unread in its socket, so it may close without losing one. */
    px_upstream_send_drain(u);
    /* Open streams finish; those that crossed the DRAIN come back as RESET
     * REFUSED_STREAM and are retried.  No stream left: done with it. */
    if (u->nstreams == 0)
        px_upstream_close(u, NULL);
    px_pool_maintain(u->pool);
}

/* RESPONSE_DATA: body bytes move from in to the stream without a copy. */
static int on_data(px_upstream *u, const tp_frame_header *fh, struct evbuffer *in)
{
    evbuffer_drain(in, TP_HEADER_SIZE);
    px_stream *s = px_idmap_get(&u->streams, fh->stream);
    if (!s) {
        evbuffer_drain(in, fh->length); /* a stream we reset: ignore */
        return 0;
    }
    if (!s->head_in) {
        tc_error("worker pid %u sent RESPONSE_DATA before RESPONSE_HEAD on stream %u", u->hello.pid,
                 fh->stream);
        return -1;
    }
    if ((int64_t)fh->length > s->resp_window) {
        /* Unchecked, a worker that ignores CREDIT would grow s->resp
         * without bound while the client reads slowly. */
        tc_error("worker pid %u sent %u bytes on stream %u with a window of %lld: "
                 "FLOW_CONTROL_ERROR",
                 u->hello.pid, fh->length, fh->stream, (long long)s->resp_window);
        evbuffer_drain(in, fh->length);
        px_stream_on_flow_error(s);
        return 0;
    }
    /* Message flags only after a 101, END_STREAM only before one. */
    unsigned msg = fh->flags & (TP_FLAG_TEXT | TP_FLAG_MESSAGE_END);
    if (s->tunnel ? (fh->flags & TP_FLAG_END_STREAM) != 0 : msg != 0) {
        tc_error("worker pid %u sent RESPONSE_DATA with flags 0x%x on stream %u, %s a 101: "
                 "PROTOCOL_ERROR",
                 u->hello.pid, fh->flags, fh->stream, s->tunnel ? "after" : "without");
        evbuffer_drain(in, fh->length);
        px_stream_on_worker_error(s, TP_RESET_PROTOCOL_ERROR);
        return 0;
    }
    s->resp_window -= fh->length;
    px_stream_on_data(s, in, fh->length, fh->flags);
    return 0;
}

/* A frame that breaks the order of a stream's frames: a connection error
 * already logged (tp_* codes are 0 or negative). */
#define OUT_OF_ORDER 1

/* RESPONSE_INFO, RESPONSE_HEAD, TRAILERS.  TP_OK, a TP_E_* code, or
 * OUT_OF_ORDER. */
static int on_head(px_upstream *u, const tp_frame_header *fh, const uint8_t *b)
{
    tp_response_head h;
    int rc = decode_head(u->pool, fh->type, b, fh->length, &h);
    if (rc != TP_OK)
        return rc;
    px_stream *s = px_idmap_get(&u->streams, fh->stream);
    if (!s)
        return TP_OK;
    /* tandem-protocol(7): TRAILERS before RESPONSE_HEAD, or a second
     * RESPONSE_HEAD, is a connection error; ignored, its END_STREAM
     * would be lost and the client left waiting. */
    if ((fh->type == TP_FRAME_TRAILERS && !s->head_in) ||
        (fh->type == TP_FRAME_RESPONSE_HEAD && s->head_in)) {
        tc_error("worker pid %u sent %s %s RESPONSE_HEAD on stream %u", u->hello.pid,
                 tp_frame_type_name(fh->type), s->head_in ? "after" : "before", fh->stream);
        return OUT_OF_ORDER;
    }
    if (fh->type == TP_FRAME_RESPONSE_HEAD && h.status == 101 &&
        (!(s->head.flags & TP_REQ_WEBSOCKET) || (fh->flags & TP_FLAG_END_STREAM))) {
        /* A 101 accepts a WebSocket request, and opens a tunnel. */
        tc_error("worker pid %u answered 101 to %s on stream %u: PROTOCOL_ERROR, 502", u->hello.pid,
                 (fh->flags & TP_FLAG_END_STREAM) ? "end the stream"
                                                  : "a request that is no WebSocket",
                 fh->stream);
        s->head_in = 1;
        px_stream_on_worker_error(s, TP_RESET_PROTOCOL_ERROR);
        return TP_OK;
    }
    if (fh->type == TP_FRAME_RESPONSE_INFO)
        px_stream_on_info(s, &h);
    else if (fh->type == TP_FRAME_RESPONSE_HEAD)
        px_stream_on_head(s, &h, fh->flags & TP_FLAG_END_STREAM);
    else
        px_stream_on_trailers(s, &h);
    return TP_OK;
}

/* RESET and CREDIT: a u32 for one stream. */
static int on_stream_u32(px_upstream *u, const tp_frame_header *fh, const uint8_t *b)
{
    uint32_t v = 0;
    /* A CREDIT of 0 or above 2^31-1 is a connection error. */
    int rc = fh->type == TP_FRAME_CREDIT ? tp_decode_credit(b, fh->length, &v)
                                         : tp_decode_u32(b, fh->length, &v);
    if (rc != TP_OK)
        return rc;
    px_stream *s = px_idmap_get(&u->streams, fh->stream);
    if (!s)
        return TP_OK;
    if (fh->type == TP_FRAME_RESET)
        px_stream_on_reset(s, v);
    else
        px_stream_on_credit(s, v);
    return TP_OK;
}

/* WS_CLOSE: the worker's final frame of a tunnel. */
static int on_ws_close(px_upstream *u, const tp_frame_header *fh, const uint8_t *b)
{
    uint16_t code;
    tp_str reason;
    int rc = tp_decode_ws_close(b, fh->length, &code, &reason);
    if (rc != TP_OK)
        return rc;
    px_stream *s = px_idmap_get(&u->streams, fh->stream);
    if (!s)
        return TP_OK;
    if (!s->tunnel || s->resp_end) {
        tc_error("worker pid %u sent WS_CLOSE on stream %u, %s: PROTOCOL_ERROR", u->hello.pid,
                 fh->stream, s->tunnel ? "after its final frame" : "which no 101 opened");
        px_stream_on_worker_error(s, TP_RESET_PROTOCOL_ERROR);
        return TP_OK;
    }
    px_stream_on_ws_close(s, code, reason);
    return TP_OK;
}

static void on_ping(px_upstream *u, const tp_frame_header *fh, const uint8_t *b)
{
    if (fh->flags & TP_FLAG_ACK)
        u->ping_out = 0;
    else if (fh->length == 8)
        px_upstream_send_ping_ack(u, b);
}

/* Handles one frame; returns -1 when the connection must close. */
static int on_frame(px_upstream *u, const tp_frame_header *fh, struct evbuffer *in)
{
    if (fh->type == TP_FRAME_RESPONSE_DATA)
        return on_data(u, fh, in);
    const uint8_t *b = evbuffer_pullup(in, TP_HEADER_SIZE + fh->length);
    if (!b)
        return -1;
    b += TP_HEADER_SIZE;
    int rc = TP_OK;
    uint32_t v = 0;
    if (u->state == PX_UP_HELLO && fh->type != TP_FRAME_HELLO) {
        tc_error("tandem-appd sent %s before HELLO", tp_frame_type_name(fh->type));
        return -1;
    }
    switch (fh->type) {
    case TP_FRAME_HELLO: on_hello(u, b, fh->length); break;
    case TP_FRAME_RESPONSE_INFO:
    case TP_FRAME_RESPONSE_HEAD:
    case TP_FRAME_TRAILERS:
        rc = on_head(u, fh, b);
        if (rc == OUT_OF_ORDER)
            return -1;
        break;
    case TP_FRAME_RESET:
    case TP_FRAME_CREDIT: rc = on_stream_u32(u, fh, b); break;
    case TP_FRAME_PING: on_ping(u, fh, b); break;
    case TP_FRAME_WS_CLOSE: rc = on_ws_close(u, fh, b); break;
    case TP_FRAME_DRAIN:
        rc = tp_decode_u32(b, fh->length, &v);
        if (rc == TP_OK)
            on_drain(u, v);
        break;
    default:
        tc_error("tandem-appd worker pid %u sent a %s frame, which only the proxy sends",
                 u->hello.pid, tp_frame_type_name(fh->type));
        return -1;
    }
    if (rc != TP_OK) {
        tc_error("bad %s frame from worker pid %u: %s", tp_frame_type_name(fh->type), u->hello.pid,
                 tp_strerror(rc));
        return -1;
    }
    if (u->state != PX_UP_CLOSED)
        evbuffer_drain(in, TP_HEADER_SIZE + fh->length);
    return 0;
}

/* Decodes every whole frame in u's input. */
static void up_frames(px_upstream *u)
{
    struct evbuffer *in = u->in;
    size_t avail;
    while (u->state != PX_UP_CLOSED && (avail = evbuffer_get_length(in)) >= TP_HEADER_SIZE) {
        uint8_t hb[TP_HEADER_SIZE];
        evbuffer_copyout(in, hb, sizeof hb);
        tp_frame_header fh;
        int rc = tp_frame_header_decode(hb, sizeof hb, PX_UP_MAX_FRAME, &fh);
        if (rc != TP_OK) {
            tc_error("bad frame header from tandem-appd (worker pid %u): %s", u->hello.pid,
                     tp_strerror(rc));
            px_upstream_close(u, NULL);
            return;
        }
        if (avail < TP_HEADER_SIZE + (size_t)fh.length) {
            /* The rest of the frame is still on its way: a large body
             * comes straight into its pieces. */
            if (fh.type == TP_FRAME_RESPONSE_DATA && fh.length >= PX_UP_BODY_MIN &&
                u->state != PX_UP_HELLO)
                px_up_body_start(u, &fh);
            break;
        }
        if (on_frame(u, &fh, in) < 0) {
            px_upstream_close(u, NULL);
            return;
        }
    }
}

/* The worker's socket is readable while a body comes into its pieces. */
static void body_readable(px_upstream *u)
{
    int rc = px_up_body_read(u);
    if (rc <= 0) {
        if (rc < 0)
            px_upstream_close(u, rc == -EPIPE ? "closed by tandem-appd" : strerror(-rc));
        return;
    }
    tp_frame_header fh = u->body.fh;
    struct evbuffer *f = px_up_body_frame(u);
    if (!f) {
        px_up_body_free(&u->body);
        px_upstream_close(u, "out of memory");
        return;
    }
    px_piece_hand(u->body.pieces[0]);
    int r = on_frame(u, &fh, f);
    px_piece_hand_back();
    evbuffer_free(f);
    px_up_body_free(&u->body);
    if (r < 0) {
        px_upstream_close(u, NULL);
        return;
    }
    up_frames(u);
}

/* One read(2) of up to PX_READ_CHUNK: libevent 2.1's evbuffer_read takes at
 * most 4 KiB a call, which cost a readv and an ioctl per 4 KiB of response
 * and left the body in 4 KiB chains (and so 4 KiB TLS records) downstream. */
static void up_readable_cb(evutil_socket_t fd, short what, void *arg)
{
    px_upstream *u = arg;
    struct evbuffer *in = u->in;
    struct evbuffer_iovec v[2];
    struct iovec iov[2];
    (void)what;
    if (u->body.npieces) {
        body_readable(u);
        return;
    }
    int nv = evbuffer_reserve_space(in, PX_READ_CHUNK, v, 2);
    if (nv < 0) {
        px_upstream_close(u, "out of memory");
        return;
    }
    for (int i = 0; i < nv; i++)
        iov[i] = (struct iovec){ v[i].iov_base, v[i].iov_len };
    ssize_t n = readv(fd, iov, nv);
    if (n < 0) {
        evbuffer_commit_space(in, v, 0);
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            px_upstream_close(u, strerror(errno));
        return;
    }
    if (n == 0) {
        evbuffer_commit_space(in, v, 0);
        px_upstream_close(u, "closed by tandem-appd");
        return;
    }
    size_t left = (size_t)n;
    for (int i = 0; i < nv; i++) {
        size_t k = left < v[i].iov_len ? left : v[i].iov_len;
        v[i].iov_len = k;
        left -= k;
    }
    evbuffer_commit_space(in, v, nv);
    up_frames(u);
}

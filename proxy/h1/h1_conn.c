/* h1_conn.c: the request side of an HTTP/1 connection (h1_conn.h): heads
 * parsed one at a time, bodies forwarded under the worker's window,
 * keep-alive and pipelining, and the connection's operations table.  The
 * response side is h1_response.c.  A trusted peer may turn the connection
 * into h2c (h2c.h). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include "h1_conn.h"
#include "h2c.h"
#include "px_bodybuf.h"
#include "px_dispatch.h"
#include "px_limits.h"
#include "px_prio.h"
#include "px_request.h"
#include "px_thread.h"
#include "px_upstream.h"
#include "tc_http.h"
#include "tc_log.h"

/* ---- streams: plain px_streams on a per-thread free list ---- */

static _Thread_local px_stream *free_streams;

static px_stream *stream_new(px_conn *c)
{
    px_stream *s = free_streams;
    if (s) {
        free_streams = s->free_next;
    } else {
        s = malloc(sizeof *s);
        if (!s || px_stream_construct(s) < 0) {
            free(s);
            return NULL;
        }
    }
    px_stream_init(s, c, &px_h1_stream_ops);
    return s;
}

void px_h1_stream_recycle(px_stream *s)
{
    s->free_next = free_streams;
    free_streams = s;
}

/* ---- heads ---- */

/* The parser's field array: one per thread (a head is parsed in one go,
 * then kept in its stream), grown by doubling when a head has more fields
 * than it holds, up to the limit. */
#define PX_H1_FIELDS_FIRST 128u
static _Thread_local tp_header *scratch;
static _Thread_local uint32_t scratch_cap;

static int fields_grow(uint32_t limit)
{
    uint32_t cap = scratch_cap ? scratch_cap * 2 : PX_H1_FIELDS_FIRST;
    if (cap > limit)
        cap = limit;
    if (cap <= scratch_cap)
        return -1;
    tp_header *n = realloc(scratch, cap * sizeof *n);
    if (!n)
        return -1;
    scratch = n;
    scratch_cap = cap;
    return 0;
}

/* Parses what the input holds of the next head, resuming hc->scan; the
 * field array grows while the head has more fields than it holds. */
static int parse_head_bytes(px_h1_conn *hc, const uint8_t *p, size_t n, px_h1_request *r,
                            size_t *consumed)
{
    const px_limits *lim = hc->base.limits;
    if (!scratch && fields_grow(lim->h1_max_fields) < 0) {
        r->error_status = 503;
        r->error = "out of memory";
        return PX_H1_ERROR;
    }
    for (;;) {
        int rc = px_h1_parse_request_from(&hc->scan, p, n, &lim->h1, r, scratch, scratch_cap,
                                          consumed);
        if (rc != PX_H1_ERROR || !r->hdrs_full || fields_grow(lim->h1_max_fields) < 0)
            return rc;
    }
}

static void fill_head(px_conn *c, px_stream *s, const px_h1_request *r)
{
    tp_request_head *h = &s->head;
    h->http_major = 1;
    h->http_minor = r->http_minor;
    h->flags = 0;
    if (r->expect_continue)
        h->flags |= TP_REQ_EXPECT_CONTINUE;
    /* 1xx and trailers need HTTP/1.1 (trailers need chunked, and the
     * client's TE: trailers); HTTP/1.0 gets neither. */
    if (r->http_minor == 1) {
        h->flags |= TP_REQ_EARLY_HINTS;
        if (r->te_trailers)
            h->flags |= TP_REQ_TE_TRAILERS;
    }
    px_conn_fill_head(c, h);
    h->content_length = r->chunked ? TP_LENGTH_UNKNOWN : r->content_length;
    h->h2_stream_id = 0;
    h->method = r->method;
    h->scheme.ptr = (const uint8_t *)(c->tls ? "https" : "http");
    h->scheme.len = c->tls ? 5 : 4;
    h->authority = r->host;
    h->path = r->path;
    h->query = r->query;
    h->nheaders = r->nheaders;
    h->headers = r->headers;
    /* RFC 9218 applies to HTTP/1.1 too: urgency orders the wait queue.  The
     * RFC 7540 fields stay unset (no TP_REQ_HAS_PRIORITY): h2 only. */
    for (uint32_t i = 0; i < r->nheaders; i++)
        if (tc_http_name_is(r->headers[i].name.ptr, r->headers[i].name.len, "priority"))
            px_prio_parse(r->headers[i].value.ptr, r->headers[i].value.len, &h->prio_urgency,
                          &h->prio_incremental);
}

/* The request's framing, from its parsed head. */
static void set_framing(px_h1_conn *hc, px_stream *s, const px_h1_request *r)
{
    px_conn *c = &hc->base;
    s->is_head = r->method.len == 4 && memcmp(r->method.ptr, "HEAD", 4) == 0;
    hc->keep_alive = r->keep_alive && c->limits->keepalive && !c->th->stopping;
    /* After a CONNECT (answered 501) the client may already be sending
     * tunnel bytes: never read them as the next request. */
    if (r->method.len == 7 && memcmp(r->method.ptr, "CONNECT", 7) == 0)
        hc->keep_alive = 0;
    hc->te_trailers = r->te_trailers;
    hc->chunked_in = hc->chunked_out = hc->close_out = 0;
    hc->req_left = 0;
    hc->resp_left = UINT64_MAX;
    if (r->chunked) {
        hc->chunked_in = 1;
        px_h1_chunked_init(&hc->chunked);
        hc->chunked.max_line = c->limits->h1_chunk_line_max;
        hc->chunked.max_trailers = c->limits->h1_trailers_max;
    } else if (r->content_length > 0) {
        hc->req_left = r->content_length;
    } else {
        s->req_end = 1;
    }
    hc->expect_continue = r->expect_continue && r->http_minor == 1 && !s->req_end;
}

/* Upgrade: websocket: the handshake is checked here (a bad one is answered
 * at once), the fields that are the proxy's business leave the head, and
 * the request goes to the worker with its direction open, for the
 * messages a 101 would let through.  0 to submit, -1 answered. */
static int websocket_request(px_h1_conn *hc, px_stream *s, const px_h1_request *r)
{
    static const tp_header want13 = { { (const uint8_t *)"sec-websocket-version", 21 },
                                      { (const uint8_t *)"13", 2 } };
    const char *why = "";
    tp_request_head *h = &s->head;
    int rc = ws_handshake_h1(h->method, r->chunked || r->content_length > 0, h->headers,
                             h->nheaders, hc->ws_accept, &why);
    hc->keep_alive = 0; /* whatever the answer, this connection serves nothing after it */
    if (rc != WS_HS_OK) {
        tc_debug("conn %u: WebSocket handshake refused (%d): %s", hc->base.id, rc, why);
        px_stream_local_response_field(s, (unsigned)rc,
                                       rc == WS_HS_VERSION
                                           ? "Upgrade Required: WebSocket version 13\n"
                                           : "Bad Request: malformed WebSocket handshake\n",
                                       rc == WS_HS_VERSION ? &want13 : NULL);
        return -1;
    }
    hc->websocket = 1;
    h->flags |= TP_REQ_WEBSOCKET;
    h->content_length = 0;
    s->req_end = 0;
    ws_drop_fields(s->hdrs, &h->nheaders);
    return 0;
}

static long dechunk(px_h1_conn *hc, px_stream *s, struct evbuffer *in, size_t hold);

/* A body being collected (px_bodybuf.h): what the input holds of it goes
 * into s->req (de-chunked), and the request is submitted once whole or at
 * the bound. */
static void h1_collect(px_h1_conn *hc, px_stream *s)
{
    struct evbuffer *in = px_conn_in(&hc->base);
    if (hc->chunked_in) {
        if (dechunk(hc, s, in, s->collect_max) >= 0) /* else answered */
            px_bodybuf_check(s);
        return;
    }
    size_t avail = evbuffer_get_length(in);
    uint64_t n = hc->req_left < avail ? hc->req_left : avail;
    if (n) {
        evbuffer_remove_buffer(in, s->req, (size_t)n);
        hc->req_left -= n;
    }
    if (hc->req_left == 0)
        s->req_end = 1;
    px_bodybuf_check(s);
}

/* A complete head: its stream, kept, then submitted (or upgraded to h2c). */
static void start_request(px_h1_conn *hc, const px_h1_request *r, size_t consumed)
{
    px_conn *c = &hc->base;
    px_stream *s = stream_new(c);
    if (!s) {
        px_h1_send_error(c, 503, "out of memory");
        return;
    }
    px_conn_set_timer(c, NULL);
    hc->head_timed = 0;
    memset(&hc->scan, 0, sizeof hc->scan); /* the next head starts after this one */
    hc->cur = s;
    hc->requests++;
    hc->websocket = 0;
    fill_head(c, s, r);
    set_framing(hc, s, r);
    /* Bytes of the head go away with the drain: keep a copy (the request may
     * wait in the queue, or be retried on another worker). */
    int kept = px_stream_keep_head(s);
    evbuffer_drain(px_conn_in(c), consumed);
    if (kept < 0) {
        tc_warn("conn %u: out of memory keeping a request head: 503", c->id);
        hc->keep_alive = 0; /* its body, if any, is not read */
        px_stream_local_response(s, 503, "Service Unavailable: out of memory\n");
        return;
    }
    if (s->head_kept && px_h2c_can_upgrade(c, r)) {
        hc->cur = NULL;
        if (px_h2c_upgrade(c, s) == 0)
            return;  /* now stream 1 of an h2 session */
        hc->cur = s; /* not upgraded: served as HTTP/1.1 */
    }
    if (r->ws_upgrade && s->head_kept && websocket_request(hc, s, r) < 0)
        return;
    if (px_request_admit(s) < 0)
        return;
    if (px_bodybuf_start(s, SIZE_MAX)) {
        h1_collect(hc, s); /* a small body first, then a worker */
        return;
    }
    px_dispatch_submit(s); /* may answer (and free s) at once */
}

/* A head must arrive whole within --header-timeout of its first byte (of
 * the connection's start for the first request): the deadline is armed
 * once, never moved by the bytes that trickle in (slowloris). */
static void head_deadline(px_h1_conn *hc)
{
    if (hc->head_timed)
        return;
    hc->head_timed = 1;
    px_conn_set_timer(&hc->base, hc->base.limits->tv_header);
}

static void parse_next(px_conn *c)
{
    px_h1_conn *hc = px_h1_of(c);
    if (c->closing || hc->cur)
        return;
    const px_limits *lim = c->limits;
    struct evbuffer *in = px_conn_in(c);
    size_t len = evbuffer_get_length(in);
    if (len == 0)
        return;
    size_t n = len < lim->h1.max_head ? len : lim->h1.max_head;
    const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
    if (!p) {
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    px_h1_request r;
    memset(&r, 0, sizeof r);
    size_t consumed = 0;
    int rc = parse_head_bytes(hc, p, n, &r, &consumed);

    if (rc == PX_H1_AGAIN) {
        if (n >= lim->h1.max_head) {
            px_h1_send_error(c, 431, "request head too large");
            return;
        }
        head_deadline(hc);
        return;
    }
    if (rc != PX_H1_OK) {
        if (hc->requests == 0 && px_h2c_bad_preface(c, &r))
            return;
        px_h1_send_error(c, r.error_status ? r.error_status : 400, r.error);
        return;
    }
    if (r.h2_preface) {
        if (hc->requests == 0 && px_h2c_prior_knowledge(c, consumed))
            return;
        px_h1_send_error(c, 505, "HTTP/2 preface without ALPN h2");
        return;
    }
    if (px_h2c_h1_refused(c)) {
        px_h1_send_error(c, 400, "HTTP/1 from a trusted peer on an h2c prior-knowledge listener");
        return;
    }
    start_request(hc, &r, consumed);
}

static void h1_start(px_conn *c)
{
    /* Pipelined bytes beyond one head and some body stay in the socket. */
    px_conn_set_read_high(c, c->limits->h1_read_high);
    head_deadline(px_h1_of(c));
    if (evbuffer_get_length(px_conn_in(c)))
        parse_next(c);
}

static void h1_on_read(px_conn *c)
{
    px_stream *s = px_h1_of(c)->cur;
    if (s) {
        if (s->state == PX_ST_UP)
            s->ops->pump_request(s);
        else if (s->collecting)
            h1_collect(px_h1_of(c), s);
        return;
    }
    parse_next(c);
}

/* ---- request body ---- */

static void body_error(px_stream *s, const char *why)
{
    px_h1_conn *hc = px_h1_of(s->conn);
    tc_debug("conn %u: bad chunked request body: %s", hc->base.id, why ? why : "");
    if (s->up)
        px_upstream_send_reset(s, TP_RESET_CANCEL);
    hc->keep_alive = 0;
    px_stream_local_response(s, 400, "Bad Request: malformed chunked body\n");
}

/* De-chunks what the input holds into s->req, up to hold bytes there.  The
 * input bytes consumed, or -1 after answering a malformed body (s may be
 * gone then). */
static long dechunk(px_h1_conn *hc, px_stream *s, struct evbuffer *in, size_t hold)
{
    long used = 0;
    while (!s->req_end && evbuffer_get_length(s->req) < hold) {
        size_t len = evbuffer_get_length(in);
        if (len == 0)
            break;
        size_t n = len < 64 * 1024 ? len : 64 * 1024;
        const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
        size_t consumed = 0, off = 0, dlen = 0;
        int rc = px_h1_chunked_decode(&hc->chunked, p, n, &consumed, &off, &dlen);
        if (rc == PX_H1_ERROR) {
            body_error(s, hc->chunked.error);
            return -1;
        }
        /* Past limit_request_body: answered, and as the body is not read to
         * its end the connection closes (px_h1_finish). */
        if (dlen && px_request_body_over(s, dlen))
            return -1;
        if (dlen && px_bodybuf_pace(s, dlen))
            return -1; /* too slow: answered */
        if (dlen)
            evbuffer_add(s->req, p + off, dlen);
        evbuffer_drain(in, consumed);
        used += (long)consumed;
        if (hc->chunked.done)
            s->req_end = 1;
        if (consumed == 0)
            break;
    }
    return used;
}

/* De-chunks and forwards under the window, round after round while both the
 * window and the client's bytes last: the whole body may already sit in the
 * input (read while the request waited for a worker), and no read event
 * would come to move the rest -- a worker that credits in batches would
 * then wait for bytes the proxy holds. */
static void pump_chunked(px_h1_conn *hc, px_stream *s)
{
    struct evbuffer *in = px_conn_in(&hc->base);
    for (;;) {
        long used = dechunk(hc, s, in, PX_CHUNKED_HOLD);
        if (used < 0)
            return;
        /* Nothing de-chunked may mean s->req was full (a body collected
         * before dispatch): once it has gone, de-chunk the next part. */
        size_t held = evbuffer_get_length(s->req);
        px_stream_pump_request(s);
        if ((used == 0 && held == 0) || s->req_end_sent || s->send_window <= 0 ||
            evbuffer_get_length(s->req) > 0)
            return;
    }
}

/* A Content-Length body goes from the client's input straight to the
 * worker, as much as its window allows. */
static void pump_sized(px_h1_conn *hc, px_stream *s)
{
    struct evbuffer *in = px_conn_in(&hc->base);
    uint32_t max = s->up ? px_upstream_max_frame(s->up) : TP_DEFAULT_MAX_FRAME;
    size_t avail, moved = 0;
    while (hc->req_left > 0 && s->send_window > 0 && (avail = evbuffer_get_length(in)) > 0) {
        uint64_t n = hc->req_left;
        if (n > (uint64_t)s->send_window)
            n = (uint64_t)s->send_window;
        if (n > avail)
            n = avail;
        if (n > max)
            n = max;
        int end = n == hc->req_left;
        px_upstream_send_data(s, in, (size_t)n, end);
        hc->req_left -= n;
        s->send_window -= (int64_t)n;
        s->req_data_sent = 1;
        moved += (size_t)n;
        if (end)
            s->req_end = s->req_end_sent = 1;
    }
    if (!moved || px_bodybuf_pace(s, moved))
        return; /* nothing moved, or too slow (answered) */
    if (hc->req_left > 0 && s->send_window <= 0)
        px_bodybuf_pace_restart(s); /* the worker holds the body back, not the client */
    px_stream_progress(s);
}

static void h1_pump_request(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c || s->state != PX_ST_UP || s->req_end_sent)
        return;
    px_h1_conn *hc = px_h1_of(c);
    if (hc->chunked_in) {
        pump_chunked(hc, s);
        return;
    }
    if (evbuffer_get_length(s->req))
        px_stream_pump_request(s); /* a body collected before dispatch */
    if (!s->req_end_sent && !evbuffer_get_length(s->req))
        pump_sized(hc, s);
}

static void h1_dispatched(px_stream *s)
{
    px_h1_conn *hc = px_h1_of(s->conn);
    if (hc->expect_continue && !s->resp_head) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        evbuffer_add(px_conn_out(s->conn), cont, sizeof cont - 1);
        hc->expect_continue = 0;
    }
    h1_pump_request(s);
}

/* HTTP/1 has no flow control of its own: reading pauses by itself when the
 * body is not taken (the input buffer's high mark). */
static void h1_consumed(px_stream *s, size_t n)
{
    (void)s;
    (void)n;
}

/* A body the worker did not read leaves the connection unusable: the
 * response says Connection: close (h1_response.c). */
static void h1_body_abandoned(px_stream *s) { (void)s; }

static enum px_stall h1_stalled(px_stream *s, int reads)
{
    (void)s;
    (void)reads;
    return PX_STALL_CLOSE; /* one request at a time: nothing else to keep */
}

/* ---- end of a request, and the connection's life ---- */

void px_h1_finish(px_conn *c, px_stream *s)
{
    px_h1_conn *hc = px_h1_of(c);
    int keep = hc->keep_alive && s->req_end && !c->closing && !c->th->stopping;
    hc->cur = NULL;
    px_stream_client_gone(s);
    if (!keep) {
        px_conn_close(c, PX_CLOSE_FLUSH);
        return;
    }
    hc->head_timed = 0; /* idle: --keep-alive until the next head's first byte */
    px_conn_set_timer(c, c->limits->tv_keepalive);
    if (evbuffer_get_length(px_conn_in(c)))
        /* Pipelined request already here: take it on the next turn, not
         * recursively from inside this one. */
        px_conn_read_later(c);
}

static void h1_on_write(px_conn *c)
{
    px_stream *s = px_h1_of(c)->cur;
    if (s && s->resp_head)
        px_h1_pump_response(s);
}

static void h1_on_timeout(px_conn *c)
{
    /* Idle keep-alive, or a head that did not complete in time: close
     * cleanly (TLS close_notify), the client did nothing wrong. */
    if (!px_h1_of(c)->cur)
        px_conn_close(c, PX_CLOSE_FLUSH);
}

static void h1_shutdown(px_conn *c)
{
    px_h1_conn *hc = px_h1_of(c);
    if (!hc->cur)
        px_conn_close(c, PX_CLOSE_FLUSH);
    else
        hc->keep_alive = 0; /* Connection: close on its response */
}

static void h1_detach(px_conn *c)
{
    px_h1_conn *hc = px_h1_of(c);
    px_stream *s = hc->cur;
    if (s) {
        hc->cur = NULL;
        px_stream_client_gone(s);
    }
}

static void h1_flush(px_conn *c) { (void)c; }

static void h1_release(px_conn *c) { (void)c; }

const px_conn_ops px_h1_conn_ops = {
    .name = "HTTP/1.1",
    .start = h1_start,
    .on_read = h1_on_read,
    .on_write = h1_on_write,
    .on_timeout = h1_on_timeout,
    .shutdown = h1_shutdown,
    .flush = h1_flush,
    .detach = h1_detach,
    .release = h1_release,
};

const px_stream_ops px_h1_stream_ops = {
    .dispatched = h1_dispatched,
    .pump_request = h1_pump_request,
    .consumed = h1_consumed,
    .body_abandoned = h1_body_abandoned,
    .send_informational = px_h1_send_info,
    .send_head = px_h1_send_head,
    .data_ready = px_h1_pump_response,
    .abort = px_h1_abort,
    .stalled = h1_stalled,
    .recycle = px_h1_stream_recycle,
};

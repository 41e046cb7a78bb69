/* h2_request.c: the request side of an HTTP/2 connection: streams opened by
 * HEADERS, header fields referenced (not copied) into the request head and
 * bounded by --http2-max-header-list-size, body DATA consumed (window
 * updates sent) only once the worker took it, so a slow app stops the
 * client, and the operations table of HTTP/2 streams. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "h2_check.h"
#include "h2_conn.h"
#include "ws_session.h"
#include "px_bodybuf.h"
#include "px_dispatch.h"
#include "px_hdr.h"
#include "px_limits.h"
#include "px_prio.h"
#include "px_request.h"
#include "tc_http.h"
#include "tc_log.h"

/* ---- streams: px_h2_streams on a per-thread free list ---- */

static _Thread_local px_h2_stream *free_streams;

px_h2_stream *px_h2_stream_new(px_conn *c)
{
    px_h2_stream *s = free_streams;
    if (s) {
        free_streams = (px_h2_stream *)(void *)s->base.free_next;
    } else {
        s = calloc(1, sizeof *s);
        if (!s || px_stream_construct(&s->base) < 0) {
            free(s);
            return NULL;
        }
    }
    px_stream_init(&s->base, c, &px_h2_stream_ops);
    /* Keep the reference array; the rest starts afresh. */
    nghttp2_rcbuf **rc = s->rc;
    uint32_t rc_cap = s->rc_cap;
    memset((char *)s + sizeof s->base, 0, sizeof *s - sizeof s->base);
    s->rc = rc;
    s->rc_cap = rc_cap;
    /* The head is made of references kept alive here: it outlives the
     * input, so the request may wait or be retried. */
    s->base.head_kept = 1;
    return s;
}

void px_h2_stream_recycle(px_stream *base)
{
    px_h2_stream *s = px_h2s_of(base);
    if (s->ws) {
        ws_session_stop(s->ws);
        free(s->ws);
        s->ws = NULL;
    }
    for (uint32_t i = 0; i < s->nrc; i++)
        nghttp2_rcbuf_decref(s->rc[i]);
    s->nrc = 0;
    base->free_next = (px_stream *)(void *)free_streams;
    free_streams = s;
}

px_h2_stream *px_h2_get_stream(px_h2_conn *hc, int32_t id)
{
    return nghttp2_session_get_stream_user_data(hc->session, id);
}

void px_h2_link_stream(px_h2_conn *hc, px_h2_stream *s, int32_t id)
{
    s->id = id;
    s->next = hc->streams;
    if (hc->streams)
        hc->streams->prev = s;
    hc->streams = s;
    hc->nstreams++;
    nghttp2_session_set_stream_user_data(hc->session, id, s);
    /* Streams have their own timers; a header block still arriving keeps
     * the connection's deadline. */
    if (!hc->head_open)
        px_conn_set_timer(&hc->base, NULL);
}

/* ---- the header deadline ---- */

/* The connection's timer once no header block is arriving. */
static void head_closed(px_h2_conn *hc)
{
    if (!hc->head_open)
        return;
    int armed = hc->head_timer;
    hc->head_open = 0;
    hc->head_timer = 0;
    if (hc->base.closing)
        return;
    if (hc->nstreams) {
        /* A block read whole never armed its deadline: the timer is off
         * already, unless the block opened an idle connection's first
         * stream and the idle timer still runs. */
        if (armed || evtimer_pending(&hc->base.timer, NULL))
            px_conn_set_timer(&hc->base, NULL);
    } else {
        px_h2_idle_start(hc);
    }
}

/* A HEADERS frame starts a header block that must end (END_HEADERS, the
 * frame read) within --header-timeout, however slowly its bytes or its
 * CONTINUATION frames come: until then nothing else may use the
 * connection.  Any frame but a CONTINUATION means the block has ended.
 * The deadline is armed only if the read that brought the frame ends with
 * the block still open (px_h2_head_deadline, the same loop turn): a block
 * that comes whole, the usual case, costs no timer change at all. */
void px_h2_head_frame(px_h2_conn *hc, const nghttp2_frame_hd *hd)
{
    if (hd->type == NGHTTP2_HEADERS)
        hc->head_open = 1;
    else if (hd->type != NGHTTP2_CONTINUATION)
        head_closed(hc);
}

void px_h2_head_deadline(px_h2_conn *hc)
{
    if (!hc->head_open || hc->head_timer || hc->base.closing)
        return;
    hc->head_timer = 1;
    px_conn_set_timer(&hc->base, hc->base.limits->tv_header);
}

void px_h2_head_expired(px_h2_conn *hc)
{
    tc_info("conn %u: request head incomplete after %lld s: GOAWAY", hc->base.id,
            hc->base.limits->header_timeout_s);
    hc->head_open = 0;
    hc->head_timer = 0;
    nghttp2_session_terminate_session(hc->session, NGHTTP2_ENHANCE_YOUR_CALM);
    px_conn_mark_dirty(&hc->base); /* sent, then closed, at the end of the turn */
}

/* ---- heads ---- */

int px_h2_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    px_h2_stream *s = px_h2_stream_new(&hc->base);
    if (!s)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    px_h2_link_stream(hc, s, frame->hd.stream_id);
    px_h2_prio_take_early(hc, s);
    if ((frame->hd.flags & NGHTTP2_FLAG_PRIORITY) && !px_h2_rfc7540_ignored(hc))
        px_h2_set_7540(s, &frame->headers.pri_spec);
    return 0;
}

static int keep_rc(px_h2_stream *s, nghttp2_rcbuf *a, nghttp2_rcbuf *b)
{
    if (s->nrc + 2 > s->rc_cap) {
        uint32_t cap = s->rc_cap ? s->rc_cap * 2 : 32;
        nghttp2_rcbuf **n = realloc(s->rc, cap * sizeof *n);
        if (!n)
            return -1;
        s->rc = n;
        s->rc_cap = cap;
    }
    nghttp2_rcbuf_incref(a);
    nghttp2_rcbuf_incref(b);
    s->rc[s->nrc++] = a;
    s->rc[s->nrc++] = b;
    return 0;
}

static tp_str rcstr(nghttp2_rcbuf *r)
{
    nghttp2_vec v = nghttp2_rcbuf_get_buf(r);
    return (tp_str){ v.base, (uint32_t)v.len };
}

static void pseudo_header(px_stream *s, tp_str n, tp_str v)
{
    if (tc_http_name_is(n.ptr, n.len, ":method"))
        s->head.method = v;
    else if (tc_http_name_is(n.ptr, n.len, ":scheme"))
        s->head.scheme = v;
    else if (tc_http_name_is(n.ptr, n.len, ":authority"))
        s->head.authority = v;
    else if (tc_http_name_is(n.ptr, n.len, ":path")) {
        size_t pl, ql;
        const uint8_t *q;
        px_split_path(v.ptr, v.len, &pl, &q, &ql);
        s->head.path = (tp_str){ v.ptr, (uint32_t)pl };
        s->head.query = (tp_str){ q, (uint32_t)ql };
    } else if (tc_http_name_is(n.ptr, n.len, ":protocol"))
        px_h2s_of(s)->protocol = v;
}

/* A regular field kept in the head; the ones the proxy reads too. */
static int regular_field(px_h2_stream *hs, nghttp2_rcbuf *name, nghttp2_rcbuf *value)
{
    px_stream *s = &hs->base;
    tp_str n = rcstr(name), v = rcstr(value);
    if (s->head.nheaders + 1 > s->hdr_cap) {
        uint32_t cap = s->hdr_cap ? s->hdr_cap * 2 : 32;
        tp_header *nh = realloc(s->hdrs, cap * sizeof *nh);
        if (!nh)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        s->hdrs = nh;
        s->hdr_cap = cap;
    }
    if (keep_rc(hs, name, value) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    s->hdrs[s->head.nheaders++] = (tp_header){ n, v };
    if (tc_http_name_is(n.ptr, n.len, "cookie"))
        hs->ncookies++;
    else if (tc_http_name_is(n.ptr, n.len, "content-length")) {
        uint64_t cl;
        if (tc_http_content_length(v.ptr, v.len, &cl) == 0)
            s->head.content_length = cl;
    } else if (tc_http_name_is(n.ptr, n.len, "priority") && !hs->prio_9218) {
        px_prio_parse(v.ptr, v.len, &s->head.prio_urgency, &s->head.prio_incremental);
    }
    return 0;
}

int px_h2_on_header(nghttp2_session *session, const nghttp2_frame *frame, nghttp2_rcbuf *name,
                    nghttp2_rcbuf *value, uint8_t flags, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    const px_limits *lim = hc->base.limits;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* request trailers: the wire has no place for them */
    px_h2_stream *s = px_h2_get_stream(hc, frame->hd.stream_id);
    if (!s || s->base.status) /* already rejected: keep nothing more */
        return 0;
    tp_str n = rcstr(name), v = rcstr(value);
    /* RFC 9113 §6.5.2 counts each field as name + value + 32.  Past the
     * limit nothing more is kept, so memory per stream stays bounded even
     * when the other limits are off; the stream is answered 431. */
    s->header_bytes += (uint64_t)n.len + v.len + 32;
    if (s->header_bytes > lim->h2_max_header_list) {
        tc_debug("conn %u: stream %d: header list over %u bytes: 431", hc->base.id, s->id,
                 lim->h2_max_header_list);
        s->base.status = 431;
        return 0;
    }
    if (n.len && n.ptr[0] == ':') {
        pseudo_header(&s->base, n, v);
        return keep_rc(s, name, value) < 0 ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
    }
    /* limit_request_field_size counts the field as an HTTP/1 line would be
     * sent, "name: value" CRLF, as over HTTP/1. */
    if ((lim->max_fields && s->base.head.nheaders >= lim->max_fields) ||
        (lim->max_field_size && n.len + 2 + v.len + 2 > (uint64_t)lim->max_field_size)) {
        s->base.status = 431; /* answered once the head is complete */
        return 0;
    }
    return regular_field(s, name, value);
}

/* h2 splits Cookie into crumbs (RFC 9113 §8.2.3); the app wants one field
 * joined with "; ". */
static void join_cookies(px_stream *s)
{
    size_t total = 0;
    for (uint32_t i = 0; i < s->head.nheaders; i++)
        if (tc_http_name_is(s->hdrs[i].name.ptr, s->hdrs[i].name.len, "cookie"))
            total += s->hdrs[i].value.len + 2;
    s->hold.len = 0;
    if (tp_buf_reserve(&s->hold, total) != TP_OK)
        return;
    uint8_t *p = s->hold.data;
    uint32_t w = 0, first = UINT32_MAX;
    for (uint32_t i = 0; i < s->head.nheaders; i++) {
        tp_header f = s->hdrs[i];
        if (tc_http_name_is(f.name.ptr, f.name.len, "cookie")) {
            if (p != s->hold.data) {
                *p++ = ';';
                *p++ = ' ';
            }
            memcpy(p, f.value.ptr, f.value.len);
            p += f.value.len;
            if (first != UINT32_MAX)
                continue;
            first = w;
        }
        s->hdrs[w++] = f;
    }
    s->hdrs[first].value = (tp_str){ s->hold.data, (uint32_t)(p - s->hold.data) };
    s->hold.len = (size_t)(p - s->hold.data);
    s->head.nheaders = w;
}

/* The pseudo-header fields as the client sent them, judged like an
 * HTTP/1 request-target (h2_check.h): 0, or the status to answer. */
static int check_target(px_h2_conn *hc, px_h2_stream *hs)
{
    px_stream *s = &hs->base;
    tp_request_head *h = &s->head;
    px_h2_target t = { h->method, h->scheme, h->authority, h->path, h->query, hs->protocol,
                       { NULL, 0 }, 0 };
    for (uint32_t i = 0; i < h->nheaders; i++)
        if (tc_http_name_is(s->hdrs[i].name.ptr, s->hdrs[i].name.len, "host")) {
            t.host = s->hdrs[i].value;
            t.host_count++;
        }
    const char *why = NULL;
    int status = px_h2_check_target(&t, &why);
    if (status)
        tc_debug("conn %u: stream %d: %s: %d", hc->base.id, hs->id, why, status);
    return status;
}

/* How much of a body may be collected before a worker is taken: what the
 * client may send unasked, or its whole declared length (within
 * --request-buffer-size) when the rest fits the connection's budget for
 * windows opened past the initial ones: one stream's initial window, which
 * the connection window has room for (h2_session.c) while fewer streams
 * than it counts collect.  With a window below --request-buffer-size (the
 * RFC's 65535, say) a 64 KiB upload would otherwise take a worker and hold
 * it for the round trip of the WINDOW_UPDATE its last byte waited for. */
static uint64_t collect_room(const px_h2_conn *hc, const px_h2_stream *hs, uint32_t unasked)
{
    const px_limits *l = hc->base.limits;
    uint64_t declared = hs->base.head.content_length;
    size_t budget = l->h2_initial_window;
    if (declared == TP_LENGTH_UNKNOWN || declared <= unasked || declared > l->body_buffer ||
        hc->collect_extra > budget || declared - unasked > budget - hc->collect_extra)
        return unasked;
    return declared;
}

/* Opens the stream's window by extra bytes for a body being collected.
 * Should nghttp2 refuse (out of memory), the body never completes: 408
 * after --body-timeout, as for a client that stops sending. */
static void open_for_body(px_h2_conn *hc, px_h2_stream *hs, uint32_t extra)
{
    int rv = nghttp2_submit_window_update(hc->session, NGHTTP2_FLAG_NONE, hs->id, (int32_t)extra);
    if (rv != 0) {
        tc_debug("conn %u: stream %d: WINDOW_UPDATE %u: %s", hc->base.id, hs->id, extra,
                 nghttp2_strerror(rv));
        return;
    }
    hs->collect_extra = extra;
    hc->collect_extra += extra;
    px_conn_mark_dirty(&hc->base);
}

/* The collected body went to a worker, or the stream is over: its share
 * of the budget is free again. */
static void collect_release(px_h2_conn *hc, px_h2_stream *hs)
{
    hc->collect_extra -= hs->collect_extra;
    hs->collect_extra = 0;
}

void px_h2_request_ready(px_h2_conn *hc, px_h2_stream *hs, int end_stream)
{
    px_conn *c = &hc->base;
    px_stream *s = &hs->base;
    tp_request_head *h = &s->head;
    h->http_major = 2;
    h->http_minor = 0;
    /* h2 can always carry 1xx and trailers; the priority fields are set. */
    h->flags = TP_REQ_EARLY_HINTS | TP_REQ_TE_TRAILERS | TP_REQ_HAS_PRIORITY;
    if (end_stream) {
        s->req_end = 1;
        h->content_length = 0;
    }
    if (s->status != 431)
        s->status = (uint16_t)check_target(hc, hs); /* before the scheme is the proxy's */
    px_conn_fill_head(c, h);
    /* The scheme is the proxy's word (tandem-protocol(7)): https on TLS;
     * without TLS only a trusted peer speaks h2c, and its :scheme stands. */
    int https = c->tls || (h->scheme.len == 5 && memcmp(h->scheme.ptr, "https", 5) == 0);
    h->scheme = (tp_str){ (const uint8_t *)(https ? "https" : "http"), https ? 5u : 4u };
    h->h2_stream_id = (uint32_t)hs->id;
    if (!h->authority.len) {
        for (uint32_t i = 0; i < h->nheaders; i++)
            if (tc_http_name_is(s->hdrs[i].name.ptr, s->hdrs[i].name.len, "host"))
                h->authority = s->hdrs[i].value;
    }
    if (hs->ncookies > 1)
        join_cookies(s);
    h->headers = s->hdrs;
    s->is_head = h->method.len == 4 && memcmp(h->method.ptr, "HEAD", 4) == 0;
    if (hs->prio_9218)
        px_h2_mirror_extpri(hc, hs); /* nghttp2 read only the header field */
    if (s->status == 431) {
        s->status = 0;
        px_stream_local_response(s, 431, "Request Header Fields Too Large\n");
        return;
    }
    if (s->status == 400) {
        s->status = 0;
        px_stream_local_response(s, 400, "Bad Request\n");
        return;
    }
    if (hs->protocol.len && px_h2_ws_request(hc, hs, end_stream) < 0)
        return;
    if (px_request_admit(s) < 0)
        return;
    /* A small body is collected first (px_bodybuf.h), within what the
     * client may send unasked: our initial window.  A client that sent the
     * HEADERS before it saw our SETTINGS gets that window for this stream
     * too when they arrive (RFC 9113 6.9.2), with no WINDOW_UPDATE.  Not
     * with window 0: nothing may come before a worker opens it. */
    uint32_t unasked = c->limits->h2_initial_window;
    uint64_t room = collect_room(hc, hs, unasked);
    if (!hc->manual_window && px_bodybuf_start(s, room)) {
        if (room > unasked)
            open_for_body(hc, hs, (uint32_t)(room - unasked));
        return; /* px_h2_on_data_chunk and body_end submit it */
    }
    px_dispatch_submit(s);
}

/* ---- frames and body ---- */

/* The body ended (END_STREAM on DATA, or on request trailers, whose fields
 * the wire has no place for). */
static void body_end(px_h2_stream *s)
{
    s->base.req_end = 1;
    s->base.ops->pump_request(&s->base);
    px_bodybuf_check(&s->base);
}

int px_h2_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    px_h2_stream *s;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        head_closed(hc);
        s = px_h2_get_stream(hc, frame->hd.stream_id);
        if (!s)
            break;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            px_h2_flood_progress(hc);
            px_h2_request_ready(hc, s, frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
        } else if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
            body_end(s);
        break;
    case NGHTTP2_DATA:
        if (px_h2_flood_data(hc, frame->hd.length - frame->data.padlen,
                             frame->hd.flags & NGHTTP2_FLAG_END_STREAM) < 0)
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        s = px_h2_get_stream(hc, frame->hd.stream_id);
        if (!s)
            break;
        /* Padding used the client's window too (the data was counted in
         * px_h2_on_data_chunk): never believe it has window it has not. */
        if (frame->data.padlen)
            s->window_open -=
                frame->data.padlen < s->window_open ? (uint32_t)frame->data.padlen : s->window_open;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
            body_end(s);
        break;
    case NGHTTP2_PRIORITY: px_h2_on_priority(hc, frame); break;
    default: break;
    }
    return 0;
}

int px_h2_on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                        size_t len, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    px_h2_stream *s = px_h2_get_stream(hc, id);
    /* A WebSocket outlives its worker: the client's Close still counts. */
    if (!s || (s->base.state == PX_ST_DONE && !s->ws)) {
        /* Nobody will read it: give the window back now. */
        nghttp2_session_consume(session, id, len);
        return 0;
    }
    if (!s->ws && px_request_body_over(&s->base, len)) {
        nghttp2_session_consume(session, id, len); /* dropped: the window comes back */
        return 0;
    }
    evbuffer_add(s->base.req, data, len);
    s->unconsumed += (uint32_t)len;
    s->window_open -= len < s->window_open ? (uint32_t)len : s->window_open;
    s->body_seen = 1;
    if (s->ws) {
        s->base.ops->pump_request(&s->base);
    } else if (s->base.state == PX_ST_UP) {
        if (!px_bodybuf_pace(&s->base, len)) /* else too slow: answered */
            s->base.ops->pump_request(&s->base);
    } else {
        px_bodybuf_check(&s->base);
    }
    return 0;
}

int px_h2_on_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    px_h2_stream *s = px_h2_get_stream(hc, id);
    if (!s)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    if (s->prev)
        s->prev->next = s->next;
    else if (hc->streams == s)
        hc->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
    hc->nstreams--;
    if (s->ws)
        ws_session_stop(s->ws); /* the stream is gone: nothing more to send */
    if (s->unconsumed) {
        nghttp2_session_consume_connection(session, s->unconsumed);
        s->unconsumed = 0;
    }
    collect_release(hc, s);
    if (error_code != NGHTTP2_NO_ERROR && s->base.up)
        tc_debug("conn %u: stream %d reset by the client (%u)", hc->base.id, id, error_code);
    px_stream_client_gone(&s->base);
    if (hc->nstreams == 0 && !hc->base.closing)
        px_h2_idle_start(hc);
    return 0;
}

/* ---- flow control of the request body ---- */

/* Window 0 (--http2-initial-window-size 0): the client may send only what
 * the worker can take at once.  Keeps open window + bytes held <= the
 * worker's window for this stream, opening the difference with a
 * WINDOW_UPDATE on dispatch, on each CREDIT and as bytes move on.  Small
 * openings (under 16 KiB or half the worker's window) wait until the client
 * has nothing left to send, so one worker credit does not become many tiny
 * frames. */
static void open_window(px_h2_conn *hc, px_h2_stream *hs)
{
    px_stream *s = &hs->base;
    if (!hc->manual_window || s->req_end || s->state != PX_ST_UP || !s->up)
        return;
    int64_t promised = (int64_t)hs->window_open + (int64_t)evbuffer_get_length(s->req);
    int64_t room = s->send_window - promised;
    int64_t batch = s->send_window / 2 < 16384 ? s->send_window / 2 : 16384;
    if (room <= 0 || (room < batch && promised > 0))
        return;
    if (room > 0x7fffffff - (int64_t)hs->window_open)
        room = 0x7fffffff - (int64_t)hs->window_open;
    int rv = nghttp2_submit_window_update(hc->session, NGHTTP2_FLAG_NONE, hs->id, (int32_t)room);
    if (rv != 0) {
        tc_debug("conn %u: stream %d: WINDOW_UPDATE %lld: %s", hc->base.id, hs->id, (long long)room,
                 nghttp2_strerror(rv));
        return;
    }
    hs->window_open += (uint32_t)room;
    px_conn_mark_dirty(&hc->base);
}

/* Whether the client can send no more body bytes: it ended the stream, or
 * sent all it declared (nghttp2 refuses more), which a collected body
 * reaches before the END_STREAM flag is read.  A WebSocket's messages are
 * no body (its head says length 0): they flow until the stream ends. */
static int body_complete(const px_stream *s)
{
    return s->req_end ||
           (!(s->head.flags & TP_REQ_WEBSOCKET) && s->head.content_length != TP_LENGTH_UNKNOWN &&
            s->body_in >= s->head.content_length);
}

/* n body bytes reached the worker: the client may send as many more. */
static void consume(px_h2_conn *hc, px_h2_stream *hs, size_t n)
{
    if (n > hs->unconsumed)
        n = hs->unconsumed;
    hs->unconsumed -= (uint32_t)n;
    if (hc->manual_window || body_complete(&hs->base))
        /* The stream's window moves with the worker's credit (open_window),
         * or the body is whole: a WINDOW_UPDATE for the stream would open
         * a window the client can no longer use (one frame a POST). */
        nghttp2_session_consume_connection(hc->session, n);
    else
        nghttp2_session_consume(hc->session, hs->id, n);
    px_conn_mark_dirty(&hc->base);
}

void px_h2_consumed(px_stream *s, size_t n)
{
    px_h2_conn *hc = px_h2_of(s->conn);
    if (!hc->session)
        return;
    if (n)
        consume(hc, px_h2s_of(s), n);
    open_window(hc, px_h2s_of(s));
}

void px_h2_body_abandoned(px_stream *s)
{
    px_h2_conn *hc = px_h2_of(s->conn);
    px_h2_stream *hs = px_h2s_of(s);
    if (!hc->session || !hs->unconsumed)
        return;
    /* Body bytes the worker will never read: give the window back. */
    consume(hc, hs, hs->unconsumed);
    evbuffer_drain(s->req, evbuffer_get_length(s->req));
}

static void px_h2_dispatched(px_stream *s)
{
    collect_release(px_h2_of(s->conn), px_h2s_of(s));
    px_stream_pump_request(s);
}

const px_stream_ops px_h2_stream_ops = {
    .dispatched = px_h2_dispatched,
    .pump_request = px_stream_pump_request,
    .consumed = px_h2_consumed,
    .body_abandoned = px_h2_body_abandoned,
    .send_informational = px_h2_send_info,
    .send_head = px_h2_send_head,
    .data_ready = px_h2_data_ready,
    .abort = px_h2_abort,
    .stalled = px_h2_stalled,
    .recycle = px_h2_stream_recycle,
};

/* h2_request.c: the request side of an HTTP/2 connection: streams opened by
 * HEADERS, header fields referenced (not copied) into the request head and
 * bounded by --http2-max-header-list-size, body DATA, and the priority
 * signals of both schemes.
 *
 * Priority.  The request head carries RFC 7540 fields (weight, depends_on,
 * exclusive) and RFC 9218 fields (urgency, incremental); both are read
 * here, whatever nghttp2 schedules by:
 *  - RFC 7540: the HEADERS priority block (frame->headers.pri_spec, which
 *    nghttp2 1.52 fills whatever its mode), or a PRIORITY frame received
 *    before the stream is dispatched (on_frame_recv; before the HEADERS it
 *    is kept in c->prio_early).  h2_session.c sends
 *    SETTINGS_NO_RFC7540_PRIORITIES=1 with the server fallback option, so
 *    nghttp2 drops PRIORITY frames only from a client that announced the
 *    same (it promised not to send them); others fall back to RFC 7540.
 *  - RFC 9218: the priority header field (px_prio_parse), and
 *    PRIORITY_UPDATE frames.  nghttp2's built-in PRIORITY_UPDATE handling
 *    works only when both sides disabled RFC 7540 priorities (no fallback),
 *    so the frame type is registered as a user extension instead: we get
 *    it on every connection, and mirror it into nghttp2's scheduler with
 *    nghttp2_session_change_extpri_stream_priority (a no-op in fallback).
 * The latest signal before dispatch wins, except that a PRIORITY_UPDATE
 * beats the header field (RFC 9218 §7.1: the frame reprioritises).  After
 * dispatch nothing changes the head: the wire has no update frame. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "h2_internal.h"
#include "px_hdr.h"
#include "px_prio.h"
#include "tc_log.h"

#define PRIORITY_UPDATE 0x10 /* NGHTTP2_PRIORITY_UPDATE, RFC 9218 §7.1 */

static px_stream *get_stream(px_conn *c, int32_t id)
{
    return nghttp2_session_get_stream_user_data(c->h2, id);
}

/* Not dispatched yet: a new priority still counts. */
static int prio_open(const px_stream *s)
{
    return s->state == PX_ST_IDLE || s->state == PX_ST_QUEUED;
}

/* A client that sent SETTINGS_NO_RFC7540_PRIORITIES=1 does not use them. */
static int rfc7540_ignored(px_conn *c)
{
    return nghttp2_session_get_remote_settings(c->h2, NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES) == 1;
}

static struct px_h2_prio_early *early_find(px_conn *c, int32_t id)
{
    for (size_t i = 0; i < sizeof c->prio_early / sizeof c->prio_early[0]; i++)
        if (c->prio_early[i].id == id)
            return &c->prio_early[i];
    return NULL;
}

/* The entry for idle stream id, taking the oldest slot when it has none. */
static struct px_h2_prio_early *early_slot(px_conn *c, int32_t id)
{
    struct px_h2_prio_early *e = early_find(c, id);
    if (e)
        return e;
    size_t n = sizeof c->prio_early / sizeof c->prio_early[0];
    e = &c->prio_early[c->prio_early_next++ % n];
    memset(e, 0, sizeof *e);
    e->id = id;
    return e;
}

static void set_7540(px_stream *s, const nghttp2_priority_spec *p)
{
    s->head.prio_weight = (uint16_t)p->weight;
    s->head.prio_depends_on = (uint32_t)p->stream_id;
    s->head.prio_exclusive = p->exclusive ? 1 : 0;
}

void px_h2_link_stream(px_conn *c, px_stream *s, int32_t id)
{
    s->h2_id = id;
    s->next = c->streams;
    if (c->streams)
        c->streams->prev = s;
    c->streams = s;
    c->nstreams++;
    nghttp2_session_set_stream_user_data(c->h2, id, s);
    evtimer_del(&c->timer);
}

int px_h2_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    px_conn *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    px_stream *s = px_stream_new(c);
    if (!s)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    px_h2_link_stream(c, s, frame->hd.stream_id);
    struct px_h2_prio_early *e = early_find(c, s->h2_id);
    if (e) {
        if (e->has_7540) {
            s->head.prio_weight = e->weight;
            s->head.prio_depends_on = e->depends_on;
            s->head.prio_exclusive = e->exclusive;
        }
        if (e->has_9218) {
            s->head.prio_urgency = e->urgency;
            s->head.prio_incremental = e->incremental;
            s->prio_frame_9218 = 1;
        }
        e->id = 0;
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_PRIORITY) && !rfc7540_ignored(c))
        set_7540(s, &frame->headers.pri_spec);
    return 0;
}

static int keep_rc(px_stream *s, nghttp2_rcbuf *a, nghttp2_rcbuf *b)
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

static int pseudo_header(px_stream *s, tp_str n, tp_str v)
{
    tp_str *dst = NULL;
    if (px_hdr_is(n.ptr, n.len, ":method"))
        dst = &s->head.method;
    else if (px_hdr_is(n.ptr, n.len, ":scheme"))
        dst = &s->head.scheme;
    else if (px_hdr_is(n.ptr, n.len, ":authority"))
        dst = &s->head.authority;
    else if (px_hdr_is(n.ptr, n.len, ":path")) {
        size_t pl, ql;
        const uint8_t *q;
        px_split_path(v.ptr, v.len, &pl, &q, &ql);
        s->head.path = (tp_str){ v.ptr, (uint32_t)pl };
        s->head.query = (tp_str){ q, (uint32_t)ql };
    }
    if (dst)
        *dst = v;
    return 0;
}

int px_h2_on_header(nghttp2_session *session, const nghttp2_frame *frame, nghttp2_rcbuf *name,
                    nghttp2_rcbuf *value, uint8_t flags, void *ud)
{
    px_conn *c = ud;
    const px_settings *cfg = px_g.cfg;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* request trailers: the wire has no place for them */
    px_stream *s = get_stream(c, frame->hd.stream_id);
    if (!s || s->status) /* already rejected: keep nothing more */
        return 0;
    tp_str n = rcstr(name), v = rcstr(value);
    /* RFC 9113 §6.5.2 counts each field as name + value + 32.  Past the
     * limit nothing more is kept, so memory per stream stays bounded even
     * when the other limits are off; the stream is answered 431. */
    s->h2_header_bytes += (uint64_t)n.len + v.len + 32;
    if (s->h2_header_bytes > (uint64_t)cfg->http2_max_header_list_size) {
        tc_debug("conn %u: stream %d: header list over %lld bytes: 431", c->id, s->h2_id,
                 cfg->http2_max_header_list_size);
        s->status = 431;
        return 0;
    }
    if (n.len && n.ptr[0] == ':') {
        pseudo_header(s, n, v);
        return keep_rc(s, name, value) < 0 ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
    }
    if ((cfg->limit_request_fields && s->head.nheaders >= (uint32_t)cfg->limit_request_fields) ||
        (cfg->limit_request_field_size &&
         n.len + 2 + v.len > (uint64_t)cfg->limit_request_field_size)) {
        s->status = 431; /* answered once the head is complete */
        return 0;
    }
    if (s->head.nheaders + 1 > s->hdr_cap) {
        uint32_t cap = s->hdr_cap ? s->hdr_cap * 2 : 32;
        tp_header *nh = realloc(s->hdrs, cap * sizeof *nh);
        if (!nh)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        s->hdrs = nh;
        s->hdr_cap = cap;
    }
    if (keep_rc(s, name, value) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    s->hdrs[s->head.nheaders++] = (tp_header){ n, v };
    if (px_hdr_is(n.ptr, n.len, "cookie"))
        s->ncookies++;
    else if (px_hdr_is(n.ptr, n.len, "te"))
        s->te_trailers = px_hdr_list_has(v.ptr, v.len, "trailers");
    else if (px_hdr_is(n.ptr, n.len, "content-length")) {
        uint64_t cl;
        if (px_parse_content_length(v.ptr, v.len, &cl) == 0)
            s->head.content_length = cl;
    } else if (px_hdr_is(n.ptr, n.len, "priority") && !s->prio_frame_9218) {
        px_prio_parse(v.ptr, v.len, &s->head.prio_urgency, &s->head.prio_incremental);
    }
    return 0;
}

/* h2 splits Cookie into crumbs (RFC 9113 §8.2.3); the app wants one field
 * joined with "; ". */
static void join_cookies(px_stream *s)
{
    size_t total = 0;
    for (uint32_t i = 0; i < s->head.nheaders; i++)
        if (px_hdr_is(s->hdrs[i].name.ptr, s->hdrs[i].name.len, "cookie"))
            total += s->hdrs[i].value.len + 2;
    s->hold.len = 0;
    if (tp_buf_reserve(&s->hold, total) != TP_OK)
        return;
    uint8_t *p = s->hold.data;
    uint32_t w = 0, first = UINT32_MAX;
    for (uint32_t i = 0; i < s->head.nheaders; i++) {
        tp_header f = s->hdrs[i];
        if (px_hdr_is(f.name.ptr, f.name.len, "cookie")) {
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

static void mirror_extpri(px_conn *c, px_stream *s)
{
    nghttp2_extpri e = { s->head.prio_urgency, s->head.prio_incremental };
    (void)nghttp2_session_change_extpri_stream_priority(c->h2, s->h2_id, &e, 0);
}

void px_h2_request_ready(px_conn *c, px_stream *s, int end_stream)
{
    tp_request_head *h = &s->head;
    h->http_major = 2;
    h->http_minor = 0;
    /* h2 can always carry 1xx and trailers; the priority fields are set. */
    h->flags = TP_REQ_EARLY_HINTS | TP_REQ_TE_TRAILERS | TP_REQ_HAS_PRIORITY |
               (c->tls ? TP_REQ_TLS : 0);
    if (end_stream) {
        s->req_end = 1;
        h->content_length = 0;
    }
    h->peer_port = c->peer_port;
    h->local_port = c->local_port;
    h->conn_id = c->id;
    h->h2_stream_id = (uint32_t)s->h2_id;
    h->peer_addr = (tp_str){ (const uint8_t *)c->peer_ip, (uint32_t)strlen(c->peer_ip) };
    h->local_addr = (tp_str){ (const uint8_t *)c->local_ip, (uint32_t)strlen(c->local_ip) };
    const char *ver = c->ssl ? SSL_get_version(c->ssl) : "";
    const char *cipher = c->ssl ? SSL_get_cipher_name(c->ssl) : "";
    if (!cipher)
        cipher = "";
    h->tls_version = (tp_str){ (const uint8_t *)ver, (uint32_t)strlen(ver) };
    h->tls_cipher = (tp_str){ (const uint8_t *)cipher, (uint32_t)strlen(cipher) };
    h->alpn = (tp_str){ (const uint8_t *)c->alpn, (uint32_t)strlen(c->alpn) };
    h->sni = c->sni ? (tp_str){ (const uint8_t *)c->sni, (uint32_t)strlen(c->sni) }
                    : (tp_str){ (const uint8_t *)"", 0 };
    if (!h->authority.len) {
        for (uint32_t i = 0; i < h->nheaders; i++)
            if (px_hdr_is(s->hdrs[i].name.ptr, s->hdrs[i].name.len, "host"))
                h->authority = s->hdrs[i].value;
    }
    if (s->ncookies > 1)
        join_cookies(s);
    h->headers = s->hdrs;
    s->is_head = h->method.len == 4 && memcmp(h->method.ptr, "HEAD", 4) == 0;
    if (s->prio_frame_9218)
        mirror_extpri(c, s); /* nghttp2 read only the header field */
    if (s->status == 431) {
        s->status = 0;
        px_stream_local_response(s, 431, "Request Header Fields Too Large\n");
        return;
    }
    px_stream_submit(s);
}

static void on_priority(px_conn *c, const nghttp2_frame *frame)
{
    int32_t id = frame->hd.stream_id;
    const nghttp2_priority_spec *p = &frame->priority.pri_spec;
    px_stream *s = get_stream(c, id);
    if (s) {
        if (!prio_open(s))
            return;
        set_7540(s, p);
        px_stream_priority_changed(s);
        tc_debug("conn %u: stream %d: PRIORITY weight %d depends on %d%s before dispatch",
                 c->id, id, p->weight, p->stream_id, p->exclusive ? " (exclusive)" : "");
    } else if (id > nghttp2_session_get_last_proc_stream_id(c->h2)) {
        struct px_h2_prio_early *e = early_slot(c, id);
        e->has_7540 = 1;
        e->weight = (uint16_t)p->weight;
        e->depends_on = (uint32_t)p->stream_id;
        e->exclusive = p->exclusive ? 1 : 0;
    }
}

int px_h2_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    px_conn *c = ud;
    px_stream *s;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        s = get_stream(c, frame->hd.stream_id);
        if (!s)
            break;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            px_h2_request_ready(c, s, frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
        } else if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            s->req_end = 1; /* trailers end the body; their fields are dropped */
            px_stream_pump_request(s);
        }
        break;
    case NGHTTP2_DATA:
        s = get_stream(c, frame->hd.stream_id);
        if (!s)
            break;
        /* Padding used the client's window too (the data was counted in
         * px_h2_on_data_chunk): never believe it has window it has not. */
        if (frame->data.padlen)
            s->h2_window_open -= frame->data.padlen < s->h2_window_open
                                     ? (uint32_t)frame->data.padlen
                                     : s->h2_window_open;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            s->req_end = 1;
            px_stream_pump_request(s);
        }
        break;
    case NGHTTP2_PRIORITY:
        on_priority(c, frame);
        break;
    default:
        break;
    }
    return 0;
}

int px_h2_on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                        size_t len, void *ud)
{
    px_conn *c = ud;
    px_stream *s = get_stream(c, id);
    if (!s || s->state == PX_ST_DONE) {
        /* Nobody will read it: give the window back now. */
        nghttp2_session_consume(session, id, len);
        return 0;
    }
    evbuffer_add(s->req, data, len);
    s->h2_unconsumed += (uint32_t)len;
    s->h2_window_open -= len < s->h2_window_open ? (uint32_t)len : s->h2_window_open;
    s->body_seen = 1;
    if (s->state == PX_ST_UP)
        px_stream_pump_request(s);
    return 0;
}

int px_h2_on_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *ud)
{
    px_conn *c = ud;
    px_stream *s = get_stream(c, id);
    if (!s)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    if (s->prev)
        s->prev->next = s->next;
    else if (c->streams == s)
        c->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
    c->nstreams--;
    if (s->h2_unconsumed) {
        nghttp2_session_consume_connection(session, s->h2_unconsumed);
        s->h2_unconsumed = 0;
    }
    if (error_code != NGHTTP2_NO_ERROR && s->up)
        tc_debug("conn %u: stream %d reset by the client (%u)", c->id, id, error_code);
    px_stream_client_gone(s);
    if (c->nstreams == 0 && !c->closing)
        px_conn_set_timer(c, c->th->tv_keepalive);
    return 0;
}

/* ---- PRIORITY_UPDATE (a user extension type: see the top of the file) ---- */

int px_h2_on_ext_chunk(nghttp2_session *session, const nghttp2_frame_hd *hd, const uint8_t *data,
                       size_t len, void *ud)
{
    px_conn *c = ud;
    if (hd->type != PRIORITY_UPDATE || c->ext_drop)
        return 0;
    if (c->ext_len + len > sizeof c->ext_buf) {
        c->ext_drop = 1; /* a longer field value than any real one: ignored */
        return 0;
    }
    memcpy(c->ext_buf + c->ext_len, data, len);
    c->ext_len = (uint16_t)(c->ext_len + len);
    return 0;
}

static void priority_update(px_conn *c, const nghttp2_frame_hd *hd)
{
    uint32_t id;
    const uint8_t *v;
    size_t vlen;
    uint8_t urg, inc;
    if (hd->stream_id != 0 || px_prio_update_decode(c->ext_buf, c->ext_len, &id, &v, &vlen) < 0 ||
        id == 0) {
        /* RFC 9218 §7.1: on a stream, or about stream 0, it is a connection error. */
        tc_debug("conn %u: malformed PRIORITY_UPDATE: PROTOCOL_ERROR", c->id);
        nghttp2_session_terminate_session(c->h2, NGHTTP2_PROTOCOL_ERROR);
        return;
    }
    if (!(id & 1) || px_prio_parse(v, vlen, &urg, &inc) < 0)
        return; /* a push stream (none here), or a value to ignore */
    px_stream *s = get_stream(c, (int32_t)id);
    if (s) {
        if (prio_open(s)) {
            s->head.prio_urgency = urg;
            s->head.prio_incremental = inc;
            s->prio_frame_9218 = 1;
            px_stream_priority_changed(s);
            tc_debug("conn %u: stream %u: PRIORITY_UPDATE u=%u i=%u before dispatch", c->id, id,
                     urg, inc);
        }
        nghttp2_extpri e = { urg, inc };
        (void)nghttp2_session_change_extpri_stream_priority(c->h2, (int32_t)id, &e, 0);
    } else if ((int32_t)id > nghttp2_session_get_last_proc_stream_id(c->h2)) {
        struct px_h2_prio_early *e = early_slot(c, (int32_t)id);
        e->has_9218 = 1;
        e->urgency = urg;
        e->incremental = inc;
    }
}

int px_h2_unpack_ext(nghttp2_session *session, void **payload, const nghttp2_frame_hd *hd,
                     void *ud)
{
    px_conn *c = ud;
    if (hd->type == PRIORITY_UPDATE && !c->ext_drop)
        priority_update(c, hd);
    c->ext_len = 0;
    c->ext_drop = 0;
    /* Handled here: nothing for on_frame_recv. */
    return NGHTTP2_ERR_CANCEL;
}

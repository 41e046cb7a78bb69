/* h2_session.c: an HTTP/2 client connection on an nghttp2 server session.
 * Everything nghttp2 has to send after a read goes out in one flush at the
 * end of the loop turn.  Request bodies are consumed (window updates sent)
 * only once the worker took them, so a slow app stops the client; response
 * DATA is sent without copying (NO_COPY: evbuffer chains move to the TLS
 * output) and credited back to the worker as it leaves. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "px.h"
#include "px_hdr.h"
#include "tc_log.h"

static nghttp2_session_callbacks *callbacks;
static nghttp2_option *options;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static px_stream *get_stream(px_conn *c, int32_t id)
{
    return nghttp2_session_get_stream_user_data(c->h2, id);
}

static ssize_t send_cb(nghttp2_session *session, const uint8_t *data, size_t len, int flags,
                       void *ud)
{
    px_conn *c = ud;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    /* Backpressure: a client that does not read stops us producing. */
    if (evbuffer_get_length(out) >= PX_OUT_HIGH)
        return NGHTTP2_ERR_WOULDBLOCK;
    if (evbuffer_add(out, data, len) < 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    return (ssize_t)len;
}

static int send_data_cb(nghttp2_session *session, nghttp2_frame *frame, const uint8_t *framehd,
                        size_t length, nghttp2_data_source *source, void *ud)
{
    px_conn *c = ud;
    px_stream *s = source->ptr;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (evbuffer_get_length(out) >= PX_OUT_HIGH)
        return NGHTTP2_ERR_WOULDBLOCK;
    evbuffer_add(out, framehd, 9);
    if (frame->data.padlen > 0) {
        uint8_t pad = (uint8_t)(frame->data.padlen - 1);
        evbuffer_add(out, &pad, 1);
    }
    if (length)
        evbuffer_remove_buffer(s->resp, out, length);
    if (frame->data.padlen > 1) {
        static const uint8_t zeros[256];
        evbuffer_add(out, zeros, frame->data.padlen - 1);
    }
    px_stream_resp_passed(s, length);
    return 0;
}

static void submit_trailers(px_conn *c, px_stream *s)
{
    px_thread *th = c->th;
    if (th->nv_cap < s->ntrailers) {
        nghttp2_nv *n = realloc(th->nv, s->ntrailers * sizeof *n);
        if (!n)
            return;
        th->nv = n;
        th->nv_cap = s->ntrailers;
    }
    /* Names must be lower-case on h2: lower them in place in our copy. */
    uint8_t *p = s->trailers.data;
    for (uint32_t i = 0; i < s->ntrailers; i++) {
        uint32_t l[2];
        memcpy(l, p, sizeof l);
        p += sizeof l;
        px_hdr_lower(p, p, l[0]);
        th->nv[i] = (nghttp2_nv){ p, p + l[0], l[0], l[1], NGHTTP2_NV_FLAG_NONE };
        p += l[0] + l[1];
    }
    nghttp2_submit_trailer(c->h2, s->h2_id, th->nv, s->ntrailers);
}

static ssize_t data_read_cb(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                            size_t length, uint32_t *flags, nghttp2_data_source *source, void *ud)
{
    px_conn *c = ud;
    px_stream *s = source->ptr;
    size_t len = evbuffer_get_length(s->resp);
    if (len == 0 && !s->resp_end) {
        s->h2_deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = len < length ? len : length;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (s->resp_end && n == len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        s->resp_done = 1;
        if (s->has_trailers) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            submit_trailers(c, s);
        }
    }
    return (ssize_t)n;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    px_conn *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    px_stream *s = px_stream_new(c);
    if (!s)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    s->h2_id = frame->hd.stream_id;
    s->next = c->streams;
    if (c->streams)
        c->streams->prev = s;
    c->streams = s;
    c->nstreams++;
    nghttp2_session_set_stream_user_data(session, s->h2_id, s);
    evtimer_del(&c->timer);
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

/* RFC 9218 "u=N, i" (the rest of the Priority field is ignored). */
static void parse_priority(px_stream *s, tp_str v)
{
    for (uint32_t i = 0; i < v.len; i++) {
        if (v.ptr[i] == 'u' && i + 2 < v.len && v.ptr[i + 1] == '=' && v.ptr[i + 2] >= '0' &&
            v.ptr[i + 2] <= '7') {
            s->head.prio_urgency = (uint8_t)(v.ptr[i + 2] - '0');
            s->q.urgency = s->head.prio_urgency;
        } else if (v.ptr[i] == 'i' && (i + 1 == v.len || v.ptr[i + 1] == ',' || v.ptr[i + 1] == ' ') &&
                   (i == 0 || v.ptr[i - 1] == ' ' || v.ptr[i - 1] == ',')) {
            s->head.prio_incremental = 1;
        }
    }
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, nghttp2_rcbuf *name,
                     nghttp2_rcbuf *value, uint8_t flags, void *ud)
{
    px_conn *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* request trailers: the wire has no place for them */
    px_stream *s = get_stream(c, frame->hd.stream_id);
    if (!s)
        return 0;
    tp_str n = rcstr(name), v = rcstr(value);
    if (s->status) /* already rejected: just count nothing more */
        return 0;
    if (n.len && n.ptr[0] == ':') {
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
        if (keep_rc(s, name, value) < 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return 0;
    }
    if (px_g.cfg->limit_request_fields && s->head.nheaders >= (uint32_t)px_g.cfg->limit_request_fields) {
        s->status = 431; /* answered once the head is complete */
        return 0;
    }
    if (px_g.cfg->limit_request_field_size &&
        n.len + 2 + v.len > (uint64_t)px_g.cfg->limit_request_field_size) {
        s->status = 431;
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
    } else if (px_hdr_is(n.ptr, n.len, "priority"))
        parse_priority(s, v);
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

static void request_ready(px_conn *c, px_stream *s, int end_stream)
{
    tp_request_head *h = &s->head;
    h->http_major = 2;
    h->http_minor = 0;
    h->flags = TP_REQ_EARLY_HINTS | (c->tls ? TP_REQ_TLS : 0) | (s->te_trailers ? TP_REQ_TE_TRAILERS : 0);
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
    if (s->status == 431) {
        s->status = 0;
        px_stream_local_response(s, 431, "Request Header Fields Too Large\n");
        return;
    }
    px_stream_submit(s);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    px_conn *c = ud;
    px_stream *s;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        s = get_stream(c, frame->hd.stream_id);
        if (!s)
            break;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            request_ready(c, s, frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
        } else if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            s->req_end = 1; /* trailers end the body; their fields are dropped */
            px_stream_pump_request(s);
        }
        break;
    case NGHTTP2_DATA:
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            s = get_stream(c, frame->hd.stream_id);
            if (s) {
                s->req_end = 1;
                px_stream_pump_request(s);
            }
        }
        break;
    default:
        break;
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
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
    s->body_seen = 1;
    if (s->state == PX_ST_UP)
        px_stream_pump_request(s);
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *ud)
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

static void init_callbacks(void)
{
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_send_callback(callbacks, send_cb);
    nghttp2_session_callbacks_set_send_data_callback(callbacks, send_data_cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback2(callbacks, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    nghttp2_option_new(&options);
    /* Window updates only when the worker took the bytes. */
    nghttp2_option_set_no_auto_window_update(options, 1);
    nghttp2_option_set_max_outbound_ack(options, 1000);
}

int px_h2_start(px_conn *c)
{
    pthread_once(&init_once, init_callbacks);
    if (nghttp2_session_server_new2(&c->h2, callbacks, c, options) != 0)
        return -1;
    const px_settings *cfg = px_g.cfg;
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)cfg->http2_max_concurrent_streams },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (uint32_t)cfg->http2_initial_window_size },
        { NGHTTP2_SETTINGS_MAX_FRAME_SIZE, (uint32_t)cfg->http2_max_frame_size },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)cfg->http2_max_header_list_size },
    };
    if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0)
        return -1;
    /* Connection window: room for every stream's window (bounded by 2^31-1),
     * so the stream windows, not the connection's, pace uploads. */
    long long w = cfg->http2_initial_window_size * (cfg->http2_max_concurrent_streams < 64
                                                        ? cfg->http2_max_concurrent_streams
                                                        : 64);
    if (w < 65535)
        w = 65535;
    if (w > 2147483647LL)
        w = 2147483647LL;
    nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, (int32_t)w);
    /* nghttp2 reads whole frames; with a bigger max frame it needs more room. */
    bufferevent_set_max_single_read(c->bev, 64 * 1024);
    px_conn_set_timer(c, c->th->tv_keepalive);
    px_conn_mark_dirty(c);
    if (evbuffer_get_length(bufferevent_get_input(c->bev)))
        px_h2_on_read(c);
    return 0;
}

void px_h2_on_read(px_conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t total = evbuffer_get_length(in);
    if (!total || !c->h2)
        return;
    /* Feed nghttp2 straight from the buffer's chains: no pullup copy. */
    struct evbuffer_iovec vec[16];
    size_t done = 0;
    while (done < total && !c->closing) {
        int nv = evbuffer_peek(in, -1, NULL, vec, 16);
        if (nv <= 0)
            break;
        int k = nv < 16 ? nv : 16;
        size_t fed = 0;
        for (int i = 0; i < k; i++) {
            ssize_t rv = nghttp2_session_mem_recv(c->h2, vec[i].iov_base, vec[i].iov_len);
            if (rv < 0) {
                tc_debug("conn %u: HTTP/2 error: %s", c->id, nghttp2_strerror((int)rv));
                evbuffer_drain(in, fed);
                /* Let nghttp2 send its GOAWAY, then close. */
                nghttp2_session_send(c->h2);
                px_conn_close(c, PX_CLOSE_FLUSH);
                return;
            }
            fed += vec[i].iov_len;
            if (c->closing)
                break;
        }
        evbuffer_drain(in, fed);
        done += fed;
    }
    if (c->closing)
        return;
    px_conn_mark_dirty(c);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) >= PX_OUT_HIGH)
        px_conn_pause_read(c, 1); /* do not take more work while the client does not read */
}

void px_h2_flush(px_conn *c)
{
    if (c->closing || !c->h2)
        return;
    int rv = nghttp2_session_send(c->h2);
    if (rv != 0) {
        tc_debug("conn %u: HTTP/2 send: %s", c->id, nghttp2_strerror(rv));
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    if (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2)) {
        px_conn_close(c, PX_CLOSE_FLUSH);
        return;
    }
    if (c->goaway && c->nstreams == 0) {
        px_conn_close(c, PX_CLOSE_FLUSH);
        return;
    }
}

void px_h2_on_write(px_conn *c)
{
    if (c->read_paused)
        px_conn_pause_read(c, 0);
    px_h2_flush(c);
    /* Input left while paused. */
    if (!c->closing && evbuffer_get_length(bufferevent_get_input(c->bev)))
        px_h2_on_read(c);
}

void px_h2_on_timeout(px_conn *c)
{
    if (c->nstreams)
        return;
    /* Idle for --keepalive seconds with no stream: GOAWAY(NO_ERROR), close. */
    nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
    c->goaway = 1;
    px_h2_flush(c);
}

void px_h2_shutdown(px_conn *c)
{
    if (c->goaway || !c->h2)
        return;
    c->goaway = 1;
    nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->h2),
                          NGHTTP2_NO_ERROR, NULL, 0);
    px_conn_mark_dirty(c);
}

static int build_nv(px_conn *c, px_stream *s, const tp_response_head *h, int final)
{
    px_thread *th = c->th;
    size_t need = h->nheaders + 3;
    if (th->nv_cap < need) {
        nghttp2_nv *n = realloc(th->nv, need * sizeof *n);
        if (!n)
            return -1;
        th->nv = n;
        th->nv_cap = need;
    }
    size_t namebytes = 0;
    for (uint32_t i = 0; i < h->nheaders; i++)
        namebytes += h->headers[i].name.len;
    if (th->lower_cap < namebytes) {
        uint8_t *n = realloc(th->lower, namebytes);
        if (!n)
            return -1;
        th->lower = n;
        th->lower_cap = namebytes;
    }
    size_t k = 0, lo = 0;
    int has_date = 0, has_server = 0;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        if (!px_hdr_valid_response_field(f->name.ptr, f->name.len, f->value.ptr, f->value.len) ||
            px_hdr_conn_specific(f->name.ptr, f->name.len))
            continue; /* connection-specific fields are forbidden on h2 */
        uint8_t *ln = th->lower + lo;
        px_hdr_lower(ln, f->name.ptr, f->name.len);
        lo += f->name.len;
        if (final && px_hdr_is(ln, f->name.len, "date"))
            has_date = 1;
        else if (final && px_hdr_is(ln, f->name.len, "server"))
            has_server = 1;
        th->nv[1 + k++] = (nghttp2_nv){ ln, (uint8_t *)f->value.ptr, f->name.len, f->value.len,
                                        NGHTTP2_NV_FLAG_NONE };
    }
    if (final && !has_server)
        th->nv[1 + k++] = (nghttp2_nv){ (uint8_t *)"server", (uint8_t *)"tandem", 6, 6,
                                        NGHTTP2_NV_FLAG_NONE };
    if (final && !has_date) {
        const char *d = px_thread_date(th);
        th->nv[1 + k++] = (nghttp2_nv){ (uint8_t *)"date", (uint8_t *)d, 4, strlen(d),
                                        NGHTTP2_NV_FLAG_NONE };
    }
    return (int)k + 1;
}

int px_h2_send_info(px_stream *s, const tp_response_head *h)
{
    px_conn *c = s->conn;
    if (!c || !c->h2 || h->status == 100 || h->status == 101)
        return 0;
    int n = build_nv(c, s, h, 0);
    if (n < 0)
        return -1;
    char st[4];
    snprintf(st, sizeof st, "%03u", h->status % 1000);
    c->th->nv[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)st, 7, 3, NGHTTP2_NV_FLAG_NONE };
    nghttp2_submit_headers(c->h2, NGHTTP2_FLAG_NONE, s->h2_id, NULL, c->th->nv, (size_t)n, NULL);
    px_conn_mark_dirty(c);
    return 0;
}

int px_h2_send_head(px_stream *s, const tp_response_head *h)
{
    px_conn *c = s->conn;
    if (!c || !c->h2)
        return 0;
    int n = build_nv(c, s, h, 1);
    if (n < 0) {
        px_h2_abort(s, NGHTTP2_INTERNAL_ERROR);
        return -1;
    }
    char st[4];
    snprintf(st, sizeof st, "%03u", h->status % 1000);
    c->th->nv[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)st, 7, 3, NGHTTP2_NV_FLAG_NONE };
    if (s->is_head || h->status == 204 || h->status == 304)
        evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
    s->resp_head = 1;
    int rv;
    if (s->resp_end && !evbuffer_get_length(s->resp) && !s->has_trailers) {
        s->resp_done = 1;
        rv = nghttp2_submit_response(c->h2, s->h2_id, c->th->nv, (size_t)n, NULL);
    } else {
        nghttp2_data_provider prd;
        prd.source.ptr = s;
        prd.read_callback = data_read_cb;
        rv = nghttp2_submit_response(c->h2, s->h2_id, c->th->nv, (size_t)n, &prd);
    }
    if (rv != 0)
        tc_debug("conn %u: stream %d: cannot submit response: %s", c->id, s->h2_id,
                 nghttp2_strerror(rv));
    px_conn_mark_dirty(c);
    return 0;
}

void px_h2_data_ready(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c || !c->h2 || !s->resp_head)
        return;
    if (s->is_head)
        evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
    if (s->h2_deferred) {
        s->h2_deferred = 0;
        nghttp2_session_resume_data(c->h2, s->h2_id);
    }
    px_conn_mark_dirty(c);
}

void px_h2_abort(px_stream *s, uint32_t code)
{
    px_conn *c = s->conn;
    if (!c || !c->h2)
        return;
    nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->h2_id, code);
    px_conn_mark_dirty(c);
}

void px_h2_consumed(px_stream *s, size_t n)
{
    px_conn *c = s->conn;
    if (!c || !c->h2 || !n)
        return;
    if (n > s->h2_unconsumed)
        n = s->h2_unconsumed;
    s->h2_unconsumed -= (uint32_t)n;
    nghttp2_session_consume(c->h2, s->h2_id, n);
    px_conn_mark_dirty(c);
}

void px_h2_free(px_conn *c)
{
    nghttp2_session_del(c->h2);
    c->h2 = NULL;
}

/* h2_session.c: an HTTP/2 client connection on an nghttp2 server session
 * (the request side is h2_request.c).  Everything nghttp2 has to send after
 * a read goes out in one flush at the end of the loop turn.  Request bodies
 * are consumed (window updates sent) only once the worker took them, so a
 * slow app stops the client; response DATA is sent without copying
 * (NO_COPY: evbuffer chains move to the TLS output) and credited back to
 * the worker as it leaves. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "h2_internal.h"
#include "px_hdr.h"
#include "tc_log.h"

static nghttp2_session_callbacks *callbacks;
static nghttp2_option *options;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

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

static void init_callbacks(void)
{
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_send_callback(callbacks, send_cb);
    nghttp2_session_callbacks_set_send_data_callback(callbacks, send_data_cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, px_h2_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback2(callbacks, px_h2_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, px_h2_on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, px_h2_on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, px_h2_on_stream_close);
    nghttp2_session_callbacks_set_on_extension_chunk_recv_callback(callbacks, px_h2_on_ext_chunk);
    nghttp2_session_callbacks_set_unpack_extension_callback(callbacks, px_h2_unpack_ext);
    nghttp2_option_new(&options);
    /* Window updates only when the worker took the bytes. */
    nghttp2_option_set_no_auto_window_update(options, 1);
    nghttp2_option_set_max_outbound_ack(options, 1000);
    /* RFC 9218: we announce SETTINGS_NO_RFC7540_PRIORITIES=1 (clients may
     * send PRIORITY_UPDATE, nghttp2 schedules by urgency), and fall back to
     * RFC 7540 for a client that does not announce it too, so its PRIORITY
     * frames still reach us.  PRIORITY_UPDATE is a user extension so that
     * it arrives in both modes (see h2_request.c). */
    nghttp2_option_set_server_fallback_rfc7540_priorities(options, 1);
    nghttp2_option_set_user_recv_extension_type(options, 0x10 /* PRIORITY_UPDATE */);
}

static int session_new(px_conn *c)
{
    pthread_once(&init_once, init_callbacks);
    if (nghttp2_session_server_new2(&c->h2, callbacks, c, options) != 0)
        return -1;
    /* With a zero initial window no client can send a body byte unasked:
     * each stream's window is opened as its worker grants room. */
    c->h2_manual_window = px_g.cfg->http2_initial_window_size == 0;
    return 0;
}

static int session_settings(px_conn *c)
{
    const px_settings *cfg = px_g.cfg;
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)cfg->http2_max_concurrent_streams },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (uint32_t)cfg->http2_initial_window_size },
        { NGHTTP2_SETTINGS_MAX_FRAME_SIZE, (uint32_t)cfg->http2_max_frame_size },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)cfg->http2_max_header_list_size },
        { NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 },
    };
    int rv = nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    if (rv != 0) {
        tc_warn("conn %u: cannot submit SETTINGS: %s", c->id, nghttp2_strerror(rv));
        return -1;
    }
    /* Connection window: room for every stream's window (bounded by
     * 2^31-1), so the stream windows, not the connection's, pace uploads.
     * With window 0 the per-stream grants are the bound, so the connection
     * window is the largest. */
    long long w = cfg->http2_initial_window_size * (cfg->http2_max_concurrent_streams < 64
                                                        ? cfg->http2_max_concurrent_streams
                                                        : 64);
    if (c->h2_manual_window || w > 2147483647LL)
        w = 2147483647LL;
    if (w < 65535)
        w = 65535;
    rv = nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, (int32_t)w);
    if (rv != 0) {
        tc_warn("conn %u: cannot set the connection window to %lld: %s", c->id, w,
                nghttp2_strerror(rv));
        return -1;
    }
    return 0;
}

/* The session is set up: read what is there already. */
static void session_go(px_conn *c)
{
    /* An h1 connection that switched had a read watermark for heads. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
    /* nghttp2 reads whole frames; with a bigger max frame it needs more room. */
    bufferevent_set_max_single_read(c->bev, 64 * 1024);
    px_conn_set_timer(c, c->th->tv_keepalive);
    px_conn_mark_dirty(c);
    if (evbuffer_get_length(bufferevent_get_input(c->bev)))
        px_h2_on_read(c);
}

int px_h2_start(px_conn *c)
{
    if (session_new(c) < 0 || session_settings(c) < 0)
        return -1;
    session_go(c);
    return 0;
}

int px_h2_start_upgrade(px_conn *c, px_stream *s, const uint8_t *settings, size_t len)
{
    static const char switching[] =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    if (session_new(c) < 0)
        return -1;
    /* HTTP2-Settings counts as the client's first SETTINGS; the upgrading
     * request is stream 1, half-closed (remote): its body (none, we only
     * upgrade bodiless requests) is complete. */
    int rv = nghttp2_session_upgrade2(c->h2, settings, len, s->is_head, NULL);
    if (rv != 0 || session_settings(c) < 0) {
        tc_debug("conn %u: h2c upgrade refused: %s", c->id,
                 rv ? nghttp2_strerror(rv) : "cannot submit SETTINGS");
        px_h2_free(c);
        c->h2_manual_window = 0;
        return -1;
    }
    /* Nothing was sent yet (nghttp2 writes at the end of the turn): the
     * 101 goes first, then the server's SETTINGS. */
    evbuffer_add(bufferevent_get_output(c->bev), switching, sizeof switching - 1);
    c->proto = PX_PROTO_H2;
    px_h2_link_stream(c, s, 1);
    px_h2_request_ready(c, s, 1);
    if (!c->closing)
        session_go(c);
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

int px_h2_window_open(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c || !c->h2)
        return 0;
    return nghttp2_session_get_stream_remote_window_size(c->h2, s->h2_id) > 0 &&
           nghttp2_session_get_remote_window_size(c->h2) > 0;
}

void px_h2_consumed(px_stream *s, size_t n)
{
    px_conn *c = s->conn;
    if (!c || !c->h2 || !n)
        return;
    if (n > s->h2_unconsumed)
        n = s->h2_unconsumed;
    s->h2_unconsumed -= (uint32_t)n;
    if (c->h2_manual_window)
        /* The stream's window moves with the worker's credit (below). */
        nghttp2_session_consume_connection(c->h2, n);
    else
        nghttp2_session_consume(c->h2, s->h2_id, n);
    px_conn_mark_dirty(c);
}

/* Window 0 (--http2-initial-window-size 0): the client may send only what
 * the worker can take at once.  Keeps open window + bytes held <= the
 * worker's window for this stream, opening the difference with a
 * WINDOW_UPDATE on dispatch, on each CREDIT and as bytes move on.  Small
 * openings (under 16 KiB or half the worker's window) wait until the client
 * has nothing left to send, so one worker credit does not become many tiny
 * frames. */
void px_h2_open_window(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c || !c->h2 || !c->h2_manual_window || s->req_end || s->state != PX_ST_UP || !s->up)
        return;
    int64_t promised = (int64_t)s->h2_window_open + (int64_t)evbuffer_get_length(s->req);
    int64_t room = s->send_window - promised;
    int64_t batch = s->send_window / 2 < 16384 ? s->send_window / 2 : 16384;
    if (room <= 0 || (room < batch && promised > 0))
        return;
    if (room > 0x7fffffff - (int64_t)s->h2_window_open)
        room = 0x7fffffff - (int64_t)s->h2_window_open;
    int rv = nghttp2_submit_window_update(c->h2, NGHTTP2_FLAG_NONE, s->h2_id, (int32_t)room);
    if (rv != 0) {
        tc_debug("conn %u: stream %d: WINDOW_UPDATE %lld: %s", c->id, s->h2_id, (long long)room,
                 nghttp2_strerror(rv));
        return;
    }
    s->h2_window_open += (uint32_t)room;
    px_conn_mark_dirty(c);
}

void px_h2_free(px_conn *c)
{
    nghttp2_session_del(c->h2);
    c->h2 = NULL;
}

/* h2_response.c: responses on an HTTP/2 connection: 1xx and final heads
 * (fields lower-cased, connection-specific ones dropped), DATA sent without
 * copying (NO_COPY: evbuffer chains move to the client's output) and
 * credited back to the worker as it leaves, trailers, and resets. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include "h2_conn.h"
#include "ws_handshake.h"
#include "ws_session.h"
#include "px_hdr.h"
#include "px_limits.h"
#include "px_piece.h"
#include "px_thread.h"
#include "tc_http.h"
#include "tc_log.h"

/* Per-thread scratch for the header lists handed to nghttp2 (it copies them
 * when a head is submitted). */
static _Thread_local nghttp2_nv *nv;
static _Thread_local size_t nv_cap;
static _Thread_local uint8_t *lower;
static _Thread_local size_t lower_cap;

static int reserve_nv(size_t need)
{
    if (nv_cap >= need)
        return 0;
    nghttp2_nv *n = realloc(nv, need * sizeof *n);
    if (!n)
        return -1;
    nv = n;
    nv_cap = need;
    return 0;
}

ssize_t px_h2_send_cb(nghttp2_session *session, const uint8_t *data, size_t len, int flags,
                      void *ud)
{
    struct evbuffer *out = px_conn_out(ud);
    /* Backpressure: a client that does not read stops us producing. */
    if (evbuffer_get_length(out) >= PX_OUT_HIGH)
        return NGHTTP2_ERR_WOULDBLOCK;
    if (evbuffer_add(out, data, len) < 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    px_h2_mem_touched(px_h2_of(ud)->mem);
    return (ssize_t)len;
}

/* Copies length bytes of s->resp to out behind their frame header (and
 * padding). */
static void copy_frame(px_stream *s, const nghttp2_frame *frame, const uint8_t *framehd,
                       size_t length, struct evbuffer *out)
{
    evbuffer_add(out, framehd, 9);
    if (frame->data.padlen > 0) {
        uint8_t pad = (uint8_t)(frame->data.padlen - 1);
        evbuffer_add(out, &pad, 1);
    }
    if (length) {
        evbuffer_remove_buffer(s->resp, out, length);
        px_piece_consumed(s, length);
    }
    if (frame->data.padlen > 1) {
        static const uint8_t zeros[256];
        evbuffer_add(out, zeros, frame->data.padlen - 1);
    }
}

int px_h2_send_data_cb(nghttp2_session *session, nghttp2_frame *frame, const uint8_t *framehd,
                       size_t length, nghttp2_data_source *source, void *ud)
{
    px_stream *s = source->ptr;
    struct evbuffer *out = px_conn_out(ud);
    if (evbuffer_get_length(out) >= PX_OUT_HIGH)
        return NGHTTP2_ERR_WOULDBLOCK;
    px_h2_mem_touched(px_h2_of(ud)->mem);
    /* A whole piece goes with its header in one chain: no copy, one record. */
    px_piece *p = length && !frame->data.padlen ? px_piece_front(s) : NULL;
    if (!p || p->len != length || px_piece_send_framed(s, p, out, framehd) < 0)
        copy_frame(s, frame, framehd, length, out);
    if (length) /* the client's WINDOW_UPDATEs for these bytes are not a flood */
        px_h2_flood_progress(px_h2_of(ud));
    if (px_h2s_of(s)->ws) {
        ws_session_drained(px_h2s_of(s)->ws); /* a tunnel credits its payload itself */
    } else {
        s->resp_sent += length;
        px_stream_resp_passed(s, length);
    }
    return 0;
}

static void submit_trailers(px_h2_conn *hc, px_h2_stream *hs)
{
    px_stream *s = &hs->base;
    if (reserve_nv(s->ntrailers) < 0)
        return;
    /* Names must be lower-case on h2: lower them in place in our copy. */
    uint8_t *p = s->trailers.data;
    for (uint32_t i = 0; i < s->ntrailers; i++) {
        uint32_t l[2];
        memcpy(l, p, sizeof l);
        p += sizeof l;
        px_hdr_lower(p, p, l[0]);
        nv[i] = (nghttp2_nv){ p, p + l[0], l[0], l[1], NGHTTP2_NV_FLAG_NONE };
        p += l[0] + l[1];
    }
    nghttp2_submit_trailer(hc->session, hs->id, nv, s->ntrailers);
}

/* The body must be as long as the app's Content-Length said (RFC 9113
 * §8.1.1): DATA past it, or an end before it, resets the stream rather
 * than hand the client a body its length contradicts.  0 when n bytes
 * (the last, with eof) may go. */
static int length_kept(px_h2_stream *hs, size_t n, int eof)
{
    if (hs->resp_left == UINT64_MAX)
        return 0;
    if (n > hs->resp_left || (eof && n < hs->resp_left)) {
        tc_warn("conn %u: stream %d: app sent %s body than its Content-Length; reset",
                hs->base.conn->id, hs->id, n > hs->resp_left ? "more" : "less");
        return -1;
    }
    hs->resp_left -= n;
    return 0;
}

static ssize_t data_read_cb(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                            size_t length, uint32_t *flags, nghttp2_data_source *source, void *ud)
{
    px_h2_stream *hs = source->ptr;
    px_stream *s = &hs->base;
    size_t len = evbuffer_get_length(s->resp);
    if (len == 0 && !s->resp_end) {
        hs->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = len < length ? len : length;
    size_t to_piece = px_piece_frame_max(s);
    if (to_piece < n)
        n = to_piece; /* the frame ends where a piece does: pieces go whole */
    if (length_kept(hs, n, s->resp_end && n == len) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM(INTERNAL_ERROR) */
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (s->resp_end && n == len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        s->resp_done = 1;
        if (s->has_trailers) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            submit_trailers(px_h2_of(ud), hs);
        }
    }
    return (ssize_t)n;
}

/* nv[1..] from the head's fields (nv[0] is :status); Server and Date are
 * added to a final head that lacks them.  The count, or -1. */
static int build_nv(px_conn *c, const tp_response_head *h, int final)
{
    if (reserve_nv(h->nheaders + 3) < 0)
        return -1;
    size_t namebytes = 0;
    for (uint32_t i = 0; i < h->nheaders; i++)
        namebytes += h->headers[i].name.len;
    if (lower_cap < namebytes) {
        uint8_t *n = realloc(lower, namebytes);
        if (!n)
            return -1;
        lower = n;
        lower_cap = namebytes;
    }
    size_t k = 0, lo = 0;
    int has_date = 0, has_server = 0;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        tp_str v;
        if (!px_hdr_response_field(f, &v) || tc_http_hop_by_hop(f->name.ptr, f->name.len))
            continue; /* connection-specific fields are forbidden on h2 */
        uint8_t *ln = lower + lo;
        px_hdr_lower(ln, f->name.ptr, f->name.len);
        lo += f->name.len;
        if (final && tc_http_name_is(ln, f->name.len, "date"))
            has_date = 1;
        else if (final && tc_http_name_is(ln, f->name.len, "server"))
            has_server = 1;
        nv[1 + k++] =
            (nghttp2_nv){ ln, (uint8_t *)v.ptr, f->name.len, v.len, NGHTTP2_NV_FLAG_NONE };
    }
    if (final && !has_server)
        nv[1 + k++] =
            (nghttp2_nv){ (uint8_t *)"server", (uint8_t *)"tandem", 6, 6, NGHTTP2_NV_FLAG_NONE };
    if (final && !has_date) {
        const char *d = px_thread_date(c->th);
        nv[1 + k++] =
            (nghttp2_nv){ (uint8_t *)"date", (uint8_t *)d, 4, strlen(d), NGHTTP2_NV_FLAG_NONE };
    }
    return (int)k + 1;
}

static void set_status(char st[3], unsigned status)
{
    px_status_digits(st, status);
    nv[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)st, 7, 3, NGHTTP2_NV_FLAG_NONE };
}

void px_h2_send_info(px_stream *s, const tp_response_head *h)
{
    px_h2_conn *hc = px_h2_of(s->conn);
    if (!hc->session || h->status == 100 || h->status == 101)
        return;
    int n = build_nv(&hc->base, h, 0);
    if (n < 0)
        return;
    char st[3];
    set_status(st, h->status);
    nghttp2_submit_headers(hc->session, NGHTTP2_FLAG_NONE, px_h2s_of(s)->id, NULL, nv, (size_t)n,
                           NULL);
    px_conn_mark_dirty(&hc->base);
}

/* Fields a 2xx to CONNECT cannot carry (RFC 9110 §9.3.6), the
 * handshake's, which are the proxy's, and a subprotocol the client did not
 * offer (it would fail the WebSocket). */
static int tunnel_drops(const px_stream *s, const nghttp2_nv *f)
{
    if (tc_http_name_is(f->name, f->namelen, "sec-websocket-protocol") &&
        !ws_subprotocol_offered(&s->head, f->value, f->valuelen)) {
        tc_warn("conn %u: the application chose a WebSocket subprotocol the client did not "
                "offer: dropped",
                s->conn->id);
        return 1;
    }
    return tc_http_name_is(f->name, f->namelen, "content-length") ||
           tc_http_name_is(f->name, f->namelen, "sec-websocket-accept") ||
           tc_http_name_is(f->name, f->namelen, "sec-websocket-extensions");
}

int px_h2_send_tunnel_head(px_stream *s, const tp_response_head *h,
                           nghttp2_data_source_read_callback read_cb)
{
    px_h2_conn *hc = px_h2_of(s->conn);
    px_h2_stream *hs = px_h2s_of(s);
    int n = hc->session ? build_nv(&hc->base, h, 1) : -1;
    if (n < 0)
        return -1;
    int k = 1;
    for (int i = 1; i < n; i++)
        if (!tunnel_drops(s, &nv[i]))
            nv[k++] = nv[i];
    char st[3];
    set_status(st, 200); /* RFC 8441 §5: the 101 of HTTP/1.1 is a 200 */
    s->resp_head = 1;
    nghttp2_data_provider prd;
    prd.source.ptr = hs;
    prd.read_callback = read_cb;
    int rv = nghttp2_submit_response(hc->session, hs->id, nv, (size_t)k, &prd);
    if (rv != 0)
        tc_debug("conn %u: stream %d: cannot submit the WebSocket's 200: %s", hc->base.id, hs->id,
                 nghttp2_strerror(rv));
    px_conn_mark_dirty(&hc->base);
    return rv ? -1 : 0;
}

/* The app's Content-Length, when its body must match it. */
static uint64_t declared_length(const px_stream *s, const tp_response_head *h)
{
    uint64_t cl;
    if (s->is_head || h->status == 204 || h->status == 304)
        return UINT64_MAX;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        if (tc_http_name_is(f->name.ptr, f->name.len, "content-length") &&
            tc_http_content_length(f->value.ptr, f->value.len, &cl) == 0)
            return cl;
    }
    return UINT64_MAX;
}

void px_h2_send_head(px_stream *s, const tp_response_head *h)
{
    px_h2_conn *hc = px_h2_of(s->conn);
    px_h2_stream *hs = px_h2s_of(s);
    if (!hc->session)
        return;
    hs->resp_left = declared_length(s, h);
    int n = build_nv(&hc->base, h, 1);
    if (n < 0) {
        px_h2_abort(s, PX_ABORT_INTERNAL);
        return;
    }
    char st[3];
    set_status(st, h->status);
    if (s->is_head || h->status == 204 || h->status == 304)
        evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
    s->resp_head = 1;
    s->pieces_framed = 1;
    int rv;
    if (s->resp_end && !evbuffer_get_length(s->resp) && !s->has_trailers &&
        (hs->resp_left == UINT64_MAX || hs->resp_left == 0)) {
        s->resp_done = 1;
        rv = nghttp2_submit_response(hc->session, hs->id, nv, (size_t)n, NULL);
    } else {
        nghttp2_data_provider prd;
        prd.source.ptr = hs;
        prd.read_callback = data_read_cb;
        rv = nghttp2_submit_response(hc->session, hs->id, nv, (size_t)n, &prd);
    }
    if (rv != 0)
        tc_debug("conn %u: stream %d: cannot submit response: %s", hc->base.id, hs->id,
                 nghttp2_strerror(rv));
    px_conn_mark_dirty(&hc->base);
}

void px_h2_data_ready(px_stream *s)
{
    px_h2_conn *hc = px_h2_of(s->conn);
    px_h2_stream *hs = px_h2s_of(s);
    if (!hc->session || !s->resp_head)
        return;
    if (s->is_head)
        evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
    if (hs->deferred) {
        hs->deferred = 0;
        nghttp2_session_resume_data(hc->session, hs->id);
    }
    px_conn_mark_dirty(&hc->base);
}

void px_h2_abort(px_stream *s, enum px_abort why)
{
    static const uint32_t codes[] = {
        [PX_ABORT_INTERNAL] = NGHTTP2_INTERNAL_ERROR,
        [PX_ABORT_CANCEL] = NGHTTP2_CANCEL,
        [PX_ABORT_DONE] = NGHTTP2_NO_ERROR,
    };
    px_h2_conn *hc = px_h2_of(s->conn);
    if (!hc->session)
        return;
    nghttp2_submit_rst_stream(hc->session, NGHTTP2_FLAG_NONE, px_h2s_of(s)->id, codes[why]);
    px_conn_mark_dirty(&hc->base);
}

/* The client's flow-control windows (stream and connection) let s send. */
static int window_open(px_h2_conn *hc, px_h2_stream *hs)
{
    return hc->session && nghttp2_session_get_stream_remote_window_size(hc->session, hs->id) > 0 &&
           nghttp2_session_get_remote_window_size(hc->session) > 0;
}

enum px_stall px_h2_stalled(px_stream *s, int reads)
{
    if (!reads)
        return PX_STALL_CLOSE; /* a reset could not even reach it */
    /* The client reads and has room for us: more urgent streams go first.
     * Waiting on the scheduler is not a stall. */
    if (!s->resp_done && window_open(px_h2_of(s->conn), px_h2s_of(s)))
        return PX_STALL_WAIT;
    return PX_STALL_RESET;
}

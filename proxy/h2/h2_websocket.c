/* h2_websocket.c: WebSockets over HTTP/2 (RFC 8441): an extended CONNECT
 * with :protocol websocket becomes a WEBSOCKET request; the worker's 101
 * becomes :status 200, after which the stream's DATA carries the
 * WebSocket's frames both ways through a ws_session, its window opened as
 * the session parses, its END_STREAM the WebSocket's end.  Until the 101,
 * DATA the client sends early waits unread in the stream's buffer. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include "h2_conn.h"
#include "px_dispatch.h"
#include "ws_handshake.h"
#include "ws_session.h"
#include "tc_http.h"
#include "tc_log.h"

/* ---- the request ---- */

int px_h2_ws_request(px_h2_conn *hc, px_h2_stream *hs, int end_stream)
{
    static const tp_header want13 = { { (const uint8_t *)"sec-websocket-version", 21 },
                                      { (const uint8_t *)"13", 2 } };
    px_stream *s = &hs->base;
    tp_request_head *h = &s->head;
    const char *why = "";
    int rc;
    if (!tc_http_name_is(hs->protocol.ptr, hs->protocol.len, "websocket")) {
        tc_debug("conn %u: stream %d: extended CONNECT for a protocol other than websocket",
                 hc->base.id, hs->id);
        px_stream_local_response(s, 501, "Not Implemented: only :protocol websocket\n");
        return -1;
    }
    rc = end_stream ? WS_HS_BAD : ws_handshake_h2(h->headers, h->nheaders, &why);
    if (rc != WS_HS_OK) {
        tc_debug("conn %u: stream %d: WebSocket refused (%d): %s", hc->base.id, hs->id, rc,
                 end_stream ? "END_STREAM on the CONNECT" : why);
        px_stream_local_response_field(s, (unsigned)rc,
                                       rc == WS_HS_VERSION
                                           ? "Upgrade Required: WebSocket version 13\n"
                                           : "Bad Request: malformed WebSocket CONNECT\n",
                                       rc == WS_HS_VERSION ? &want13 : NULL);
        return -1;
    }
    /* On the wire a WebSocket request is a GET on both protocols. */
    h->method = (tp_str){ (const uint8_t *)"GET", 3 };
    h->flags |= TP_REQ_WEBSOCKET;
    h->content_length = 0;
    ws_drop_fields(s->hdrs, &h->nheaders);
    s->ops = &px_h2_ws_stream_ops;
    return 0;
}

/* ---- the session's carrier: the stream ---- */

static px_h2_stream *carrier(ws_session *ws) { return ws->carrier; }

static struct evbuffer *io_input(ws_session *ws) { return carrier(ws)->base.req; }

/* Parsed bytes open the client's window again (as a body's would). */
static void io_consumed(ws_session *ws, size_t n) { px_h2_consumed(&carrier(ws)->base, n); }

static struct evbuffer *io_output(ws_session *ws) { return carrier(ws)->base.resp; }

static void resume(px_h2_stream *hs)
{
    px_h2_conn *hc = px_h2_of(hs->base.conn);
    if (hs->deferred && hc->session) {
        hs->deferred = 0;
        nghttp2_session_resume_data(hc->session, hs->id);
    }
    px_conn_mark_dirty(&hc->base);
}

static void io_wrote(ws_session *ws) { resume(carrier(ws)); }

static void io_end(ws_session *ws, enum ws_end how)
{
    px_h2_stream *hs = carrier(ws);
    px_h2_conn *hc = px_h2_of(hs->base.conn);
    if (how == WS_END_ABORT) {
        if (hc->session)
            nghttp2_submit_rst_stream(hc->session, NGHTTP2_FLAG_NONE, hs->id, NGHTTP2_CANCEL);
        px_conn_mark_dirty(&hc->base);
        return;
    }
    hs->ws_done = 1; /* END_STREAM once the Close frame is out */
    resume(hs);
}

static const ws_io h2_io = {
    .input = io_input,
    .consumed = io_consumed,
    .output = io_output,
    .wrote = io_wrote,
    .end = io_end,
};

/* The tunnel's DATA: the session's frames, then END_STREAM; a client that
 * has not ended its side by then is told the stream is over (RST_STREAM
 * NO_ERROR, as after any response that ends before its request). */
static ssize_t tunnel_read_cb(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                              size_t length, uint32_t *flags, nghttp2_data_source *source, void *ud)
{
    px_h2_stream *hs = source->ptr;
    size_t len = evbuffer_get_length(hs->base.resp);
    (void)buf;
    (void)ud;
    if (len == 0 && !hs->ws_done) {
        hs->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = len < length ? len : length;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (hs->ws_done && n == len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        hs->base.resp_done = 1;
        if (!nghttp2_session_get_stream_remote_close(session, stream_id))
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR);
    }
    return (ssize_t)n;
}

/* ---- the stream's operations ---- */

static void ws_nothing(px_stream *s) { (void)s; }

/* Client bytes or worker credit: the session moves them; before the 101
 * early DATA just waits. */
static void ws_pump(px_stream *s)
{
    px_h2_stream *hs = px_h2s_of(s);
    if (!hs->ws)
        return;
    ws_session_pump(hs->ws);
    if (s->req_end)
        ws_session_client_ended(hs->ws);
}

static void ws_send_head(px_stream *s, const tp_response_head *h)
{
    px_h2_stream *hs = px_h2s_of(s);
    if (h->status != 101) {
        px_h2_send_head(s, h); /* a denial: an ordinary response */
        return;
    }
    hs->ws = calloc(1, sizeof *hs->ws);
    if (!hs->ws || px_h2_send_tunnel_head(s, h, tunnel_read_cb) < 0) {
        free(hs->ws);
        hs->ws = NULL;
        px_h2_abort(s, PX_ABORT_INTERNAL);
        return;
    }
    if (ws_session_start(hs->ws, &h2_io, s, hs) < 0) {
        px_h2_abort(s, PX_ABORT_INTERNAL);
        return;
    }
    px_h2_consumed(s, 0); /* with window 0, the worker's window opens the client's */
    if (s->req_end)
        ws_session_client_ended(hs->ws);
}

static void ws_data_ready(px_stream *s)
{
    px_h2_stream *hs = px_h2s_of(s);
    if (hs->ws)
        ws_session_worker_ended(hs->ws);
    else
        px_h2_data_ready(s);
}

static void ws_abort(px_stream *s, enum px_abort why)
{
    px_h2_stream *hs = px_h2s_of(s);
    if (hs->ws)
        ws_session_abort(hs->ws, why);
    else
        px_h2_abort(s, why);
}

static void ws_message(px_stream *s, struct evbuffer *in, size_t n, unsigned flags)
{
    px_h2_stream *hs = px_h2s_of(s);
    if (hs->ws)
        ws_session_on_message(hs->ws, in, n, flags);
    else
        evbuffer_drain(in, n);
}

static void ws_peer_close(px_stream *s, unsigned code, tp_str reason)
{
    px_h2_stream *hs = px_h2s_of(s);
    if (hs->ws)
        ws_session_on_close(hs->ws, code, reason);
}

const px_stream_ops px_h2_ws_stream_ops = {
    .dispatched = ws_nothing, /* nothing moves before the 101 */
    .pump_request = ws_pump,
    .consumed = px_h2_consumed,
    .body_abandoned = px_h2_body_abandoned,
    .send_informational = px_h2_send_info,
    .send_head = ws_send_head,
    .data_ready = ws_data_ready,
    .abort = ws_abort,
    .stalled = px_h2_stalled,
    .recycle = px_h2_stream_recycle,
    .message = ws_message,
    .peer_close = ws_peer_close,
};

void px_h2_ws_shutdown(px_h2_conn *hc)
{
    for (px_h2_stream *s = hc->streams; s; s = s->next)
        if (s->ws)
            ws_session_shutdown(s->ws);
}

/* ws_conn.c: an HTTP/1.1 connection after a 101 (ws_conn.h): the session's
 * input and output are the connection's own buffers, reading pauses by
 * the input's high mark while the worker takes nothing, and ending the
 * WebSocket closes the connection, the server first (RFC 6455 §7.1.1). */
#include "config.h"
#include <stdlib.h>
#include <event2/buffer.h>
#include "ws_conn.h"
#include "h1_conn.h"
#include "px_limits.h"

/* Client bytes read ahead of the parser before reading pauses. */
#define WS_READ_HIGH (256 * 1024)

static px_ws_conn *of(px_conn *c) { return PX_CONN_AS(px_ws_conn, c); }

static ws_session *session_of(px_stream *s) { return of(s->conn)->ws; }

/* ---- the session's carrier ---- */

static px_conn *carrier(ws_session *ws) { return ws->carrier; }

static struct evbuffer *io_input(ws_session *ws) { return px_conn_in(carrier(ws)); }

/* Reading pauses by itself when the input is not taken (its high mark). */
static void io_consumed(ws_session *ws, size_t n)
{
    (void)ws;
    (void)n;
}

static struct evbuffer *io_output(ws_session *ws) { return px_conn_out(carrier(ws)); }

static void io_wrote(ws_session *ws) { (void)ws; }

static void io_end(ws_session *ws, enum ws_end how)
{
    px_conn_close(carrier(ws), how == WS_END_CLEAN ? PX_CLOSE_FLUSH : PX_CLOSE_NOW);
}

static const ws_io h1_io = {
    .input = io_input,
    .consumed = io_consumed,
    .output = io_output,
    .wrote = io_wrote,
    .end = io_end,
};

/* ---- the tunnel's stream operations ---- */

static void st_nothing(px_stream *s) { (void)s; }

static void st_pump(px_stream *s) { ws_session_pump(session_of(s)); }

static void st_consumed(px_stream *s, size_t n)
{
    (void)s;
    (void)n;
}

static void st_info(px_stream *s, const tp_response_head *h)
{
    (void)s;
    (void)h;
}

static void st_worker_ended(px_stream *s) { ws_session_worker_ended(session_of(s)); }

static void st_abort(px_stream *s, enum px_abort why) { ws_session_abort(session_of(s), why); }

static enum px_stall st_stalled(px_stream *s, int reads)
{
    (void)s;
    (void)reads;
    return PX_STALL_CLOSE; /* the connection carries nothing else */
}

static void st_message(px_stream *s, struct evbuffer *in, size_t n, unsigned flags)
{
    ws_session_on_message(session_of(s), in, n, flags);
}

static void st_peer_close(px_stream *s, unsigned code, tp_str reason)
{
    ws_session_on_close(session_of(s), code, reason);
}

static const px_stream_ops tunnel_stream_ops = {
    .dispatched = st_nothing,
    .pump_request = st_pump,
    .consumed = st_consumed,
    .body_abandoned = st_nothing,
    .send_informational = st_info,
    .send_head = st_info,
    .data_ready = st_worker_ended,
    .abort = st_abort,
    .stalled = st_stalled,
    .recycle = px_h1_stream_recycle, /* the stream came from HTTP/1's free list */
    .message = st_message,
    .peer_close = st_peer_close,
};

/* ---- the connection's operations ---- */

void px_ws_conn_adopt(px_conn *c, px_stream *s)
{
    /* Out of memory: the stream loses its client (as HTTP/1's detach would
     * have told it, had it still been the current request), and the
     * connection closes as HTTP/1. */
    ws_session *ws = calloc(1, sizeof *ws);
    if (!ws) {
        px_stream_client_gone(s);
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    px_conn_handover(c, &px_ws_conn_ops);
    px_ws_conn *wc = of(c);
    wc->ws = ws;
    s->ops = &tunnel_stream_ops;
    px_conn_set_timer(c, NULL); /* the session keeps its own */
    px_conn_set_read_high(c, WS_READ_HIGH);
    if (ws_session_start(ws, &h1_io, s, c) < 0)
        px_conn_close(c, PX_CLOSE_NOW);
}

static void ws_start(px_conn *c) { (void)c; } /* only ever adopted */

static void ws_on_read(px_conn *c)
{
    if (of(c)->ws)
        ws_session_pump(of(c)->ws);
}

static void ws_on_write(px_conn *c)
{
    if (of(c)->ws)
        ws_session_drained(of(c)->ws);
}

static void ws_on_timeout(px_conn *c) { (void)c; }

static void ws_shutdown(px_conn *c)
{
    if (of(c)->ws)
        ws_session_shutdown(of(c)->ws);
}

static void ws_flush(px_conn *c) { (void)c; }

static void ws_detach(px_conn *c)
{
    px_ws_conn *wc = of(c);
    if (!wc->ws)
        return;
    px_stream *s = wc->ws->s;
    ws_session_stop(wc->ws);
    if (s)
        px_stream_client_gone(s);
}

static void ws_release(px_conn *c)
{
    px_ws_conn *wc = of(c);
    if (wc->ws)
        ws_session_stop(wc->ws);
    free(wc->ws);
    wc->ws = NULL;
}

const px_conn_ops px_ws_conn_ops = {
    .name = "WebSocket",
    .start = ws_start,
    .on_read = ws_on_read,
    .on_write = ws_on_write,
    .on_timeout = ws_on_timeout,
    .shutdown = ws_shutdown,
    .flush = ws_flush,
    .detach = ws_detach,
    .release = ws_release,
};

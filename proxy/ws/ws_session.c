/* ws_session.c: one WebSocket after its 101 (ws_session.h): the client's
 * frames parsed into messages for the worker under its window, the worker's
 * messages framed for the client and credited as the carrier's output
 * drains, pings both ways, and the close handshake (RFC 6455 §5.5, §7). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "ws_session.h"
#include "px_conn.h"
#include "px_limits.h"
#include "px_thread.h"
#include "px_upstream.h"
#include "tc_log.h"

/* What the session's one timer waits for. */
enum { T_OFF = 0, T_IDLE, T_PING, T_CLOSE };

static void timer_cb(evutil_socket_t fd, short what, void *arg);

static uint32_t conn_id(const ws_session *ws) { return ws->s && ws->s->conn ? ws->s->conn->id : 0; }

static void arm(ws_session *ws, int mode)
{
    const px_limits *l = ws->s ? ws->s->limits : NULL;
    const struct timeval *tv = NULL;
    if (l && mode == T_IDLE)
        tv = l->tv_ws_ping;
    else if (l && mode != T_OFF)
        tv = l->tv_ws_answer;
    ws->timer_mode = (uint8_t)mode;
    if (tv)
        evtimer_add(&ws->timer, tv);
    else
        evtimer_del(&ws->timer);
}

/* ---- toward the client ---- */

static size_t out_len(ws_session *ws) { return evbuffer_get_length(ws->io->output(ws)); }

static void put_control(ws_session *ws, unsigned op, const uint8_t *p, size_t n)
{
    uint8_t h[WS_HEADER_MAX];
    size_t hl = ws_frame_header(h, 1, op, n);
    struct evbuffer *out = ws->io->output(ws);
    evbuffer_add(out, h, hl);
    if (n)
        evbuffer_add(out, p, n);
    ws->io->wrote(ws);
}

static void send_close(ws_session *ws, unsigned code, const uint8_t *reason, size_t len)
{
    uint8_t pl[WS_CONTROL_MAX];
    if (ws->close_sent)
        return;
    ws->close_sent = 1;
    ws->pong_due = 0; /* RFC 6455 §5.5.1: nothing after our Close */
    put_control(ws, WS_OP_CLOSE, pl, ws_close_payload(pl, code, reason, len));
}

/* Worker bytes that reached the carrier's output are credited while that
 * output is short: a client that does not read stops the application. */
static void credit_worker(ws_session *ws)
{
    if (ws->owed && ws->s && out_len(ws) < PX_OUT_HIGH) {
        px_stream_resp_passed(ws->s, (size_t)ws->owed);
        ws->owed = 0;
    }
}

static void answer_ping(ws_session *ws)
{
    if (ws->pong_due && !ws->close_sent && out_len(ws) < PX_OUT_HIGH) {
        ws->pong_due = 0;
        put_control(ws, WS_OP_PONG, ws->pong, ws->pong_len);
    }
}

static void finish(ws_session *ws, enum ws_end how)
{
    if (ws->ended)
        return;
    ws->ended = 1;
    evtimer_del(&ws->timer);
    ws->io->end(ws, how); /* may stop the session and free its stream */
}

/* Both Close frames exchanged (or ours sent after a failure), and the
 * worker told: the carrier may end. */
static void maybe_finish(ws_session *ws)
{
    if (!ws->ended && ws->close_sent && (ws->close_recv || ws->failed) && !ws->up_close_due)
        finish(ws, WS_END_CLEAN);
}

/* ---- toward the worker ---- */

static void drop_up(ws_session *ws)
{
    if (ws->up)
        evbuffer_drain(ws->up, evbuffer_get_length(ws->up));
    ws->msg_count = 0;
    ws->msg_first = 0;
}

/* The WS_CLOSE the worker gets once the messages before it are sent. */
static void queue_up_close(ws_session *ws, unsigned code, const uint8_t *reason, size_t len)
{
    if (!ws->s || ws->s->req_end_sent || ws->up_close_due)
        return;
    if (len > WS_REASON_MAX)
        len = WS_REASON_MAX;
    ws->up_close_due = 1;
    ws->up_close_code = (uint16_t)code;
    ws->up_reason_len = (uint8_t)len;
    if (len)
        memcpy(ws->up_reason, reason, len);
}

/* Sends held messages as far as the worker's window goes, then the owed
 * WS_CLOSE.  A message cut short by a close goes without MESSAGE_END: the
 * worker drops it. */
static void pump_up(ws_session *ws)
{
    px_stream *s = ws->s;
    if (!s)
        return;
    if (!s->up || s->req_end_sent) {
        drop_up(ws);
        ws->up_close_due = 0;
        return;
    }
    uint32_t max = px_upstream_max_frame(s->up);
    while (ws->msg_count) {
        ws_up_msg *m = &ws->msgs[ws->msg_first];
        int64_t win = s->send_window > 0 ? s->send_window : 0;
        size_t n = m->left;
        if ((int64_t)n > win)
            n = (size_t)win;
        if (n > max)
            n = max;
        int done = (m->complete || ws->up_close_due) && n == m->left;
        if (n == 0 && !done)
            break;
        if (n || m->complete)
            px_stream_send_message(s, ws->up, n,
                                   (m->text ? TP_FLAG_TEXT : 0) |
                                       (m->complete && done ? TP_FLAG_MESSAGE_END : 0));
        m->left -= (uint32_t)n;
        if (!done)
            continue;
        ws->msg_first = (uint8_t)((ws->msg_first + 1) % WS_UP_MSGS);
        ws->msg_count--;
    }
    if (!ws->msg_count && ws->up_close_due) {
        ws->up_close_due = 0;
        px_stream_close_tunnel(s, ws->up_close_code, ws->up_reason, ws->up_reason_len);
    }
}

/* ---- the client's frames ---- */

static void take_data(ws_session *ws, const ws_event *ev)
{
    ws_up_msg *m = NULL;
    if (ws->msg_count) {
        m = &ws->msgs[(ws->msg_first + ws->msg_count - 1) % WS_UP_MSGS];
        if (m->complete)
            m = NULL;
    }
    if (!m) {
        m = &ws->msgs[(ws->msg_first + ws->msg_count) % WS_UP_MSGS];
        ws->msg_count++;
        *m = (ws_up_msg){ 0, ev->opcode == WS_OP_TEXT, 0 };
    }
    if (ev->len)
        evbuffer_add(ws->up, ev->data, ev->len);
    m->left += (uint32_t)ev->len;
    m->complete = ev->msg_end;
}

static void on_client_close(ws_session *ws, const ws_event *ev)
{
    const uint8_t *reason = ev->len > 2 ? ev->data + 2 : NULL;
    size_t rlen = ev->len > 2 ? ev->len - 2 : 0;
    ws->close_recv = 1;
    /* RFC 6455 §5.5.1: echo the code at once. */
    send_close(ws, ev->code, reason, rlen);
    queue_up_close(ws, ev->code, reason, rlen);
    if (ws->timer_mode != T_CLOSE)
        arm(ws, T_CLOSE);
}

static void on_control(ws_session *ws, const ws_event *ev)
{
    if (ev->opcode == WS_OP_PING) {
        /* One answer for the latest ping is enough (RFC 6455 §5.5.3). */
        memcpy(ws->pong, ev->data, ev->len);
        ws->pong_len = (uint8_t)ev->len;
        ws->pong_due = 1;
        answer_ping(ws);
    } else if (ev->opcode == WS_OP_CLOSE) {
        on_client_close(ws, ev);
    }
    /* A pong needs nothing: any byte from the client proved it alive. */
}

static void on_client_fault(ws_session *ws, const ws_event *ev)
{
    tc_debug("conn %u: WebSocket client broke RFC 6455 (%s): closing with %u", conn_id(ws), ev->why,
             ev->code);
    ws->failed = 1;
    send_close(ws, ev->code, (const uint8_t *)ev->why, strlen(ev->why));
    queue_up_close(ws, ev->code, NULL, 0);
    arm(ws, T_CLOSE);
}

/* Parses client bytes while the worker-bound hold has room.  1 when some
 * bytes were used. */
static int parse_some(ws_session *ws)
{
    struct evbuffer *in = ws->io->input(ws);
    int moved = 0;
    while (!ws->ended && !ws->failed && !ws->close_recv) {
        if (ws->msg_count == WS_UP_MSGS || evbuffer_get_length(ws->up) >= WS_UP_HOLD)
            break;
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
            break;
        uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)v.iov_len); /* one chunk: no copy */
        size_t used = 0;
        ws_event ev;
        int rc = ws_parse(&ws->parser, p, v.iov_len, &used, &ev);
        if (rc == WS_EV_DATA)
            take_data(ws, &ev);
        if (used) {
            evbuffer_drain(in, used);
            ws->io->consumed(ws, used);
            moved = 1;
        }
        if (rc == WS_EV_CONTROL)
            on_control(ws, &ev);
        else if (rc == WS_EV_ERROR)
            on_client_fault(ws, &ev);
        else if (rc == WS_EV_AGAIN && !used)
            break;
    }
    if (moved && ws->timer_mode != T_CLOSE && !ws->ended)
        arm(ws, T_IDLE);
    return moved;
}

/* ---- life ---- */

int ws_session_start(ws_session *ws, const ws_io *io, px_stream *s, void *carrier)
{
    ws->io = io;
    ws->s = s;
    ws->carrier = carrier;
    ws->up = evbuffer_new();
    if (!ws->up)
        return -1;
    ws_parser_init(&ws->parser, s->limits->ws_max_message);
    evtimer_assign(&ws->timer, s->th->base, timer_cb, ws);
    ws->started = 1;
    arm(ws, T_IDLE);
    ws_session_pump(ws);
    return 0;
}

void ws_session_stop(ws_session *ws)
{
    if (!ws->started)
        return;
    ws->started = 0;
    ws->ended = 1;
    evtimer_del(&ws->timer);
    if (ws->up)
        evbuffer_free(ws->up);
    ws->up = NULL;
    ws->s = NULL;
}

void ws_session_pump(ws_session *ws)
{
    if (!ws->started || ws->ended)
        return;
    do
        pump_up(ws);
    while (parse_some(ws));
    pump_up(ws);
    maybe_finish(ws);
}

void ws_session_drained(ws_session *ws)
{
    if (!ws->started || ws->ended)
        return;
    credit_worker(ws);
    answer_ping(ws);
}

void ws_session_shutdown(ws_session *ws)
{
    if (!ws->started || ws->ended || ws->close_sent)
        return;
    static const char why[] = "server shutting down";
    send_close(ws, WS_CLOSE_GOING_AWAY, (const uint8_t *)why, sizeof why - 1);
    queue_up_close(ws, WS_CLOSE_GOING_AWAY, NULL, 0);
    ws->failed = 1; /* no more client messages: the server is going away */
    pump_up(ws);
    arm(ws, T_CLOSE);
    maybe_finish(ws);
}

void ws_session_client_ended(ws_session *ws)
{
    if (!ws->started || ws->ended)
        return;
    if (ws->close_recv) {
        maybe_finish(ws);
        return;
    }
    /* Gone without a Close: as a TCP FIN would be, and the worker sees 1006. */
    finish(ws, WS_END_ABORT);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    ws_session *ws = arg;
    static const char dead[] = "ping timeout";
    (void)fd;
    (void)what;
    if (ws->timer_mode == T_IDLE) {
        uint8_t p[4] = { (uint8_t)(ws->ping_seq >> 24), (uint8_t)(ws->ping_seq >> 16),
                         (uint8_t)(ws->ping_seq >> 8), (uint8_t)ws->ping_seq };
        ws->ping_seq++;
        put_control(ws, WS_OP_PING, p, sizeof p);
        arm(ws, T_PING);
    } else if (ws->timer_mode == T_PING) {
        tc_info("conn %u: WebSocket client did not answer a ping within %lld s: closing",
                conn_id(ws), ws->s ? ws->s->limits->ws_ping_timeout_s : 0LL);
        ws->failed = 1;
        send_close(ws, WS_CLOSE_INTERNAL, (const uint8_t *)dead, sizeof dead - 1);
        finish(ws, WS_END_CLEAN); /* no WS_CLOSE: the worker sees 1006 */
    } else if (ws->timer_mode == T_CLOSE) {
        tc_debug("conn %u: WebSocket close handshake not finished in time", conn_id(ws));
        finish(ws, ws->up_close_due ? WS_END_ABORT : WS_END_CLEAN);
    }
}

/* ---- the worker's side ---- */

/* The worker broke the tunnel's rules: it is reset, the client gets 1011. */
static void worker_broke(ws_session *ws, struct evbuffer *in, size_t n, const char *why)
{
    tc_error("conn %u: worker pid %u: %s: PROTOCOL_ERROR", conn_id(ws),
             ws->s && ws->s->up ? px_upstream_pid(ws->s->up) : 0, why);
    evbuffer_drain(in, n);
    px_stream_on_worker_error(ws->s, TP_RESET_PROTOCOL_ERROR); /* aborts: ws_session_abort */
}

/* Feeds n bytes at the front of b to the validator, without copying. */
static int utf8_feed_buffer(ws_utf8 *u, struct evbuffer *b, size_t n)
{
    struct evbuffer_iovec v[16];
    int k = evbuffer_peek(b, (ev_ssize_t)n, NULL, v, 16);
    if (k > 16) {
        const uint8_t *p = evbuffer_pullup(b, (ev_ssize_t)n);
        return p && ws_utf8_feed(u, p, n) == 0;
    }
    for (int i = 0; i < k && n; i++) {
        size_t m = v[i].iov_len < n ? v[i].iov_len : n;
        if (ws_utf8_feed(u, v[i].iov_base, m) < 0)
            return 0;
        n -= m;
    }
    return 1;
}

void ws_session_on_message(ws_session *ws, struct evbuffer *in, size_t n, unsigned flags)
{
    int text = (flags & TP_FLAG_TEXT) != 0, end = (flags & TP_FLAG_MESSAGE_END) != 0;
    if (!ws->started || ws->close_sent) {
        /* Nothing follows our Close: dropped, and the worker goes on. */
        evbuffer_drain(in, n);
        if (ws->s)
            px_stream_resp_passed(ws->s, n);
        return;
    }
    if (!ws->down_open) {
        ws->down_text = (unsigned)text;
        ws_utf8_init(&ws->down_utf8);
    }
    if (text != (int)ws->down_text) {
        worker_broke(ws, in, n, "a message both text and binary");
        return;
    }
    if (text &&
        (!utf8_feed_buffer(&ws->down_utf8, in, n) || (end && !ws_utf8_complete(&ws->down_utf8)))) {
        worker_broke(ws, in, n, "a text message that is not UTF-8");
        return;
    }
    if (n == 0 && !end)
        return;
    uint8_t h[WS_HEADER_MAX];
    unsigned op = ws->down_open ? WS_OP_CONT : text ? WS_OP_TEXT : WS_OP_BINARY;
    struct evbuffer *out = ws->io->output(ws);
    evbuffer_add(out, h, ws_frame_header(h, end, op, n));
    evbuffer_remove_buffer(in, out, n);
    ws->down_open = !end;
    ws->owed += n;
    credit_worker(ws);
    ws->io->wrote(ws);
}

/* The worker's side is over with code (its WS_CLOSE, or 1000 for a RESET
 * NO_ERROR): the client gets the Close, the worker its answer. */
static void worker_closed(ws_session *ws, unsigned code, tp_str reason)
{
    unsigned to_client = code;
    if (code != WS_CLOSE_NO_STATUS && !ws_close_code_valid(code)) {
        tc_warn("conn %u: the application closed a WebSocket with code %u, which a client "
                "may not receive: sent as 1011",
                conn_id(ws), code);
        to_client = WS_CLOSE_INTERNAL;
    }
    if (!ws_utf8_valid(reason.ptr, reason.len))
        reason.len = 0;
    drop_up(ws);
    ws->up_close_due = 0;
    send_close(ws, to_client, reason.ptr, reason.len);
    if (ws->s)
        px_stream_close_tunnel(ws->s, code, reason.ptr, reason.len);
    if (ws->close_recv || ws->failed)
        maybe_finish(ws);
    else
        arm(ws, T_CLOSE);
}

void ws_session_on_close(ws_session *ws, unsigned code, tp_str reason)
{
    if (!ws->started || ws->ended)
        return;
    worker_closed(ws, code, reason);
}

void ws_session_worker_ended(ws_session *ws)
{
    if (!ws->started || ws->ended || !ws->s || !ws->s->resp_end)
        return;
    worker_closed(ws, WS_CLOSE_NORMAL, (tp_str){ NULL, 0 });
}

void ws_session_abort(ws_session *ws, enum px_abort why)
{
    static const unsigned codes[] = {
        [PX_ABORT_INTERNAL] = WS_CLOSE_INTERNAL,
        [PX_ABORT_CANCEL] = WS_CLOSE_GOING_AWAY,
        [PX_ABORT_DONE] = WS_CLOSE_NORMAL,
    };
    if (!ws->started || ws->ended)
        return;
    drop_up(ws);
    ws->up_close_due = 0;
    ws->failed = 1;
    send_close(ws, codes[why], NULL, 0);
    finish(ws, WS_END_CLEAN);
}

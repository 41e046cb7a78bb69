/* px_upstream_out.c: frames toward a tandem-appd worker.  Each is appended
 * to the connection's output buffer; all a loop turn queued leaves in one
 * writev at the turn's end (px_pool_flush), and the write event is armed
 * only while the socket refuses bytes. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "px_counters.h"
#include "px_upstream_int.h"
#include "px_stream.h"
#include "tc_log.h"

/* One write takes at most this much, so one connection's large body does
 * not hold the loop; the rest goes when the socket is writable again. */
#define MAX_SINGLE_WRITE (1024 * 1024)

static void up_writable_cb(evutil_socket_t fd, short what, void *arg);

int px_upstream_out_init(px_upstream *u, struct event_base *base)
{
    u->out = evbuffer_new();
    u->write_ev = event_new(base, u->fd, EV_WRITE | EV_PERSIST, up_writable_cb, u);
    return u->out && u->write_ev ? 0 : -1;
}

void px_upstream_out_stop(px_upstream *u)
{
    if (u->write_ev)
        event_del(u->write_ev);
    u->write_armed = 0;
    px_pool_forget_write(u->pool, u);
}

void px_upstream_out_free(px_upstream *u)
{
    if (u->write_ev)
        event_free(u->write_ev);
    if (u->out)
        evbuffer_free(u->out);
}

uint64_t px_upstream_delivered(const px_upstream *u)
{
    return u->out_total - (u->out ? evbuffer_get_length(u->out) : 0);
}

/* n more bytes are in u's output: written at the end of the turn, or by
 * the write event when it is armed. */
static void queued(px_upstream *u, size_t n)
{
    u->out_total += n;
    if (!u->write_armed)
        px_pool_want_write(u->pool, u);
}

/* Out of memory for a frame: the wire would go on without it, which the
 * worker cannot make sense of.  The connection is closed as if it broke
 * (its streams answered or retried like any lost worker's), at the end of
 * the turn, not under the caller's feet; nothing more is sent on it. */
static void frame_lost(px_upstream *u)
{
    tc_error("worker pid %u: out of memory queueing a frame: connection dropped", u->hello.pid);
    u->lost = 1;
    px_pool_want_write(u->pool, u);
}

/* The socket takes no more for now: wait until it does. */
static void arm(px_upstream *u)
{
    if (u->write_armed)
        return;
    if (event_add(u->write_ev, NULL) < 0) {
        px_upstream_close(u, "cannot watch the socket");
        return;
    }
    u->write_armed = 1;
    tc_debug("worker pid %u: socket full, %zu bytes wait for it", u->hello.pid,
             evbuffer_get_length(u->out));
}

static void disarm(px_upstream *u)
{
    if (u->write_armed) {
        event_del(u->write_ev);
        u->write_armed = 0;
    }
}

/* One writev of what is queued, up to MAX_SINGLE_WRITE.  A write error
 * (EPIPE, ECONNRESET from a worker that exited) closes the connection: its
 * streams whose heads never left are retried. */
static void write_some(px_upstream *u)
{
    int n = evbuffer_write_atmost(u->out, u->fd, MAX_SINGLE_WRITE);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        px_upstream_close(u, strerror(errno));
        return;
    }
    if (evbuffer_get_length(u->out))
        arm(u);
    else
        disarm(u);
}

void px_upstream_write(px_upstream *u)
{
    if (u->state == PX_UP_CLOSED)
        return;
    if (u->lost) {
        px_upstream_close(u, "out of memory");
        return;
    }
    if (!u->write_armed && evbuffer_get_length(u->out))
        write_some(u);
}

static void up_writable_cb(evutil_socket_t fd, short what, void *arg)
{
    px_upstream *u = arg;
    (void)fd;
    (void)what;
    if (u->state != PX_UP_CLOSED && !u->lost)
        write_some(u);
}

/* ---- frames ---- */

void px_upstream_commit(px_upstream *u)
{
    tp_buf *out = &u->pool->out;
    if (out->len) {
        if (evbuffer_add(u->out, out->data, out->len) < 0)
            frame_lost(u);
        else
            queued(u, out->len);
        out->len = 0;
    }
}

/* Commits what the encoder wrote, or forgets it when the encoder failed. */
static void commit_if(px_upstream *u, int rc)
{
    if (rc == TP_OK) {
        px_upstream_commit(u);
        return;
    }
    u->pool->out.len = 0;
    if (rc == TP_E_NOMEM)
        frame_lost(u);
}

void px_upstream_send_reset(px_stream *s, uint32_t reason)
{
    px_upstream *u = s->up;
    if (!u || u->state == PX_UP_CLOSED)
        return;
    commit_if(u, tp_encode_reset(&u->pool->out, s->up_id, reason));
    s->reset_out = 1;
}

void px_upstream_send_credit(px_stream *s, uint32_t n)
{
    px_upstream *u = s->up;
    if (!u || u->state == PX_UP_CLOSED || !n)
        return;
    int rc = tp_encode_credit(&u->pool->out, s->up_id, n);
    commit_if(u, rc);
    if (rc == TP_OK)
        s->resp_window += n; /* what the worker may send now grows by as much */
}

void px_upstream_send_data(px_stream *s, struct evbuffer *src, size_t n, int end)
{
    px_counters_bytes_in(s->th, n);
    px_upstream_send_message(s, src, n, end ? TP_FLAG_END_STREAM : 0);
}

void px_upstream_send_ws_close(px_stream *s, unsigned code, const uint8_t *reason, size_t len)
{
    px_upstream *u = s->up;
    if (!u || u->state == PX_UP_CLOSED)
        return;
    if (len > TP_WS_REASON_MAX)
        len = TP_WS_REASON_MAX;
    commit_if(u,
              tp_encode_ws_close(&u->pool->out, s->up_id, (uint16_t)code, reason, (uint32_t)len));
}

void px_upstream_send_message(px_stream *s, struct evbuffer *src, size_t n, unsigned flags)
{
    px_upstream *u = s->up;
    if (!u || u->state == PX_UP_CLOSED) {
        evbuffer_drain(src, n);
        return;
    }
    uint8_t hdr[TP_HEADER_SIZE];
    tp_data_header(hdr, TP_FRAME_REQUEST_DATA, s->up_id, (uint8_t)flags, (uint32_t)n);
    if (evbuffer_add(u->out, hdr, sizeof hdr) < 0 ||
        (n && evbuffer_remove_buffer(src, u->out, n) != (int)n)) /* moves chains when it can */
        frame_lost(u);
    else
        queued(u, sizeof hdr + n);
}

void px_upstream_ping(px_upstream *u)
{
    static const uint8_t opaque[8] = { 't', 'a', 'n', 'd', 'e', 'm', 0, 1 };
    int rc = tp_encode_ping(&u->pool->out, 0, opaque);
    commit_if(u, rc);
    if (rc == TP_OK)
        u->ping_out = 1;
}

void px_upstream_send_ping_ack(px_upstream *u, const uint8_t *opaque)
{
    commit_if(u, tp_encode_ping(&u->pool->out, TP_FLAG_ACK, opaque));
}

void px_upstream_send_drain(px_upstream *u)
{
    commit_if(u, tp_encode_drain(&u->pool->out, u->next_id ? u->next_id - 1 : 0));
}

void px_upstream_send_hello(px_upstream *u)
{
    tp_hello h;
    memset(&h, 0, sizeof h);
    h.version = TP_VERSION;
    h.role = TP_ROLE_PROXY;
    h.worker_class = TP_CLASS_NONE;
    h.pid = (uint32_t)getpid();
    h.worker_index = u->asked;
    h.initial_window = PX_RESP_WINDOW_MIN;
    h.max_frame = PX_UP_MAX_FRAME;
    commit_if(u, tp_encode_hello(&u->pool->out, &h));
}

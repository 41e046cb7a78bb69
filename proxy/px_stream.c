/* px_stream.c: one request's life, whatever the client protocol (see
 * px_stream.h): construction and reuse, the kept head, request body toward
 * the worker, response bytes credited back, failures mapped to 502/504 or
 * an abort, and the worker's events turned into calls on the stream's
 * protocol table. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "px_stream.h"
#include "px_conn.h"
#include "px_balance.h"
#include "px_bodybuf.h"
#include "px_budget.h"
#include "px_dispatch.h"
#include "px_hdr.h"
#include "px_limits.h"
#include "px_counters.h"
#include "px_piece.h"
#include "px_prio.h"
#include "px_stream_log.h"
#include "px_thread.h"
#include "px_upstream.h"
#include "tc_http.h"
#include "tc_log.h"

int px_stream_construct(px_stream *s)
{
    memset(s, 0, sizeof *s);
    s->req = evbuffer_new();
    s->resp = evbuffer_new();
    if (!s->req || !s->resp) {
        px_stream_destruct(s);
        return -1;
    }
    return 0;
}

void px_stream_destruct(px_stream *s)
{
    px_piece_forget(s);
    if (s->req)
        evbuffer_free(s->req);
    if (s->resp)
        evbuffer_free(s->resp);
    free(s->hdrs);
    tp_buf_free(&s->hold);
    tp_buf_free(&s->trailers);
    tp_buf_free(&s->log_fields);
    memset(s, 0, sizeof *s);
}

void px_stream_init(px_stream *s, px_conn *c, const px_stream_ops *ops)
{
    /* Keep what was allocated (buffers, arrays); reset the rest. */
    px_piece_forget(s);
    struct evbuffer *req = s->req, *resp = s->resp;
    tp_header *hdrs = s->hdrs;
    uint32_t hdr_cap = s->hdr_cap;
    tp_buf hold = s->hold, trailers = s->trailers, log_fields = s->log_fields;
    memset(s, 0, sizeof *s);
    s->req = req;
    s->resp = resp;
    s->hdrs = hdrs;
    s->hdr_cap = hdr_cap;
    s->hold = hold;
    s->hold.len = 0;
    s->trailers = trailers;
    s->trailers.len = 0;
    s->log_fields = log_fields;
    s->log_fields.len = 0;
    s->ops = ops;
    s->th = c->th;
    s->conn = c;
    s->limits = c->limits;
    s->slot = -1;
    s->state = PX_ST_IDLE;
    s->head.content_length = TP_LENGTH_UNKNOWN;
    s->head.prio_weight = PX_PRIO_WEIGHT_DEFAULT;
    s->head.prio_urgency = PX_PRIO_URGENCY_DEFAULT;
    s->q.urgency = PX_PRIO_URGENCY_DEFAULT;
    s->q.weight = PX_PRIO_WEIGHT_DEFAULT;
    px_stream_timer_init(s);
    px_stream_log_start(s);
}

void px_stream_init_orphan(px_stream *s, px_thread *th, const px_limits *lim,
                           const px_stream_ops *ops)
{
    s->ops = ops;
    s->th = th;
    s->limits = lim;
    s->slot = -1;
    px_stream_timer_init(s);
}

/* Lets go of the upstream connection and the worker's capacity slot, so a
 * stream waiting on any thread can take it. */
static void release_worker(px_stream *s)
{
    if (s->up)
        px_upstream_forget(s);
    if (s->slot >= 0) {
        px_worker_release(s->slot);
        s->slot = -1;
        px_dispatch_slot_freed(s->th);
    }
}

/* The response body s holds goes, with the queue of its pieces. */
static void drop_response_body(px_stream *s)
{
    px_piece_forget(s);
    evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
}

void px_stream_free(px_stream *s)
{
    px_budget_leave(s);
    px_counters_request_end(s);
    px_stream_set_timer(s, NULL);
    px_dispatch_unqueue(s);
    release_worker(s);
    evbuffer_drain(s->req, evbuffer_get_length(s->req));
    drop_response_body(s);
    /* Large one-off buffers are not worth keeping on the free list. */
    if (s->hold.cap > 64 * 1024)
        tp_buf_free(&s->hold);
    if (s->trailers.cap > 64 * 1024)
        tp_buf_free(&s->trailers);
    if (s->log_fields.cap > 64 * 1024)
        tp_buf_free(&s->log_fields);
    s->conn = NULL;
    s->ops->recycle(s);
}

void px_stream_progress(px_stream *s)
{
    if (s->state == PX_ST_UP && s->limits->tv_timeout && !s->tunnel)
        px_stream_set_timer(s, s->limits->tv_timeout);
}

void px_stream_dispatched(px_stream *s)
{
    s->state = PX_ST_UP;
    event_base_gettimeofday_cached(s->th->base, &s->since);
    px_stream_set_timer(s, s->limits->tv_timeout);
    px_budget_open(s); /* the head went first: credit may follow it */
    if (s->conn)
        s->ops->dispatched(s);
}

void px_stream_pump_request(px_stream *s)
{
    if (s->state != PX_ST_UP || !s->up || s->req_end_sent)
        return;
    uint32_t max = px_upstream_max_frame(s->up);
    size_t len, moved = 0;
    while ((len = evbuffer_get_length(s->req)) > 0 && s->send_window > 0) {
        size_t n = len;
        if ((int64_t)n > s->send_window)
            n = (size_t)s->send_window;
        if (n > max)
            n = max;
        int end = s->req_end && n == len;
        px_upstream_send_data(s, s->req, n, end);
        s->send_window -= (int64_t)n;
        s->req_data_sent = 1;
        moved += n;
        if (end)
            s->req_end_sent = 1;
    }
    if (!s->req_end_sent && s->req_end && evbuffer_get_length(s->req) == 0) {
        px_upstream_send_data(s, s->req, 0, 1);
        s->req_end_sent = 1;
    }
    if (moved)
        px_stream_progress(s);
    if (s->send_window <= 0)
        px_bodybuf_pace_restart(s); /* the worker holds the body back, not the client */
    /* The worker took these bytes: only now may the client send more. */
    if (s->conn)
        s->ops->consumed(s, moved);
}

void px_stream_resp_passed(px_stream *s, size_t n)
{
    if (!n)
        return;
    px_counters_bytes_out(s->th, n);
    px_budget_passed(s, n); /* the worker may be credited, this or another stream's */
    if (s->state == PX_ST_DONE && s->conn && s->limits->tv_timeout) {
        px_stream_set_timer(s, s->limits->tv_timeout); /* the client still reads */
        return;
    }
    if (s->up && s->state == PX_ST_UP && !s->resp_end)
        px_stream_progress(s);
}

/* The worker's side of the stream is over (response complete, reset, lost). */
void px_stream_detach_upstream(px_stream *s)
{
    /* Reset by us, the worker still runs the app until it answers. */
    if (s->up && s->conn && s->reset_out && !s->resp_end && !s->worker_reset)
        px_stream_ghost_take(s);
    release_worker(s);
    s->state = PX_ST_DONE;
    px_budget_worker_done(s);
    /* The worker is done, the client may not be: a client that stops
     * reading (or never opens its window) must not hold the response
     * buffered here for ever, so its side keeps a no-progress timeout. */
    px_stream_set_timer(s, s->conn ? s->limits->tv_timeout : NULL);
}

/* The response is complete from the worker: tell it no more request body
 * will come if it has not all been sent, then let go of the worker. */
static void upstream_finished(px_stream *s)
{
    if (s->up && !s->req_end_sent) {
        if (s->req_end && evbuffer_get_length(s->req) == 0)
            px_upstream_send_data(s, s->req, 0, 1);
        else
            px_upstream_send_reset(s, TP_RESET_NO_ERROR);
        s->req_end_sent = 1;
    }
    px_stream_detach_upstream(s);
    if (s->conn)
        s->ops->body_abandoned(s);
}

void px_stream_client_gone(px_stream *s)
{
    px_stream_log_end(s); /* the client side is done: the request's line */
    if (s->state == PX_ST_QUEUED)
        px_dispatch_unqueue(s);
    px_budget_leave(s);
    s->conn = NULL;
    if (s->up && !s->resp_end) {
        /* Client reset or disconnected: the app learns it (http.disconnect).
         * The worker answers with its own final frame; until then it still
         * runs the app, so the stream keeps its slot and capacity stays true. */
        /* A tunnel whose WS_CLOSE went already told the app all it needs
         * (its disconnect, with the code): it only has to answer. */
        if (!(s->tunnel && s->req_end_sent)) {
            px_upstream_send_reset(s, TP_RESET_CANCEL);
            tc_debug("stream %u: client gone; RESET CANCEL sent to worker pid %u", s->up_id,
                     px_upstream_pid(s->up));
        }
        s->req_end_sent = 1;
        s->cancelled = 1;
        px_stream_set_timer(s,
                            s->limits->tv_timeout ? s->limits->tv_timeout : s->limits->tv_linger);
        return;
    }
    if (s->up || s->slot >= 0)
        px_stream_detach_upstream(s);
    px_stream_free(s);
}

/* A worker event for a stream whose client is gone: only its final frame
 * matters (it frees the stream).  Returns 1 when handled here. */
static int orphan_event(px_stream *s, int final)
{
    if (s->conn)
        return 0;
    if (final) {
        px_stream_detach_upstream(s);
        px_stream_free(s);
    }
    return 1;
}

static void client_notify_data(px_stream *s)
{
    if (s->conn && s->resp_head)
        s->ops->data_ready(s);
}

static void local_response(px_stream *s, unsigned status, const char *body, const tp_header *extra)
{
    if (s->up || s->slot >= 0)
        px_stream_detach_upstream(s);
    s->state = PX_ST_DONE;
    if (!s->conn)
        return;
    if (s->resp_head) {
        /* Too late for a status: the client learns by a reset/close. */
        s->ops->abort(s, PX_ABORT_INTERNAL);
        return;
    }
    size_t blen = strlen(body);
    char lenbuf[24];
    int ll = snprintf(lenbuf, sizeof lenbuf, "%zu", blen);
    tp_header hv[3] = {
        { { (const uint8_t *)"content-type", 12 },
          { (const uint8_t *)"text/plain; charset=utf-8", 25 } },
        { { (const uint8_t *)"content-length", 14 }, { (const uint8_t *)lenbuf, (uint32_t)ll } },
    };
    if (extra)
        hv[2] = *extra;
    tp_response_head h = { (uint16_t)status, extra ? 3 : 2, hv };
    drop_response_body(s);
    if (!s->is_head)
        evbuffer_add(s->resp, body, blen);
    s->resp_end = 1;
    s->status = (uint16_t)status;
    px_stream_log_head(s, &h, 0);
    s->ops->send_head(s, &h);
    /* The protocol may have finished (and freed) the stream already. */
}

void px_stream_local_response(px_stream *s, unsigned status, const char *body)
{
    local_response(s, status, body, NULL);
}

void px_stream_local_response_field(px_stream *s, unsigned status, const char *body,
                                    const tp_header *extra)
{
    local_response(s, status, body, extra);
}

static void fail_upstream(px_stream *s, unsigned status, enum px_abort why)
{
    px_stream_detach_upstream(s);
    if (!s->conn)
        return;
    if (!s->resp_head)
        px_stream_local_response(s, status, status == 504 ? "Gateway Timeout\n" : "Bad Gateway\n");
    else
        s->ops->abort(s, why);
}

/* The response sat here for --timeout with no byte taken by the client.
 * The protocol says whether the client is only waiting on its own
 * scheduler (keep going), can lose this stream alone (reset), or must lose
 * the connection (a reset could not even reach a client that reads nothing). */
static void client_stalled(px_stream *s)
{
    px_conn *c = s->conn;
    int reads = px_conn_out_len(c) < PX_OUT_HIGH;
    enum px_stall what = s->ops->stalled(s, reads);
    if (what == PX_STALL_WAIT) {
        px_stream_set_timer(s, s->limits->tv_timeout);
        return;
    }
    tc_info("conn %u: client took no response bytes for %lld s: %s", c->id, s->limits->timeout_s,
            what == PX_STALL_RESET ? "resetting the stream" : "closing");
    if (what == PX_STALL_RESET)
        s->ops->abort(s, s->resp_done ? PX_ABORT_DONE : PX_ABORT_CANCEL);
    else
        px_conn_close(c, PX_CLOSE_NOW); /* frees s */
}

void px_stream_timeout(px_stream *s)
{
    if (s->collecting) {
        px_bodybuf_expired(s);
        return;
    }
    if (s->state == PX_ST_QUEUED) {
        px_dispatch_unqueue(s);
        tc_warn("conn %u: request waited %lld s for a free worker: 503", s->conn ? s->conn->id : 0,
                s->limits->queue_timeout_s);
        px_stream_local_response(s, 503, "Service Unavailable: server busy\n");
        return;
    }
    if (s->cancelled) {
        /* The worker never answered our RESET: stop waiting for it. */
        tc_warn("worker pid %u did not answer RESET CANCEL within %lld s; taking its slot back",
                s->up ? px_upstream_pid(s->up) : 0, s->limits->timeout_s);
        px_stream_detach_upstream(s);
        px_stream_free(s);
        return;
    }
    if (s->state == PX_ST_DONE && s->conn) {
        client_stalled(s);
        return;
    }
    if (s->state == PX_ST_UP) {
        tc_warn("conn %u: no progress for %lld s (worker pid %u): %s", s->conn ? s->conn->id : 0,
                s->limits->timeout_s, s->up ? px_upstream_pid(s->up) : 0,
                s->resp_head ? "reset" : "504");
        if (s->up)
            px_upstream_send_reset(s, TP_RESET_CANCEL);
        fail_upstream(s, 504, PX_ABORT_INTERNAL);
    }
}

/* ---- events from the worker ---- */

void px_stream_on_info(px_stream *s, const tp_response_head *h)
{
    if (orphan_event(s, 0))
        return;
    px_stream_progress(s);
    if (!s->resp_head)
        s->ops->send_informational(s, h);
}

void px_stream_on_head(px_stream *s, const tp_response_head *h, int end)
{
    s->head_in = 1;
    if (orphan_event(s, end))
        return;
    if (s->resp_head)
        return; /* a second head is a worker bug; the first one stands */
    s->status = h->status;
    if (h->status == 101) {
        /* px_upstream.c let it through for a WEBSOCKET request only.  From
         * now on the tunnel keeps its peer alive with pings: no timeout. */
        s->tunnel = 1;
        px_stream_set_timer(s, NULL);
    }
    uint32_t pid = s->up ? px_upstream_pid(s->up) : 0;
    if (end) {
        s->resp_end = 1;
        upstream_finished(s);
    } else
        px_stream_progress(s);
    if (s->conn) {
        px_stream_log_head(s, h, pid);
        s->ops->send_head(s, h);
    }
}

/* Moves n bytes of a worker's DATA from in to s->resp (on failure they are
 * gone from in all the same).  in holds large read
 * chains, so a frame is usually part of one and libevent would copy it into
 * a new chain rounded up to a power of two (a 16 KiB frame took 32 KiB, and
 * the budget counts bytes, not allocations): a large frame goes into pieces
 * of its exact size instead, which h2 sends without a further copy. */
static int take_body(px_stream *s, struct evbuffer *in, size_t n)
{
    if (n >= 4096)
        return px_piece_take(s, in, n);
    int moved = evbuffer_remove_buffer(in, s->resp, n);
    if (moved == (int)n)
        return 0;
    evbuffer_drain(in, n - (size_t)(moved > 0 ? moved : 0));
    return -1;
}

void px_stream_on_data(px_stream *s, struct evbuffer *in, size_t n, unsigned flags)
{
    int end = (flags & TP_FLAG_END_STREAM) != 0;
    if (!s->conn) {
        evbuffer_drain(in, n);
        orphan_event(s, end);
        return;
    }
    if (s->tunnel) {
        s->resp_sent += n; /* the access log's bytes of a WebSocket: the app's messages */
        s->ops->message(s, in, n, flags);
        return;
    }
    /* 204 and 304 have no body on any protocol (RFC 9110 §6.4.1): an h2
     * client resets a stream that carries one anyway. */
    if (s->is_head || !s->resp_head || s->status == 204 || s->status == 304) {
        /* Nobody will read these bytes: drop them and let the worker go on. */
        evbuffer_drain(in, n);
        if (s->up && !end && n)
            px_upstream_send_credit(s, (uint32_t)n);
    } else if (n) {
        if (take_body(s, in, n) < 0) {
            /* The body cannot go on whole: the worker stops, the client learns. */
            tc_error("conn %u: out of memory for %zu response bytes: the stream fails",
                     s->conn->id, n);
            fail_upstream(s, 502, PX_ABORT_INTERNAL);
            return;
        }
        s->resp_in += n;
        if (!end)
            px_budget_arrived(s); /* a slow reader need not hold the worker */
    }
    if (end) {
        s->resp_end = 1;
        upstream_finished(s);
    } else
        px_stream_progress(s);
    client_notify_data(s);
}

/* A worker's bytes go into the log only when they cannot forge a line. */
static int printable(tp_str t)
{
    if (t.len == 0 || t.len > 64)
        return 0;
    for (uint32_t i = 0; i < t.len; i++)
        if (t.ptr[i] < 0x21 || t.ptr[i] > 0x7e)
            return 0;
    return 1;
}

/* Keeps the trailer fields a client may see as length-prefixed pairs: the
 * protocol sends them when the body ends. */
static void keep_trailers(px_stream *s, const tp_response_head *h)
{
    uint32_t pid = s->up ? px_upstream_pid(s->up) : 0;
    s->trailers.len = 0;
    s->ntrailers = 0;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        int verdict = tc_http_trailer_check(f->name.ptr, f->name.len);
        if (verdict != TC_HTTP_TRL_OK) {
            tc_warn("conn %u: worker pid %u sent trailer field '%.*s' (%s): dropped", s->conn->id,
                    pid, printable(f->name) ? (int)f->name.len : 1,
                    printable(f->name) ? (const char *)f->name.ptr : "?",
                    tc_http_trailer_why(verdict));
            continue;
        }
        tp_str v;
        if (!px_hdr_response_field(f, &v)) {
            tc_warn("conn %u: worker pid %u sent a malformed trailer field: dropped", s->conn->id,
                    pid);
            continue;
        }
        uint32_t lens[2] = { f->name.len, v.len };
        if (tp_buf_append(&s->trailers, lens, sizeof lens) != TP_OK ||
            tp_buf_append(&s->trailers, f->name.ptr, f->name.len) != TP_OK ||
            tp_buf_append(&s->trailers, v.ptr, v.len) != TP_OK)
            break;
        s->ntrailers++;
    }
    s->has_trailers = s->ntrailers > 0;
}

void px_stream_on_trailers(px_stream *s, const tp_response_head *h)
{
    if (orphan_event(s, 1))
        return;
    keep_trailers(s, h);
    s->resp_end = 1;
    upstream_finished(s);
    client_notify_data(s);
}

/* s never started on its worker: run it on another one, unless part of it
 * is gone already (a response began, body bytes left) or it was tried
 * enough.  1 when resubmitted. */
static int retry_elsewhere(px_stream *s, uint32_t pid, const char *why)
{
    if (s->resp_head || s->req_data_sent || s->retries >= 3 || !s->head_kept)
        return 0;
    s->retries++;
    tc_debug("conn %u: worker pid %u %s; retrying", s->conn->id, pid, why);
    px_stream_detach_upstream(s);
    s->state = PX_ST_IDLE;
    s->req_end_sent = 0;
    s->head_in = 0; /* the next worker starts the response afresh */
    px_dispatch_submit(s);
    return 1;
}

void px_stream_on_reset(px_stream *s, uint32_t reason)
{
    s->worker_reset = 1;
    /* A RESET is the worker's final frame and asks us to end our direction. */
    if (s->up && !s->req_end_sent) {
        px_upstream_send_reset(s, TP_RESET_NO_ERROR);
        s->req_end_sent = 1;
    }
    if (orphan_event(s, 1))
        return;
    px_conn *c = s->conn;
    uint32_t pid = s->up ? px_upstream_pid(s->up) : 0;
    if (reason == TP_RESET_REFUSED_STREAM && retry_elsewhere(s, pid, "refused the stream"))
        return;
    if (reason == TP_RESET_NO_ERROR && s->resp_head) {
        /* Nothing went wrong: the response ends here. */
        s->resp_end = 1;
        upstream_finished(s);
        client_notify_data(s);
        return;
    }
    unsigned status = reason == TP_RESET_TIMEOUT ? 504 : 502;
    if (reason != TP_RESET_CANCEL)
        tc_info("conn %u: worker pid %u reset the stream (reason 0x%x)", c->id, pid, reason);
    fail_upstream(s, status, reason == TP_RESET_CANCEL ? PX_ABORT_CANCEL : PX_ABORT_INTERNAL);
}

void px_stream_on_flow_error(px_stream *s)
{
    px_stream_on_worker_error(s, TP_RESET_FLOW_CONTROL_ERROR);
}

void px_stream_on_worker_error(px_stream *s, uint32_t reason)
{
    px_upstream_send_reset(s, reason);
    s->req_end_sent = 1;
    if (!s->conn) {
        px_stream_detach_upstream(s);
        px_stream_free(s);
        return;
    }
    fail_upstream(s, 502, PX_ABORT_INTERNAL);
}

void px_stream_on_credit(px_stream *s, uint32_t n)
{
    if (orphan_event(s, 0))
        return;
    if (s->send_window + n > (int64_t)TP_MAX_WINDOW) {
        tc_error("worker pid %u credited stream %u past 2^31-1: FLOW_CONTROL_ERROR",
                 s->up ? px_upstream_pid(s->up) : 0, s->up_id);
        px_stream_on_flow_error(s);
        return;
    }
    if (s->send_window <= 0)
        px_bodybuf_pace_restart(s); /* the client's pace counts from now */
    s->send_window += n;
    px_stream_progress(s);
    s->ops->pump_request(s);
}

void px_stream_on_up_lost(px_stream *s, int unstarted)
{
    if (orphan_event(s, 1))
        return;
    if (unstarted && retry_elsewhere(s, 0, "lost the connection before the stream started"))
        return;
    /* A worker killed for being too slow looks like a closed connection:
     * tell it apart by how long this stream waited. */
    struct timeval now;
    event_base_gettimeofday_cached(s->th->base, &now);
    long long waited = (long long)(now.tv_sec - s->since.tv_sec);
    long long timeout = s->limits->timeout_s;
    fail_upstream(s, (timeout && waited >= timeout) ? 504 : 502, PX_ABORT_INTERNAL);
}

/* px_stream.c: one request's life, whatever the client protocol: waiting for
 * a worker (bounded queue, most urgent first), attached to a worker (body
 * forwarding under the worker's window, response bytes credited back as they
 * leave towards the client), failures mapped to 502/503/504 or a reset, and
 * the free list. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "px.h"
#include "px_balance.h"
#include "px_hdr.h"
#include "px_prio.h"
#include "tc_log.h"

#define CREDIT_BATCH (PX_RESP_WINDOW / 4)

static void stream_timer_cb(evutil_socket_t fd, short what, void *arg);

px_stream *px_stream_new(px_conn *c)
{
    px_thread *th = c->th;
    px_stream *s = th->free_streams;
    if (s) {
        th->free_streams = s->next;
    } else {
        s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        s->req = evbuffer_new();
        s->resp = evbuffer_new();
        if (!s->req || !s->resp) {
            if (s->req)
                evbuffer_free(s->req);
            if (s->resp)
                evbuffer_free(s->resp);
            free(s);
            return NULL;
        }
    }
    /* Keep what was allocated (buffers, arrays); reset the rest. */
    struct evbuffer *req = s->req, *resp = s->resp;
    tp_header *hdrs = s->hdrs;
    uint32_t hdr_cap = s->hdr_cap;
    nghttp2_rcbuf **rc = s->rc;
    uint32_t rc_cap = s->rc_cap;
    tp_buf hold = s->hold, trailers = s->trailers;
    memset(s, 0, sizeof *s);
    s->req = req;
    s->resp = resp;
    s->hdrs = hdrs;
    s->hdr_cap = hdr_cap;
    s->rc = rc;
    s->rc_cap = rc_cap;
    s->hold = hold;
    s->hold.len = 0;
    s->trailers = trailers;
    s->trailers.len = 0;
    s->th = th;
    s->conn = c;
    s->proto = c->proto;
    s->slot = -1;
    s->state = PX_ST_IDLE;
    s->head.content_length = TP_LENGTH_UNKNOWN;
    s->head.prio_weight = PX_PRIO_WEIGHT_DEFAULT;
    s->head.prio_urgency = PX_PRIO_URGENCY_DEFAULT;
    s->q.urgency = PX_PRIO_URGENCY_DEFAULT;
    s->q.weight = PX_PRIO_WEIGHT_DEFAULT;
    evtimer_assign(&s->timer, th->base, stream_timer_cb, s);
    return s;
}

static void unqueue(px_stream *s, int dispatching);

/* Lets go of the upstream connection and the worker's capacity slot, so a
 * stream waiting on any thread can take it. */
static void release_worker(px_stream *s)
{
    if (s->up)
        px_upstream_forget(s);
    if (s->slot >= 0) {
        px_worker_release(s->slot);
        s->slot = -1;
        px_thread_wake_waiters(s->th);
    }
}

void px_stream_free(px_stream *s)
{
    px_thread *th = s->th;
    evtimer_del(&s->timer);
    unqueue(s, 0);
    release_worker(s);
    for (uint32_t i = 0; i < s->nrc; i++)
        nghttp2_rcbuf_decref(s->rc[i]);
    s->nrc = 0;
    evbuffer_drain(s->req, evbuffer_get_length(s->req));
    evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
    /* Large one-off buffers are not worth keeping on the free list. */
    if (s->hold.cap > 64 * 1024)
        tp_buf_free(&s->hold);
    if (s->trailers.cap > 64 * 1024)
        tp_buf_free(&s->trailers);
    s->conn = NULL;
    s->next = th->free_streams;
    th->free_streams = s;
}

/* Copies every string of the head (and the header array) into s->hold, so
 * the head outlives the client's input buffer. */
void px_stream_hold_head(px_stream *s)
{
    tp_request_head *h = &s->head;
    tp_str *strs[] = { &h->method, &h->scheme, &h->authority, &h->path, &h->query,
                       &h->peer_addr, &h->local_addr, &h->tls_version, &h->tls_cipher,
                       &h->alpn, &h->sni };
    size_t nstr = sizeof strs / sizeof strs[0];
    size_t total = 0;
    for (size_t i = 0; i < nstr; i++)
        total += strs[i]->len;
    for (uint32_t i = 0; i < h->nheaders; i++)
        total += h->headers[i].name.len + h->headers[i].value.len;
    if (h->nheaders > s->hdr_cap) {
        uint32_t cap = h->nheaders < 16 ? 16 : h->nheaders;
        tp_header *n = realloc(s->hdrs, cap * sizeof *n);
        if (!n)
            return;
        s->hdrs = n;
        s->hdr_cap = cap;
    }
    s->hold.len = 0;
    if (tp_buf_reserve(&s->hold, total + 1) != TP_OK)
        return;
    uint8_t *p = s->hold.data;
#define HOLD(str)                                 \
    do {                                          \
        if ((str).len)                            \
            memcpy(p, (str).ptr, (str).len);      \
        (str).ptr = p;                            \
        p += (str).len;                           \
    } while (0)
    for (size_t i = 0; i < nstr; i++)
        HOLD(*strs[i]);
    for (uint32_t i = 0; i < h->nheaders; i++) {
        s->hdrs[i] = h->headers[i];
        HOLD(s->hdrs[i].name);
        HOLD(s->hdrs[i].value);
    }
#undef HOLD
    s->hold.len = (size_t)(p - s->hold.data);
    h->headers = s->hdrs;
    s->held = 1;
}

static void set_timer(px_stream *s, const struct timeval *tv)
{
    if (tv)
        evtimer_add(&s->timer, tv);
    else
        evtimer_del(&s->timer);
}

void px_stream_progress(px_stream *s)
{
    if (s->state == PX_ST_UP && s->th->tv_timeout)
        evtimer_add(&s->timer, s->th->tv_timeout);
}

static void dispatched(px_stream *s)
{
    s->state = PX_ST_UP;
    event_base_gettimeofday_cached(s->th->base, &s->since);
    set_timer(s, s->th->tv_timeout);
    if (s->proto == PX_PROTO_H1)
        px_h1_on_dispatch(s);
    else
        px_stream_pump_request(s);
}

/* ---- the wait queue ----
 * Each thread queues its own streams (no lock on the request path) and
 * publishes the key of its most urgent waiter in queue_best.  A thread
 * that could take a free slot first checks that no other thread has a more
 * urgent (or equally urgent and older) waiter; if one has, it wakes that
 * thread instead, so priority and FIFO hold process-wide.  A thread whose
 * queue runs empty while others wait wakes them, so capacity left by a
 * deferral is never stranded. */

static void publish(px_thread *th)
{
    atomic_store_explicit(&th->queue_best, px_queue_best(&th->queue), memory_order_relaxed);
}

/* The thread whose most urgent waiter sorts before key, or NULL. */
static px_thread *more_urgent_elsewhere(const px_thread *th, uint64_t key)
{
    if (px_g.nthreads < 2 || px_waiting_total() == 0)
        return NULL;
    px_thread *best = NULL;
    for (int i = 0; i < px_g.nthreads; i++) {
        px_thread *t = &px_g.threads[i];
        if (t == th)
            continue;
        uint64_t k = atomic_load_explicit(&t->queue_best, memory_order_relaxed);
        if (k < key) {
            key = k;
            best = t;
        }
    }
    return best;
}

static void enqueue(px_stream *s)
{
    px_thread *th = s->th;
    if (!px_queue_admit(px_waiting_total(), (size_t)px_g.cfg->max_queue)) {
        tc_warn("conn %u: all %s workers busy and the wait queue is full (%lld): 503",
                s->conn ? s->conn->id : 0, "appd", px_g.cfg->max_queue);
        px_stream_local_response(s, 503, "Service Unavailable: server busy\n");
        return;
    }
    if (px_queue_push(&th->queue, &s->q) < 0) {
        tc_error("conn %u: out of memory queueing a request: 503", s->conn ? s->conn->id : 0);
        px_stream_local_response(s, 503, "Service Unavailable: out of memory\n");
        return;
    }
    s->state = PX_ST_QUEUED;
    publish(th);
    atomic_fetch_add(&th->waiting, 1);
    px_waiting_add(1);
    set_timer(s, th->tv_queue);
}

/* Leaves the queue; a stream that leaves without being dispatched (timeout,
 * client gone) may have been the one another thread stood back for. */
static void unqueue(px_stream *s, int dispatching)
{
    px_thread *th = s->th;
    if (!s->q.queued)
        return;
    px_queue_remove(&th->queue, &s->q);
    publish(th);
    atomic_fetch_sub(&th->waiting, 1);
    px_waiting_add(-1);
    evtimer_del(&s->timer);
    if (!dispatching)
        px_thread_wake_waiters(th);
}

void px_stream_priority_changed(px_stream *s)
{
    s->q.urgency = s->head.prio_urgency;
    s->q.weight = s->head.prio_weight;
    if (s->q.queued) {
        px_queue_update(&s->th->queue, &s->q);
        publish(s->th);
    }
}

void px_stream_submit(px_stream *s)
{
    px_thread *th = s->th;
    if (th->stopping) {
        px_stream_local_response(s, 503, "Service Unavailable: shutting down\n");
        return;
    }
    s->q.urgency = s->head.prio_urgency;
    s->q.weight = (s->head.flags & TP_REQ_HAS_PRIORITY) ? s->head.prio_weight
                                                        : PX_PRIO_WEIGHT_DEFAULT;
    /* Others wait already, here or more urgent elsewhere: the queue decides. */
    if (px_queue_len(&th->queue) ||
        more_urgent_elsewhere(th, px_queue_key_last(s->q.urgency, s->q.weight))) {
        enqueue(s);
        px_thread_drain_queue(th);
        return;
    }
    int rc = px_upstream_attach(s);
    if (rc > 0)
        dispatched(s);
    else if (rc == 0)
        enqueue(s);
    else if (rc == -2)
        px_stream_local_response(s, 431, "Request Header Fields Too Large\n");
    else
        px_stream_local_response(s, 502, "Bad Gateway: application server unreachable\n");
}

void px_thread_drain_queue(px_thread *th)
{
    px_queue_link *l;
    while ((l = px_queue_peek(&th->queue))) {
        px_thread *other = more_urgent_elsewhere(th, l->key);
        if (other) {
            px_thread_wake(other);
            return;
        }
        px_stream *s = (px_stream *)l;
        int rc = px_upstream_attach(s);
        if (rc == 0)
            return;
        unqueue(s, 1);
        if (rc > 0)
            dispatched(s);
        else if (rc == -2)
            px_stream_local_response(s, 431, "Request Header Fields Too Large\n");
        else
            px_stream_local_response(s, 502, "Bad Gateway: application server unreachable\n");
    }
    /* Empty here while others wait: a slot may be free for them. */
    if (px_waiting_total() > 0)
        px_thread_wake_waiters(th);
}

void px_thread_fail_queue(px_thread *th, unsigned status)
{
    px_queue_link *l;
    while ((l = px_queue_peek(&th->queue))) {
        px_stream *s = (px_stream *)l;
        unqueue(s, 0);
        px_stream_local_response(s, status,
                                 status == 502 ? "Bad Gateway: application server unreachable\n"
                                               : "Service Unavailable\n");
    }
}

void px_stream_pump_request(px_stream *s)
{
    if (s->state != PX_ST_UP || !s->up || s->req_end_sent)
        return;
    uint32_t max = s->up->hello.max_frame ? s->up->hello.max_frame : TP_DEFAULT_MAX_FRAME;
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
    if (moved) {
        /* The worker took these bytes: only now may the client send more. */
        if (s->proto == PX_PROTO_H2)
            px_h2_consumed(s, moved);
        px_stream_progress(s);
    }
    if (s->proto == PX_PROTO_H2)
        px_h2_open_window(s);
}

void px_stream_resp_passed(px_stream *s, size_t n)
{
    if (!n)
        return;
    if (s->state == PX_ST_DONE && s->conn && s->th->tv_timeout) {
        evtimer_add(&s->timer, s->th->tv_timeout); /* the client still reads */
        return;
    }
    if (s->up && s->state == PX_ST_UP && !s->resp_end) {
        s->credit_pending += (uint32_t)n;
        if (s->credit_pending >= CREDIT_BATCH) {
            px_upstream_send_credit(s, s->credit_pending);
            s->credit_pending = 0;
        }
        px_stream_progress(s);
    }
}

/* The worker's side of the stream is over (response complete, reset, lost). */
void px_stream_detach_upstream(px_stream *s)
{
    release_worker(s);
    s->state = PX_ST_DONE;
    /* The worker is done, the client may not be: a client that stops
     * reading (or never opens its window) must not hold the response
     * buffered here for ever, so its side keeps a no-progress timeout. */
    set_timer(s, s->conn ? s->th->tv_timeout : NULL);
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
    if (s->proto == PX_PROTO_H2 && s->conn && s->h2_unconsumed) {
        /* Body bytes the worker will never read: give the window back. */
        px_h2_consumed(s, s->h2_unconsumed);
        evbuffer_drain(s->req, evbuffer_get_length(s->req));
    }
}

void px_stream_client_gone(px_stream *s)
{
    if (s->state == PX_ST_QUEUED)
        unqueue(s, 0);
    s->conn = NULL;
    if (s->up && !s->resp_end) {
        /* Client reset or disconnected: the app learns it (http.disconnect).
         * The worker answers with its own final frame; until then it still
         * runs the app, so the stream keeps its slot and capacity stays true. */
        px_upstream_send_reset(s, TP_RESET_CANCEL);
        tc_debug("stream %u: client gone; RESET CANCEL sent to worker pid %u", s->up_id,
                 s->up->hello.pid);
        s->req_end_sent = 1;
        s->cancelled = 1;
        set_timer(s, s->th->tv_timeout ? s->th->tv_timeout : s->th->tv_linger);
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

void px_stream_client_done(px_stream *s)
{
    px_stream_client_gone(s);
}

static void client_notify_data(px_stream *s)
{
    if (!s->conn || !s->resp_head)
        return;
    if (s->proto == PX_PROTO_H2)
        px_h2_data_ready(s);
    else
        px_h1_pump_response(s);
}

void px_stream_local_response(px_stream *s, unsigned status, const char *body)
{
    if (s->up || s->slot >= 0)
        px_stream_detach_upstream(s);
    s->state = PX_ST_DONE;
    if (!s->conn)
        return;
    if (s->resp_head) {
        /* Too late for a status: the client learns by a reset/close. */
        if (s->proto == PX_PROTO_H2)
            px_h2_abort(s, NGHTTP2_INTERNAL_ERROR);
        else
            px_h1_abort(s);
        return;
    }
    size_t blen = strlen(body);
    char lenbuf[24];
    int ll = snprintf(lenbuf, sizeof lenbuf, "%zu", blen);
    tp_header hv[2] = {
        { { (const uint8_t *)"content-type", 12 }, { (const uint8_t *)"text/plain; charset=utf-8", 25 } },
        { { (const uint8_t *)"content-length", 14 }, { (const uint8_t *)lenbuf, (uint32_t)ll } },
    };
    tp_response_head h = { (uint16_t)status, 2, hv };
    evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
    if (!s->is_head)
        evbuffer_add(s->resp, body, blen);
    s->resp_end = 1;
    s->status = (uint16_t)status;
    if (s->proto == PX_PROTO_H2)
        px_h2_send_head(s, &h);
    else
        px_h1_send_head(s, &h);
    /* The h1 side may have finished (and freed) the stream already. */
}

static void fail_upstream(px_stream *s, unsigned status, uint32_t h2_code)
{
    px_stream_detach_upstream(s);
    if (!s->conn)
        return;
    if (!s->resp_head) {
        px_stream_local_response(s, status, status == 504 ? "Gateway Timeout\n" : "Bad Gateway\n");
    } else if (s->proto == PX_PROTO_H2) {
        px_h2_abort(s, h2_code);
    } else {
        px_h1_abort(s);
    }
}

/* The response sat here for --timeout with no byte taken by the client.
 * An h2 client that reads other streams (only this stream's window is
 * shut) loses this stream; one that reads nothing, like an h1 client,
 * loses the connection: a reset could not even be sent to it. */
static void client_stalled(px_stream *s)
{
    px_conn *c = s->conn;
    int reads = evbuffer_get_length(bufferevent_get_output(c->bev)) < PX_OUT_HIGH;
    if (s->proto == PX_PROTO_H2 && reads && !s->resp_done && px_h2_window_open(s)) {
        /* The client reads and has room for us: more urgent streams go
         * first.  Waiting on the scheduler is not a stall. */
        set_timer(s, s->th->tv_timeout);
        return;
    }
    tc_info("conn %u: client took no response bytes for %lld s: %s", c->id,
            px_g.cfg->timeout, s->proto == PX_PROTO_H2 && reads ? "resetting the stream" : "closing");
    if (s->proto == PX_PROTO_H2 && reads) {
        px_h2_abort(s, s->resp_done ? NGHTTP2_NO_ERROR : NGHTTP2_CANCEL);
        return;
    }
    px_conn_close(c, PX_CLOSE_NOW); /* frees s */
}

static void stream_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    px_stream *s = arg;
    if (s->state == PX_ST_QUEUED) {
        unqueue(s, 0);
        tc_warn("conn %u: request waited %lld s for a free worker: 503",
                s->conn ? s->conn->id : 0, px_g.cfg->queue_timeout);
        px_stream_local_response(s, 503, "Service Unavailable: server busy\n");
        return;
    }
    if (s->cancelled) {
        /* The worker never answered our RESET: stop waiting for it. */
        tc_warn("worker pid %u did not answer RESET CANCEL within %lld s; taking its slot back",
                s->up ? s->up->hello.pid : 0, px_g.cfg->timeout);
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
                px_g.cfg->timeout, s->up ? s->up->hello.pid : 0,
                s->resp_head ? "reset" : "504");
        if (s->up)
            px_upstream_send_reset(s, TP_RESET_CANCEL);
        fail_upstream(s, 504, NGHTTP2_INTERNAL_ERROR);
    }
}

/* ---- events from the worker ---- */

void px_stream_on_info(px_stream *s, const tp_response_head *h)
{
    if (orphan_event(s, 0))
        return;
    px_stream_progress(s);
    if (!s->conn || s->resp_head)
        return;
    if (s->proto == PX_PROTO_H2)
        px_h2_send_info(s, h);
    else
        px_h1_send_info(s, h);
}

void px_stream_on_head(px_stream *s, const tp_response_head *h, int end)
{
    s->head_in = 1;
    if (orphan_event(s, end))
        return;
    if (s->resp_head)
        return; /* a second head is a worker bug; the first one stands */
    s->status = h->status;
    if (end) {
        s->resp_end = 1;
        upstream_finished(s);
    } else
        px_stream_progress(s);
    if (!s->conn)
        return;
    if (s->proto == PX_PROTO_H2)
        px_h2_send_head(s, h);
    else
        px_h1_send_head(s, h);
}

void px_stream_on_data(px_stream *s, struct evbuffer *in, size_t n, int end)
{
    if (!s->conn) {
        evbuffer_drain(in, n);
        orphan_event(s, end);
        return;
    }
    /* 204 and 304 have no body on any protocol (RFC 9110 §6.4.1): an h2
     * client resets a stream that carries one anyway. */
    if (s->is_head || !s->resp_head || s->status == 204 || s->status == 304) {
        /* Nobody will read these bytes: drop them and let the worker go on. */
        evbuffer_drain(in, n);
        if (s->up && !end && n) {
            px_upstream_send_credit(s, (uint32_t)n);
        }
    } else if (n) {
        evbuffer_remove_buffer(in, s->resp, n);
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

void px_stream_on_trailers(px_stream *s, const tp_response_head *h)
{
    if (orphan_event(s, 1))
        return;
    /* Kept as length-prefixed pairs: nghttp2 wants them when the body ends. */
    s->trailers.len = 0;
    s->ntrailers = 0;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        if (px_hdr_forbidden_trailer(f->name.ptr, f->name.len)) {
            tc_warn("conn %u: worker pid %u sent trailer field '%.*s', which a trailer section "
                    "must not carry: dropped", s->conn->id, s->up ? s->up->hello.pid : 0,
                    printable(f->name) ? (int)f->name.len : 1,
                    printable(f->name) ? (const char *)f->name.ptr : "?");
            continue;
        }
        if (!px_hdr_valid_response_field(f->name.ptr, f->name.len, f->value.ptr, f->value.len)) {
            tc_warn("conn %u: worker pid %u sent a malformed trailer field: dropped", s->conn->id,
                    s->up ? s->up->hello.pid : 0);
            continue;
        }
        uint32_t lens[2] = { f->name.len, f->value.len };
        if (tp_buf_append(&s->trailers, lens, sizeof lens) != TP_OK ||
            tp_buf_append(&s->trailers, f->name.ptr, f->name.len) != TP_OK ||
            tp_buf_append(&s->trailers, f->value.ptr, f->value.len) != TP_OK)
            break;
        s->ntrailers++;
    }
    s->has_trailers = s->ntrailers > 0;
    s->resp_end = 1;
    upstream_finished(s);
    client_notify_data(s);
}

void px_stream_on_reset(px_stream *s, uint32_t reason)
{
    /* A RESET is the worker's final frame and asks us to end our direction. */
    if (s->up && !s->req_end_sent) {
        px_upstream_send_reset(s, TP_RESET_NO_ERROR);
        s->req_end_sent = 1;
    }
    if (orphan_event(s, 1))
        return;
    px_conn *c = s->conn;
    if (reason == TP_RESET_REFUSED_STREAM && !s->resp_head && !s->req_data_sent &&
        s->retries < 3 && (s->held || s->proto == PX_PROTO_H2)) {
        /* Never started: safe to run on another worker. */
        s->retries++;
        tc_debug("conn %u: worker pid %u refused the stream; retrying", c->id,
                 s->up ? s->up->hello.pid : 0);
        px_stream_detach_upstream(s);
        s->state = PX_ST_IDLE;
        s->req_end_sent = 0;
        s->head_in = 0; /* the next worker starts the response afresh */
        px_stream_submit(s);
        return;
    }
    if (reason == TP_RESET_NO_ERROR && s->resp_head) {
        /* Nothing went wrong: the response ends here. */
        s->resp_end = 1;
        upstream_finished(s);
        client_notify_data(s);
        return;
    }
    unsigned status = reason == TP_RESET_TIMEOUT ? 504 : 502;
    uint32_t code = reason == TP_RESET_CANCEL ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR;
    if (reason != TP_RESET_CANCEL)
        tc_info("conn %u: worker pid %u reset the stream (reason 0x%x)", c->id,
                s->up ? s->up->hello.pid : 0, reason);
    fail_upstream(s, status, code);
}

void px_stream_on_flow_error(px_stream *s)
{
    px_upstream_send_reset(s, TP_RESET_FLOW_CONTROL_ERROR);
    s->req_end_sent = 1;
    if (!s->conn) {
        px_stream_detach_upstream(s);
        px_stream_free(s);
        return;
    }
    fail_upstream(s, 502, NGHTTP2_INTERNAL_ERROR);
}

void px_stream_on_credit(px_stream *s, uint32_t n)
{
    if (orphan_event(s, 0))
        return;
    if (s->send_window + n > (int64_t)TP_MAX_WINDOW) {
        tc_error("worker pid %u credited stream %u past 2^31-1: FLOW_CONTROL_ERROR",
                 s->up ? s->up->hello.pid : 0, s->up_id);
        px_stream_on_flow_error(s);
        return;
    }
    s->send_window += n;
    px_stream_progress(s);
    if (s->proto == PX_PROTO_H1)
        px_h1_pump_request(s);
    else
        px_stream_pump_request(s);
}

void px_stream_on_up_lost(px_stream *s)
{
    if (orphan_event(s, 1))
        return;
    /* A worker killed for being too slow looks like a closed connection:
     * tell it apart by how long this stream waited. */
    struct timeval now;
    event_base_gettimeofday_cached(s->th->base, &now);
    long long waited = (long long)(now.tv_sec - s->since.tv_sec);
    unsigned status = (px_g.cfg->timeout && waited >= px_g.cfg->timeout) ? 504 : 502;
    fail_upstream(s, status, NGHTTP2_INTERNAL_ERROR);
}

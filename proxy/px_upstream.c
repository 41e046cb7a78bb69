/* px_upstream.c: this thread's pool of connections to tandem-appd workers:
 * dial (with backoff) until every worker pid is reached, HELLO, the frame
 * reader (large reads, body bytes moved without copying), frame writers
 * (appended to one output buffer, flushed once per loop turn), and failing
 * only the streams of a connection that closes. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "px.h"
#include "px_balance.h"
#include "tc_log.h"

#define MAX_BACKOFF_MS 2000

static void up_read_cb(struct bufferevent *bev, void *arg);
static void up_event_cb(struct bufferevent *bev, short what, void *arg);
static void up_close(px_upstream *u, const char *why);

/* ---- stream id map (open addressing, linear probing, backward-shift delete) ---- */

static inline uint32_t hslot(uint32_t id, uint32_t size) { return (id * 2654435761u) & (size - 1); }

static int map_grow(px_upstream *u)
{
    uint32_t nsize = u->tab_size ? u->tab_size * 2 : 64;
    px_stream **nt = calloc(nsize, sizeof *nt);
    if (!nt)
        return -1;
    for (uint32_t i = 0; i < u->tab_size; i++) {
        px_stream *s = u->tab[i];
        if (!s)
            continue;
        uint32_t j = hslot(s->up_id, nsize);
        while (nt[j])
            j = (j + 1) & (nsize - 1);
        nt[j] = s;
    }
    free(u->tab);
    u->tab = nt;
    u->tab_size = nsize;
    return 0;
}

static int map_put(px_upstream *u, px_stream *s)
{
    if ((u->tab_used + 1) * 2 > u->tab_size && map_grow(u) < 0)
        return -1;
    uint32_t j = hslot(s->up_id, u->tab_size);
    while (u->tab[j])
        j = (j + 1) & (u->tab_size - 1);
    u->tab[j] = s;
    u->tab_used++;
    return 0;
}

static px_stream *map_get(px_upstream *u, uint32_t id)
{
    if (!u->tab_size)
        return NULL;
    uint32_t j = hslot(id, u->tab_size);
    while (u->tab[j]) {
        if (u->tab[j]->up_id == id)
            return u->tab[j];
        j = (j + 1) & (u->tab_size - 1);
    }
    return NULL;
}

static void map_del(px_upstream *u, uint32_t id)
{
    uint32_t mask = u->tab_size - 1, j = hslot(id, u->tab_size);
    while (u->tab[j] && u->tab[j]->up_id != id)
        j = (j + 1) & mask;
    if (!u->tab[j])
        return;
    u->tab[j] = NULL;
    u->tab_used--;
    /* Shift back the entries of the run that follows so lookups still find them. */
    for (uint32_t k = (j + 1) & mask; u->tab[k]; k = (k + 1) & mask) {
        uint32_t home = hslot(u->tab[k]->up_id, u->tab_size);
        if (((k - home) & mask) > ((k - j) & mask)) {
            u->tab[j] = u->tab[k];
            u->tab[k] = NULL;
            j = k;
        }
    }
}

/* ---- writers ---- */

static void out_commit(px_upstream *u)
{
    px_thread *th = u->th;
    if (th->out.len) {
        evbuffer_add(bufferevent_get_output(u->bev), th->out.data, th->out.len);
        th->out.len = 0;
    }
}

void px_upstream_send_reset(px_stream *s, uint32_t reason)
{
    px_upstream *u = s->up;
    if (!u || u->state == PX_UP_CLOSED)
        return;
    if (tp_encode_reset(&u->th->out, s->up_id, reason) == TP_OK)
        out_commit(u);
    else
        u->th->out.len = 0;
}

void px_upstream_send_credit(px_stream *s, uint32_t n)
{
    px_upstream *u = s->up;
    if (!u || u->state == PX_UP_CLOSED || !n)
        return;
    if (tp_encode_credit(&u->th->out, s->up_id, n) == TP_OK) {
        out_commit(u);
        s->resp_window += n; /* what the worker may send now grows by as much */
    } else
        u->th->out.len = 0;
}

void px_upstream_send_data(px_stream *s, struct evbuffer *src, size_t n, int end)
{
    px_upstream *u = s->up;
    if (!u || u->state == PX_UP_CLOSED) {
        evbuffer_drain(src, n);
        return;
    }
    uint8_t hdr[TP_HEADER_SIZE];
    struct evbuffer *out = bufferevent_get_output(u->bev);
    tp_data_header(hdr, TP_FRAME_REQUEST_DATA, s->up_id, end ? TP_FLAG_END_STREAM : 0,
                   (uint32_t)n);
    evbuffer_add(out, hdr, sizeof hdr);
    if (n)
        evbuffer_remove_buffer(src, out, n); /* moves chains, no copy when it can */
}

static void send_hello(px_upstream *u)
{
    tp_hello h;
    memset(&h, 0, sizeof h);
    h.version = TP_VERSION;
    h.role = TP_ROLE_PROXY;
    h.worker_class = TP_CLASS_NONE;
    h.pid = (uint32_t)getpid();
    h.initial_window = PX_RESP_WINDOW;
    h.max_frame = PX_UP_MAX_FRAME;
    if (tp_encode_hello(&u->th->out, &h) == TP_OK)
        out_commit(u);
    else
        u->th->out.len = 0;
}

/* ---- pool ---- */

static void dial_cb(evutil_socket_t fd, short what, void *arg) { px_pool_maintain(arg); }

#define HELLO_TIMEOUT_S 5

static void hello_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    px_upstream *u = arg;
    if (u->state == PX_UP_HELLO) {
        tc_warn("no HELLO from tandem-appd within %d s; closing and dialing again", HELLO_TIMEOUT_S);
        up_close(u, NULL);
    }
}

#define PING_INTERVAL_S 15

/* Idle worker connections are pinged; one that has not answered the previous
 * PING by the next tick is dead (a frozen or vanished worker whose socket did
 * not close) and is replaced.  Busy connections are left alone: their
 * streams have their own --timeout. */
static void ping_cb(evutil_socket_t fd, short what, void *arg)
{
    px_thread *th = arg;
    for (px_upstream *u = th->ups, *n; u; u = n) {
        n = u->next;
        if (u->state != PX_UP_READY || u->nstreams)
            continue;
        if (u->ping_out) {
            tc_warn("worker pid %u did not answer PING within %d s; replacing its connection",
                    u->hello.pid, PING_INTERVAL_S);
            up_close(u, NULL);
            continue;
        }
        static const uint8_t opaque[8] = { 't', 'a', 'n', 'd', 'e', 'm', 0, 1 };
        if (tp_encode_ping(&th->out, 0, opaque) == TP_OK) {
            out_commit(u);
            u->ping_out = 1;
        }
        th->out.len = 0;
    }
}

void px_pool_init(px_thread *th)
{
    th->ping_ev = event_new(th->base, -1, EV_PERSIST, ping_cb, th);
    if (th->ping_ev) {
        struct timeval tv = { PING_INTERVAL_S, 0 };
        event_add(th->ping_ev, &tv);
    }
    th->dial_ev = evtimer_new(th->base, dial_cb, th);
    th->backoff_ms = 0;
    /* Connect early so the first request does not pay for it; appd may not
     * be up yet, which is fine. */
    px_pool_maintain(th);
}

static void schedule_dial(px_thread *th)
{
    if (evtimer_pending(th->dial_ev, NULL))
        return;
    th->backoff_ms = th->backoff_ms ? th->backoff_ms * 2 : 100;
    if (th->backoff_ms > MAX_BACKOFF_MS)
        th->backoff_ms = MAX_BACKOFF_MS;
    struct timeval tv = { th->backoff_ms / 1000, (th->backoff_ms % 1000) * 1000 };
    evtimer_add(th->dial_ev, &tv);
}

static int distinct_pids(px_thread *th)
{
    int n = 0;
    for (px_upstream *u = th->ups; u; u = u->next) {
        if (u->state != PX_UP_READY)
            continue;
        int seen = 0;
        for (px_upstream *v = th->ups; v != u; v = v->next)
            if (v->state == PX_UP_READY && v->hello.pid == u->hello.pid) {
                seen = 1;
                break;
            }
        n += !seen;
    }
    return n;
}

static int dial(px_thread *th)
{
    char err[512];
    int fd = tc_connect(&px_g.upstream, err, sizeof err);
    if (fd < 0) {
        if (!th->dial_failed && th->index == 0)
            tc_warn("cannot reach tandem-appd: %s (retrying with backoff)", err);
        else
            tc_debug("thread %d: cannot reach tandem-appd: %s", th->index, err);
        th->dial_failed = 1;
        event_base_gettimeofday_cached(th->base, &th->last_fail);
        return -1;
    }
    px_upstream *u = calloc(1, sizeof *u);
    struct bufferevent *bev = u ? bufferevent_socket_new(th->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(u);
        close(fd);
        return -1;
    }
    u->th = th;
    u->bev = bev;
    u->slot = -1;
    u->state = PX_UP_HELLO;
    u->next_id = 1;
    u->last_ok = UINT32_MAX;
    bufferevent_setcb(bev, up_read_cb, NULL, up_event_cb, u);
    u->hello_timer = evtimer_new(th->base, hello_timeout_cb, u);
    if (u->hello_timer) {
        struct timeval tv = { HELLO_TIMEOUT_S, 0 };
        evtimer_add(u->hello_timer, &tv);
    }
    bufferevent_set_max_single_read(bev, PX_READ_CHUNK);
    bufferevent_set_max_single_write(bev, 1024 * 1024);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    u->next = th->ups;
    th->ups = u;
    th->nups++;
    th->nconnecting++;
    send_hello(u);
    return 0;
}

void px_pool_maintain(px_thread *th)
{
    if (th->stopping)
        return;
    int distinct = distinct_pids(th);
    int want;
    if (th->worker_count == 0)
        want = (th->nready + th->nconnecting) ? 0 : 1; /* learn worker_count first */
    else
        want = (int)th->worker_count - distinct - th->nconnecting;
    int cap = th->worker_count ? 2 * (int)th->worker_count + 2 : 1;
    if (want > 0 && th->nups >= cap) {
        /* Too many connections land on the same workers (a respawned worker
         * is not listening yet): drop an idle duplicate, try again later. */
        for (px_upstream *u = th->ups; u; u = u->next) {
            if (u->state != PX_UP_READY || u->nstreams)
                continue;
            int dup = 0;
            for (px_upstream *v = th->ups; v; v = v->next)
                if (v != u && v->state == PX_UP_READY && v->hello.pid == u->hello.pid)
                    dup = 1;
            if (dup) {
                up_close(u, NULL);
                break;
            }
        }
        schedule_dial(th);
        return;
    }
    for (int i = 0; i < want && th->nups < cap; i++) {
        if (dial(th) < 0) {
            schedule_dial(th);
            if (th->nready == 0 && th->nconnecting == 0)
                px_thread_fail_queue(th, 502);
            return;
        }
    }
    if (th->worker_count && distinct + th->nconnecting < (int)th->worker_count)
        schedule_dial(th);
    else if (th->worker_count && distinct >= (int)th->worker_count)
        th->backoff_ms = 0;
}

void px_pool_close_all(px_thread *th)
{
    while (th->ups)
        up_close(th->ups, NULL);
    if (th->dial_ev)
        evtimer_del(th->dial_ev);
    if (th->ping_ev)
        event_del(th->ping_ev);
}

int px_upstream_reachable(px_thread *th) { return th->nready > 0; }

/* ---- attaching a stream ---- */

int px_upstream_attach(px_stream *s)
{
    px_thread *th = s->th;
    enum { MAXC = 64 };
    px_balance_cand cand[MAXC];
    px_upstream *conn[MAXC];
    size_t n = 0;
    for (px_upstream *u = th->ups; u && n < MAXC; u = u->next) {
        if (u->state != PX_UP_READY || u->slot < 0)
            continue;
        /* One candidate per worker: its least busy connection here. */
        size_t k;
        for (k = 0; k < n; k++)
            if (conn[k]->slot == u->slot)
                break;
        if (k < n) {
            if (u->nstreams < conn[k]->nstreams)
                conn[k] = u;
            continue;
        }
        conn[n] = u;
        cand[n].outstanding = px_worker_outstanding(u->slot);
        cand[n].capacity = px_worker_capacity(u->slot);
        n++;
    }
    for (size_t tries = 0; tries < n; tries++) {
        int i = px_balance_pick(cand, n);
        if (i < 0)
            break;
        px_upstream *u = conn[i];
        if (!px_worker_try_acquire(u->slot)) {
            cand[i].outstanding = cand[i].capacity; /* raced with another thread */
            continue;
        }
        uint32_t max = u->hello.max_frame ? u->hello.max_frame : TP_DEFAULT_MAX_FRAME;
        s->up = u;
        s->slot = u->slot;
        s->up_id = u->next_id++;
        if (u->next_id >= 0x7fffffffu) {
            /* Ids are never reused on a connection: retire it, dial afresh. */
            u->state = PX_UP_DRAINING;
            th->nready--;
            px_pool_maintain(th);
        }
        s->send_window = u->hello.initial_window;
        s->resp_window = PX_RESP_WINDOW; /* our HELLO's initial_window */
        s->req_end_sent = 0;
        if (map_put(u, s) < 0) {
            px_worker_release(s->slot);
            s->slot = -1;
            s->up = NULL;
            return -1;
        }
        u->nstreams++;
        int end = s->req_end && evbuffer_get_length(s->req) == 0;
        int rc = tp_encode_request_head(&th->out, s->up_id, end ? TP_FLAG_END_STREAM : 0, &s->head);
        if (rc != TP_OK || th->out.len - TP_HEADER_SIZE > max) {
            th->out.len = 0;
            tc_warn("conn %u: request head does not fit the worker's frame (%s)",
                    s->conn ? s->conn->id : 0, rc != TP_OK ? tp_strerror(rc) : "too big");
            px_upstream_forget(s);
            px_worker_release(s->slot);
            s->slot = -1;
            return -2;
        }
        out_commit(u);
        if (end)
            s->req_end_sent = 1;
        tc_debug("conn %u: stream %u -> worker pid %u (%u/%u busy)", s->conn ? s->conn->id : 0,
                 s->up_id, u->hello.pid, px_worker_outstanding(u->slot), px_worker_capacity(u->slot));
        return 1;
    }
    if (th->nready > 0 || th->nconnecting > 0)
        return 0;
    /* Nothing connected: try now (a Unix socket fails at once when appd is
     * down), unless that was just tried. */
    struct timeval now;
    event_base_gettimeofday_cached(th->base, &now);
    long long since_ms = (long long)(now.tv_sec - th->last_fail.tv_sec) * 1000 +
                         (now.tv_usec - th->last_fail.tv_usec) / 1000;
    if (!th->dial_failed || since_ms >= 100) {
        px_pool_maintain(th);
        if (th->nconnecting > 0)
            return 0;
    }
    return -1;
}

void px_upstream_forget(px_stream *s)
{
    px_upstream *u = s->up;
    if (!u)
        return;
    map_del(u, s->up_id);
    u->nstreams--;
    s->up = NULL;
    if (u->state == PX_UP_DRAINING && u->nstreams == 0)
        up_close(u, NULL);
}

/* ---- reader ---- */

static int decode_head(px_thread *th, uint8_t type, const uint8_t *p, size_t len,
                       tp_response_head *h)
{
    for (;;) {
        if (!th->rh_cap) {
            th->rh_cap = 64;
            th->rh = malloc(th->rh_cap * sizeof *th->rh);
            if (!th->rh)
                return TP_E_NOMEM;
        }
        int rc = tp_decode_response_head(type, p, len, h, th->rh, th->rh_cap);
        if (rc != TP_E_TOO_MANY)
            return rc;
        tp_header *n = realloc(th->rh, th->rh_cap * 2 * sizeof *n);
        if (!n)
            return TP_E_NOMEM;
        th->rh = n;
        th->rh_cap *= 2;
    }
}

static void on_hello(px_upstream *u, const uint8_t *p, size_t len)
{
    px_thread *th = u->th;
    tp_hello h;
    int rc = tp_decode_hello(p, len, &h);
    if (rc != TP_OK || h.version != TP_VERSION || h.role != TP_ROLE_WORKER || h.capacity == 0) {
        tc_error("tandem-appd HELLO rejected: %s (version %u, role %u, capacity %u)",
                 rc != TP_OK ? tp_strerror(rc) : "unexpected values", h.version, h.role,
                 h.capacity);
        up_close(u, NULL);
        return;
    }
    if (u->state != PX_UP_HELLO) {
        up_close(u, "second HELLO");
        return;
    }
    u->hello = h;
    if (u->hello_timer)
        evtimer_del(u->hello_timer);
    u->slot = px_workers_ref(h.pid, h.capacity);
    if (u->slot < 0) {
        up_close(u, "worker table full");
        return;
    }
    u->state = PX_UP_READY;
    th->nconnecting--;
    th->nready++;
    th->dial_failed = 0;
    th->worker_count = h.worker_count ? h.worker_count : 1;
    if (th->index == 0 || tc_log_get_level() <= TC_LOG_DEBUG)
        tc_log(th->index == 0 ? TC_LOG_INFO : TC_LOG_DEBUG,
               "thread %d: connected to worker %u/%u (pid %u, capacity %u, window %u)", th->index,
               h.worker_index, h.worker_count, h.pid, h.capacity, h.initial_window);
    px_pool_maintain(th);
    if (px_queue_len(&th->queue))
        px_thread_schedule_flush(th);
}

static void on_drain(px_upstream *u, uint32_t last)
{
    px_thread *th = u->th;
    if (u->state == PX_UP_READY) {
        u->state = PX_UP_DRAINING;
        th->nready--;
    }
    u->last_ok = last;
    tc_info("worker pid %u drains (%u streams open, last stream %u)", u->hello.pid, u->nstreams,
            last);
    /* Open streams finish; those that crossed the DRAIN come back as RESET
     * REFUSED_STREAM and are retried.  No stream left: done with it. */
    if (u->nstreams == 0)
        up_close(u, NULL);
    px_pool_maintain(th);
}

/* Handles one frame; returns -1 when the connection must close. */
static int on_frame(px_upstream *u, const tp_frame_header *fh, struct evbuffer *in)
{
    px_thread *th = u->th;
    if (fh->type == TP_FRAME_RESPONSE_DATA) {
        evbuffer_drain(in, TP_HEADER_SIZE);
        px_stream *s = map_get(u, fh->stream);
        if (!s) {
            evbuffer_drain(in, fh->length); /* a stream we reset: ignore */
            return 0;
        }
        if (!s->head_in) {
            tc_error("worker pid %u sent RESPONSE_DATA before RESPONSE_HEAD on stream %u",
                     u->hello.pid, fh->stream);
            return -1;
        }
        if ((int64_t)fh->length > s->resp_window) {
            /* Unchecked, a worker that ignores CREDIT would grow s->resp
             * without bound while the client reads slowly. */
            tc_error("worker pid %u sent %u bytes on stream %u with a window of %lld: "
                     "FLOW_CONTROL_ERROR", u->hello.pid, fh->length, fh->stream,
                     (long long)s->resp_window);
            evbuffer_drain(in, fh->length);
            px_stream_on_flow_error(s);
            return 0;
        }
        s->resp_window -= fh->length;
        px_stream_on_data(s, in, fh->length, fh->flags & TP_FLAG_END_STREAM);
        return 0;
    }
    const uint8_t *p = evbuffer_pullup(in, TP_HEADER_SIZE + fh->length);
    if (!p)
        return -1;
    p += TP_HEADER_SIZE;
    int rc = TP_OK;
    uint32_t v = 0;
    if (u->state == PX_UP_HELLO && fh->type != TP_FRAME_HELLO) {
        tc_error("tandem-appd sent %s before HELLO", tp_frame_type_name(fh->type));
        return -1;
    }
    switch (fh->type) {
    case TP_FRAME_HELLO:
        on_hello(u, p, fh->length);
        break;
    case TP_FRAME_RESPONSE_INFO:
    case TP_FRAME_RESPONSE_HEAD:
    case TP_FRAME_TRAILERS: {
        tp_response_head h;
        rc = decode_head(th, fh->type, p, fh->length, &h);
        if (rc != TP_OK)
            break;
        px_stream *s = map_get(u, fh->stream);
        if (!s)
            break;
        /* tandem-protocol(7): TRAILERS before RESPONSE_HEAD, or a second
         * RESPONSE_HEAD, is a connection error; ignored, its END_STREAM
         * would be lost and the client left waiting. */
        if ((fh->type == TP_FRAME_TRAILERS && !s->head_in) ||
            (fh->type == TP_FRAME_RESPONSE_HEAD && s->head_in)) {
            tc_error("worker pid %u sent %s %s RESPONSE_HEAD on stream %u", u->hello.pid,
                     tp_frame_type_name(fh->type), s->head_in ? "after" : "before", fh->stream);
            return -1;
        }
        if (fh->type == TP_FRAME_RESPONSE_INFO)
            px_stream_on_info(s, &h);
        else if (fh->type == TP_FRAME_RESPONSE_HEAD)
            px_stream_on_head(s, &h, fh->flags & TP_FLAG_END_STREAM);
        else
            px_stream_on_trailers(s, &h);
        break;
    }
    case TP_FRAME_RESET:
    case TP_FRAME_CREDIT: {
        /* A CREDIT of 0 or above 2^31-1 is a connection error. */
        rc = fh->type == TP_FRAME_CREDIT ? tp_decode_credit(p, fh->length, &v)
                                         : tp_decode_u32(p, fh->length, &v);
        if (rc != TP_OK)
            break;
        px_stream *s = map_get(u, fh->stream);
        if (!s)
            break;
        if (fh->type == TP_FRAME_RESET)
            px_stream_on_reset(s, v);
        else
            px_stream_on_credit(s, v);
        break;
    }
    case TP_FRAME_PING:
        if (fh->flags & TP_FLAG_ACK)
            u->ping_out = 0;
        else if (fh->length == 8) {
            if (tp_encode_ping(&th->out, TP_FLAG_ACK, p) == TP_OK)
                out_commit(u);
            th->out.len = 0;
        }
        break;
    case TP_FRAME_DRAIN:
        rc = tp_decode_u32(p, fh->length, &v);
        if (rc == TP_OK)
            on_drain(u, v);
        break;
    default:
        tc_error("tandem-appd worker pid %u sent a %s frame, which only the proxy sends",
                 u->hello.pid, tp_frame_type_name(fh->type));
        return -1;
    }
    if (rc != TP_OK) {
        tc_error("bad %s frame from worker pid %u: %s", tp_frame_type_name(fh->type),
                 u->hello.pid, tp_strerror(rc));
        return -1;
    }
    if (u->state != PX_UP_CLOSED)
        evbuffer_drain(in, TP_HEADER_SIZE + fh->length);
    return 0;
}

static void up_read_cb(struct bufferevent *bev, void *arg)
{
    px_upstream *u = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t avail;
    while (u->state != PX_UP_CLOSED && (avail = evbuffer_get_length(in)) >= TP_HEADER_SIZE) {
        uint8_t hb[TP_HEADER_SIZE];
        evbuffer_copyout(in, hb, sizeof hb);
        tp_frame_header fh;
        int rc = tp_frame_header_decode(hb, sizeof hb, PX_UP_MAX_FRAME, &fh);
        if (rc != TP_OK) {
            tc_error("bad frame header from tandem-appd (worker pid %u): %s", u->hello.pid,
                     tp_strerror(rc));
            up_close(u, NULL);
            return;
        }
        if (avail < TP_HEADER_SIZE + (size_t)fh.length)
            break; /* the rest of the frame is still on its way */
        if (on_frame(u, &fh, in) < 0) {
            up_close(u, NULL);
            return;
        }
    }
}

static void up_event_cb(struct bufferevent *bev, short what, void *arg)
{
    px_upstream *u = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        up_close(u, (what & BEV_EVENT_ERROR) ? evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR())
                                             : "closed by tandem-appd");
}

static void up_close(px_upstream *u, const char *why)
{
    px_thread *th = u->th;
    if (u->state == PX_UP_CLOSED)
        return;
    int was = u->state;
    u->state = PX_UP_CLOSED;
    if (was == PX_UP_HELLO || was == PX_UP_CONNECTING) {
        th->nconnecting--;
        if (why) {
            if (!th->dial_failed && th->index == 0)
                tc_warn("cannot reach tandem-appd at %s: %s (retrying with backoff)",
                        px_g.upstream.text, why);
            th->dial_failed = 1;
            event_base_gettimeofday_cached(th->base, &th->last_fail);
        }
    } else if (was == PX_UP_READY) {
        th->nready--;
    }
    if (why && was != PX_UP_HELLO && !th->stopping)
        tc_log(u->nstreams ? TC_LOG_WARNING : TC_LOG_INFO,
               "thread %d: connection to worker pid %u lost (%u streams open): %s", th->index,
               u->hello.pid, u->nstreams, why);
    bufferevent_disable(u->bev, EV_READ | EV_WRITE);
    if (u->hello_timer)
        evtimer_del(u->hello_timer);
    /* Fail only this connection's streams. */
    for (uint32_t i = 0; i < u->tab_size; i++) {
        px_stream *s = u->tab[i];
        if (!s)
            continue;
        px_upstream_forget(s);
        px_stream_on_up_lost(s);
        i = (uint32_t)-1; /* the map changed: rescan from the start */
    }
    if (u->slot >= 0) {
        px_workers_unref(u->slot);
        u->slot = -1;
    }
    for (px_upstream **pp = &th->ups; *pp; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    th->nups--;
    u->reap_next = th->reap_ups;
    th->reap_ups = u;
    px_thread_schedule_flush(th);
    if (!th->stopping) {
        if (th->nready == 0 && th->nconnecting == 0 && th->dial_failed)
            px_thread_fail_queue(th, 502);
        /* Redial after a pause: a respawned worker needs a moment to start. */
        schedule_dial(th);
    }
}

void px_upstream_free_reaped(px_upstream *u)
{
    if (u->hello_timer)
        event_free(u->hello_timer);
    if (u->bev)
        bufferevent_free(u->bev);
    free(u->tab);
    free(u);
}

/* px_pool.c: a thread's connections to tandem-appd workers (px_pool.h):
 * dialing with backoff until every worker index is reached, each dial
 * asking the master for one it lacks, liveness pings, and the choice of
 * worker for a new stream. */
#include "config.h"
#include <stdlib.h>
#include <event2/event.h>
#include "px_upstream_int.h"
#include "px_balance.h"
#include "px_conn.h"
#include "px_dispatch.h"
#include "px_stream.h"
#include "px_thread.h"
#include "tc_log.h"

#define MAX_BACKOFF_MS 2000
#define PING_INTERVAL_S 15

static void dial_cb(evutil_socket_t fd, short what, void *arg) { px_pool_maintain(arg); }

/* Idle worker connections are pinged; one that has not answered the previous
 * PING by the next tick is dead (a frozen or vanished worker whose socket did
 * not close) and is replaced.  Busy connections are left alone: their
 * streams have their own --timeout. */
static void ping_cb(evutil_socket_t fd, short what, void *arg)
{
    px_pool *p = arg;
    for (px_upstream *u = p->ups, *n; u; u = n) {
        n = u->next;
        if (u->state != PX_UP_READY || u->nstreams)
            continue;
        if (u->ping_out) {
            tc_warn("worker pid %u did not answer PING within %d s; replacing its connection",
                    u->hello.pid, PING_INTERVAL_S);
            px_upstream_close(u, NULL);
            continue;
        }
        px_upstream_ping(u);
    }
}

px_pool *px_pool_new(px_thread *th, const tc_addr *upstream)
{
    px_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->th = th;
    p->addr = upstream;
    tp_buf_init(&p->out);
    p->ping_ev = event_new(th->base, -1, EV_PERSIST, ping_cb, p);
    if (p->ping_ev) {
        struct timeval tv = { PING_INTERVAL_S, 0 };
        event_add(p->ping_ev, &tv);
    }
    p->dial_ev = evtimer_new(th->base, dial_cb, p);
    /* Connect early so the first request does not pay for it; appd may not
     * be up yet, which is fine. */
    px_pool_maintain(p);
    return p;
}

static void schedule_dial(px_pool *p)
{
    if (evtimer_pending(p->dial_ev, NULL))
        return;
    p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : 100;
    if (p->backoff_ms > MAX_BACKOFF_MS)
        p->backoff_ms = MAX_BACKOFF_MS;
    struct timeval tv = { p->backoff_ms / 1000, (p->backoff_ms % 1000) * 1000 };
    evtimer_add(p->dial_ev, &tv);
}

/* Whether the pool holds a ready connection to worker index k, or is
 * dialling one that asked for it. */
static int reached_or_asked(const px_pool *p, uint32_t k, int *reached)
{
    for (const px_upstream *u = p->ups; u; u = u->next) {
        if (u->state == PX_UP_READY && u->hello.worker_index == k) {
            *reached = 1;
            return 1;
        }
        if ((u->state == PX_UP_CONNECTING || u->state == PX_UP_HELLO) && u->asked == k)
            return 1;
    }
    return 0;
}

static void note_failure(px_pool *p)
{
    p->dial_failed = 1;
    event_base_gettimeofday_cached(p->th->base, &p->last_fail);
}

static int dial(px_pool *p, uint32_t asked)
{
    char err[512];
    if (!px_upstream_dial(p, asked, err, sizeof err)) {
        if (!p->dial_failed && p->th->index == 0)
            tc_warn("cannot reach tandem-appd: %s (retrying with backoff)", err);
        else
            tc_debug("thread %d: cannot reach tandem-appd: %s", p->th->index, err);
        note_failure(p);
        return -1;
    }
    p->nups++;
    p->nconnecting++;
    return 0;
}

/* Too many connections land on the same workers (a respawned worker is not
 * listening yet): drop an idle duplicate. */
static void drop_idle_duplicate(px_pool *p)
{
    for (px_upstream *u = p->ups; u; u = u->next) {
        if (u->state != PX_UP_READY || u->nstreams)
            continue;
        for (px_upstream *v = p->ups; v; v = v->next)
            if (v != u && v->state == PX_UP_READY && v->hello.pid == u->hello.pid) {
                px_upstream_close(u, NULL);
                return;
            }
    }
}

/* No connection at all: the first dial asks for any worker and learns how
 * many there are.  0, or -1 when the dial failed. */
static int dial_first(px_pool *p)
{
    if (p->nready + p->nconnecting > 0)
        return 0;
    if (dial(p, 0) == 0)
        return 0;
    schedule_dial(p);
    px_dispatch_fail_queue(p->th, 502);
    return -1;
}

void px_pool_maintain(px_pool *p)
{
    if (p->th->stopping)
        return;
    if (p->worker_count == 0) {
        dial_first(p);
        return;
    }
    if (p->asked_absent) {
        /* The worker asked for was not ready (a respawn boots): its dial
         * landed elsewhere; ask again after a pause, not at once. */
        p->asked_absent = 0;
        schedule_dial(p);
        return;
    }
    int cap = 2 * (int)p->worker_count + 2;
    int all_reached = 1, held_back = 0;
    for (uint32_t k = 1; k <= p->worker_count; k++) {
        int reached = 0;
        if (reached_or_asked(p, k, &reached)) {
            all_reached &= reached;
            continue;
        }
        all_reached = 0;
        if (p->nups >= cap) {
            drop_idle_duplicate(p);
            held_back = 1;
            break;
        }
        if (dial(p, k) < 0) {
            schedule_dial(p);
            if (p->nready == 0 && p->nconnecting == 0)
                px_dispatch_fail_queue(p->th, 502);
            return;
        }
    }
    /* A dial in flight ends in px_pool_on_ready or px_pool_on_closed. */
    if (held_back)
        schedule_dial(p);
    else if (all_reached)
        p->backoff_ms = 0;
}

void px_pool_close_all(px_pool *p)
{
    while (p->ups)
        px_upstream_close(p->ups, NULL);
    if (p->dial_ev)
        evtimer_del(p->dial_ev);
    if (p->ping_ev)
        event_del(p->ping_ev);
}

void px_pool_reap(px_pool *p)
{
    px_upstream *u;
    while ((u = p->reap)) {
        p->reap = u->reap_next;
        px_upstream_free(u);
    }
}

int px_pool_has_reaped(const px_pool *p) { return p->reap != NULL; }

void px_pool_want_write(px_pool *p, px_upstream *u)
{
    /* A closed connection writes nothing more, and is freed at the end of
     * this turn: it must not be left on the list. */
    if (u->to_write || u->state == PX_UP_CLOSED)
        return;
    u->to_write = 1;
    u->write_next = p->to_write;
    p->to_write = u;
    px_thread_schedule_flush(p->th);
}

void px_pool_forget_write(px_pool *p, px_upstream *u)
{
    if (!u->to_write)
        return;
    for (px_upstream **pp = &p->to_write; *pp; pp = &(*pp)->write_next)
        if (*pp == u) {
            *pp = u->write_next;
            break;
        }
    u->to_write = 0;
    u->write_next = NULL;
}

void px_pool_flush(px_pool *p)
{
    px_upstream *u;
    while ((u = p->to_write)) {
        p->to_write = u->write_next;
        u->write_next = NULL;
        u->to_write = 0;
        px_upstream_write(u); /* may close u, and fail or retry its streams */
    }
}

int px_pool_has_writes(const px_pool *p) { return p->to_write != NULL; }

void px_pool_on_ready(px_pool *p, px_upstream *u)
{
    px_thread *th = p->th;
    const tp_hello *h = &u->hello;
    p->nconnecting--;
    p->nready++;
    p->dial_failed = 0;
    p->worker_count = h->worker_count ? h->worker_count : 1;
    p->worker_class = h->worker_class;
    if (u->asked && u->asked != h->worker_index)
        p->asked_absent = 1;
    if (th->index == 0 || tc_log_get_level() <= TC_LOG_DEBUG)
        tc_log(th->index == 0 ? TC_LOG_INFO : TC_LOG_DEBUG,
               "thread %d: connected to worker %u/%u (pid %u, capacity %u, window %u)", th->index,
               h->worker_index, h->worker_count, h->pid, h->capacity, h->initial_window);
    px_pool_maintain(p);
    if (px_queue_len(&th->queue))
        px_thread_schedule_flush(th);
}

void px_pool_on_draining(px_pool *p, px_upstream *u)
{
    u->state = PX_UP_DRAINING;
    p->nready--;
}

void px_pool_on_closing(px_pool *p, int was, const char *why)
{
    if (was == PX_UP_HELLO || was == PX_UP_CONNECTING) {
        p->nconnecting--;
        if (why) {
            if (!p->dial_failed && p->th->index == 0)
                tc_warn("cannot reach tandem-appd at %s: %s (retrying with backoff)", p->addr->text,
                        why);
            note_failure(p);
        }
    } else if (was == PX_UP_READY) {
        p->nready--;
    }
}

void px_pool_on_closed(px_pool *p, px_upstream *u)
{
    px_thread *th = p->th;
    for (px_upstream **pp = &p->ups; *pp; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    p->nups--;
    u->reap_next = p->reap;
    p->reap = u;
    px_thread_schedule_flush(th);
    if (!th->stopping) {
        if (p->nready == 0 && p->nconnecting == 0 && p->dial_failed)
            px_dispatch_fail_queue(th, 502);
        /* Redial after a pause: a respawned worker needs a moment to start. */
        schedule_dial(p);
    }
}

/* One candidate per worker: its least busy connection here. */
static size_t candidates(px_pool *p, px_balance_cand *cand, px_upstream **conn, size_t max)
{
    size_t n = 0;
    for (px_upstream *u = p->ups; u && n < max; u = u->next) {
        if (u->state != PX_UP_READY || u->slot < 0)
            continue;
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
    return n;
}

/* Nothing connected: dial now (a Unix socket fails at once when appd is
 * down), unless that was just tried.  0 wait for it, -1 unreachable. */
static int dial_on_demand(px_pool *p)
{
    struct timeval now;
    event_base_gettimeofday_cached(p->th->base, &now);
    long long since_ms = (long long)(now.tv_sec - p->last_fail.tv_sec) * 1000 +
                         (now.tv_usec - p->last_fail.tv_usec) / 1000;
    if (!p->dial_failed || since_ms >= 100) {
        px_pool_maintain(p);
        if (p->nconnecting > 0)
            return 0;
    }
    return -1;
}

int px_pool_attach(px_pool *p, px_stream *s)
{
    enum { MAXC = 64 };
    px_balance_cand cand[MAXC];
    px_upstream *conn[MAXC];
    size_t n = candidates(p, cand, conn, MAXC);
    for (size_t tries = 0; tries < n; tries++) {
        int i = px_balance_pick(cand, n);
        if (i < 0)
            break;
        px_upstream *u = conn[i];
        if (!px_worker_try_acquire(u->slot)) {
            cand[i].outstanding = cand[i].capacity; /* raced with another thread */
            continue;
        }
        s->slot = u->slot;
        int rc = px_upstream_open_stream(u, s);
        if (rc < 0) {
            px_worker_release(s->slot);
            s->slot = -1;
            return rc;
        }
        tc_debug("conn %u: stream %u -> worker pid %u (%u/%u busy)", s->conn ? s->conn->id : 0,
                 s->up_id, u->hello.pid, px_worker_outstanding(u->slot),
                 px_worker_capacity(u->slot));
        return 1;
    }
    if (p->nready > 0 || p->nconnecting > 0)
        return 0;
    return dial_on_demand(p);
}

int px_pool_has_room(px_pool *p)
{
    enum { MAXC = 64 };
    px_balance_cand cand[MAXC];
    px_upstream *conn[MAXC];
    size_t n = candidates(p, cand, conn, MAXC);
    /* A worker this thread has no connection to yet may have room. */
    if (p->worker_count == 0 || n < p->worker_count)
        return 1;
    return px_balance_pick(cand, n) >= 0;
}

int px_pool_thread_per_request(const px_pool *p)
{
    return p->worker_class != TP_CLASS_ASGI && p->worker_class != TP_CLASS_GEVENT &&
           p->worker_class != TP_CLASS_EVENTLET;
}

/* px_dispatch.c: requests to workers (see px_dispatch.h).
 *
 * Each thread queues its own streams (no lock on the request path), one
 * flow per connection taking turns (px_queue.h), and publishes the turn of
 * its next flow in queue_best.  A thread that could take a free slot first
 * checks that no other thread has a flow whose turn comes earlier; if one
 * has, it wakes that thread instead, so the round robin across connections
 * holds process-wide.  A thread whose queue runs empty while others wait
 * wakes them, so capacity left by a deferral is never stranded. */
#include "config.h"
#include "px_dispatch.h"
#include "px_balance.h"
#include "px_conn.h"
#include "px_limits.h"
#include "px_counters.h"
#include "px_pool.h"
#include "px_prio.h"
#include "px_stream.h"
#include "px_thread.h"
#include "tc_log.h"

static void publish(px_thread *th)
{
    atomic_store_explicit(&th->queue_best, px_queue_best(&th->queue), memory_order_relaxed);
}

/* The thread whose next flow's turn comes before turn, or NULL. */
static px_thread *earlier_turn_elsewhere(const px_thread *th, uint64_t turn)
{
    int n = px_thread_count();
    if (n < 2 || px_waiting_total() == 0)
        return NULL;
    px_thread *best = NULL;
    for (int i = 0; i < n; i++) {
        px_thread *t = px_thread_at(i);
        if (t == th)
            continue;
        uint64_t k = atomic_load_explicit(&t->queue_best, memory_order_relaxed);
        if (k < turn) {
            turn = k;
            best = t;
        }
    }
    return best;
}

/* The thread whose waiting flow's turn comes first, self included; NULL
 * when nobody waits, or when a thread has waiters whose turn it has not
 * published yet (the caller then wakes every thread that waits). */
static px_thread *first_in_turn(int *unsure)
{
    px_thread *best = NULL;
    uint64_t turn = UINT64_MAX;
    *unsure = 0;
    int n = px_thread_count();
    for (int i = 0; i < n; i++) {
        px_thread *t = px_thread_at(i);
        if (atomic_load_explicit(&t->waiting, memory_order_relaxed) <= 0)
            continue;
        uint64_t k = atomic_load_explicit(&t->queue_best, memory_order_relaxed);
        if (k == UINT64_MAX)
            *unsure = 1;
        else if (k < turn) {
            turn = k;
            best = t;
        }
    }
    return best;
}

void px_dispatch_slot_freed(px_thread *self)
{
    if (px_waiting_total() == 0)
        return;
    int unsure;
    px_thread *t = first_in_turn(&unsure);
    if (unsure || !t) {
        px_dispatch_wake_waiters(self);
        return;
    }
    /* Only the thread whose turn it is: the others would find it earlier
     * and stand back, each for a wake-up of its own. */
    if (t == self)
        px_thread_schedule_flush(self);
    else
        px_thread_wake(t);
}

void px_dispatch_wake_waiters(px_thread *self)
{
    if (px_waiting_total() == 0)
        return;
    int n = px_thread_count();
    for (int i = 0; i < n; i++) {
        px_thread *t = px_thread_at(i);
        if (atomic_load_explicit(&t->waiting, memory_order_relaxed) > 0) {
            if (t == self) {
                /* Our own queue: served at the end of this turn, no syscall. */
                px_thread_schedule_flush(self);
                continue;
            }
            px_thread_wake(t);
        }
    }
}

/* Once half of --max-queue waits, one connection may keep only its share
 * of it waiting: a sixteenth (at least 16).  Below half, HTTP/2 clients
 * with many streams queue freely; past it a dozen greedy connections
 * cannot take the rest from everyone else. */
static int over_share(const px_stream *s)
{
    size_t max = s->limits->max_queue, share = max / 16 > 16 ? max / 16 : 16;
    return s->conn && px_queue_flow_len(&s->conn->flow) >= share && px_waiting_total() >= max / 2;
}

/* 1 queued, 0 answered at once (503): s may be gone then. */
static int enqueue(px_stream *s)
{
    px_thread *th = s->th;
    if (over_share(s)) {
        tc_warn("conn %u: all %s workers busy and %u of its requests wait already, its share "
                "of the wait queue: 503",
                s->conn->id, "appd", (unsigned)px_queue_flow_len(&s->conn->flow));
        px_stream_local_response(s, 503, "Service Unavailable: server busy\n");
        return 0;
    }
    if (!px_queue_admit(px_waiting_total(), s->limits->max_queue)) {
        tc_warn("conn %u: all %s workers busy and the wait queue is full (%zu): 503",
                s->conn ? s->conn->id : 0, "appd", s->limits->max_queue);
        px_stream_local_response(s, 503, "Service Unavailable: server busy\n");
        return 0;
    }
    if (px_queue_push(&th->queue, s->conn ? &s->conn->flow : NULL, &s->q) < 0) {
        tc_error("conn %u: out of memory queueing a request: 503", s->conn ? s->conn->id : 0);
        px_stream_local_response(s, 503, "Service Unavailable: out of memory\n");
        return 0;
    }
    s->state = PX_ST_QUEUED;
    publish(th);
    atomic_fetch_add(&th->waiting, 1);
    px_waiting_add(1);
    px_stream_set_timer(s, s->limits->tv_queue);
    return 1;
}

/* Leaves the queue; a stream that leaves without being dispatched (timeout,
 * client gone) may have been the one another thread stood back for. */
static void unqueue(px_stream *s, int dispatching)
{
    px_thread *th = s->th;
    if (!s->q.queued)
        return;
    if (dispatching)
        px_queue_serve(&th->queue, &s->q); /* its connection's turn is over */
    else
        px_queue_remove(&th->queue, &s->q);
    publish(th);
    atomic_fetch_sub(&th->waiting, 1);
    px_waiting_add(-1);
    px_stream_set_timer(s, NULL);
    if (!dispatching)
        px_dispatch_wake_waiters(th);
}

void px_dispatch_unqueue(px_stream *s) { unqueue(s, 0); }

void px_dispatch_reprioritize(px_stream *s)
{
    s->q.urgency = s->head.prio_urgency;
    s->q.weight = s->head.prio_weight;
    if (s->q.queued) {
        px_queue_update(&s->th->queue, &s->q);
        publish(s->th);
    }
}

/* Attach s to a worker now: 1 done (or answered), 0 no capacity. */
static int try_attach(px_stream *s, int queued)
{
    int rc = px_pool_attach(s->th->pool, s);
    if (rc == 0)
        return 0;
    if (queued)
        unqueue(s, 1);
    if (rc > 0)
        px_stream_dispatched(s);
    else if (rc == -2)
        px_stream_local_response(s, 431, "Request Header Fields Too Large\n");
    else if (rc == -3)
        px_stream_local_response(s, 503, "Service Unavailable: out of memory\n");
    else
        px_stream_local_response(s, 502, "Bad Gateway: application server unreachable\n");
    return 1;
}

void px_dispatch_submit(px_stream *s)
{
    px_thread *th = s->th;
    px_counters_request_begin(s);
    if (th->stopping) {
        px_stream_local_response(s, 503, "Service Unavailable: shutting down\n");
        return;
    }
    s->q.urgency = s->head.prio_urgency;
    s->q.weight =
        (s->head.flags & TP_REQ_HAS_PRIORITY) ? s->head.prio_weight : PX_PRIO_WEIGHT_DEFAULT;
    /* Others wait already, here or elsewhere: the queue decides whose turn
     * it is, and a connection new to it comes last whatever its urgency. */
    if (px_queue_len(&th->queue) || earlier_turn_elsewhere(th, UINT64_MAX)) {
        enqueue(s);
        px_dispatch_drain(th);
        return;
    }
    uint64_t releases = px_worker_releases();
    if (try_attach(s, 0))
        return;
    /* A slot freed after the attempt and before the enqueue woke nobody
     * (nothing was waiting yet): without a second look the request would
     * wait for the next release, and there may be none (issue 15). */
    if (enqueue(s) && px_worker_releases() != releases)
        px_dispatch_drain(th);
}

void px_dispatch_drain(px_thread *th)
{
    px_queue_link *l;
    while ((l = px_queue_peek(&th->queue))) {
        px_thread *other = earlier_turn_elsewhere(th, px_queue_best(&th->queue));
        if (other) {
            /* With every worker full it would only stand back again: the
             * next freed slot wakes the thread whose turn it is then. */
            if (px_pool_has_room(th->pool))
                px_thread_wake(other);
            return;
        }
        if (!try_attach((px_stream *)l, 1))
            return;
    }
    /* Empty here while others wait: a slot may be free for them. */
    if (px_waiting_total() > 0 && px_pool_has_room(th->pool))
        px_dispatch_slot_freed(th);
}

void px_dispatch_fail_queue(px_thread *th, unsigned status)
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

/* px_counters.c: per-thread counters (px_counters.h), written by their own
 * thread with relaxed atomics and summed by whoever reads. */
#include "config.h"

#include "px_counters.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "px_stream.h"
#include "px_thread.h"

const double px_counters_bounds[PX_C_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                 0.25,  0.5,    1,     2.5,  5,     10,   30 };

typedef struct {
    _Atomic uint64_t requests[PX_C_PROTOS][PX_C_CLASSES];
    _Atomic uint64_t latency[PX_C_BUCKETS + 1];
    _Atomic uint64_t latency_sum_us, latency_count;
    _Atomic uint64_t bytes_in, bytes_out;
    _Atomic uint64_t conns_accepted, conns_closed;
    _Atomic uint64_t streams_started, streams_ended;
    _Atomic uint64_t held_added, held_released; /* each only grows: their difference is held */
} __attribute__((aligned(64))) cell;

static cell *cells;
static int ncells;
static uint64_t started_us;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Only the owning thread writes a cell: a load and a store, no locked add. */
static void bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static uint64_t get(const _Atomic uint64_t *c)
{
    return atomic_load_explicit((_Atomic uint64_t *)c, memory_order_relaxed);
}

int px_counters_init(int nthreads)
{
    cells = aligned_alloc(64, sizeof(cell) * (size_t)nthreads);
    if (cells == NULL)
        return -1;
    for (int i = 0; i < nthreads; i++)
        *(cell *)&cells[i] = (cell){ 0 };
    ncells = nthreads;
    started_us = now_us();
    return 0;
}

double px_counters_uptime(void) { return (double)(now_us() - started_us) / 1e6; }

static cell *of(px_thread *th) { return cells ? &cells[th->index] : NULL; }

void px_counters_conn_open(px_thread *th)
{
    cell *c = of(th);
    if (c)
        bump(&c->conns_accepted, 1);
}

void px_counters_conn_close(px_thread *th)
{
    cell *c = of(th);
    if (c)
        bump(&c->conns_closed, 1);
}

void px_counters_request_begin(px_stream *s)
{
    cell *c = of(s->th);
    if (c == NULL || s->counters_t0_us)
        return;
    s->counters_t0_us = now_us();
    bump(&c->streams_started, 1);
}

static size_t bucket_of(uint64_t us)
{
    double sec = (double)us / 1e6;
    size_t b = 0;
    while (b < PX_C_BUCKETS && sec > px_counters_bounds[b])
        b++;
    return b;
}

void px_counters_request_end(px_stream *s)
{
    cell *c = of(s->th);
    if (c == NULL || (!s->counters_t0_us && !s->status))
        return; /* no request came (an idle keep-alive stream, an h2c hand-over) */
    int proto = s->head.http_major == 2 ? PX_C_H2 : PX_C_H1;
    int cls = s->resp_head && s->status >= 100 && s->status < 600 ? s->status / 100 : 0;
    bump(&c->requests[proto][cls], 1);
    if (s->counters_t0_us) {
        uint64_t us = now_us() - s->counters_t0_us;
        bump(&c->latency[bucket_of(us)], 1);
        bump(&c->latency_sum_us, us);
        bump(&c->latency_count, 1);
        bump(&c->streams_ended, 1);
        s->counters_t0_us = 0;
    }
}

void px_counters_bytes_in(px_thread *th, size_t n)
{
    cell *c = of(th);
    if (c)
        bump(&c->bytes_in, n);
}

void px_counters_bytes_out(px_thread *th, size_t n)
{
    cell *c = of(th);
    if (c)
        bump(&c->bytes_out, n);
}

void px_counters_held(px_thread *th, uint64_t n, int grew)
{
    cell *c = of(th);
    if (c)
        bump(grew ? &c->held_added : &c->held_released, n);
}

uint64_t px_counters_thread_conns(int i)
{
    return i < ncells ? get(&cells[i].conns_accepted) - get(&cells[i].conns_closed) : 0;
}

uint64_t px_counters_thread_streams(int i)
{
    return i < ncells ? get(&cells[i].streams_started) - get(&cells[i].streams_ended) : 0;
}

uint64_t px_counters_thread_queued(int i)
{
    if (i >= px_thread_count())
        return 0;
    int w = atomic_load_explicit(&px_thread_at(i)->waiting, memory_order_relaxed);
    return w > 0 ? (uint64_t)w : 0;
}

void px_counters_snapshot_take(px_counters_snapshot *m)
{
    *m = (px_counters_snapshot){ 0 };
    for (int i = 0; i < ncells; i++) {
        const cell *c = &cells[i];
        for (int p = 0; p < PX_C_PROTOS; p++)
            for (int k = 0; k < PX_C_CLASSES; k++)
                m->requests[p][k] += get(&c->requests[p][k]);
        for (int b = 0; b <= PX_C_BUCKETS; b++)
            m->latency[b] += get(&c->latency[b]);
        m->latency_sum_us += get(&c->latency_sum_us);
        m->latency_count += get(&c->latency_count);
        m->bytes_in += get(&c->bytes_in);
        m->bytes_out += get(&c->bytes_out);
        m->conns_accepted += get(&c->conns_accepted);
        m->conns_closed += get(&c->conns_closed);
        m->streams_started += get(&c->streams_started);
        m->streams_ended += get(&c->streams_ended);
        m->queued += px_counters_thread_queued(i);
        /* Each thread's pair is read apart: a difference, never below 0. */
        uint64_t added = get(&c->held_added), released = get(&c->held_released);
        m->resp_held += added > released ? added - released : 0;
    }
}

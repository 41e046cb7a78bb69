/* px_counters.h: tandem-proxy's own counters, the figures behind
 * `tandemctl show stats`, /metrics and /status: requests by protocol and
 * status class, a latency histogram, bytes each way, connections and
 * streams.  Each event-loop thread writes only its own cell (relaxed
 * atomics, no shared cache line); readers on any thread add the cells up,
 * so a snapshot is a sum of recent values, not one instant. */
#ifndef TANDEM_PX_COUNTERS_H
#define TANDEM_PX_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_stream px_stream;
typedef struct px_thread px_thread;

enum { PX_C_H1 = 0, PX_C_H2, PX_C_PROTOS };
/* Status classes: 0 = no response reached the client, then 1xx..5xx. */
enum { PX_C_CLASSES = 6 };
/* Latency buckets' upper bounds, in seconds (and +Inf after them). */
#define PX_C_BUCKETS 14
extern const double px_counters_bounds[PX_C_BUCKETS];

/* The sum of every thread's cell. */
typedef struct {
    uint64_t requests[PX_C_PROTOS][PX_C_CLASSES];
    uint64_t latency[PX_C_BUCKETS + 1]; /* per bucket, not cumulative; last: above all */
    uint64_t latency_sum_us;
    uint64_t latency_count;
    uint64_t bytes_in, bytes_out; /* request and response body bytes */
    uint64_t conns_accepted, conns_closed;
    uint64_t streams_started, streams_ended;
    uint64_t queued; /* requests waiting for a worker now */
    uint64_t resp_held; /* response bytes held for clients now (px_budget.h) */
} px_counters_snapshot;

/* One cell per thread, before the threads start; -1 out of memory. */
int px_counters_init(int nthreads);
void px_counters_snapshot_take(px_counters_snapshot *m);
/* Open connections and streams of thread i (show connections/streams). */
uint64_t px_counters_thread_conns(int i);
uint64_t px_counters_thread_streams(int i);
uint64_t px_counters_thread_queued(int i);
/* Seconds since px_counters_init. */
double px_counters_uptime(void);

/* Events, each from the thread that owns the object. */
void px_counters_conn_open(px_thread *th);
void px_counters_conn_close(px_thread *th);
/* A complete request head goes to dispatch: the stream is in flight. */
void px_counters_request_begin(px_stream *s);
/* The stream is freed: counted by its status, its latency recorded. */
void px_counters_request_end(px_stream *s);
void px_counters_bytes_in(px_thread *th, size_t n);
void px_counters_bytes_out(px_thread *th, size_t n);
/* Response bytes held for clients (px_budget.h) grew or shrank by n. */
void px_counters_held(px_thread *th, uint64_t n, int grew);

#endif

/* px_metrics.h: tandem-proxy's own counters, the figures behind
 * `tandemctl show stats`, /metrics and /status: requests by protocol and
 * status class, a latency histogram, bytes each way, connections and
 * streams.  Each event-loop thread writes only its own cell (relaxed
 * atomics, no shared cache line); readers on any thread add the cells up,
 * so a snapshot is a sum of recent values, not one instant. */
#ifndef TANDEM_PX_METRICS_H
#define TANDEM_PX_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_stream px_stream;
typedef struct px_thread px_thread;

enum { PX_M_H1 = 0, PX_M_H2, PX_M_PROTOS };
/* Status classes: 0 = no response reached the client, then 1xx..5xx. */
enum { PX_M_CLASSES = 6 };
/* Latency buckets' upper bounds, in seconds (and +Inf after them). */
#define PX_M_BUCKETS 14
extern const double px_metrics_bounds[PX_M_BUCKETS];

/* The sum of every thread's cell. */
typedef struct {
    uint64_t requests[PX_M_PROTOS][PX_M_CLASSES];
    uint64_t latency[PX_M_BUCKETS + 1]; /* per bucket, not cumulative; last: above all */
    uint64_t latency_sum_us;
    uint64_t latency_count;
    uint64_t bytes_in, bytes_out; /* request and response body bytes */
    uint64_t conns_accepted, conns_closed;
    uint64_t streams_started, streams_ended;
    uint64_t queued; /* requests waiting for a worker now */
} px_metrics_snapshot;

/* One cell per thread, before the threads start; -1 out of memory. */
int px_metrics_init(int nthreads);
void px_metrics_snapshot_take(px_metrics_snapshot *m);
/* Open connections and streams of thread i (show connections/streams). */
uint64_t px_metrics_thread_conns(int i);
uint64_t px_metrics_thread_streams(int i);
uint64_t px_metrics_thread_queued(int i);
/* Seconds since px_metrics_init. */
double px_metrics_uptime(void);

/* Events, each from the thread that owns the object. */
void px_metrics_conn_open(px_thread *th);
void px_metrics_conn_close(px_thread *th);
/* A complete request head goes to dispatch: the stream is in flight. */
void px_metrics_request_begin(px_stream *s);
/* The stream is freed: counted by its status, its latency recorded. */
void px_metrics_request_end(px_stream *s);
void px_metrics_bytes_in(px_thread *th, size_t n);
void px_metrics_bytes_out(px_thread *th, size_t n);

#endif

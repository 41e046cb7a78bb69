/* px_metrics.h: the request metrics Gunicorn's statsd logger sends, sent by
 * the proxy, which sees every request: gunicorn.request.duration (a timing
 * per request, in ms), gunicorn.requests and gunicorn.request.status.NNN
 * (counters).  Each loop thread gathers its turn's metrics and sends them
 * in one datagram at the end of the turn (more when they do not fit):
 * counts are summed per turn, so none is lost, and no request costs a
 * syscall of its own.  Off (px_metrics_on 0) without --statsd-host. */
#ifndef TANDEM_PX_METRICS_H
#define TANDEM_PX_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "tc_statsd.h"

extern atomic_int px_metrics_on;

/* Sends through sd (borrowed, kept while the threads run); NULL: off.
 * Called again by a reload (the threads' next metrics go through it). */
void px_metrics_init(tc_statsd *sd);
/* One request answered with status after usec microseconds. */
void px_metrics_request(unsigned status, uint64_t usec);
/* Sends this thread's metrics (the end of its loop turn). */
void px_metrics_flush(void);
/* The thread ends: sends what is left and frees its batch. */
void px_metrics_thread_end(void);

#endif

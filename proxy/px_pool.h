/* px_pool.h: a thread's pool of connections to tandem-appd's workers: it
 * dials (with backoff) until every worker index is reached, pings idle
 * connections, and attaches streams to the least busy worker with room
 * (px_balance.h holds the capacity counts shared across threads). */
#ifndef TANDEM_PX_POOL_H
#define TANDEM_PX_POOL_H

#include "tc_addr.h"

typedef struct px_pool px_pool;
typedef struct px_thread px_thread;
typedef struct px_stream px_stream;

/* A pool for th dialing upstream (borrowed: it must outlive the pool); it
 * starts dialing at once.  NULL when out of memory. */
px_pool *px_pool_new(px_thread *th, const tc_addr *upstream);
/* Closes every connection and stops dialing (thread stopping). */
void px_pool_close_all(px_pool *p);
/* Frees the connections closed this turn (end of turn). */
void px_pool_reap(px_pool *p);
int px_pool_has_reaped(const px_pool *p);
/* Writes the frames this turn queued toward the workers: one writev per
 * connection (end of turn, after the client connections produced theirs).
 * A connection whose write fails closes, its streams retried or failed. */
void px_pool_flush(px_pool *p);
int px_pool_has_writes(const px_pool *p);
/* Attaches s to a worker and sends its head: 1 attached, 0 no capacity now
 * (wait), -1 appd unreachable, -2 head too big for the worker's frames,
 * -3 out of memory. */
int px_pool_attach(px_pool *p, px_stream *s);
/* Whether a worker may have a free slot, as far as this thread can tell:
 * 1 also when it is not connected to every worker yet.  0 means a thread
 * woken to dispatch would find every worker full. */
int px_pool_has_room(px_pool *p);
/* Whether the workers run each request on a thread of its own (sync,
 * gthread), so that a request waiting on its client holds one: 1, also
 * before any worker said; 0 for the asynchronous classes (asgi, gevent,
 * eventlet), where a waiting request costs a task. */
int px_pool_thread_per_request(const px_pool *p);

#endif

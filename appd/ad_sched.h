/* ad_sched.h: a worker's scheduler: the streams it admitted, from dispatch
 * until the worker class retires them.  It alone owns the work queue (streams
 * waiting to run, oldest first), the running set, admission against capacity
 * plus a queue limit, the graceful-stop state, and the index that finds a
 * stream by (connection, stream id) for the connection reader.
 *
 * Ownership: the scheduler links the stream objects it is given through
 * their q_prev/q_next fields and sets their state; it never allocates, frees
 * or reads anything else of a stream except, in lookups, its conn, id and the
 * flags that say it is closed on the wire.  The connection pointer is a key
 * only, never dereferenced.
 *
 * Locking: none inside.  The caller serialises every call (in a worker, under
 * W.mu).  No call blocks: a worker class that waits for work keeps its own
 * wait (a condition variable for a thread pool, its event loop for asgi).
 *
 * Errors: ad_sched_init and ad_sched_enqueue allocate and return -1 when out
 * of memory (nothing changed); every other call succeeds. */
#ifndef TANDEM_AD_SCHED_H
#define TANDEM_AD_SCHED_H

#include <stdint.h>

typedef struct ad_stream ad_stream;
typedef struct ad_conn ad_conn;

typedef struct ad_sched {
    ad_stream *q_head, *q_tail; /* queued, oldest first */
    ad_stream *r_head;          /* running, newest first */
    uint32_t queued, running;
    uint32_t capacity;    /* streams run at once (HELLO capacity) */
    uint32_t queue_limit; /* streams beyond capacity that may wait */
    int stopping;         /* graceful stop: nothing more is admitted */
    int quit;             /* consumers leave once the queue is empty */
    /* (conn, id) -> stream: open addressing, linear probing, load <= 1/2 */
    ad_stream **tab;
    uint32_t tab_bits, tab_used;
} ad_sched;

/* Sizes the index for capacity + queue_limit streams (it grows if ever
 * needed).  0, or -1 when out of memory. */
int ad_sched_init(ad_sched *q, uint32_t capacity, uint32_t queue_limit);
void ad_sched_free(ad_sched *q);

/* Whether a new stream may be admitted now: not stopping, and fewer than
 * capacity + queue_limit streams queued or running. */
int ad_sched_admits(const ad_sched *q);

/* Admits s (its conn and id set, not known to the scheduler): indexes it
 * and appends it to the queue.  The caller checked ad_sched_admits.  0, or -1
 * when out of memory (s is not admitted). */
int ad_sched_enqueue(ad_sched *q, ad_stream *s);

/* The oldest queued stream, now running; NULL when the queue is empty. */
ad_stream *ad_sched_next(ad_sched *q);

/* A queued stream leaves before it ran (reset by the proxy, or its
 * connection closed).  O(1). */
void ad_sched_unqueue(ad_sched *q, ad_stream *s);

/* A running stream is finished: it leaves the running set and the index. */
void ad_sched_retire(ad_sched *q, ad_stream *s);

/* The stream with this id on connection c that is still open on the wire,
 * or NULL.  A stream whose both directions ended is skipped even while its
 * class still runs it (the app's close()): the proxy may already reuse its
 * id for a new stream, and then both are indexed. */
ad_stream *ad_sched_find(const ad_sched *q, const ad_conn *c, uint32_t id);

/* Graceful stop: nothing more is admitted; queued and running streams go on. */
void ad_sched_stop(ad_sched *q);
/* Stops, and tells consumers to leave once the queue is empty. */
void ad_sched_quit(ad_sched *q);

static inline uint32_t ad_sched_queued(const ad_sched *q) { return q->queued; }
static inline uint32_t ad_sched_running(const ad_sched *q) { return q->running; }
static inline int ad_sched_stopping(const ad_sched *q) { return q->stopping; }
static inline int ad_sched_quitting(const ad_sched *q) { return q->quit; }
/* Running streams, for walking with s->q_next (do not change them meanwhile). */
static inline ad_stream *ad_sched_first_running(const ad_sched *q) { return q->r_head; }

#endif

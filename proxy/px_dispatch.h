/* px_dispatch.h: requests to workers.  A complete request head goes to the
 * least busy worker with room, or waits in its thread's queue until
 * capacity frees, its wait times out (503) or the queue is full (503).
 * Waiting connections take turns, round robin, an order that holds across
 * threads; on its turn a connection sends its most urgent request (RFC 9218
 * urgency, then RFC 7540 weight, then arrival). */
#ifndef TANDEM_PX_DISPATCH_H
#define TANDEM_PX_DISPATCH_H

typedef struct px_stream px_stream;
typedef struct px_thread px_thread;

/* The head is complete: to a worker now, or into the wait queue.  May
 * answer at once (503, 502, 431) and so free s. */
void px_dispatch_submit(px_stream *s);
/* s's priority changed (a PRIORITY frame before dispatch): reorder. */
void px_dispatch_reprioritize(px_stream *s);
/* s leaves the queue without a worker (client gone, timeout, freed). */
void px_dispatch_unqueue(px_stream *s);
/* Serves th's queue as far as capacity allows. */
void px_dispatch_drain(px_thread *th);
/* Answers everything waiting on th with status (502 appd unreachable, 503 stopping). */
void px_dispatch_fail_queue(px_thread *th, unsigned status);
/* Capacity freed on self: wake the threads that have requests waiting. */
void px_dispatch_wake_waiters(px_thread *self);
/* A worker slot was freed on self: wakes the thread whose waiting flow's
 * turn comes first (self: at the end of this turn, no syscall), or every
 * thread that waits when the turns are not all published yet. */
void px_dispatch_slot_freed(px_thread *self);

#endif

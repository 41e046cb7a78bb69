/* px_balance.h: which worker takes a new stream.  The table of workers (by
 * pid) and their outstanding streams is shared by every proxy thread, so a
 * worker's announced capacity holds process-wide; it is touched once per
 * stream (an atomic compare-and-swap), never per frame. */
#ifndef TANDEM_PX_BALANCE_H
#define TANDEM_PX_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#define PX_MAX_WORKERS 1024

/* A candidate as the pure chooser sees it. */
typedef struct {
    uint32_t outstanding;
    uint32_t capacity;
} px_balance_cand;

/* Index of the candidate with the fewest outstanding streams relative to its
 * capacity that still has room (outstanding < capacity); ties go to the one
 * with more free slots, then the lower index.  -1 when all are full. */
int px_balance_pick(const px_balance_cand *c, size_t n);

/* The shared table.  A slot is held by every upstream connection to that
 * worker (refcount), so a worker reached from several threads is one slot. */
void px_workers_init(void);
int px_workers_ref(uint32_t pid, uint32_t capacity); /* slot or -1 when full */
void px_workers_unref(int slot);
uint32_t px_worker_outstanding(int slot);
uint32_t px_worker_capacity(int slot);
/* The workers reached now (any thread), their capacity and the streams
 * they run, for the control socket and /metrics. */
void px_workers_totals(uint32_t *workers, uint64_t *capacity, uint64_t *outstanding);
/* Takes one stream slot if the worker is under capacity: 1 taken, 0 full. */
int px_worker_try_acquire(int slot);
void px_worker_release(int slot);
/* How many slots were ever released, process-wide: a thread that found no
 * slot and then queued its request compares it before and after, since a
 * slot freed in between found nobody waiting to wake. */
uint64_t px_worker_releases(void);

/* Process-wide count of waiting requests, for --max-queue and for waking
 * threads whose queues wait when a slot frees elsewhere. */
size_t px_waiting_total(void);
void px_waiting_add(long delta);

#endif

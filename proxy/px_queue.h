/* px_queue.h: the wait queue for requests beyond appd's capacity, served most
 * urgent first: lower RFC 9218 urgency, then higher RFC 7540 weight, then
 * arrival order.  Intrusive: the link lives in the element. */
#ifndef TANDEM_PX_QUEUE_H
#define TANDEM_PX_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_queue_link {
    uint64_t key;    /* set by push: priority bits, then arrival order */
    uint32_t pos;    /* index in the heap while queued */
    uint16_t weight; /* RFC 7540 weight 1..256 (16 when the client gave none) */
    uint8_t urgency; /* RFC 9218 urgency 0..7 (3 when the client gave none) */
    uint8_t queued;
} px_queue_link;

/* A binary min-heap of links by key: push, pop and the removal of a
 * cancelled or timed-out request are O(log n); peek is O(1).  The array
 * grows by doubling and never beyond what --max-queue admits. */
typedef struct {
    px_queue_link **heap;
    size_t len, cap;
} px_queue;

/* The order of two waiting requests, as one integer (smaller = served
 * first): urgency in the top 3 bits, 256 - weight in the next 8, then a
 * process-wide arrival number, so equal priorities stay FIFO across
 * threads too.  seq is masked to PX_QUEUE_SEQ_MASK. */
#define PX_QUEUE_SEQ_MASK ((UINT64_C(1) << 53) - 1)
uint64_t px_queue_key(uint8_t urgency, uint16_t weight, uint64_t seq);
/* The key a request that arrives now would get, without taking a number:
 * every request already waiting at the same priority sorts before it. */
static inline uint64_t px_queue_key_last(uint8_t urgency, uint16_t weight)
{
    return px_queue_key(urgency, weight, PX_QUEUE_SEQ_MASK);
}

void px_queue_init(px_queue *q);
void px_queue_free(px_queue *q);
/* Queues l with its current urgency and weight; 0, or -1 when the heap
 * cannot grow (out of memory: the caller answers 503).  Already queued: 0. */
int px_queue_push(px_queue *q, px_queue_link *l);
/* The priority of a queued l changed (a PRIORITY or PRIORITY_UPDATE frame
 * while it waits): moves it, keeping its arrival number.  No-op if not queued. */
void px_queue_update(px_queue *q, px_queue_link *l);
/* Next element to serve, removed; NULL when empty. */
px_queue_link *px_queue_pop(px_queue *q);
px_queue_link *px_queue_peek(const px_queue *q);
/* Removes l if it is queued (a no-op otherwise). */
void px_queue_remove(px_queue *q, px_queue_link *l);
static inline size_t px_queue_len(const px_queue *q) { return q->len; }
/* Key of the next element, UINT64_MAX when empty. */
static inline uint64_t px_queue_best(const px_queue *q)
{
    return q->len ? q->heap[0]->key : UINT64_MAX;
}

/* Admission: may one more request wait, given how many wait in the whole
 * process and the --max-queue bound?  (0 = no waiting at all.) */
static inline int px_queue_admit(size_t waiting, size_t max_queue) { return waiting < max_queue; }

#endif

/* px_queue.h: the wait queue for requests beyond appd's capacity, behind a
 * small interface so its order can change (FIFO now; RFC 9218 urgency later)
 * without touching its callers.  Intrusive: the link lives in the element. */
#ifndef TANDEM_PX_QUEUE_H
#define TANDEM_PX_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_queue_link {
    struct px_queue_link *prev, *next;
    uint8_t urgency;      /* 0..7 (RFC 9218); unused by FIFO, kept for the later order */
    uint8_t queued;
} px_queue_link;

typedef struct {
    px_queue_link head;   /* sentinel */
    size_t len;
} px_queue;

void px_queue_init(px_queue *q);
void px_queue_push(px_queue *q, px_queue_link *l);
/* Next element to serve, removed; NULL when empty. */
px_queue_link *px_queue_pop(px_queue *q);
px_queue_link *px_queue_peek(px_queue *q);
/* Removes l if it is queued (a no-op otherwise). */
void px_queue_remove(px_queue *q, px_queue_link *l);
static inline size_t px_queue_len(const px_queue *q) { return q->len; }

/* Admission: may one more request wait, given how many wait in the whole
 * process and the --max-queue bound?  (0 = no waiting at all.) */
static inline int px_queue_admit(size_t waiting, size_t max_queue) { return waiting < max_queue; }

#endif

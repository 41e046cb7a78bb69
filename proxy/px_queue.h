/* px_queue.h: the wait queue for requests beyond appd's capacity.  Fair
 * across clients, ordered within one: each connection (a "flow") keeps its
 * own waiting requests most urgent first (lower RFC 9218 urgency, then
 * higher RFC 7540 weight, then arrival), and the flows take turns, round
 * robin, so one client's urgency never overtakes another client's requests
 * (RFC 9218 §12).  Intrusive: the links live in the elements. */
#ifndef TANDEM_PX_QUEUE_H
#define TANDEM_PX_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_queue_flow px_queue_flow;

typedef struct px_queue_link {
    uint64_t key;        /* set by push: priority bits, then arrival order */
    px_queue_flow *flow; /* the flow it waits in, while queued */
    uint32_t pos;        /* index in the flow's heap while queued */
    uint16_t weight;     /* RFC 7540 weight 1..256 (16 when the client gave none) */
    uint8_t urgency;     /* RFC 9218 urgency 0..7 (3 when the client gave none) */
    uint8_t queued;
} px_queue_link;

/* One client's waiting requests: a binary min-heap of links by key (push,
 * removal and a priority change O(log n)).  Owned by the connection; its
 * array grows by doubling, never beyond what --max-queue admits, and is
 * kept for the connection's next wait until px_queue_flow_free. */
struct px_queue_flow {
    px_queue_link **heap;
    size_t len, cap;
    uint64_t turn;                     /* process-wide; smaller = its turn comes first */
    struct px_queue_flow *prev, *next; /* in its queue's ring while it has waiters */
};

/* The flows that have waiters, in turn order (a FIFO ring: O(1) to take
 * the next turn).  One per proxy thread, touched by that thread only. */
typedef struct {
    px_queue_flow *head, *tail;
    size_t len;         /* waiting requests, all flows */
    px_queue_flow lone; /* the flow of requests that have no connection */
} px_queue;

/* The order of two waiting requests of one flow, as one integer (smaller =
 * served first): urgency in the top 3 bits, 256 - weight in the next 8,
 * then a process-wide arrival number.  seq is masked to PX_QUEUE_SEQ_MASK. */
#define PX_QUEUE_SEQ_MASK ((UINT64_C(1) << 53) - 1)
uint64_t px_queue_key(uint8_t urgency, uint16_t weight, uint64_t seq);

void px_queue_flow_init(px_queue_flow *f);
/* Frees the heap's array; f must have no waiters. */
void px_queue_flow_free(px_queue_flow *f);
static inline size_t px_queue_flow_len(const px_queue_flow *f) { return f->len; }

void px_queue_init(px_queue *q);
void px_queue_free(px_queue *q);
/* Queues l in flow f (NULL: the queue's lone flow) with its current urgency
 * and weight; a flow that had no waiters takes the last turn.  0, or -1
 * when the heap cannot grow (out of memory: the caller answers 503).
 * Already queued: 0. */
int px_queue_push(px_queue *q, px_queue_flow *f, px_queue_link *l);
/* The priority of a queued l changed (a PRIORITY or PRIORITY_UPDATE frame
 * while it waits): moves it within its flow, keeping its arrival number.
 * No-op if not queued. */
void px_queue_update(px_queue *q, px_queue_link *l);
/* The next element to serve: the most urgent of the flow whose turn it is;
 * NULL when empty. */
px_queue_link *px_queue_peek(const px_queue *q);
/* l leaves to be served: its flow's turn is over, the flow goes last. */
void px_queue_serve(px_queue *q, px_queue_link *l);
/* px_queue_peek, then px_queue_serve; NULL when empty. */
px_queue_link *px_queue_pop(px_queue *q);
/* l leaves unserved (cancelled, timed out): its flow keeps its turn.  A
 * no-op if l is not queued. */
void px_queue_remove(px_queue *q, px_queue_link *l);
static inline size_t px_queue_len(const px_queue *q) { return q->len; }
/* The turn of the flow served next, UINT64_MAX when empty: turns compare
 * across threads, so the process-wide round robin holds. */
static inline uint64_t px_queue_best(const px_queue *q)
{
    return q->head ? q->head->turn : UINT64_MAX;
}

/* Admission: may one more request wait, given how many wait in the whole
 * process and the --max-queue bound?  (0 = no waiting at all.) */
static inline int px_queue_admit(size_t waiting, size_t max_queue) { return waiting < max_queue; }

#endif

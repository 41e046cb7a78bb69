/* px_queue.c: the fair wait queue.  Each flow (a client connection) is a
 * binary min-heap of intrusive links (each link knows its index, so a
 * cancelled request leaves in O(log n)); the flows with waiters form a FIFO
 * ring, and serving a request sends its flow to the back.  A heap rather
 * than 8 urgency buckets because the RFC 7540 weight orders requests of
 * equal urgency too; a ring rather than a heap of flows because every flow
 * that joins or is served takes the newest turn, so the ring stays sorted. */
#include "config.h"
#include <stdatomic.h>
#include <stdlib.h>
#include "px_queue.h"

/* One counter each for the process: arrival order and turn order hold
 * across threads. */
static _Atomic uint64_t arrivals;
static _Atomic uint64_t turns;

uint64_t px_queue_key(uint8_t urgency, uint16_t weight, uint64_t seq)
{
    if (urgency > 7)
        urgency = 7;
    if (weight < 1)
        weight = 1;
    if (weight > 256)
        weight = 256;
    return ((uint64_t)urgency << 61) | ((uint64_t)(256 - weight) << 53) | (seq & PX_QUEUE_SEQ_MASK);
}

/* ---- one flow: a heap by key ---- */

void px_queue_flow_init(px_queue_flow *f)
{
    f->heap = NULL;
    f->len = f->cap = 0;
    f->turn = 0;
    f->prev = f->next = NULL;
}

void px_queue_flow_free(px_queue_flow *f)
{
    free(f->heap);
    px_queue_flow_init(f);
}

static void place(px_queue_flow *f, px_queue_link *l, size_t i)
{
    f->heap[i] = l;
    l->pos = (uint32_t)i;
}

static void sift_up(px_queue_flow *f, size_t i)
{
    px_queue_link *l = f->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (f->heap[parent]->key <= l->key)
            break;
        place(f, f->heap[parent], i);
        i = parent;
    }
    place(f, l, i);
}

static void sift_down(px_queue_flow *f, size_t i)
{
    px_queue_link *l = f->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= f->len)
            break;
        if (c + 1 < f->len && f->heap[c + 1]->key < f->heap[c]->key)
            c++;
        if (l->key <= f->heap[c]->key)
            break;
        place(f, f->heap[c], i);
        i = c;
    }
    place(f, l, i);
}

static void reposition(px_queue_flow *f, size_t i)
{
    if (i > 0 && f->heap[(i - 1) / 2]->key > f->heap[i]->key)
        sift_up(f, i);
    else
        sift_down(f, i);
}

static int heap_push(px_queue_flow *f, px_queue_link *l)
{
    if (f->len == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4;
        px_queue_link **h = realloc(f->heap, cap * sizeof *h);
        if (!h)
            return -1;
        f->heap = h;
        f->cap = cap;
    }
    place(f, l, f->len++);
    sift_up(f, l->pos);
    return 0;
}

static void heap_remove(px_queue_flow *f, px_queue_link *l)
{
    size_t i = l->pos;
    f->len--;
    if (i != f->len) {
        place(f, f->heap[f->len], i);
        reposition(f, i);
    }
}

/* ---- the ring of flows with waiters ---- */

static void ring_append(px_queue *q, px_queue_flow *f)
{
    f->turn = atomic_fetch_add_explicit(&turns, 1, memory_order_relaxed);
    f->next = NULL;
    f->prev = q->tail;
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
}

static void ring_unlink(px_queue *q, px_queue_flow *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        q->head = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        q->tail = f->prev;
    f->prev = f->next = NULL;
}

void px_queue_init(px_queue *q)
{
    q->head = q->tail = NULL;
    q->len = 0;
    px_queue_flow_init(&q->lone);
}

void px_queue_free(px_queue *q)
{
    px_queue_flow_free(&q->lone);
    px_queue_init(q);
}

int px_queue_push(px_queue *q, px_queue_flow *f, px_queue_link *l)
{
    if (l->queued)
        return 0;
    if (!f)
        f = &q->lone;
    uint64_t seq = atomic_fetch_add_explicit(&arrivals, 1, memory_order_relaxed);
    l->key = px_queue_key(l->urgency, l->weight, seq);
    if (heap_push(f, l) < 0)
        return -1;
    l->flow = f;
    l->queued = 1;
    q->len++;
    if (f->len == 1)
        ring_append(q, f);
    return 0;
}

void px_queue_update(px_queue *q, px_queue_link *l)
{
    (void)q;
    if (!l->queued)
        return;
    l->key = px_queue_key(l->urgency, l->weight, l->key);
    reposition(l->flow, l->pos);
}

px_queue_link *px_queue_peek(const px_queue *q) { return q->head ? q->head->heap[0] : NULL; }

/* Takes l out of its flow; the flow leaves the ring when it has no more. */
static px_queue_flow *leave(px_queue *q, px_queue_link *l)
{
    px_queue_flow *f = l->flow;
    heap_remove(f, l);
    q->len--;
    l->queued = 0;
    l->pos = 0;
    l->flow = NULL;
    if (f->len == 0) {
        ring_unlink(q, f);
        return NULL;
    }
    return f;
}

void px_queue_remove(px_queue *q, px_queue_link *l)
{
    if (l->queued)
        leave(q, l);
}

void px_queue_serve(px_queue *q, px_queue_link *l)
{
    if (!l->queued)
        return;
    px_queue_flow *f = leave(q, l);
    if (f) {
        ring_unlink(q, f);
        ring_append(q, f);
    }
}

px_queue_link *px_queue_pop(px_queue *q)
{
    px_queue_link *l = px_queue_peek(q);
    if (l)
        px_queue_serve(q, l);
    return l;
}

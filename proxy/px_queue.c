/* px_queue.c: the priority wait queue, a binary min-heap of intrusive links
 * (each link knows its index, so a cancelled request leaves in O(log n)).
 * A heap rather than 8 urgency buckets because the RFC 7540 weight orders
 * requests of equal urgency too, and 8 x 256 FIFO lists per thread would
 * cost more memory than the heap's one pointer per waiting request. */
#include "config.h"
#include <stdatomic.h>
#include <stdlib.h>
#include "px_queue.h"

/* One counter for the process: arrival order holds across threads. */
static _Atomic uint64_t arrivals;

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

void px_queue_init(px_queue *q)
{
    q->heap = NULL;
    q->len = q->cap = 0;
}

void px_queue_free(px_queue *q)
{
    free(q->heap);
    px_queue_init(q);
}

static void place(px_queue *q, px_queue_link *l, size_t i)
{
    q->heap[i] = l;
    l->pos = (uint32_t)i;
}

static void sift_up(px_queue *q, size_t i)
{
    px_queue_link *l = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (q->heap[parent]->key <= l->key)
            break;
        place(q, q->heap[parent], i);
        i = parent;
    }
    place(q, l, i);
}

static void sift_down(px_queue *q, size_t i)
{
    px_queue_link *l = q->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->len)
            break;
        if (c + 1 < q->len && q->heap[c + 1]->key < q->heap[c]->key)
            c++;
        if (l->key <= q->heap[c]->key)
            break;
        place(q, q->heap[c], i);
        i = c;
    }
    place(q, l, i);
}

int px_queue_push(px_queue *q, px_queue_link *l)
{
    if (l->queued)
        return 0;
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        px_queue_link **h = realloc(q->heap, cap * sizeof *h);
        if (!h)
            return -1;
        q->heap = h;
        q->cap = cap;
    }
    uint64_t seq = atomic_fetch_add_explicit(&arrivals, 1, memory_order_relaxed);
    l->key = px_queue_key(l->urgency, l->weight, seq);
    l->queued = 1;
    q->heap[q->len] = l;
    l->pos = (uint32_t)q->len;
    q->len++;
    sift_up(q, l->pos);
    return 0;
}

static void reposition(px_queue *q, size_t i)
{
    if (i > 0 && q->heap[(i - 1) / 2]->key > q->heap[i]->key)
        sift_up(q, i);
    else
        sift_down(q, i);
}

void px_queue_update(px_queue *q, px_queue_link *l)
{
    if (!l->queued)
        return;
    l->key = px_queue_key(l->urgency, l->weight, l->key);
    reposition(q, l->pos);
}

px_queue_link *px_queue_peek(const px_queue *q) { return q->len ? q->heap[0] : NULL; }

void px_queue_remove(px_queue *q, px_queue_link *l)
{
    if (!l->queued)
        return;
    size_t i = l->pos;
    q->len--;
    if (i != q->len) {
        place(q, q->heap[q->len], i);
        reposition(q, i);
    }
    l->queued = 0;
    l->pos = 0;
}

px_queue_link *px_queue_pop(px_queue *q)
{
    px_queue_link *l = px_queue_peek(q);
    if (l)
        px_queue_remove(q, l);
    return l;
}

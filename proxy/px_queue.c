/* px_queue.c: FIFO wait queue (a doubly linked list with a sentinel, so push,
 * pop and removal of a cancelled request are O(1)). */
#include "config.h"
#include "px_queue.h"

void px_queue_init(px_queue *q)
{
    q->head.prev = q->head.next = &q->head;
    q->len = 0;
}

void px_queue_push(px_queue *q, px_queue_link *l)
{
    if (l->queued)
        return;
    l->prev = q->head.prev;
    l->next = &q->head;
    q->head.prev->next = l;
    q->head.prev = l;
    l->queued = 1;
    q->len++;
}

px_queue_link *px_queue_peek(px_queue *q)
{
    return q->len ? q->head.next : NULL;
}

void px_queue_remove(px_queue *q, px_queue_link *l)
{
    if (!l->queued)
        return;
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = NULL;
    l->queued = 0;
    q->len--;
}

px_queue_link *px_queue_pop(px_queue *q)
{
    px_queue_link *l = px_queue_peek(q);
    if (l)
        px_queue_remove(q, l);
    return l;
}

/* ad_sched.c: the worker's scheduler (see ad_sched.h): two intrusive doubly
 * linked lists (queued, running) and an open-addressing index by
 * (connection, stream id), so every operation is O(1) however many streams
 * a worker holds. */
#include "config.h"

#include <stdlib.h>

#include "ad_sched.h"
#include "ad_stream.h"

#define MIN_TAB_BITS 4

/* Fibonacci hashing of both key parts: the high bits of the product depend
 * on every bit of the connection address and of the id. */
static uint32_t home_slot(uint32_t bits, const ad_conn *c, uint32_t id)
{
    uint64_t k = (uint64_t)(uintptr_t)c ^ ((uint64_t)id << 32 | id);
    return (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static void tab_put(ad_stream **tab, uint32_t bits, ad_stream *s)
{
    uint32_t mask = (1u << bits) - 1, j = home_slot(bits, s->conn, s->id);
    while (tab[j])
        j = (j + 1) & mask;
    tab[j] = s;
}

static int tab_resize(ad_sched *q, uint32_t bits)
{
    ad_stream **nt = calloc((size_t)1 << bits, sizeof *nt);
    if (nt == NULL)
        return -1;
    uint32_t old = q->tab ? 1u << q->tab_bits : 0;
    for (uint32_t i = 0; i < old; i++)
        if (q->tab[i])
            tab_put(nt, bits, q->tab[i]);
    free(q->tab);
    q->tab = nt;
    q->tab_bits = bits;
    return 0;
}

/* Removes exactly s (ids may repeat: see ad_sched_find), then shifts the
 * rest of its probe run back so no lookup stops early at the hole. */
static void tab_del(ad_sched *q, const ad_stream *s)
{
    uint32_t mask = (1u << q->tab_bits) - 1, j = home_slot(q->tab_bits, s->conn, s->id);
    while (q->tab[j] != s) {
        if (q->tab[j] == NULL)
            return;
        j = (j + 1) & mask;
    }
    q->tab[j] = NULL;
    q->tab_used--;
    for (uint32_t k = (j + 1) & mask; q->tab[k]; k = (k + 1) & mask) {
        uint32_t home = home_slot(q->tab_bits, q->tab[k]->conn, q->tab[k]->id);
        /* tab[k] may fill the hole unless its home lies after the hole. */
        if (((k - home) & mask) >= ((k - j) & mask)) {
            q->tab[j] = q->tab[k];
            q->tab[k] = NULL;
            j = k;
        }
    }
}

int ad_sched_init(ad_sched *q, uint32_t capacity, uint32_t queue_limit)
{
    *q = (ad_sched){ .capacity = capacity, .queue_limit = queue_limit };
    uint64_t want = 2 * ((uint64_t)capacity + queue_limit);
    uint32_t bits = MIN_TAB_BITS;
    while (bits < 31 && ((uint64_t)1 << bits) < want)
        bits++;
    return tab_resize(q, bits);
}

void ad_sched_free(ad_sched *q)
{
    free(q->tab);
    *q = (ad_sched){ 0 };
}

int ad_sched_admits(const ad_sched *q)
{
    return !q->stopping &&
           (uint64_t)q->running + q->queued < (uint64_t)q->capacity + q->queue_limit;
}

static void list_unlink(ad_stream **head, ad_stream **tail, ad_stream *s)
{
    if (s->q_prev)
        s->q_prev->q_next = s->q_next;
    else
        *head = s->q_next;
    if (s->q_next)
        s->q_next->q_prev = s->q_prev;
    else if (tail)
        *tail = s->q_prev;
    s->q_prev = s->q_next = NULL;
}

int ad_sched_enqueue(ad_sched *q, ad_stream *s)
{
    if ((q->tab_used + 1) * 2 > 1u << q->tab_bits && tab_resize(q, q->tab_bits + 1) != 0)
        return -1;
    tab_put(q->tab, q->tab_bits, s);
    q->tab_used++;
    s->q_next = NULL;
    s->q_prev = q->q_tail;
    if (q->q_tail)
        q->q_tail->q_next = s;
    else
        q->q_head = s;
    q->q_tail = s;
    q->queued++;
    s->state = AD_ST_QUEUED;
    return 0;
}

ad_stream *ad_sched_next(ad_sched *q)
{
    ad_stream *s = q->q_head;
    if (s == NULL)
        return NULL;
    list_unlink(&q->q_head, &q->q_tail, s);
    q->queued--;
    s->q_next = q->r_head;
    if (q->r_head)
        q->r_head->q_prev = s;
    q->r_head = s;
    q->running++;
    s->state = AD_ST_RUNNING;
    return s;
}

void ad_sched_unqueue(ad_sched *q, ad_stream *s)
{
    list_unlink(&q->q_head, &q->q_tail, s);
    q->queued--;
    tab_del(q, s);
}

void ad_sched_retire(ad_sched *q, ad_stream *s)
{
    list_unlink(&q->r_head, NULL, s);
    q->running--;
    tab_del(q, s);
}

ad_stream *ad_sched_find(const ad_sched *q, const ad_conn *c, uint32_t id)
{
    uint32_t mask = (1u << q->tab_bits) - 1;
    for (uint32_t j = home_slot(q->tab_bits, c, id); q->tab[j]; j = (j + 1) & mask) {
        ad_stream *s = q->tab[j];
        if (s->id == id && s->conn == c && !ad_stream_wire_closed(s))
            return s;
    }
    return NULL;
}

void ad_sched_stop(ad_sched *q) { q->stopping = 1; }

void ad_sched_quit(ad_sched *q)
{
    q->stopping = 1;
    q->quit = 1;
}

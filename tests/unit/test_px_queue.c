/* test_px_queue.c: Check tests for the fair wait queue (proxy/px_queue.c):
 * within one flow FIFO, urgency then weight then arrival, removal and
 * PRIORITY_UPDATE while waiting, ordering against a sort, the keys; across
 * flows the round robin, whatever their urgency, turns kept by a removal and
 * compared across queues; and the --max-queue bound with the process-wide
 * waiting count (px_balance.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_balance.h"
#include "px_queue.h"

typedef struct {
    px_queue_link q;
    int id;
} item;

START_TEST(queue_fifo)
{
    px_queue q;
    item it[4];
    px_queue_init(&q);
    ck_assert_ptr_null(px_queue_pop(&q));
    for (int i = 0; i < 4; i++) {
        memset(&it[i], 0, sizeof it[i]);
        it[i].id = i;
        px_queue_push(&q, NULL, &it[i].q);
    }
    px_queue_push(&q, NULL, &it[0].q); /* already queued: no-op */
    ck_assert_uint_eq(px_queue_len(&q), 4);
    px_queue_remove(&q, &it[2].q); /* a cancelled request leaves */
    px_queue_remove(&q, &it[2].q);
    ck_assert_uint_eq(px_queue_len(&q), 3);
    ck_assert_int_eq(((item *)px_queue_pop(&q))->id, 0);
    ck_assert_int_eq(((item *)px_queue_peek(&q))->id, 1);
    ck_assert_int_eq(((item *)px_queue_pop(&q))->id, 1);
    ck_assert_int_eq(((item *)px_queue_pop(&q))->id, 3);
    ck_assert_ptr_null(px_queue_pop(&q));
    ck_assert_uint_eq(px_queue_len(&q), 0);
}
END_TEST

static item *mk(item *it, int id, uint8_t urgency, uint16_t weight)
{
    memset(it, 0, sizeof *it);
    it->id = id;
    it->q.urgency = urgency;
    it->q.weight = weight;
    return it;
}

static int pop_id(px_queue *q)
{
    item *it = (item *)px_queue_pop(q);
    return it ? it->id : -1;
}

START_TEST(queue_urgency_then_weight_then_fifo)
{
    px_queue q;
    item it[8];
    px_queue_init(&q);
    /* Arrival order 0..7; expected service order below. */
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[0], 0, 7, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[1], 1, 7, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[2], 2, 3, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[3], 3, 0, 1)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[4], 4, 3, 256)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[5], 5, 3, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[6], 6, 7, 200)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, NULL, &mk(&it[7], 7, 0, 1)->q), 0);
    ck_assert_uint_eq(px_queue_len(&q), 8);
    ck_assert_ptr_eq(px_queue_peek(&q), &it[3].q);
    ck_assert_uint_eq(px_queue_best(&q), q.lone.turn);
    /* u=0 first (FIFO among them), then u=3 by weight (256 before 16,
     * 16s in arrival order), then u=7 (weight 200 first, then FIFO). */
    int want[8] = { 3, 7, 4, 2, 5, 6, 0, 1 };
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pop_id(&q), want[i]);
    ck_assert_int_eq(pop_id(&q), -1);
    ck_assert_uint_eq(px_queue_best(&q), UINT64_MAX);
    px_queue_free(&q);
}
END_TEST

START_TEST(queue_remove_and_update)
{
    px_queue q;
    item it[6];
    px_queue_init(&q);
    for (int i = 0; i < 6; i++)
        px_queue_push(&q, NULL, &mk(&it[i], i, 5, 16)->q);
    /* A request cancelled from the middle leaves; the rest keep their order. */
    px_queue_remove(&q, &it[2].q);
    ck_assert(!it[2].q.queued);
    px_queue_remove(&q, &it[2].q); /* twice: no-op */
    ck_assert_uint_eq(px_queue_len(&q), 5);
    /* A PRIORITY_UPDATE while waiting: 4 becomes urgent, 0 less so; an
     * update of something not queued changes nothing. */
    it[4].q.urgency = 1;
    px_queue_update(&q, &it[4].q);
    it[0].q.urgency = 6;
    px_queue_update(&q, &it[0].q);
    it[2].q.urgency = 0;
    px_queue_update(&q, &it[2].q);
    ck_assert(!it[2].q.queued);
    /* Equal new priority keeps the original arrival order: 1 before 3. */
    int want[5] = { 4, 1, 3, 5, 0 };
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(pop_id(&q), want[i]);
    px_queue_free(&q);
}
END_TEST

START_TEST(queue_random_against_sorted)
{
    enum { N = 2000 };
    static item it[N];
    px_queue q;
    px_queue_init(&q);
    srand(7);
    for (int i = 0; i < N; i++)
        px_queue_push(&q, NULL,
                      &mk(&it[i], i, (uint8_t)(rand() % 8), (uint16_t)(1 + rand() % 256))->q);
    for (int i = 0; i < N; i += 3)
        px_queue_remove(&q, &it[i].q);
    for (int i = 1; i < N; i += 7) {
        it[i].q.urgency = (uint8_t)(rand() % 8);
        px_queue_update(&q, &it[i].q);
    }
    /* Popped keys never decrease, and every key still says what it was
     * built from (urgency, weight). */
    uint64_t last = 0;
    size_t n = 0;
    item *x;
    while ((x = (item *)px_queue_pop(&q))) {
        ck_assert_uint_ge(x->q.key, last);
        ck_assert_uint_eq(x->q.key >> 61, x->q.urgency);
        ck_assert_uint_eq((x->q.key >> 53) & 0xff, 256 - x->q.weight);
        last = x->q.key;
        n++;
    }
    ck_assert_uint_eq(n, N - (N + 2) / 3);
    px_queue_free(&q);
}
END_TEST

START_TEST(queue_keys)
{
    /* Urgency dominates weight, weight dominates arrival. */
    ck_assert_uint_lt(px_queue_key(0, 1, 999), px_queue_key(1, 256, 0));
    ck_assert_uint_lt(px_queue_key(3, 256, 999), px_queue_key(3, 255, 0));
    ck_assert_uint_lt(px_queue_key(3, 16, 1), px_queue_key(3, 16, 2));
    /* Out-of-range inputs are clamped, not wrapped. */
    ck_assert_uint_eq(px_queue_key(9, 16, 0), px_queue_key(7, 16, 0));
    ck_assert_uint_eq(px_queue_key(3, 0, 0), px_queue_key(3, 1, 0));
    ck_assert_uint_eq(px_queue_key(3, 300, 0), px_queue_key(3, 256, 0));
}
END_TEST

/* Two connections: a pushes only u=7 requests, then b only u=0 ones.  They
 * alternate, a first (its turn came first): b's urgency is about b's own
 * requests (RFC 9218 §12).  When one runs dry the other goes on alone. */
START_TEST(flows_alternate_whatever_their_urgency)
{
    px_queue q;
    px_queue_flow a, b;
    item it[7];
    px_queue_init(&q);
    px_queue_flow_init(&a);
    px_queue_flow_init(&b);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(px_queue_push(&q, &a, &mk(&it[i], i, 7, 16)->q), 0);
    for (int i = 4; i < 7; i++)
        ck_assert_int_eq(px_queue_push(&q, &b, &mk(&it[i], i, 0, 256)->q), 0);
    ck_assert_uint_eq(px_queue_len(&q), 7);
    ck_assert_uint_eq(px_queue_flow_len(&a), 4);
    ck_assert_uint_eq(px_queue_flow_len(&b), 3);
    ck_assert_uint_eq(px_queue_best(&q), a.turn);
    int want[7] = { 0, 4, 1, 5, 2, 6, 3 };
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(pop_id(&q), want[i]);
    ck_assert_int_eq(pop_id(&q), -1);
    ck_assert_uint_eq(px_queue_flow_len(&a), 0);
    ck_assert_ptr_null(q.head);
    ck_assert_ptr_null(q.tail);
    px_queue_flow_free(&a);
    px_queue_flow_free(&b);
    px_queue_free(&q);
}
END_TEST

/* Within one connection its u=0 requests go before its u=7 ones, FIFO
 * within equal urgency, while its turns still alternate with another's. */
START_TEST(urgency_orders_within_a_flow)
{
    px_queue q;
    px_queue_flow a, b;
    item it[7];
    px_queue_init(&q);
    px_queue_flow_init(&a);
    px_queue_flow_init(&b);
    px_queue_push(&q, &a, &mk(&it[0], 0, 7, 16)->q);
    px_queue_push(&q, &b, &mk(&it[1], 1, 3, 16)->q);
    px_queue_push(&q, &a, &mk(&it[2], 2, 7, 16)->q);
    px_queue_push(&q, &a, &mk(&it[3], 3, 0, 16)->q);
    px_queue_push(&q, &b, &mk(&it[4], 4, 3, 16)->q);
    px_queue_push(&q, &a, &mk(&it[5], 5, 0, 16)->q);
    px_queue_push(&q, &b, &mk(&it[6], 6, 3, 16)->q);
    /* a: 3 5 (u=0, in arrival order) then 0 2 (u=7); b: 1 4 6 (FIFO). */
    int want[7] = { 3, 1, 5, 4, 0, 6, 2 };
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(pop_id(&q), want[i]);
    px_queue_flow_free(&a);
    px_queue_flow_free(&b);
    px_queue_free(&q);
}
END_TEST

/* A request that leaves unserved (timeout, client gone) costs its flow no
 * turn; a flow that runs empty leaves the ring and comes back last; a
 * priority change moves a request within its flow only.  Turns compare
 * across queues (threads): the flow that joined first goes first. */
START_TEST(turns_kept_lost_and_compared)
{
    px_queue q, q2;
    px_queue_flow a, b, c;
    item it[6];
    px_queue_init(&q);
    px_queue_init(&q2);
    px_queue_flow_init(&a);
    px_queue_flow_init(&b);
    px_queue_flow_init(&c);
    px_queue_push(&q, &a, &mk(&it[0], 0, 3, 16)->q);
    px_queue_push(&q, &a, &mk(&it[1], 1, 3, 16)->q);
    px_queue_push(&q2, &c, &mk(&it[5], 5, 3, 16)->q);
    px_queue_push(&q, &b, &mk(&it[2], 2, 3, 16)->q);
    ck_assert_uint_lt(px_queue_best(&q), px_queue_best(&q2));
    px_queue_remove(&q, &it[0].q); /* a keeps its turn */
    ck_assert_ptr_eq(px_queue_peek(&q), &it[1].q);
    px_queue_remove(&q, &it[1].q); /* a is empty: out of the ring */
    ck_assert_ptr_eq(q.head, &b);
    ck_assert_uint_gt(px_queue_best(&q), px_queue_best(&q2));
    px_queue_push(&q, &a, &mk(&it[3], 3, 0, 256)->q); /* back, last */
    px_queue_push(&q, &b, &mk(&it[4], 4, 7, 16)->q);
    it[4].q.urgency = 0; /* a PRIORITY_UPDATE: first in b, still b's turn */
    px_queue_update(&q, &it[4].q);
    int want[3] = { 4, 3, 2 };
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pop_id(&q), want[i]);
    ck_assert_uint_eq(px_queue_best(&q), UINT64_MAX);
    ck_assert_int_eq(((item *)px_queue_pop(&q2))->id, 5);
    px_queue_flow_free(&a);
    px_queue_flow_free(&b);
    px_queue_flow_free(&c);
    px_queue_free(&q);
    px_queue_free(&q2);
}
END_TEST

/* Many flows, random priorities, removals and updates: every flow's own
 * requests come out in key order, and no flow is served twice while
 * another waiting flow has not been served since. */
START_TEST(flows_random_round_robin)
{
    enum { N = 3000, F = 13 };
    static item it[N];
    static px_queue_flow f[F];
    int flow_of[N];
    uint64_t last_key[F];
    long last_served[F];
    px_queue q;
    px_queue_init(&q);
    srand(11);
    for (int i = 0; i < F; i++) {
        px_queue_flow_init(&f[i]);
        last_key[i] = 0;
        last_served[i] = -1;
    }
    for (int i = 0; i < N; i++) {
        flow_of[i] = rand() % F;
        mk(&it[i], i, (uint8_t)(rand() % 8), (uint16_t)(1 + rand() % 256));
        ck_assert_int_eq(px_queue_push(&q, &f[flow_of[i]], &it[i].q), 0);
    }
    for (int i = 0; i < N; i += 5)
        px_queue_remove(&q, &it[i].q);
    for (int i = 2; i < N; i += 9) {
        it[i].q.urgency = (uint8_t)(rand() % 8);
        px_queue_update(&q, &it[i].q);
    }
    size_t n = 0;
    item *x;
    while ((x = (item *)px_queue_pop(&q))) {
        int fl = flow_of[x->id];
        ck_assert_uint_ge(x->q.key, last_key[fl]);
        last_key[fl] = x->q.key;
        /* Every flow still waiting was served after fl's previous turn. */
        for (int g = 0; g < F; g++)
            if (g != fl && px_queue_flow_len(&f[g]) > 0 && last_served[fl] >= 0)
                ck_assert_int_gt(last_served[g], last_served[fl]);
        last_served[fl] = (long)n++;
    }
    ck_assert_uint_eq(n, N - (N + 4) / 5);
    for (int i = 0; i < F; i++)
        px_queue_flow_free(&f[i]);
    px_queue_free(&q);
}
END_TEST

START_TEST(queue_bound)
{
    ck_assert(px_queue_admit(0, 1));
    ck_assert(!px_queue_admit(1, 1));
    ck_assert(!px_queue_admit(0, 0));
    ck_assert(px_queue_admit(1023, 1024));
    ck_assert(!px_queue_admit(1024, 1024));
    px_workers_init();
    px_waiting_add(3);
    ck_assert_uint_eq(px_waiting_total(), 3);
    px_waiting_add(-3);
    ck_assert_uint_eq(px_waiting_total(), 0);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_queue");
    TCase *tc = tcase_create("queue");
    tcase_add_test(tc, queue_fifo);
    tcase_add_test(tc, queue_urgency_then_weight_then_fifo);
    tcase_add_test(tc, queue_remove_and_update);
    tcase_add_test(tc, queue_random_against_sorted);
    tcase_add_test(tc, queue_keys);
    tcase_add_test(tc, flows_alternate_whatever_their_urgency);
    tcase_add_test(tc, urgency_orders_within_a_flow);
    tcase_add_test(tc, turns_kept_lost_and_compared);
    tcase_add_test(tc, flows_random_round_robin);
    tcase_add_test(tc, queue_bound);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

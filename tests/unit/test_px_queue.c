/* test_px_queue.c: Check tests for the priority wait queue
 * (proxy/px_queue.c): FIFO, urgency then weight then arrival, removal and
 * PRIORITY_UPDATE while waiting, ordering against a sort, the keys, and the
 * --max-queue bound with the process-wide waiting count (px_balance.c). */
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
        px_queue_push(&q, &it[i].q);
    }
    px_queue_push(&q, &it[0].q); /* already queued: no-op */
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
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[0], 0, 7, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[1], 1, 7, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[2], 2, 3, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[3], 3, 0, 1)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[4], 4, 3, 256)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[5], 5, 3, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[6], 6, 7, 200)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[7], 7, 0, 1)->q), 0);
    ck_assert_uint_eq(px_queue_len(&q), 8);
    ck_assert_uint_eq(px_queue_best(&q), it[3].q.key);
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
        px_queue_push(&q, &mk(&it[i], i, 5, 16)->q);
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
        px_queue_push(&q, &mk(&it[i], i, (uint8_t)(rand() % 8), (uint16_t)(1 + rand() % 256))->q);
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
    /* "Would arrive now" sorts after everything of the same priority. */
    ck_assert_uint_gt(px_queue_key_last(3, 16), px_queue_key(3, 16, PX_QUEUE_SEQ_MASK - 1));
    ck_assert_uint_lt(px_queue_key_last(2, 16), px_queue_key(3, 16, 0));
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
    tcase_add_test(tc, queue_bound);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

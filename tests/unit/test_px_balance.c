/* test_px_balance.c: Check tests for the least-loaded worker choice and the
 * process-wide worker table (proxy/px_balance.c): load relative to
 * capacity, capacity never exceeded, slots shared by pid. */
#include <check.h>
#include <stdlib.h>

#include "px_balance.h"

START_TEST(pick_least_loaded)
{
    px_balance_cand c[3] = { { 3, 4 }, { 1, 4 }, { 2, 4 } };
    ck_assert_int_eq(px_balance_pick(c, 3), 1);
    /* Relative to capacity: 2/8 beats 1/2. */
    px_balance_cand d[2] = { { 1, 2 }, { 2, 8 } };
    ck_assert_int_eq(px_balance_pick(d, 2), 1);
    /* Equal ratio: the one with more free slots. */
    px_balance_cand e[2] = { { 1, 2 }, { 4, 8 } };
    ck_assert_int_eq(px_balance_pick(e, 2), 1);
    /* Equal everything: the first. */
    px_balance_cand f[2] = { { 0, 1 }, { 0, 1 } };
    ck_assert_int_eq(px_balance_pick(f, 2), 0);
}
END_TEST

START_TEST(pick_honors_capacity)
{
    px_balance_cand c[2] = { { 1, 1 }, { 4, 4 } };
    ck_assert_int_eq(px_balance_pick(c, 2), -1);
    c[1].outstanding = 3;
    ck_assert_int_eq(px_balance_pick(c, 2), 1);
    px_balance_cand z[1] = { { 0, 0 } };
    ck_assert_int_eq(px_balance_pick(z, 1), -1);
    ck_assert_int_eq(px_balance_pick(NULL, 0), -1);
}
END_TEST

START_TEST(worker_table)
{
    px_workers_init();
    int a = px_workers_ref(100, 2);
    int b = px_workers_ref(200, 1);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ne(a, b);
    /* Same pid from another thread's connection: same slot. */
    ck_assert_int_eq(px_workers_ref(100, 2), a);
    ck_assert_int_eq(px_worker_try_acquire(a), 1);
    ck_assert_int_eq(px_worker_try_acquire(a), 1);
    ck_assert_int_eq(px_worker_try_acquire(a), 0); /* capacity 2 is never exceeded */
    ck_assert_uint_eq(px_worker_outstanding(a), 2);
    px_worker_release(a);
    ck_assert_int_eq(px_worker_try_acquire(a), 1);
    ck_assert_int_eq(px_worker_try_acquire(b), 1);
    ck_assert_int_eq(px_worker_try_acquire(b), 0);
    px_worker_release(b);
    px_worker_release(b); /* never below zero */
    ck_assert_uint_eq(px_worker_outstanding(b), 0);
    px_workers_unref(a);
    px_workers_unref(a);
    px_workers_unref(b);
    int c = px_workers_ref(300, 5);
    ck_assert_int_ge(c, 0);
    ck_assert_uint_eq(px_worker_outstanding(c), 0);
    ck_assert_uint_eq(px_worker_capacity(c), 5);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_balance");
    TCase *tc = tcase_create("balance");
    tcase_add_test(tc, pick_least_loaded);
    tcase_add_test(tc, pick_honors_capacity);
    tcase_add_test(tc, worker_table);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_px_idmap.c: Check tests for the stream id map of a worker connection
 * (proxy/px_idmap.c): lookups after every kind of deletion, growth, draining,
 * and thousands of random operations against a plain array. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_idmap.h"

static int vals[4096];

START_TEST(idmap_empty)
{
    px_idmap m = { 0 };
    ck_assert_ptr_null(px_idmap_get(&m, 1));
    ck_assert_ptr_null(px_idmap_any(&m));
    px_idmap_del(&m, 1); /* absent: a no-op */
    ck_assert_uint_eq(px_idmap_len(&m), 0);
    px_idmap_free(&m);
}
END_TEST

START_TEST(idmap_put_get_grow)
{
    px_idmap m = { 0 };
    for (uint32_t id = 1; id <= 1000; id++)
        ck_assert_int_eq(px_idmap_put(&m, id, &vals[id]), 0);
    ck_assert_uint_eq(px_idmap_len(&m), 1000);
    ck_assert_uint_ge(m.size, 2000); /* load stays at most one half */
    for (uint32_t id = 1; id <= 1000; id++)
        ck_assert_ptr_eq(px_idmap_get(&m, id), &vals[id]);
    ck_assert_ptr_null(px_idmap_get(&m, 1001));
    ck_assert_ptr_null(px_idmap_get(&m, 0));
    px_idmap_free(&m);
}
END_TEST

/* Deleting any entry of a probe run must leave every other entry reachable,
 * including the one whose home is the slot just emptied. */
START_TEST(idmap_delete_keeps_runs_reachable)
{
    for (uint32_t victim = 1; victim <= 40; victim++) {
        px_idmap m = { 0 };
        for (uint32_t id = 1; id <= 40; id++) /* dense: long probe runs in 64 slots */
            ck_assert_int_eq(px_idmap_put(&m, id, &vals[id]), 0);
        px_idmap_del(&m, victim);
        for (uint32_t id = 1; id <= 40; id++) {
            if (id == victim)
                ck_assert_ptr_null(px_idmap_get(&m, id));
            else
                ck_assert_msg(px_idmap_get(&m, id) == &vals[id], "id %u lost after deleting %u", id,
                              victim);
        }
        px_idmap_free(&m);
    }
}
END_TEST

START_TEST(idmap_drain_with_any)
{
    px_idmap m = { 0 };
    for (uint32_t id = 100; id < 160; id++)
        px_idmap_put(&m, id, &vals[id]);
    int n = 0;
    int *v;
    while ((v = px_idmap_any(&m))) {
        uint32_t id = (uint32_t)(v - vals);
        ck_assert_ptr_eq(px_idmap_get(&m, id), v);
        px_idmap_del(&m, id);
        n++;
    }
    ck_assert_int_eq(n, 60);
    ck_assert_uint_eq(px_idmap_len(&m), 0);
    px_idmap_free(&m);
}
END_TEST

START_TEST(idmap_random_against_array)
{
    static int present[4096];
    memset(present, 0, sizeof present);
    px_idmap m = { 0 };
    srand(12345);
    for (int op = 0; op < 200000; op++) {
        uint32_t id = 1 + (uint32_t)(rand() % 4000);
        if (present[id]) {
            px_idmap_del(&m, id);
            present[id] = 0;
        } else {
            ck_assert_int_eq(px_idmap_put(&m, id, &vals[id]), 0);
            present[id] = 1;
        }
        if (op % 997 == 0)
            for (uint32_t k = 1; k <= 4000; k++)
                ck_assert_ptr_eq(px_idmap_get(&m, k), present[k] ? &vals[k] : NULL);
    }
    uint32_t n = 0;
    for (uint32_t k = 1; k <= 4000; k++)
        n += (uint32_t)present[k];
    ck_assert_uint_eq(px_idmap_len(&m), n);
    px_idmap_free(&m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_idmap");
    TCase *tc = tcase_create("idmap");
    tcase_add_test(tc, idmap_empty);
    tcase_add_test(tc, idmap_put_get_grow);
    tcase_add_test(tc, idmap_delete_keeps_runs_reachable);
    tcase_add_test(tc, idmap_drain_with_any);
    tcase_add_test(tc, idmap_random_against_array);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

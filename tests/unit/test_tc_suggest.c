/* test_tc_suggest.c: Check tests for the nearest-name helper
 * (common/tc_suggest.c): edit distance with swaps, names cut short, ties,
 * the same name offered twice, and limits that keep short names apart. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tc_suggest.h"

static const char *nearest(const char *typed, const char *const *names, size_t skip)
{
    tc_near n;
    if (tc_near_init(&n, typed, strlen(typed)) != 0)
        return NULL;
    for (size_t i = 0; names[i]; i++)
        tc_near_consider(&n, names[i], skip);
    return tc_near_best(&n);
}

START_TEST(distance_counts_swaps_as_one)
{
    ck_assert_uint_eq(tc_edit_distance("wrokers", 7, "workers", 7), 1);
    ck_assert_uint_eq(tc_edit_distance("worker", 6, "workers", 7), 1);
    ck_assert_uint_eq(tc_edit_distance("", 0, "abc", 3), 3);
    ck_assert_uint_eq(tc_edit_distance("keepalive", 9, "keep_alive", 10), 1);
}
END_TEST

static const char *const keys[] = { "workers", "worker_class",     "keepalive", "bind", "pidfile",
                                    "timeout", "graceful_timeout", "timeout",   NULL };

START_TEST(nearest_key)
{
    ck_assert_str_eq(nearest("wokers", keys, 0), "workers");
    ck_assert_str_eq(nearest("keep_alive", keys, 0), "keepalive");
    ck_assert_str_eq(nearest("worker_cl", keys, 0), "worker_class"); /* cut short */
    ck_assert_str_eq(nearest("timeuot", keys, 0), "timeout");        /* listed twice: one name */
    ck_assert_ptr_null(nearest("nothing_like_it", keys, 0));
    ck_assert_ptr_null(nearest("", keys, 0));
}
END_TEST

START_TEST(ties_and_short_names_give_nothing)
{
    static const char *const flags[] = { "--bind", "--pid", NULL };
    ck_assert_ptr_null(nearest("bid", flags, 2)); /* one edit from both */
    ck_assert_str_eq(nearest("bnd", flags, 2), "--bind");
    static const char *const far[] = { "--preload", NULL };
    ck_assert_ptr_null(nearest("plod", far, 2)); /* short: one edit at most */
}
END_TEST

START_TEST(too_long_is_not_a_typo)
{
    char typed[TC_NEAR_MAX_LEN + 8];
    memset(typed, 'a', sizeof typed - 1);
    typed[sizeof typed - 1] = '\0';
    tc_near n;
    ck_assert_int_eq(tc_near_init(&n, typed, strlen(typed)), -1);
    tc_near_consider(&n, "aaaa", 0);
    ck_assert_ptr_null(tc_near_best(&n));
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_suggest");
    TCase *tc = tcase_create("suggest");
    tcase_add_test(tc, distance_counts_swaps_as_one);
    tcase_add_test(tc, nearest_key);
    tcase_add_test(tc, ties_and_short_names_give_nothing);
    tcase_add_test(tc, too_long_is_not_a_typo);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_tc_log.c: Check tests for log levels (common/tc_log.c): Gunicorn's
 * level names, in any case, and refusal of others. */
#include <check.h>
#include <stdlib.h>

#include "tc_log.h"

START_TEST(log_levels)
{
    ck_assert_int_eq(tc_log_level_parse("DEBUG"), TC_LOG_DEBUG);
    ck_assert_int_eq(tc_log_level_parse("warning"), TC_LOG_WARNING);
    ck_assert_int_eq(tc_log_level_parse("critical"), TC_LOG_CRITICAL);
    ck_assert_int_eq(tc_log_level_parse("loud"), -1);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, log_levels);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

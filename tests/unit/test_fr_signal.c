/* test_fr_signal.c: where tandem sends each signal it takes: only to the
 * daemons that handle it, HUP to the proxy after appd, USR2 nowhere; and the
 * recording handler keeps each signal once, stops sticky. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "fr_signal.h"

START_TEST(stops_and_log_reopening_reach_both)
{
    const int both[] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR1 };
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++)
        ck_assert_uint_eq(fr_signal_route(both[i]), FR_TO_APPD | FR_TO_PROXY);
    ck_assert(fr_signal_is_stop(SIGTERM) && fr_signal_is_stop(SIGINT) &&
              fr_signal_is_stop(SIGQUIT));
    ck_assert(!fr_signal_is_stop(SIGUSR1) && !fr_signal_is_stop(SIGHUP));
}
END_TEST

START_TEST(hup_reaches_the_proxy_after_appd)
{
    ck_assert_uint_eq(fr_signal_route(SIGHUP), FR_TO_APPD | FR_PROXY_AFTER_APPD);
}
END_TEST

/* The proxy would be stopped by TTIN and TTOU and ended by USR2. */
START_TEST(appds_own_signals_never_reach_the_proxy)
{
    ck_assert_uint_eq(fr_signal_route(SIGTTIN), FR_TO_APPD);
    ck_assert_uint_eq(fr_signal_route(SIGTTOU), FR_TO_APPD);
    ck_assert_uint_eq(fr_signal_route(SIGUSR2), 0);
}
END_TEST

START_TEST(every_taken_signal_has_a_route_or_is_usr2)
{
    for (const int *s = fr_signals; *s; s++)
        ck_assert(fr_signal_route(*s) != 0 || *s == SIGUSR2);
}
END_TEST

START_TEST(each_signal_is_kept_once_lowest_first)
{
    fr_signal_install();
    ck_assert_int_eq(fr_signal_take(), 0);
    raise(SIGUSR1);
    raise(SIGHUP);
    raise(SIGUSR1);
    ck_assert(!fr_signal_stopping());
    ck_assert_int_eq(fr_signal_take(), SIGHUP);
    ck_assert_int_eq(fr_signal_take(), SIGUSR1);
    ck_assert_int_eq(fr_signal_take(), 0);
    raise(SIGTERM);
    ck_assert(fr_signal_stopping());
    ck_assert_int_eq(fr_signal_take(), SIGTERM);
    ck_assert(fr_signal_stopping()); /* a stop stays a stop */
}
END_TEST

int main(void)
{
    Suite *su = suite_create("fr_signal");
    TCase *tc = tcase_create("routes");
    tcase_add_test(tc, stops_and_log_reopening_reach_both);
    tcase_add_test(tc, hup_reaches_the_proxy_after_appd);
    tcase_add_test(tc, appds_own_signals_never_reach_the_proxy);
    tcase_add_test(tc, every_taken_signal_has_a_route_or_is_usr2);
    tcase_add_test(tc, each_signal_is_kept_once_lowest_first);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

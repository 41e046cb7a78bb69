/* test_tc_ctl.c: Check tests for the control socket's request grammar
 * (common/tc_ctl.c) and its reply writer (common/tc_ctlout.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tc_ctl.h"

static int parse(const char *line, tc_ctl_req *req)
{
    char err[256];
    return tc_ctl_parse(line, strlen(line), req, err, sizeof err);
}

START_TEST(commands_and_arguments)
{
    tc_ctl_req r;
    ck_assert_int_eq(parse("show workers", &r), 0);
    ck_assert_int_eq(r.verb, TC_CTL_SHOW_WORKERS);
    ck_assert_int_eq(r.json, 0);
    ck_assert_int_eq(parse("json show stats", &r), 0);
    ck_assert_int_eq(r.verb, TC_CTL_SHOW_STATS);
    ck_assert_int_eq(r.json, 1);
    ck_assert_int_eq(parse("worker add", &r), 0);
    ck_assert_int_eq(r.verb, TC_CTL_WORKER_ADD);
    ck_assert_int_eq(r.arg, 1);
    ck_assert_int_eq(parse("worker remove 3", &r), 0);
    ck_assert_int_eq(r.arg, 3);
    ck_assert_int_eq(parse("worker kill 4242", &r), 0);
    ck_assert_int_eq(r.verb, TC_CTL_WORKER_KILL);
    ck_assert_int_eq(r.arg, 4242);
    ck_assert_int_eq(parse("shutdown", &r), 0);
    ck_assert_int_eq(r.verb, TC_CTL_SHUTDOWN);
    ck_assert_str_eq(tc_ctl_verb_name(TC_CTL_SHOW_CONNECTIONS), "show connections");
}
END_TEST

START_TEST(malformed_requests_refused)
{
    tc_ctl_req r;
    const char *bad[] = { "",
                          "show",
                          "show  workers",
                          " show workers",
                          "show workers ",
                          "Show workers",
                          "show workers\r",
                          "worker kill",
                          "worker kill 0",
                          "worker add -1",
                          "worker add 1234567890",
                          "worker add 2 3",
                          "reload now",
                          "json",
                          "json json help",
                          "show\tstats",
                          NULL };
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(parse(bad[i], &r) == -1, "accepted '%s'", bad[i]);
    char longer[TC_CTL_MAX_LINE + 2];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ck_assert_int_eq(parse(longer, &r), -1);
    char err[256] = "";
    ck_assert_int_eq(tc_ctl_parse("he\0lp", 5, &r, err, sizeof err), -1);
    ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(reply_as_json_and_text)
{
    tc_ctlout o;
    tc_ctlout_begin(&o, 1);
    tc_ctlout_int(&o, "n", 3);
    tc_ctlout_arr(&o, "items");
    tc_ctlout_obj(&o, NULL);
    tc_ctlout_str(&o, "name", "a\"b\n");
    tc_ctlout_bool(&o, "ok", 1);
    tc_ctlout_close(&o);
    tc_ctlout_close(&o);
    tc_ctlout_str(&o, "none", NULL);
    tc_ctlout_end(&o);
    ck_assert_str_eq(o.buf, "{\"n\":3,\"items\":[{\"name\":\"a\\\"b\\u000a\",\"ok\":true}],"
                            "\"none\":null}\n");
    tc_ctlout_free(&o);
    tc_ctlout_begin(&o, 0);
    tc_ctlout_int(&o, "n", 3);
    tc_ctlout_arr(&o, "items");
    tc_ctlout_obj(&o, NULL);
    tc_ctlout_str(&o, "name", "x");
    tc_ctlout_int(&o, "pid", 7);
    tc_ctlout_close(&o);
    tc_ctlout_close(&o);
    tc_ctlout_obj(&o, "sub");
    tc_ctlout_int(&o, "k", 1);
    tc_ctlout_end(&o);
    ck_assert_str_eq(o.buf, "n: 3\nitems:\n  name=x pid=7\nsub:\n  k: 1\n");
    tc_ctlout_free(&o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tc_ctl");
    TCase *tc = tcase_create("ctl");
    tcase_add_test(tc, commands_and_arguments);
    tcase_add_test(tc, malformed_requests_refused);
    tcase_add_test(tc, reply_as_json_and_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

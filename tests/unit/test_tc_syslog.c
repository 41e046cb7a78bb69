/* test_tc_syslog.c: Check tests for the syslog client (common/tc_syslog.c)
 * and the sinks both daemons open with it (common/tc_logsinks.c):
 * Gunicorn's address forms and facility names, RFC 3164 messages over UDP
 * (with the host), a Unix datagram socket (without it) and TCP (one line
 * each), batches of lines, and the error log's copy and its statsd counts. */
#include <check.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tc_check.h"
#include "tc_log.h"
#include "tc_logsinks.h"
#include "tc_syslog.h"

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    ck_assert_msg(regexec(&re, text, 0, NULL, 0) == 0, "'%s' does not match %s", text, pattern);
    regfree(&re);
}

START_TEST(facilities_and_addresses)
{
    ck_assert_int_eq(tc_syslog_facility("user"), 1);
    ck_assert_int_eq(tc_syslog_facility("LOCAL7"), 23);
    ck_assert_int_eq(tc_syslog_facility("security"), 4);
    ck_assert_int_eq(tc_syslog_facility("nosuch"), -1);
    char err[256];
    const char *good[] = { "udp://localhost:514", "udp://",          "udp://host",
                           "tcp://[::1]:601",     "unix:///dev/log", "unix:///dev/log#dgram",
                           "unix:///x#stream" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(tc_syslog_check_addr(good[i], err, sizeof err) == 0, "%s: %s", good[i], err);
    const char *bad[] = { "localhost:514", "udp://host:port", "unix://",
                          "unix:///x#raw", "tcp://[::1",      "udp://host:70000" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(tc_syslog_check_addr(bad[i], err, sizeof err) == -1, "%s accepted", bad[i]);
        ck_assert_msg(strstr(err, "--log-syslog-to") != NULL, "%s", err);
    }
}
END_TEST

START_TEST(udp_messages_carry_the_host)
{
    int port, fd = tc_check_loopback(SOCK_DGRAM, &port);
    char addr[64], err[256], pat[256];
    snprintf(addr, sizeof addr, "udp://127.0.0.1:%d", port);
    tc_syslog *sl = tc_syslog_open(addr, 19 /* local3 */, "tandem.proxy.error", err, sizeof err);
    ck_assert_msg(sl != NULL, "%s", err);
    tc_syslog_send(sl, TC_LOG_WARNING, "disk nearly full\n", 17);
    /* local3 * 8 + warning (4) */
    snprintf(pat, sizeof pat,
             "^<156>[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [^ ]+ "
             "tandem\\.proxy\\.error: \\[%d\\] disk nearly full$",
             (int)getpid());
    assert_matches(tc_check_receive(fd), pat);
    tc_syslog_send_lines(sl, TC_LOG_INFO, "one\ntwo\nthree\n", 14);
    const char *want[] = { "one", "two", "three" };
    for (int i = 0; i < 3; i++) {
        snprintf(pat, sizeof pat, "^<158>.* tandem\\.proxy\\.error: \\[[0-9]+\\] %s$", want[i]);
        assert_matches(tc_check_receive(fd), pat);
    }
    tc_syslog_close(sl);
    close(fd);
}
END_TEST

START_TEST(unix_messages_leave_the_host_out)
{
    char path[108];
    int fd = tc_check_unix_dgram(path, sizeof path);
    char addr[128], err[256];
    snprintf(addr, sizeof addr, "unix://%s", path);
    tc_syslog *sl = tc_syslog_open(addr, 1, "tandem.appd.error", err, sizeof err);
    ck_assert_msg(sl != NULL, "%s", err);
    tc_syslog_send(sl, TC_LOG_CRITICAL, "boom", 4);
    assert_matches(tc_check_receive(fd), "^<10>[A-Z][a-z]{2} [ 1-3][0-9] [0-9:]{8} "
                                         "tandem\\.appd\\.error: \\[[0-9]+\\] boom$");
    tc_syslog_close(sl);
    close(fd);
    unlink(path);
}
END_TEST

START_TEST(tcp_messages_end_in_newlines)
{
    int port, lfd = tc_check_loopback(SOCK_STREAM, &port);
    listen(lfd, 1);
    char addr[64], err[256];
    snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", port);
    tc_syslog *sl = tc_syslog_open(addr, 1, "tandem.proxy.access", err, sizeof err);
    ck_assert_msg(sl != NULL, "%s", err);
    int fd = accept(lfd, NULL, NULL);
    tc_check_timeout(fd);
    tc_syslog_send_lines(sl, TC_LOG_INFO, "a\nb\n", 4);
    char buf[1024];
    size_t got = 0;
    while (got < sizeof buf - 1) {
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "] b\n"))
            break;
    }
    assert_matches(buf, "^<14>[^\n]* tandem\\.proxy\\.access: \\[[0-9]+\\] a\n<14>[^\n]* "
                        "tandem\\.proxy\\.access: \\[[0-9]+\\] b\n$");
    tc_syslog_close(sl);
    close(fd);
    close(lfd);
}
END_TEST

START_TEST(error_log_goes_to_syslog_and_statsd)
{
    int sport, sfd = tc_check_loopback(SOCK_DGRAM, &sport), mport,
               mfd = tc_check_loopback(SOCK_DGRAM, &mport);
    char saddr[64], maddr[64], err[256];
    snprintf(saddr, sizeof saddr, "udp://127.0.0.1:%d", sport);
    snprintf(maddr, sizeof maddr, "127.0.0.1:%d", mport);
    tc_logsinks_conf c = { 1, saddr, NULL, "daemon", maddr, "site", "" };
    ck_assert_msg(tc_logsinks_open(&c, "appd", err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_nonnull(tc_logsinks_statsd());
    ck_assert_int_eq(tc_log_open("/dev/null", TC_LOG_INFO), 0);
    tc_error("worker %d is gone", 7);
    /* daemon (3) * 8 + error (3) */
    assert_matches(tc_check_receive(sfd),
                   "^<27>.* tandem\\.appd\\.error: \\[[0-9]+\\] worker 7 is gone$");
    ck_assert_str_eq(tc_check_receive(mfd), "site.gunicorn.log.error:1|c|@1.0");
    tc_info("fine");
    assert_matches(tc_check_receive(sfd), "^<30>.* tandem\\.appd\\.error: \\[[0-9]+\\] fine$");
    tc_crit("worse");
    tc_check_receive(sfd);
    ck_assert_str_eq(tc_check_receive(mfd), "site.gunicorn.log.critical:1|c|@1.0");
    tc_logsinks_close();
    c.syslog_prefix = "shop";
    tc_syslog *access = tc_logsinks_syslog(&c, "proxy", "access", err, sizeof err);
    tc_syslog_send(access, TC_LOG_INFO, "GET /", 5);
    assert_matches(tc_check_receive(sfd), " tandem\\.shop\\.access: \\[[0-9]+\\] GET /$");
    tc_syslog_close(access);
    close(sfd);
    close(mfd);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_syslog");
    TCase *tc = tcase_create("syslog");
    tcase_add_test(tc, facilities_and_addresses);
    tcase_add_test(tc, udp_messages_carry_the_host);
    tcase_add_test(tc, unix_messages_leave_the_host_out);
    tcase_add_test(tc, tcp_messages_end_in_newlines);
    tcase_add_test(tc, error_log_goes_to_syslog_and_statsd);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

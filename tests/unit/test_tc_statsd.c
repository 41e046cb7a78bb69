/* test_tc_statsd.c: Check tests for the statsd client (common/tc_statsd.c):
 * Gunicorn's address forms and prefix rule, its line syntax for counters,
 * gauges and timings (the ms float as Python writes it), dogstatsd tags,
 * and batches cut into datagrams at whole lines, over a real UDP socket;
 * and a reload of the daemons' clients (common/tc_logsinks.c). */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tc_check.h"
#include "tc_log.h"
#include "tc_logsinks.h"
#include "tc_statsd.h"

START_TEST(addresses)
{
    char err[256];
    const char *good[] = { "localhost:8125",  "localhost",    "127.0.0.1:9",
                           "[::1]:9",         "tcp://host:1", "unix:///run/statsd.sock",
                           "unix:/run/s.sock" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(tc_statsd_check_host(good[i], err, sizeof err) == 0, "%s: %s", good[i], err);
    const char *bad[] = { "host:abc", ":8125", "host:99999", "unix://", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(tc_statsd_check_host(bad[i], err, sizeof err) == -1, "%s accepted", bad[i]);
        ck_assert_msg(strstr(err, "statsd_host (--statsd-host)") != NULL, "%s", err);
    }
}
END_TEST

START_TEST(milliseconds_as_python_writes_them)
{
    static const struct {
        uint64_t us;
        const char *text;
    } cases[] = { { 0, "0.0" },          { 1, "0.001" },    { 10, "0.01" },
                  { 100, "0.1" },        { 1500, "1.5" },   { 2345678, "2345.678" },
                  { 1000000, "1000.0" }, { 12340, "12.34" } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[32];
        tc_statsd_ms(cases[i].us, b, sizeof b);
        ck_assert_str_eq(b, cases[i].text);
    }
}
END_TEST

START_TEST(lines_prefix_and_tags)
{
    int port, fd = tc_check_loopback(SOCK_DGRAM, &port);
    char host[64], err[256];
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    tc_statsd *sd = tc_statsd_open(host, "app...", "env:prod,team:web", err, sizeof err);
    ck_assert_msg(sd != NULL, "%s", err);
    tc_statsd_batch b = { .len = 0 };
    tc_statsd_count(sd, &b, "gunicorn.requests", 3);
    tc_statsd_gauge(sd, &b, "gunicorn.workers", 4);
    tc_statsd_timing(sd, &b, "gunicorn.request.duration", 1500);
    tc_statsd_flush(sd, &b);
    ck_assert_str_eq(tc_check_receive(fd),
                     "app.gunicorn.requests:3|c|@1.0|#env:prod,team:web\n"
                     "app.gunicorn.workers:4|g|#env:prod,team:web\n"
                     "app.gunicorn.request.duration:1.5|ms|#env:prod,team:web");
    ck_assert_uint_eq(b.len, 0);
    tc_statsd_flush(sd, &b); /* nothing: no empty datagram */
    tc_statsd_close(sd);
    /* no prefix, no tags: Gunicorn's bare names */
    sd = tc_statsd_open(host, "", "", err, sizeof err);
    tc_statsd_count(sd, &b, "gunicorn.log.error", 1);
    tc_statsd_flush(sd, &b);
    ck_assert_str_eq(tc_check_receive(fd), "gunicorn.log.error:1|c|@1.0");
    tc_statsd_close(sd);
    close(fd);
}
END_TEST

START_TEST(batches_cut_at_lines)
{
    int port, fd = tc_check_loopback(SOCK_DGRAM, &port);
    char host[64], err[256];
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    tc_statsd *sd = tc_statsd_open(host, "p", "", err, sizeof err);
    tc_statsd_batch b = { .len = 0 };
    for (int i = 0; i < 100; i++)
        tc_statsd_timing(sd, &b, "gunicorn.request.duration", 1000u * (uint64_t)i + 7);
    tc_statsd_flush(sd, &b);
    int lines = 0, datagrams = 0;
    while (lines < 100) {
        const char *d = tc_check_receive(fd);
        datagrams++;
        ck_assert_uint_le(strlen(d), TC_STATSD_DATAGRAM);
        for (const char *p = d; p; p = strchr(p, '\n')) {
            if (*p == '\n')
                p++;
            char want[64];
            snprintf(want, sizeof want, "p.gunicorn.request.duration:%d.007|ms", lines);
            ck_assert_int_eq(strncmp(p, want, strlen(want)), 0);
            lines++;
        }
    }
    ck_assert_int_gt(datagrams, 1);
    tc_statsd_close(sd);
    close(fd);
}
END_TEST

/* A reload reopens the client only when its settings changed; the
 * error log's warnings are counted through the one in use. */
START_TEST(reload_reopens_what_changed)
{
    int port, fd = tc_check_loopback(SOCK_DGRAM, &port);
    char host[64], err[256];
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    tc_logsinks_conf c = { .statsd_host = host, .statsd_prefix = "a" };
    ck_assert_int_eq(tc_logsinks_reload(&c, "test", err, sizeof err), 0);
    tc_statsd *first = tc_logsinks_statsd();
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(tc_logsinks_reload(&c, "test", err, sizeof err), 0);
    ck_assert_ptr_eq(tc_logsinks_statsd(), first);
    tc_warn("counted");
    ck_assert_str_eq(tc_check_receive(fd), "a.gunicorn.log.warning:1|c|@1.0");
    c.statsd_prefix = "b";
    ck_assert_int_eq(tc_logsinks_reload(&c, "test", err, sizeof err), 0);
    ck_assert_ptr_ne(tc_logsinks_statsd(), first);
    tc_warn("counted");
    ck_assert_str_eq(tc_check_receive(fd), "b.gunicorn.log.warning:1|c|@1.0");
    c.statsd_host = NULL;
    ck_assert_int_eq(tc_logsinks_reload(&c, "test", err, sizeof err), 0);
    ck_assert_ptr_null(tc_logsinks_statsd());
    tc_logsinks_close();
    close(fd);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_statsd");
    TCase *tc = tcase_create("statsd");
    tcase_add_test(tc, addresses);
    tcase_add_test(tc, milliseconds_as_python_writes_them);
    tcase_add_test(tc, lines_prefix_and_tags);
    tcase_add_test(tc, batches_cut_at_lines);
    tcase_add_test(tc, reload_reopens_what_changed);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_ad_settings.c: Check tests for tandem-appd's command line
 * (appd/ad_settings.c): defaults, Gunicorn flag names, derived values
 * (gthread), $WEB_CONCURRENCY, and error texts that name the flag and the
 * allowed values. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_settings.h"
#include "tc_log.h"
#include "tp.h"

static char err[1024];
static ad_settings s;

static int run(int argc, char **argv)
{
    FILE *out = fopen("/dev/null", "w");
    err[0] = '\0';
    int rc = ad_settings_parse(&s, argc, argv, out, err, sizeof err);
    fclose(out);
    return rc;
}

#define RUN(...) run(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *), (char *[]){__VA_ARGS__})

static void teardown(void)
{
    ad_settings_free(&s);
    unsetenv("WEB_CONCURRENCY");
}

START_TEST(defaults)
{
    ck_assert_int_eq(RUN("tandem-appd", "app:application"), AD_PARSE_OK);
    ck_assert_str_eq(s.bind, "unix:/run/tandem/app.sock");
    ck_assert_int_eq(s.workers, 1);
    ck_assert_str_eq(s.worker_class, "sync");
    ck_assert_int_eq(s.wclass, TP_CLASS_SYNC);
    ck_assert_int_eq(s.threads, 1);
    ck_assert_int_eq(s.timeout, 30);
    ck_assert_int_eq(s.graceful_timeout, 30);
    ck_assert_int_eq(s.backlog, 2048);
    ck_assert_int_eq(s.preload_app, 0);
    ck_assert_str_eq(s.errorlog, "-");
    ck_assert_int_eq(s.log_level, TC_LOG_INFO);
    ck_assert_ptr_null(s.pidfile);
    ck_assert_uint_eq(s.raw_env.n, 0);
    ck_assert_int_eq(s.max_requests, 0);
    ck_assert_str_eq(s.app_spec, "app:application");
}
END_TEST

START_TEST(gunicorn_flags)
{
    ck_assert_int_eq(RUN("tandem-appd", "-b", "unix:/tmp/x.sock", "-w", "4", "-k", "gthread",
                         "--threads", "8", "-t", "0", "--graceful-timeout=5", "--chdir", "/tmp",
                         "--pythonpath", "/a,/b", "--preload", "--backlog", "64", "--log-level",
                         "DEBUG", "--log-file", "/tmp/log", "-p", "/tmp/pid", "-e", "A=1,2",
                         "--env", "B=x=y", "-n", "mine", "--max-requests", "100",
                         "--max-requests-jitter", "10", "pkg.mod:make_app()"),
                     AD_PARSE_OK);
    ck_assert_str_eq(s.bind, "unix:/tmp/x.sock");
    ck_assert_int_eq(s.workers, 4);
    ck_assert_int_eq(s.wclass, TP_CLASS_GTHREAD);
    ck_assert_int_eq(s.threads, 8);
    ck_assert_int_eq(s.timeout, 0);
    ck_assert_int_eq(s.graceful_timeout, 5);
    ck_assert_str_eq(s.chdir, "/tmp");
    ck_assert_uint_eq(s.pythonpath.n, 2);
    ck_assert_str_eq(s.pythonpath.items[1], "/b");
    ck_assert_int_eq(s.preload_app, 1);
    ck_assert_int_eq(s.backlog, 64);
    ck_assert_int_eq(s.log_level, TC_LOG_DEBUG);
    ck_assert_str_eq(s.errorlog, "/tmp/log");
    ck_assert_str_eq(s.pidfile, "/tmp/pid");
    ck_assert_uint_eq(s.raw_env.n, 2);
    ck_assert_str_eq(s.raw_env.items[0], "A=1,2");          /* commas are not split */
    ck_assert_str_eq(s.raw_env.items[1], "B=x=y");
    ck_assert_str_eq(s.proc_name, "mine");
    ck_assert_int_eq(s.max_requests, 100);
    ck_assert_int_eq(s.max_requests_jitter, 10);
    ck_assert_str_eq(s.app_spec, "pkg.mod:make_app()");
}
END_TEST

START_TEST(threads_make_gthread)
{
    ck_assert_int_eq(RUN("tandem-appd", "--threads", "2", "a:b"), AD_PARSE_OK);
    ck_assert_int_eq(s.wclass, TP_CLASS_GTHREAD);
    ad_settings_free(&s);
    ck_assert_int_eq(RUN("tandem-appd", "-k", "gunicorn.workers.sync.SyncWorker", "a:b"),
                     AD_PARSE_OK);
    ck_assert_int_eq(s.wclass, TP_CLASS_SYNC);
    ad_settings_free(&s);
    ck_assert_int_eq(RUN("tandem-appd", "-k", "GTHREAD", "a:b"), AD_PARSE_OK);
    ck_assert_int_eq(s.wclass, TP_CLASS_GTHREAD);
}
END_TEST

START_TEST(web_concurrency)
{
    setenv("WEB_CONCURRENCY", "6", 1);
    ck_assert_int_eq(RUN("tandem-appd", "a:b"), AD_PARSE_OK);
    ck_assert_int_eq(s.workers, 6);
    ad_settings_free(&s);
    ck_assert_int_eq(RUN("tandem-appd", "-w", "3", "a:b"), AD_PARSE_OK);   /* flag wins */
    ck_assert_int_eq(s.workers, 3);
    ad_settings_free(&s);
    setenv("WEB_CONCURRENCY", "lots", 1);
    ck_assert_int_eq(RUN("tandem-appd", "a:b"), AD_PARSE_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "WEB_CONCURRENCY"));
    ck_assert_ptr_nonnull(strstr(err, "'lots'"));
}
END_TEST

static void expect_error(int argc, char **argv, const char *needle)
{
    ck_assert_int_eq(run(argc, argv), AD_PARSE_ERROR);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s' not in '%s'", needle, err);
    ad_settings_free(&s);
}
#define ERR(needle, ...) \
    expect_error(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *), (char *[]){__VA_ARGS__}, needle)

START_TEST(errors_name_the_flag)
{
    ERR("unrecognized option '--no-such-flag'", "tandem-appd", "--no-such-flag", "a:b");
    ERR("unrecognized option '-Z'", "tandem-appd", "-Z", "a:b");
    ERR("workers (--workers): 0 is out of range (allowed: 1..1024)", "tandem-appd", "-w", "0",
        "a:b");
    ERR("workers (--workers): 'two' is not an integer", "tandem-appd", "--workers", "two", "a:b");
    ERR("'tornado' is not a worker class (choose from sync, gthread, asgi, gevent, eventlet)",
        "tandem-appd", "-k", "tornado", "a:b");
    ERR("'asgi' is not supported yet", "tandem-appd", "-k", "asgi", "a:b");
    ERR("'gevent' is not supported yet", "tandem-appd", "--worker-class", "gevent", "a:b");
    ERR("'uvicorn.workers.UvicornWorker' is not supported yet", "tandem-appd", "-k",
        "uvicorn.workers.UvicornWorker", "a:b");
    ERR("threads (--threads): 0 is out of range", "tandem-appd", "--threads", "0", "a:b");
    ERR("timeout (--timeout): -1 is out of range", "tandem-appd", "-t", "-1", "a:b");
    ERR("loglevel (--log-level): 'loud' is not a level", "tandem-appd", "--log-level", "loud",
        "a:b");
    ERR("raw_env (-e/--env): 'NOEQUALS' is not KEY=VALUE", "tandem-appd", "-e", "NOEQUALS",
        "a:b");
    ERR("option '--bind' requires a value", "tandem-appd", "a:b", "--bind");
    ERR("no application given", "tandem-appd", "-w", "2");
    ERR("unexpected argument 'c:d'", "tandem-appd", "a:b", "c:d");
    ERR("no callable after ':'", "tandem-appd", "a:");
    ERR("no module name", "tandem-appd", ":app");
    ERR("preload_app (--preload): 'maybe' is not a boolean", "tandem-appd", "--preload=maybe",
        "a:b");
}
END_TEST

START_TEST(help_and_version)
{
    ck_assert_int_eq(RUN("tandem-appd", "--bogus", "--help"), AD_PARSE_EXIT);
    ck_assert_int_eq(RUN("tandem-appd", "-v"), AD_PARSE_EXIT);
    /* after "--", -h is the application's name, not a flag */
    ck_assert_int_eq(RUN("tandem-appd", "--", "-h"), AD_PARSE_OK);
    ck_assert_str_eq(s.app_spec, "-h");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ad_settings");
    TCase *tc = tcase_create("settings");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, gunicorn_flags);
    tcase_add_test(tc, threads_make_gthread);
    tcase_add_test(tc, web_concurrency);
    tcase_add_test(tc, errors_name_the_flag);
    tcase_add_test(tc, help_and_version);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

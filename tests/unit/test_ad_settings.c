/* test_ad_settings.c: Check tests for tandem-appd's command line
 * (appd/ad_settings.c): defaults, Gunicorn flag names, derived values
 * (gthread), $WEB_CONCURRENCY, error texts that name the flag and the
 * allowed values, and the order of the sources: defaults, the config file
 * (through a loader standing in for Python), GUNICORN_CMD_ARGS,
 * TANDEM_CMD_ARGS, the command line. */
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

#define RUN(...) run(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *), (char *[]){ __VA_ARGS__ })

static void teardown(void)
{
    ad_settings_free(&s);
    unsetenv("WEB_CONCURRENCY");
    unsetenv("GUNICORN_CMD_ARGS");
    unsetenv("TANDEM_CMD_ARGS");
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

START_TEST(asgi_and_gevent)
{
    ck_assert_int_eq(RUN("tandem-appd", "-k", "asgi", "a:b"), AD_PARSE_OK);
    ck_assert_int_eq(s.wclass, TP_CLASS_ASGI);
    ck_assert_int_eq(s.worker_connections, 1000);
    ck_assert_int_eq(s.asgi_loop, AD_LOOP_AUTO);
    ck_assert_int_eq(s.asgi_lifespan, AD_LIFESPAN_AUTO);
    ck_assert_int_eq(s.asgi_disconnect_grace_period, 3);
    ck_assert_str_eq(s.root_path, "");
    ck_assert_ptr_null(s.wclass_alias);
    ad_settings_free(&s);
    ck_assert_int_eq(RUN("tandem-appd", "-k", "uvicorn.workers.UvicornWorker", "--asgi-loop",
                         "asyncio", "--asgi-lifespan", "off", "--worker-connections", "50",
                         "--asgi-disconnect-grace-period", "0", "--root-path", "/api", "a:b"),
                     AD_PARSE_OK);
    ck_assert_str_eq(s.worker_class, "asgi");
    ck_assert_int_eq(s.wclass, TP_CLASS_ASGI);
    ck_assert_str_eq(s.wclass_alias, "uvicorn.workers.UvicornWorker");
    ck_assert_int_eq(s.asgi_loop, AD_LOOP_ASYNCIO);
    ck_assert_int_eq(s.asgi_lifespan, AD_LIFESPAN_OFF);
    ck_assert_int_eq(s.worker_connections, 50);
    ck_assert_int_eq(s.asgi_disconnect_grace_period, 0);
    ck_assert_str_eq(s.root_path, "/api");
    ck_assert_str_eq(ad_worker_class_name(s.wclass), "asgi");
    ad_settings_free(&s);
    ck_assert_int_eq(RUN("tandem-appd", "-k", "gunicorn.workers.ggevent.GeventWorker", "a:b"),
                     AD_PARSE_OK);
    ck_assert_int_eq(s.wclass, TP_CLASS_GEVENT);
    ck_assert_str_eq(ad_worker_class_name(s.wclass), "gevent");
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
    ck_assert_str_eq(s.raw_env.items[0], "A=1,2"); /* commas are not split */
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
    ck_assert_int_eq(RUN("tandem-appd", "-w", "3", "a:b"), AD_PARSE_OK); /* flag wins */
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
#define ERR(needle, ...)                                                                        \
    expect_error(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *), (char *[]){ __VA_ARGS__ }, \
                 needle)

START_TEST(errors_name_the_flag)
{
    ERR("unrecognized option '--no-such-flag'", "tandem-appd", "--no-such-flag", "a:b");
    ERR("unrecognized option '-Z'", "tandem-appd", "-Z", "a:b");
    ERR("workers (--workers): 0 is out of range (allowed: 1..1024)", "tandem-appd", "-w", "0",
        "a:b");
    ERR("workers (--workers): 'two' is not an integer", "tandem-appd", "--workers", "two", "a:b");
    ERR("'meinheld' is not a worker class (choose from sync, gthread, asgi, gevent)", "tandem-appd",
        "-k", "meinheld", "a:b");
    ERR("'tornado' is not supported (tandem runs no Tornado IOLoop: serve Tornado's WSGI adapter "
        "with gthread, or an asyncio app with asgi)",
        "tandem-appd", "-k", "tornado", "a:b");
    ERR("'eventlet' is not supported (Gunicorn 26 dropped eventlet: use gevent", "tandem-appd",
        "--worker-class", "eventlet", "a:b");
    ERR("'gunicorn.workers.geventlet.EventletWorker' is not supported (Gunicorn 26 dropped",
        "tandem-appd", "-k", "gunicorn.workers.geventlet.EventletWorker", "a:b");
    ERR("asgi_loop (--asgi-loop)", "tandem-appd", "--asgi-loop", "trio", "a:b");
    ERR("asgi_lifespan (--asgi-lifespan)", "tandem-appd", "--asgi-lifespan", "maybe", "a:b");
    ERR("worker_connections (--worker-connections): 0 is out of range", "tandem-appd",
        "--worker-connections", "0", "a:b");
    ERR("threads (--threads): 0 is out of range", "tandem-appd", "--threads", "0", "a:b");
    ERR("timeout (--timeout): -1 is out of range", "tandem-appd", "-t", "-1", "a:b");
    ERR("loglevel (--log-level): 'loud' is not a level", "tandem-appd", "--log-level", "loud",
        "a:b");
    ERR("raw_env (-e/--env): 'NOEQUALS' is not KEY=VALUE", "tandem-appd", "-e", "NOEQUALS", "a:b");
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

/* A config file as ad_config.c would read it: settings by key. */
static char loaded_from[256];
static int fake_file(const char *location, ad_settings *st, void *ctx, char *e, size_t len)
{
    const char *const *kv = ctx;
    snprintf(loaded_from, sizeof loaded_from, "%s", location);
    for (; kv[0]; kv += 2)
        if (tc_opt_set(tc_opt_find_key(ad_settings_table, kv[0]), st, kv[1], e, len))
            return -1;
    return 0;
}

static int run_with_file(const char *const *kv, int argc, char **argv)
{
    FILE *out = fopen("/dev/null", "w");
    err[0] = loaded_from[0] = '\0';
    ad_settings_free(&s);
    int rc = ad_settings_load(&s, argc, argv, out, fake_file, (void *)kv, err, sizeof err);
    fclose(out);
    return rc;
}

#define RUN_FILE(kv, ...) \
    run_with_file(kv, sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *), (char *[]){ __VA_ARGS__ })

START_TEST(sources_in_gunicorns_order)
{
    static const char *const file[] = { "workers", "2",   "threads",  "2",        "timeout", "2",
                                        "raw_env", "F=1", "wsgi_app", "site:app", NULL };
    setenv("WEB_CONCURRENCY", "9", 1);
    setenv("GUNICORN_CMD_ARGS", "-w 3 --threads 3 -e G=1 --bind 0.0.0.0:80 --keep-alive 5", 1);
    setenv("TANDEM_CMD_ARGS", "-w 4 -e T=1 -e T=2", 1);
    ck_assert_int_eq(RUN_FILE(file, "tandem-appd", "-c", "g.py", "-w", "5", "a:b"), AD_PARSE_OK);
    ck_assert_str_eq(loaded_from, "g.py");
    ck_assert_int_eq(s.workers, 5);    /* command line */
    ck_assert_int_eq(s.threads, 3);    /* GUNICORN_CMD_ARGS over the file */
    ck_assert_int_eq(s.timeout, 2);    /* the file over the default */
    ck_assert_uint_eq(s.raw_env.n, 2); /* TANDEM_CMD_ARGS' list replaces the others' */
    ck_assert_str_eq(s.raw_env.items[0], "T=1");
    /* the variables' --bind is the public listener's (the proxy's) */
    ck_assert_str_eq(s.bind, "unix:/run/tandem/app.sock");
    ck_assert_str_eq(s.app_spec, "a:b");
    ck_assert_str_eq(s.config, "g.py");
    unsetenv("GUNICORN_CMD_ARGS");
    unsetenv("TANDEM_CMD_ARGS");
    /* the file over $WEB_CONCURRENCY; its wsgi_app when the command line names none */
    ck_assert_int_eq(RUN_FILE(file, "tandem-appd", "--config=g.py"), AD_PARSE_OK);
    ck_assert_int_eq(s.workers, 2);
    ck_assert_str_eq(s.app_spec, "site:app");
    ck_assert_int_eq(RUN_FILE(file + 10, "tandem-appd", "-c", "g.py", "a:b"), AD_PARSE_OK);
    ck_assert_int_eq(s.workers, 9);
}
END_TEST

START_TEST(source_errors)
{
    static const char *const bad[] = { "workers", "0", NULL };
    ck_assert_int_eq(RUN_FILE(bad, "tandem-appd", "-c", "g.py", "a:b"), AD_PARSE_ERROR);
    ck_assert_str_eq(err, "workers (--workers): 0 is out of range (allowed: 1..1024)");
    static const char *const none[] = { NULL };
    setenv("GUNICORN_CMD_ARGS", "--workers=x", 1);
    ck_assert_int_eq(RUN_FILE(none, "tandem-appd", "a:b"), AD_PARSE_ERROR);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: workers (--workers): 'x' is not an integer "
                          "(allowed: 1..1024)");
    setenv("GUNICORN_CMD_ARGS", "--max-queue 3 --upstream unix:/x --proxy-threads=2", 1);
    ck_assert_int_eq(RUN_FILE(none, "tandem-appd", "a:b"), AD_PARSE_OK); /* the proxy's */
    ck_assert_ptr_null(loaded_from[0] ? loaded_from : NULL);             /* no file, none read */
    ck_assert_int_eq(RUN_FILE(none, "tandem-appd", "--max-queue", "3", "a:b"), AD_PARSE_ERROR);
    ck_assert_str_eq(err, "option '--max-queue' is tandem-proxy's, not tandem-appd's (see "
                          "tandem-proxy(8), or run both with tandem)");
    ck_assert_int_eq(RUN_FILE(none, "tandem-appd", "--wokers", "3", "a:b"), AD_PARSE_ERROR);
    ck_assert_str_eq(err, "unrecognized option '--wokers' (see --help); did you mean --workers?");
    ck_assert_int_eq(RUN_FILE(none, "tandem-appd", "-w", "2"), AD_PARSE_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "no application given"));
    ck_assert_int_eq(RUN_FILE(none, "tandem-appd", "--export-proxy-config", "-"), AD_PARSE_OK);
    ck_assert_ptr_null(s.app_spec);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ad_settings");
    TCase *tc = tcase_create("settings");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, gunicorn_flags);
    tcase_add_test(tc, asgi_and_gevent);
    tcase_add_test(tc, threads_make_gthread);
    tcase_add_test(tc, web_concurrency);
    tcase_add_test(tc, errors_name_the_flag);
    tcase_add_test(tc, help_and_version);
    tcase_add_test(tc, sources_in_gunicorns_order);
    tcase_add_test(tc, source_errors);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

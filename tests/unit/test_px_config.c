/* test_px_config.c: Check tests for tandem-proxy's settings from all their
 * sources (proxy/px_config.c): $PORT and $FORWARDED_ALLOW_IPS as defaults,
 * a gunicorn.conf.py read as literals (the default one too), then
 * GUNICORN_CMD_ARGS, TANDEM_CMD_ARGS and the command line, each overriding
 * the one before; appd's names left to it; what needs Python refused with a
 * way to have it evaluated. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "px_config.h"

static px_settings s;
static char err[2048];
static char dir[] = "/tmp/px_config_XXXXXX", old[PATH_MAX];

static void setup(void)
{
    ck_assert_ptr_nonnull(getcwd(old, sizeof old));
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
    memset(&s, 0, sizeof s);
    err[0] = '\0';
}

static void teardown(void)
{
    tc_opt_free(px_settings_table, &s);
    unlink("gunicorn.conf.py");
    unlink("other.py");
    ck_assert_int_eq(chdir(old), 0);
    rmdir(dir);
    memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
    const char *vars[] = { "GUNICORN_CMD_ARGS", "TANDEM_CMD_ARGS", "PORT", "FORWARDED_ALLOW_IPS" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int load(int argc, char **argv)
{
    tc_opt_free(px_settings_table, &s);
    FILE *out = fopen("/dev/null", "w");
    int rc = px_config_load(&s, argc, argv, out, err, sizeof err);
    fclose(out);
    return rc;
}

#define LOAD(...)                                                            \
    load(sizeof((char *[]){ "tandem-proxy", __VA_ARGS__ }) / sizeof(char *), \
         (char *[]){ "tandem-proxy", __VA_ARGS__ })

START_TEST(defaults_from_the_environment)
{
    ck_assert_int_eq(LOAD("--timeout", "3"), PX_LOAD_OK);
    ck_assert_str_eq(s.bind.items[0], "127.0.0.1:8000");
    ck_assert_ptr_null(s.config);
    setenv("PORT", "5000", 1);
    setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8, 192.168.1.1", 1);
    ck_assert_int_eq(LOAD("--timeout", "3"), PX_LOAD_OK);
    ck_assert_uint_eq(s.bind.n, 1);
    ck_assert_str_eq(s.bind.items[0], "0.0.0.0:5000");
    ck_assert_uint_eq(s.forwarded_allow_ips.n, 2);
    ck_assert_str_eq(s.forwarded_allow_ips.items[1], "192.168.1.1");
    /* a default: any source replaces it */
    ck_assert_int_eq(LOAD("-b", "[::1]:1"), PX_LOAD_OK);
    ck_assert_uint_eq(s.bind.n, 1);
    ck_assert_str_eq(s.bind.items[0], "[::1]:1");
}
END_TEST

START_TEST(file_then_variables_then_command_line)
{
    write_file("gunicorn.conf.py", "import os\n"
                                   "workers = os.cpu_count() * 2 + 1   # appd's: never read here\n"
                                   "threads = 8                        # the workers' threads\n"
                                   "def post_fork(server, worker): pass\n"
                                   "bind = ['127.0.0.1:1', '127.0.0.1:2']\n"
                                   "keepalive = 1\n"
                                   "timeout = 1\n"
                                   "graceful_timeout = 1\n"
                                   "proxy_threads = 1\n"
                                   "http_protocols = ['h1']\n"
                                   "limit_request_field_size = 1_024\n");
    setenv("GUNICORN_CMD_ARGS", "--keep-alive 2 --timeout 2 --threads 16 -b 127.0.0.1:3", 1);
    setenv("TANDEM_CMD_ARGS", "--keep-alive 3 --proxy-threads 3", 1);
    ck_assert_int_eq(LOAD("--keepalive", "4"), PX_LOAD_OK);
    ck_assert_int_eq(s.keepalive, 4);
    ck_assert_int_eq(s.threads, 3);
    ck_assert_int_eq(s.timeout, 2);
    ck_assert_int_eq(s.graceful_timeout, 1);
    ck_assert_uint_eq(s.bind.n, 1);
    ck_assert_str_eq(s.bind.items[0], "127.0.0.1:3");
    ck_assert_uint_eq(s.http_protocols.n, 1);
    ck_assert_int_eq(s.limit_request_field_size, 1024);
    ck_assert_ptr_nonnull(strstr(s.config, "/gunicorn.conf.py")); /* found by default */
    unsetenv("GUNICORN_CMD_ARGS");
    unsetenv("TANDEM_CMD_ARGS");
    ck_assert_int_eq(LOAD("--timeout=9"), PX_LOAD_OK);
    ck_assert_int_eq(s.keepalive, 1);
    ck_assert_int_eq(s.timeout, 9);
    ck_assert_uint_eq(s.bind.n, 2);
    ck_assert_int_eq(s.threads, 1);
}
END_TEST

START_TEST(named_file_wins_over_the_default)
{
    write_file("gunicorn.conf.py", "keepalive = 1\n");
    write_file("other.py", "keepalive = 7\n");
    ck_assert_int_eq(LOAD("-c", "other.py"), PX_LOAD_OK);
    ck_assert_int_eq(s.keepalive, 7);
    ck_assert_str_eq(s.config, "other.py");
    setenv("GUNICORN_CMD_ARGS", "--config other.py", 1);
    ck_assert_int_eq(LOAD("-t", "1"), PX_LOAD_OK);
    ck_assert_int_eq(s.keepalive, 7);
    ck_assert_int_eq(LOAD("-c", "nosuch.py"), PX_LOAD_ERROR);
    ck_assert_str_eq(err, "cannot read config file nosuch.py: No such file or directory");
}
END_TEST

START_TEST(what_needs_python_is_refused)
{
    write_file("gunicorn.conf.py", "import os\n\nbind = '0.0.0.0:' + os.environ['PORT']\n");
    ck_assert_int_eq(LOAD("-t", "1"), PX_LOAD_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "/gunicorn.conf.py:3: bind: the value is computed"));
    ck_assert_ptr_nonnull(strstr(err, "tandem -c "));
    ck_assert_ptr_nonnull(strstr(err, "--export-proxy-config - > proxy.conf.py"));
    ck_assert_int_eq(LOAD("-c", "python:site.conf"), PX_LOAD_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "config 'python:site.conf': tandem-proxy reads files, "
                                      "not modules"));
}
END_TEST

START_TEST(file_errors_name_file_and_line)
{
    write_file("other.py", "keepalive = 5\nhttp_protocols = 'h2,h3'\n");
    ck_assert_int_eq(LOAD("-c", "other.py"), PX_LOAD_ERROR);
    ck_assert_str_eq(err, "other.py:2: http_protocols: unknown protocol 'h3' (allowed: h2, h1)");
    write_file("other.py", "forwarded_allow_ips = ['10.0.0.1', 'nope']\n");
    ck_assert_int_eq(LOAD("-c", "other.py"), PX_LOAD_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "other.py:1: forwarded_allow_ips: "));
    write_file("other.py", "loglevel = 'loud'\n");
    ck_assert_int_eq(LOAD("-c", "other.py"), PX_LOAD_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "other.py:1: loglevel: 'loud' is not one of"));
    write_file("other.py", "worker = 2\n");
    ck_assert_int_eq(LOAD("-c", "other.py"), PX_LOAD_ERROR);
    ck_assert_str_eq(err, "other.py:1: unknown setting 'worker'; did you mean 'workers'? (names "
                          "of your own must start with '_')");
    write_file("other.py", "keepalive = (\n");
    ck_assert_int_eq(LOAD("-c", "other.py"), PX_LOAD_ERROR);
    ck_assert_str_eq(err, "other.py:1: '(' was never closed");
}
END_TEST

START_TEST(command_line_errors)
{
    ck_assert_int_eq(LOAD("-w", "2"), PX_LOAD_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "option '-w' is tandem-appd's"));
    ck_assert_int_eq(LOAD("--check-config", "--spew"), PX_LOAD_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "is a Gunicorn setting tandem does not support yet"));
    setenv("GUNICORN_CMD_ARGS", "--keep-alive x", 1);
    ck_assert_int_eq(LOAD("-t", "1"), PX_LOAD_ERROR);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: keepalive (--keep-alive): 'x' is not an integer "
                          "(allowed: 0..86400)");
    ck_assert_int_eq(LOAD("--help"), PX_LOAD_EXIT);
    ck_assert_int_eq(LOAD("-v"), PX_LOAD_EXIT);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults_from_the_environment);
    tcase_add_test(tc, file_then_variables_then_command_line);
    tcase_add_test(tc, named_file_wins_over_the_default);
    tcase_add_test(tc, what_needs_python_is_refused);
    tcase_add_test(tc, file_errors_name_file_and_line);
    tcase_add_test(tc, command_line_errors);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_tc_conf.c: Check tests for the sources of settings (common/tc_conf.c,
 * tc_shlex.c, tc_gunicorn.c): what each config key is to a daemon, values
 * from a file by the row's type, a file applied with its errors and lines,
 * the command line and GUNICORN_CMD_ARGS, where the config file is, and
 * each source replacing the one before. */
#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc_conf.h"
#include "tc_gunicorn.h"
#include "tc_shlex.h"

/* Two small daemons sharing names as the real two do. */
struct mine {
    tc_strlist bind;
    long long keepalive;
    long long threads;
    long long timeout;
    char *pidfile;
    int check_config;
    char *config;
    tc_strlist secure;
    int pp;
};

struct theirs {
    char *bind;
    long long workers;
    long long threads;
    long long timeout;
    int preload;
    char *pidfile;
};

#define M(f) offsetof(struct mine, f)

static const char *const pp_modes[] = { "off", "v1", "v2", "auto", NULL };
#define T(f) offsetof(struct theirs, f)

/* A settings table laid out by hand. */
/* clang-format off */
static const tc_opt mine_table[] = {
    { .key = "bind", .flag = "--bind", .short_flag = 'b', .type = TC_OPT_LIST, .offset = M(bind),
      .def = "127.0.0.1:8000", .metavar = "ADDRESS" },
    { .key = "keepalive", .flag = "--keep-alive", .type = TC_OPT_INT, .offset = M(keepalive),
      .min = 0, .max = 60, .def = "2", .metavar = "INT", .aliases = "--keepalive" },
    { .key = "proxy_threads", .flag = "--threads", .type = TC_OPT_INT, .offset = M(threads),
      .min = 0, .max = 8, .def = "0", .metavar = "INT", .aliases = "--proxy-threads",
      .flags = TC_OPT_OWN_FLAG },
    { .key = "timeout", .flag = "--timeout", .short_flag = 't', .type = TC_OPT_INT,
      .offset = M(timeout), .min = 0, .max = 100, .def = "30", .metavar = "INT" },
    { .key = "pidfile", .flag = "--pid", .short_flag = 'p', .type = TC_OPT_STR, .offset = M(pidfile),
      .metavar = "FILE", .flags = TC_OPT_OWN_KEY | TC_OPT_OWN_FLAG },
    { .key = "check_config", .flag = "--check-config", .type = TC_OPT_BOOL,
      .offset = M(check_config), .def = "false", .flags = TC_OPT_CLI_ONLY },
    { .key = "config", .flag = "--config", .short_flag = 'c', .type = TC_OPT_STR,
      .offset = M(config), .metavar = "FILE", .flags = TC_OPT_CLI_ONLY },
    { .key = "secure_scheme_headers", .type = TC_OPT_DICT, .offset = M(secure),
      .def = "X-FORWARDED-PROTO=https" },
    { .key = "proxy_protocol", .flag = "--proxy-protocol", .type = TC_OPT_CHOICE,
      .offset = M(pp), .def = "off", .metavar = "MODE", .choices = pp_modes, .bare = "auto" },
    TC_OPT_END,
};
/* clang-format on */

/* A settings table laid out by hand. */
/* clang-format off */
static const tc_opt their_table[] = {
    { .key = "bind", .flag = "--bind", .short_flag = 'b', .type = TC_OPT_STR, .offset = T(bind),
      .metavar = "ADDRESS", .flags = TC_OPT_OWN_KEY | TC_OPT_OWN_FLAG },
    { .key = "workers", .flag = "--workers", .short_flag = 'w', .type = TC_OPT_INT,
      .offset = T(workers), .min = 1, .max = 64, .def = "1", .metavar = "INT" },
    { .key = "threads", .flag = "--threads", .type = TC_OPT_INT, .offset = T(threads), .min = 1,
      .max = 64, .def = "1", .metavar = "INT" },
    { .key = "timeout", .flag = "--timeout", .short_flag = 't', .type = TC_OPT_INT,
      .offset = T(timeout), .min = 0, .max = 100, .def = "30", .metavar = "INT" },
    { .key = "preload_app", .flag = "--preload", .type = TC_OPT_BOOL, .offset = T(preload),
      .def = "false" },
    { .key = "pidfile", .flag = "--pid", .short_flag = 'p', .type = TC_OPT_STR, .offset = T(pidfile),
      .metavar = "FILE" },
    TC_OPT_END,
};
/* clang-format on */

static const tc_conf_space proxyish = { "tandem-proxy", mine_table, "tandem-appd",
                                        their_table,    0,          NULL };
static const tc_conf_space appdish = { "tandem-appd", their_table, "tandem-proxy",
                                       mine_table,    1,           NULL };

static struct mine m;
static char err[1024];

static void setup(void)
{
    memset(&m, 0, sizeof m);
    ck_assert_int_eq(tc_opt_defaults(mine_table, &m, err, sizeof err), 0);
    err[0] = '\0';
}

static void teardown(void)
{
    tc_opt_free(mine_table, &m);
    unsetenv("GUNICORN_CMD_ARGS");
    unsetenv("TANDEM_CMD_ARGS");
}

static int kind(const tc_conf_space *sp, const char *key)
{
    const tc_opt *row;
    return tc_conf_key(sp, key, &row);
}

START_TEST(what_a_key_is)
{
    const tc_opt *row;
    ck_assert_int_eq(tc_conf_key(&proxyish, "keepalive", &row), TC_KEY_MINE);
    ck_assert_str_eq(row->key, "keepalive");
    ck_assert_int_eq(kind(&proxyish, "workers"), TC_KEY_OTHERS);
    ck_assert_int_eq(kind(&proxyish, "timeout"), TC_KEY_MINE | TC_KEY_OTHERS);
    /* the other's bind is its own; the file's is this one's */
    ck_assert_int_eq(kind(&proxyish, "bind"), TC_KEY_MINE);
    ck_assert_int_eq(kind(&appdish, "bind"), TC_KEY_OTHERS);
    ck_assert_int_eq(kind(&proxyish, "pidfile"), TC_KEY_OTHERS);
    ck_assert_int_eq(kind(&appdish, "pidfile"), TC_KEY_MINE);
    ck_assert_int_eq(kind(&proxyish, "proxy_threads"), TC_KEY_MINE);
    ck_assert_int_eq(kind(&proxyish, "threads"), TC_KEY_OTHERS);
    ck_assert_int_eq(kind(&proxyish, "check_config"), TC_KEY_CLI_ONLY);
    ck_assert_int_eq(kind(&proxyish, "config"), TC_KEY_CLI_ONLY);
    ck_assert_int_eq(kind(&proxyish, "accesslog"), TC_KEY_UNSUPPORTED);
    ck_assert_int_eq(kind(&proxyish, "wokers"), TC_KEY_UNKNOWN);
    /* Gunicorn's server hooks are appd's */
    ck_assert_int_eq(tc_conf_key(&appdish, "post_fork", &row), TC_KEY_MINE);
    ck_assert_ptr_null(row);
    ck_assert_int_eq(kind(&proxyish, "post_fork"), TC_KEY_OTHERS);
    ck_assert_int_eq(kind(&proxyish, "dirty_post_fork"), TC_KEY_UNSUPPORTED);
}
END_TEST

static const char *key_error(const char *key)
{
    tc_conf_key_error(&proxyish, key, kind(&proxyish, key), err, sizeof err);
    return err;
}

START_TEST(key_errors)
{
    ck_assert_str_eq(key_error("wokers"), "unknown setting 'wokers'; did you mean 'workers'? "
                                          "(names of your own must start with '_')");
    ck_assert_str_eq(key_error("acesslog"), "unknown setting 'acesslog'; did you mean "
                                            "'accesslog'? (names of your own must start with '_')");
    ck_assert_str_eq(key_error("port"), "unknown setting 'port' (names of your own must start "
                                        "with '_')");
    ck_assert_str_eq(key_error("accesslog"), "'accesslog' is a Gunicorn setting tandem does not "
                                             "support yet");
    ck_assert_str_eq(key_error("check_config"), "'check_config' is a command-line setting, not "
                                                "for a config file");
    /* refused for good, with what to use instead */
    ck_assert_str_eq(key_error("ssl_version"),
                     "'ssl_version' is deprecated by Gunicorn (ignored since 21.0) and not taken "
                     "by tandem: set the least TLS version with tls_min_version "
                     "(--tls-min-version 1.2 or 1.3)");
}
END_TEST

/* value must be a literal: "x = <value>" read by tc_pyconf. */
static int set_value(const char *key, const char *value)
{
    char src[512];
    tc_pyconf c;
    int line;
    snprintf(src, sizeof src, "x = %s\n", value);
    ck_assert_int_eq(tc_pyconf_parse(src, strlen(src), &c, &line, err, sizeof err), 0);
    ck_assert_ptr_nonnull(c.v[0].value);
    int rc = tc_conf_set_value(tc_opt_find_key(mine_table, key), &m, c.v[0].value, err, sizeof err);
    tc_pyconf_free(&c);
    return rc;
}

START_TEST(values_by_type)
{
    ck_assert_int_eq(set_value("keepalive", "5"), 0);
    ck_assert_int_eq(m.keepalive, 5);
    ck_assert_int_eq(set_value("keepalive", "'7'"), 0); /* Gunicorn takes "7" too */
    ck_assert_int_eq(m.keepalive, 7);
    ck_assert_int_eq(set_value("keepalive", "61"), -1);
    ck_assert_str_eq(err, "keepalive (--keep-alive): 61 is out of range (allowed: 0..60)");
    ck_assert_int_eq(set_value("keepalive", "2.5"), -1);
    ck_assert_str_eq(err, "keepalive (--keep-alive): 2.5 is a float, not an int "
                          "(allowed: 0..60)");
    ck_assert_int_eq(set_value("keepalive", "True"), -1);
    ck_assert_str_eq(err, "keepalive (--keep-alive): True is a bool, not an int (allowed: 0..60)");
    ck_assert_int_eq(set_value("keepalive", "99999999999999999999"), -1);
    ck_assert_str_eq(err, "keepalive (--keep-alive): 99999999999999999999 is out of range "
                          "(allowed: 0..60)");
    ck_assert_int_eq(set_value("keepalive", "None"), -1);
    ck_assert_str_eq(err, "keepalive (--keep-alive): None is not allowed");
    ck_assert_int_eq(set_value("check_config", "True"), 0);
    ck_assert_int_eq(m.check_config, 1);
    ck_assert_int_eq(set_value("check_config", "1"), -1);
    ck_assert_str_eq(err, "check_config (--check-config): 1 is an int, not True or False");
    ck_assert_int_eq(set_value("config", "'x.py'"), 0);
    ck_assert_str_eq(m.config, "x.py");
    ck_assert_int_eq(set_value("config", "None"), 0);
    ck_assert_ptr_null(m.config);
    ck_assert_int_eq(set_value("config", "['x']"), -1);
    ck_assert_str_eq(err, "config (--config): ['x'] is a list, not a str");
    ck_assert_int_eq(set_value("config", "{'a': 1}"), -1);
}
END_TEST

START_TEST(dict_values)
{
    ck_assert_uint_eq(m.secure.n, 2); /* the default */
    ck_assert_int_eq(set_value("secure_scheme_headers", "{'X-Scheme': 'https', 'X-On': 'y'}"), 0);
    ck_assert_uint_eq(m.secure.n, 4); /* replaces, never adds */
    ck_assert_str_eq(m.secure.items[0], "X-Scheme");
    ck_assert_str_eq(m.secure.items[3], "y");
    ck_assert_int_eq(set_value("secure_scheme_headers", "{}"), 0);
    ck_assert_uint_eq(m.secure.n, 0);
    ck_assert_int_eq(set_value("secure_scheme_headers", "{'X-A': 1}"), -1);
    ck_assert_str_eq(err, "secure_scheme_headers: 1 is an int, not a dict of str to str");
    ck_assert_int_eq(set_value("secure_scheme_headers", "'X-A=on'"), -1);
    ck_assert_str_eq(err, "secure_scheme_headers: 'X-A=on' is a str, not a dict of str to str");
    ck_assert_int_eq(set_value("secure_scheme_headers", "None"), -1);
    ck_assert_str_eq(err, "secure_scheme_headers: None is not allowed");
    ck_assert_int_eq(set_value("bind", "{'a': 'b'}"), -1);
    ck_assert_str_eq(err, "bind (--bind): {'a': 'b'} is a dict, not a list of str, or a str with "
                          "commas");
}
END_TEST

START_TEST(list_values)
{
    ck_assert_int_eq(set_value("bind", "['a:1', 'b:2']"), 0);
    ck_assert_uint_eq(m.bind.n, 2);
    ck_assert_str_eq(m.bind.items[1], "b:2");
    ck_assert_int_eq(set_value("bind", "('c:3',)"), 0); /* replaces, never adds */
    ck_assert_uint_eq(m.bind.n, 1);
    ck_assert_str_eq(m.bind.items[0], "c:3");
    ck_assert_int_eq(set_value("bind", "'d:4,e:5'"), 0); /* Gunicorn's comma string */
    ck_assert_uint_eq(m.bind.n, 2);
    ck_assert_int_eq(set_value("bind", "[]"), 0);
    ck_assert_uint_eq(m.bind.n, 0);
    ck_assert_int_eq(set_value("bind", "None"), 0);
    ck_assert_int_eq(set_value("bind", "['a', 1]"), -1);
    ck_assert_str_eq(err, "bind (--bind): 1 is an int, not a list of str, or a str with commas");
    ck_assert_int_eq(set_value("bind", "8000"), -1);
}
END_TEST

static int apply(const tc_conf_space *sp, void *settings, const char *src)
{
    tc_pyconf c;
    int line;
    ck_assert_int_eq(tc_pyconf_parse(src, strlen(src), &c, &line, err, sizeof err), 0);
    int rc = tc_conf_apply_file(sp, settings, "g.py", &c, "HINT", err, sizeof err);
    tc_pyconf_free(&c);
    return rc;
}

START_TEST(file_applied)
{
    const char *src = "import os\n"
                      "_port = os.environ['P']\n"
                      "_x = 5\n"
                      "helper = lambda v: v\n"
                      "workers = compute()\n" /* the other's: never looked at */
                      "threads = 4\n"
                      "keepalive = 3\n"
                      "keepalive = 4\n"
                      "bind = ['x:1']\n"
                      "def post_fork(s, w): pass\n"
                      "post_worker_init = post_fork\n";
    ck_assert_int_eq(apply(&proxyish, &m, src), 0);
    ck_assert_int_eq(m.keepalive, 4);
    ck_assert_uint_eq(m.bind.n, 1);
    ck_assert_str_eq(m.bind.items[0], "x:1");
    ck_assert_int_eq(m.threads, 0); /* "threads" is the other's */
}
END_TEST

START_TEST(file_errors)
{
    ck_assert_int_eq(apply(&proxyish, &m, "keepalive = 3\nbind = '0.0.0.0:' + port\n"), -1);
    ck_assert_str_eq(err, "g.py:2: bind: the value is computed (not a literal, or set under a "
                          "condition), and tandem-proxy does not run Python: HINT");
    ck_assert_int_eq(apply(&proxyish, &m, "if x:\n    timeout = 5\n"), -1);
    ck_assert_ptr_nonnull(strstr(err, "g.py:2: timeout: the value is computed"));
    ck_assert_int_eq(apply(&proxyish, &m, "keepalive = 'a\\0'\n"), -1);
    ck_assert_str_eq(err, "g.py:1: keepalive: a str with a NUL character is not a value "
                          "tandem-proxy can take; HINT");
    ck_assert_int_eq(apply(&proxyish, &m, "\n\nwokers = 2\n"), -1);
    ck_assert_ptr_nonnull(strstr(err, "g.py:3: unknown setting 'wokers'; did you mean 'workers'?"));
    ck_assert_int_eq(apply(&proxyish, &m, "accesslog = '-'\n"), -1);
    ck_assert_str_eq(err, "g.py:1: 'accesslog' is a Gunicorn setting tandem does not support "
                          "yet");
    ck_assert_int_eq(apply(&proxyish, &m, "keepalive = 99\n"), -1);
    ck_assert_str_eq(err, "g.py:1: keepalive (--keep-alive): 99 is out of range (allowed: 0..60)");
    ck_assert_int_eq(apply(&proxyish, &m, "config = 'x'\n"), -1);
    ck_assert_ptr_nonnull(strstr(err, "command-line setting"));
    /* the last assignment decides, and is the one reported */
    ck_assert_int_eq(apply(&proxyish, &m, "keepalive = 99\nkeepalive = 1\n"), 0);
    ck_assert_int_eq(apply(&proxyish, &m, "keepalive = 1\nkeepalive = f()\n"), -1);
    ck_assert_ptr_nonnull(strstr(err, "g.py:2: keepalive"));
}
END_TEST

/* A daemon's own check of a value runs as the file sets it. */
static int no_sevens(const void *settings, const char *key, char *e, size_t len)
{
    const struct mine *s = settings;
    if (strcmp(key, "keepalive") || s->keepalive != 7)
        return 0;
    snprintf(e, len, "keepalive: 7 is unlucky");
    return -1;
}

START_TEST(file_values_checked_by_the_daemon)
{
    tc_conf_space sp = proxyish;
    sp.check = no_sevens;
    ck_assert_int_eq(apply(&sp, &m, "keepalive = 6\n"), 0);
    ck_assert_int_eq(apply(&sp, &m, "\nkeepalive = 7\n"), -1);
    ck_assert_str_eq(err, "g.py:2: keepalive: 7 is unlucky");
}
END_TEST

#define ARGV(...) \
    (sizeof((char *[]){ "prog", __VA_ARGS__ }) / sizeof(char *)), (char *[]) { "prog", __VA_ARGS__ }

static int cli(int argc, char **argv, tc_conf_args *a)
{
    char *pos[2];
    int npos;
    return tc_conf_collect_cli(&proxyish, argc, argv, a, pos, 0, &npos, err, sizeof err);
}

START_TEST(command_line)
{
    tc_conf_args a;
    ck_assert_int_eq(
        cli(ARGV("--keepalive", "5", "--threads=3", "-b", "x:1", "--check-config"), &a), 0);
    ck_assert_uint_eq(a.n, 4);
    ck_assert_str_eq(tc_conf_args_get(&a, "keepalive"), "5");
    ck_assert_str_eq(tc_conf_args_get(&a, "proxy_threads"), "3"); /* its own --threads */
    ck_assert_str_eq(tc_conf_args_get(&a, "check_config"), "true");
    ck_assert_ptr_null(tc_conf_args_get(&a, "timeout"));
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("--workers", "2"), &a), -1);
    ck_assert_str_eq(err, "option '--workers' is tandem-appd's, not tandem-proxy's (see "
                          "tandem-appd(8), or run both with tandem)");
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("-D"), &a), -1);
    ck_assert_str_eq(err, "option '-D' (daemon) is a Gunicorn setting tandem does not support yet");
    tc_conf_args_free(&a);
    /* a bare flag and a word that is none of its choices: meant as its value */
    ck_assert_int_eq(cli(ARGV("--proxy-protocol", "v3"), &a), -1);
    ck_assert_str_eq(err, "proxy_protocol (--proxy-protocol): 'v3' is not one of off, v1, v2, "
                          "auto");
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("--proxy-protocol", "v2"), &a), 0);
    ck_assert_str_eq(tc_conf_args_get(&a, "proxy_protocol"), "v2");
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("--proxy-protocol", "--keep-alive", "3"), &a), 0);
    ck_assert_str_eq(tc_conf_args_get(&a, "proxy_protocol"), "auto");
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("--ssl-version", "TLSv1_2"), &a), -1);
    ck_assert_str_eq(err, "option '--ssl-version' (ssl_version) is deprecated by Gunicorn (ignored "
                          "since 21.0) and not taken by tandem: set the least TLS version with "
                          "tls_min_version (--tls-min-version 1.2 or 1.3)");
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("--access-logfile=-"), &a), -1);
    ck_assert_str_eq(err, "option '--access-logfile' (accesslog) is a Gunicorn setting tandem "
                          "does not support yet");
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("--keep-alvie", "5"), &a), -1);
    ck_assert_str_eq(err, "unrecognized option '--keep-alvie' (see --help); did you mean "
                          "--keep-alive?");
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("--kepalive=5"), &a), -1);
    ck_assert_ptr_nonnull(strstr(err, "did you mean --keepalive?"));
    tc_conf_args_free(&a);
    ck_assert_int_eq(cli(ARGV("app:app"), &a), -1);
    ck_assert_str_eq(err, "unexpected argument 'app:app'");
    tc_conf_args_free(&a);
}
END_TEST

static int env(const char *var, const char *value, tc_conf_args *a)
{
    setenv(var, value, 1);
    return tc_conf_collect_env(&proxyish, var, a, err, sizeof err);
}

START_TEST(gunicorn_cmd_args)
{
    tc_conf_args a;
    /* tandem's command line: --threads and -w are the other's, with their values */
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS",
                         "--threads 4 -w 2 --preload --keep-alive='9' "
                         "--proxy-threads 3 -b 'x y:1' --pid /run/p --timeout=5",
                         &a),
                     0);
    ck_assert_uint_eq(a.n, 4);
    ck_assert_str_eq(tc_conf_args_get(&a, "keepalive"), "9");
    ck_assert_str_eq(tc_conf_args_get(&a, "proxy_threads"), "3");
    ck_assert_str_eq(tc_conf_args_get(&a, "bind"), "x y:1");
    ck_assert_str_eq(tc_conf_args_get(&a, "timeout"), "5");
    ck_assert_ptr_null(tc_conf_args_get(&a, "pidfile")); /* appd's in the shared variables */
    tc_conf_args_free(&a);
    ck_assert_int_eq(env("TANDEM_CMD_ARGS", "--frobnicate", &a), -1);
    ck_assert_str_eq(err, "TANDEM_CMD_ARGS: unrecognized option '--frobnicate' (see --help)");
    tc_conf_args_free(&a);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "--workrs 2", &a), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: unrecognized option '--workrs' (see --help); did "
                          "you mean --workers?");
    tc_conf_args_free(&a);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "--daemon", &a), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: option '--daemon' (daemon) is a Gunicorn setting "
                          "tandem does not support yet");
    tc_conf_args_free(&a);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "-w 2 app:app", &a), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: unexpected argument 'app:app' (options only)");
    tc_conf_args_free(&a);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "--workers", &a), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: option '--workers' requires a value (INT)");
    tc_conf_args_free(&a);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "--bind 'x", &a), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: no closing quotation");
    tc_conf_args_free(&a);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "", &a), 0);
    ck_assert_uint_eq(a.n, 0);
    unsetenv("GUNICORN_CMD_ARGS");
    ck_assert_int_eq(tc_conf_collect_env(&proxyish, "GUNICORN_CMD_ARGS", &a, err, sizeof err), 0);
    ck_assert_uint_eq(a.n, 0);
}
END_TEST

/* file < GUNICORN_CMD_ARGS < TANDEM_CMD_ARGS < command line, lists included. */
START_TEST(each_source_overrides_the_one_before)
{
    tc_conf_args g, t, c;
    ck_assert_int_eq(apply(&proxyish, &m,
                           "keepalive = 1\ntimeout = 1\nbind = ['f:1', 'f:2']\n"
                           "proxy_threads = 1\n"),
                     0);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "--keep-alive 2 --timeout 2 -b g:1", &g), 0);
    ck_assert_int_eq(env("TANDEM_CMD_ARGS", "--keep-alive 3 -b t:1 -b t:2", &t), 0);
    ck_assert_int_eq(cli(ARGV("--keep-alive", "4"), &c), 0);
    const tc_conf_args *in_order[] = { &g, &t, &c };
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(tc_conf_args_apply(in_order[i], mine_table, &m, err, sizeof err), 0);
    ck_assert_int_eq(m.keepalive, 4);
    ck_assert_int_eq(m.timeout, 2);
    ck_assert_int_eq(m.threads, 1);
    ck_assert_uint_eq(m.bind.n, 2);
    ck_assert_str_eq(m.bind.items[0], "t:1");
    ck_assert_str_eq(m.bind.items[1], "t:2");
    tc_conf_args_free(&g);
    tc_conf_args_free(&t);
    tc_conf_args_free(&c);
    ck_assert_int_eq(env("TANDEM_CMD_ARGS", "--keep-alive 99", &t), 0);
    ck_assert_int_eq(tc_conf_args_apply(&t, mine_table, &m, err, sizeof err), -1);
    ck_assert_str_eq(err, "TANDEM_CMD_ARGS: keepalive (--keep-alive): 99 is out of range "
                          "(allowed: 0..60)");
    tc_conf_args_free(&t);
}
END_TEST

START_TEST(where_the_file_is)
{
    char dir[] = "/tmp/tc_conf_XXXXXX", old[PATH_MAX], path[PATH_MAX];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_ptr_nonnull(getcwd(old, sizeof old));
    ck_assert_int_eq(chdir(dir), 0);
    tc_conf_args g, t, c;
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "", &g), 0);
    ck_assert_int_eq(env("TANDEM_CMD_ARGS", "", &t), 0);
    ck_assert_int_eq(cli(ARGV("-t", "1"), &c), 0);
    ck_assert_ptr_null(tc_conf_location(&c, &g, &t)); /* no file: none */
    snprintf(path, sizeof path, "%s/gunicorn.conf.py", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    ck_assert_str_eq(tc_conf_location(&c, &g, &t), path); /* Gunicorn's default */
    tc_conf_args_free(&g);
    ck_assert_int_eq(env("GUNICORN_CMD_ARGS", "-c g.py", &g), 0);
    ck_assert_str_eq(tc_conf_location(&c, &g, &t), "g.py");
    tc_conf_args_free(&t);
    ck_assert_int_eq(env("TANDEM_CMD_ARGS", "--config=t.py", &t), 0);
    ck_assert_str_eq(tc_conf_location(&c, &g, &t), "t.py");
    tc_conf_args_free(&c);
    ck_assert_int_eq(cli(ARGV("-cc.py"), &c), 0);
    ck_assert_str_eq(tc_conf_location(&c, &g, &t), "c.py");
    ck_assert_int_eq(tc_conf_is_module("python:site.conf"), 1);
    ck_assert_int_eq(tc_conf_is_module("site.py"), 0);
    tc_conf_args_free(&g);
    tc_conf_args_free(&t);
    tc_conf_args_free(&c);
    unlink(path);
    ck_assert_int_eq(chdir(old), 0);
    rmdir(dir);
}
END_TEST

static const char *split_joined(const char *s)
{
    static char out[512];
    char **v;
    int n;
    if (tc_shlex_split(s, &v, &n, err, sizeof err))
        return NULL;
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(out + k, sizeof out - k, "<%s>", v[i]);
    ck_assert_ptr_null(v[n]);
    tc_shlex_free(v);
    return out;
}

START_TEST(shell_words)
{
    ck_assert_str_eq(split_joined("  -w 3\t--bind=x:1 \n"), "<-w><3><--bind=x:1>");
    ck_assert_str_eq(split_joined("--name 'a b' \"c \\\"d\\\" \\\\ \\e\""),
                     "<--name><a b><c \"d\" \\ \\e>");
    ck_assert_str_eq(split_joined("a\\ b 'it'\\''s' ''"), "<a b><it's><>");
    ck_assert_str_eq(split_joined("x'y'\"z\""), "<xyz>");
    ck_assert_str_eq(split_joined(""), "");
    ck_assert_ptr_null(split_joined("'open"));
    ck_assert_str_eq(err, "no closing quotation");
    ck_assert_ptr_null(split_joined("end\\"));
    ck_assert_str_eq(err, "no escaped character");
}
END_TEST

START_TEST(gunicorn_names)
{
    size_t n = 0, hooks = 0;
    for (const tc_gunicorn_setting *g = tc_gunicorn_settings; g->key; g++, n++)
        hooks += g->hook;
    ck_assert_uint_eq(n, 119); /* Gunicorn 26.1's settings */
    ck_assert_uint_eq(hooks, 16);
    ck_assert_str_eq(tc_gunicorn_find_flag("-D")->key, "daemon");
    ck_assert_str_eq(tc_gunicorn_find_flag("--log-file=x")->key, "errorlog");
    ck_assert_str_eq(tc_gunicorn_find_flag("-w4")->key, "workers");
    ck_assert_str_eq(tc_gunicorn_find_flag("--limit-request-field_size")->key,
                     "limit_request_field_size");
    ck_assert_ptr_null(tc_gunicorn_find_flag("--keepalive")); /* tandem's old spelling */
    ck_assert_ptr_null(tc_gunicorn_find_flag("--log"));
    ck_assert_ptr_null(tc_gunicorn_find_key("wsgi"));
    ck_assert_int_eq(tc_gunicorn_is_hook("when_ready"), 1);
    ck_assert_int_eq(tc_gunicorn_is_hook("workers"), 0);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_conf");
    TCase *keys = tcase_create("keys");
    tcase_add_checked_fixture(keys, setup, teardown);
    tcase_add_test(keys, what_a_key_is);
    tcase_add_test(keys, key_errors);
    tcase_add_test(keys, values_by_type);
    tcase_add_test(keys, list_values);
    tcase_add_test(keys, dict_values);
    tcase_add_test(keys, file_applied);
    tcase_add_test(keys, file_errors);
    tcase_add_test(keys, file_values_checked_by_the_daemon);
    tcase_add_test(keys, gunicorn_names);
    suite_add_tcase(su, keys);
    TCase *args = tcase_create("arguments");
    tcase_add_checked_fixture(args, setup, teardown);
    tcase_add_test(args, command_line);
    tcase_add_test(args, gunicorn_cmd_args);
    tcase_add_test(args, each_source_overrides_the_one_before);
    tcase_add_test(args, where_the_file_is);
    tcase_add_test(args, shell_words);
    suite_add_tcase(su, args);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

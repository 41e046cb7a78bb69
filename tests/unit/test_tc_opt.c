/* test_tc_opt.c: Check tests for the settings tables (common/tc_opt.c):
 * defaults and flags, lists replacing their default, errors that name the
 * setting, "--", number and boolean parsing, the comma-list walker, alias
 * rows, choices, and values and defaults printed as Python literals. */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tc_opt.h"

struct demo {
    long long workers;
    char *chdir;
    int preload;
    tc_strlist bind;
    long long keepalive;
    int mode;
    long long threads;
};

static const char *const modes[] = { "off", "prior-knowledge", "both", NULL };

/* A settings table laid out by hand. */
/* clang-format off */
static const tc_opt demo_table[] = {
    {.key = "workers", .flag = "--workers", .short_flag = 'w', .type = TC_OPT_INT,
     .offset = offsetof(struct demo, workers), .min = 1, .max = 1024, .def = "1", .metavar = "INT",
     .help = "workers"},
    {.key = "chdir", .flag = "--chdir", .type = TC_OPT_STR, .offset = offsetof(struct demo, chdir),
     .metavar = "DIR", .help = "dir"},
    {.key = "preload_app", .flag = "--preload", .type = TC_OPT_BOOL,
     .offset = offsetof(struct demo, preload), .def = "false", .help = "preload"},
    {.key = "bind", .flag = "--bind", .short_flag = 'b', .type = TC_OPT_LIST,
     .offset = offsetof(struct demo, bind), .def = "127.0.0.1:8000", .metavar = "ADDRESS",
     .help = "bind"},
    {.key = "keepalive", .flag = "--keep-alive", .type = TC_OPT_INT,
     .offset = offsetof(struct demo, keepalive), .min = 0, .max = 60, .def = "2", .metavar = "INT",
     .help = "idle seconds", .aliases = "--keepalive --keep_alive"},
    {.key = "mode", .flag = "--mode", .type = TC_OPT_CHOICE, .offset = offsetof(struct demo, mode),
     .def = "off", .metavar = "MODE", .help = "mode", .choices = modes},
    {.key = "proxy_threads", .flag = "--threads", .type = TC_OPT_INT,
     .offset = offsetof(struct demo, threads), .max = 8, .def = "0", .metavar = "INT",
     .help = "loops", .aliases = "--proxy-threads", .flags = TC_OPT_OWN_FLAG},
    TC_OPT_END,
};
/* clang-format on */

static int parse(struct demo *d, char *err, int argc, char **argv, char **pos, int *npos)
{
    memset(d, 0, sizeof *d);
    ck_assert_int_eq(tc_opt_defaults(demo_table, d, err, 256), 0);
    return tc_opt_parse_argv(demo_table, d, argc, argv, pos, 2, npos, err, 256);
}

START_TEST(defaults_and_flags)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *argv[] = { "prog",      "-w", "4",       "app:app", "--chdir=/tmp",
                     "--preload", "-b", "a:1,b:2", "--bind",  "c:3" };
    ck_assert_int_eq(parse(&d, err, 10, argv, pos, &npos), 0);
    ck_assert_int_eq(d.workers, 4);
    ck_assert_str_eq(d.chdir, "/tmp");
    ck_assert_int_eq(d.preload, 1);
    ck_assert_int_eq(npos, 1);
    ck_assert_str_eq(pos[0], "app:app");
    /* an explicit bind replaces the default instead of adding to it */
    ck_assert_uint_eq(d.bind.n, 3);
    ck_assert_str_eq(d.bind.items[0], "a:1");
    ck_assert_str_eq(d.bind.items[2], "c:3");
    tc_opt_free(demo_table, &d);
}
END_TEST

START_TEST(default_list_kept_without_flag)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *argv[] = { "prog", "-w8" };
    ck_assert_int_eq(parse(&d, err, 2, argv, pos, &npos), 0);
    ck_assert_int_eq(d.workers, 8);
    ck_assert_uint_eq(d.bind.n, 1);
    ck_assert_str_eq(d.bind.items[0], "127.0.0.1:8000");
    tc_opt_free(demo_table, &d);
}
END_TEST

START_TEST(errors_name_the_setting)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *bad_range[] = { "prog", "--workers", "0" };
    ck_assert_int_eq(parse(&d, err, 3, bad_range, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "workers"));
    ck_assert_ptr_nonnull(strstr(err, "1..1024"));
    tc_opt_free(demo_table, &d);

    char *not_int[] = { "prog", "--workers=abc" };
    ck_assert_int_eq(parse(&d, err, 2, not_int, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "'abc' is not an integer"));
    tc_opt_free(demo_table, &d);

    char *unknown[] = { "prog", "--nope" };
    ck_assert_int_eq(parse(&d, err, 2, unknown, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "'--nope'"));
    tc_opt_free(demo_table, &d);

    char *missing[] = { "prog", "--chdir" };
    ck_assert_int_eq(parse(&d, err, 2, missing, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "requires a value"));
    tc_opt_free(demo_table, &d);

    char *too_many[] = { "prog", "a", "b", "c" };
    ck_assert_int_eq(parse(&d, err, 4, too_many, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "'c'"));
    tc_opt_free(demo_table, &d);

    char *bad_bool[] = { "prog", "--preload=maybe" };
    ck_assert_int_eq(parse(&d, err, 2, bad_bool, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a boolean"));
    tc_opt_free(demo_table, &d);
}
END_TEST

START_TEST(double_dash_ends_options)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *argv[] = { "prog", "--", "-w" };
    ck_assert_int_eq(parse(&d, err, 3, argv, pos, &npos), 0);
    ck_assert_int_eq(npos, 1);
    ck_assert_str_eq(pos[0], "-w");
    tc_opt_free(demo_table, &d);
}
END_TEST

START_TEST(parse_numbers_and_bools)
{
    long long v;
    int b;
    ck_assert_int_eq(tc_parse_ll("123", &v), 0);
    ck_assert_int_eq(v, 123);
    ck_assert_int_eq(tc_parse_ll("12x", &v), -1);
    ck_assert_int_eq(tc_parse_ll("", &v), -1);
    ck_assert_int_eq(tc_parse_ll("99999999999999999999", &v), -1);
    ck_assert_int_eq(tc_parse_bool("Yes", &b), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(tc_parse_bool("off", &b), 0);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(tc_parse_bool("2", &b), -1);
}
END_TEST

START_TEST(csv_walk)
{
    const char *p = " h2 ,, h1\t,", *tok;
    size_t n;
    ck_assert_int_eq(tc_csv_next(&p, &tok, &n), 1);
    ck_assert_int_eq((int)n, 2);
    ck_assert_int_eq(strncmp(tok, "h2", n), 0);
    ck_assert_int_eq(tc_csv_next(&p, &tok, &n), 1);
    ck_assert_int_eq(strncmp(tok, "h1", n), 0);
    ck_assert_int_eq((int)n, 2);
    ck_assert_int_eq(tc_csv_next(&p, &tok, &n), 0);
    p = "";
    ck_assert_int_eq(tc_csv_next(&p, &tok, &n), 0);
}
END_TEST

START_TEST(aliases_reach_their_row)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *argv[] = { "prog", "--keepalive", "5" };
    ck_assert_int_eq(parse(&d, err, 3, argv, pos, &npos), 0);
    ck_assert_int_eq(d.keepalive, 5);
    char *argv2[] = { "prog", "--keep_alive=7", "--keep-alive", "9", "--proxy-threads=3" };
    ck_assert_int_eq(parse(&d, err, 5, argv2, pos, &npos), 0);
    ck_assert_int_eq(d.keepalive, 9);
    ck_assert_int_eq(d.threads, 3);
    /* a prefix of an alias is not the alias */
    char *argv3[] = { "prog", "--keep" };
    ck_assert_int_eq(parse(&d, err, 2, argv3, pos, &npos), -1);
    const tc_opt *ka = tc_opt_find_key(demo_table, "keepalive");
    ck_assert_int_eq(tc_opt_spells(ka, "--keep-alive=1"), 1);
    ck_assert_int_eq(tc_opt_spells(ka, "--keepalive"), 2);
    ck_assert_int_eq(tc_opt_spells(ka, "--keepalives"), 0);
    ck_assert_int_eq(tc_opt_spells(tc_opt_find_key(demo_table, "workers"), "-w3"), 1);
    tc_opt_free(demo_table, &d);
}
END_TEST

START_TEST(shared_spelling_skips_own_flags)
{
    /* GUNICORN_CMD_ARGS' --threads is another setting; --proxy-threads is this one. */
    ck_assert_ptr_null(tc_opt_find_shared_flag(demo_table, "--threads"));
    ck_assert_ptr_eq(tc_opt_find_flag(demo_table, "--threads=2"),
                     tc_opt_find_key(demo_table, "proxy_threads"));
    ck_assert_ptr_eq(tc_opt_find_shared_flag(demo_table, "--proxy-threads"),
                     tc_opt_find_key(demo_table, "proxy_threads"));
    ck_assert_ptr_eq(tc_opt_find_shared_flag(demo_table, "-w"),
                     tc_opt_find_key(demo_table, "workers"));
}
END_TEST

START_TEST(choices)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *argv[] = { "prog", "--mode", "Prior-Knowledge" };
    ck_assert_int_eq(parse(&d, err, 3, argv, pos, &npos), 0);
    ck_assert_int_eq(d.mode, 1);
    char *bad[] = { "prog", "--mode=sometimes" };
    ck_assert_int_eq(parse(&d, err, 2, bad, pos, &npos), -1);
    ck_assert_str_eq(err, "mode (--mode): 'sometimes' is not one of off, prior-knowledge, both");
    tc_opt_free(demo_table, &d);
}
END_TEST

START_TEST(unset_and_replaceable_lists)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *argv[] = { "prog", "--chdir", "/srv", "-b", "a:1" };
    ck_assert_int_eq(parse(&d, err, 5, argv, pos, &npos), 0);
    ck_assert_int_eq(tc_opt_unset(tc_opt_find_key(demo_table, "chdir"), &d, err, sizeof err), 0);
    ck_assert_ptr_null(d.chdir);
    ck_assert_int_eq(tc_opt_unset(tc_opt_find_key(demo_table, "workers"), &d, err, sizeof err), -1);
    ck_assert_str_eq(err, "workers (--workers): None is not allowed");
    /* a later source replaces the list rather than adding to it */
    const tc_opt *bind = tc_opt_find_key(demo_table, "bind");
    ck_assert_int_eq(tc_opt_set(bind, &d, "b:2", err, sizeof err), 0);
    ck_assert_uint_eq(d.bind.n, 2);
    tc_opt_lists_replaceable(demo_table, &d);
    ck_assert_int_eq(tc_opt_set(bind, &d, "c:3", err, sizeof err), 0);
    ck_assert_int_eq(tc_opt_set(bind, &d, "d:4", err, sizeof err), 0);
    ck_assert_uint_eq(d.bind.n, 2);
    ck_assert_str_eq(d.bind.items[0], "c:3");
    tc_opt_free(demo_table, &d);
}
END_TEST

static char *printed(void (*fn)(FILE *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, arg);
    fclose(f);
    return buf;
}

static const struct demo *shown;
static void print_demo(FILE *f, const void *arg)
{
    (void)arg;
    tc_opt_print(f, demo_table, shown);
}

static void print_defaults(FILE *f, const void *arg)
{
    (void)arg;
    for (const tc_opt *o = demo_table; o->key; o++) {
        tc_opt_write_default(f, o);
        fputc(';', f);
    }
}

START_TEST(print_writes_python_literals)
{
    struct demo d;
    char err[256], *pos[2];
    int npos;
    char *argv[] = { "prog", "--chdir", "it's\\n", "-b", "a:1,b:2", "--preload", "--mode=both" };
    ck_assert_int_eq(parse(&d, err, 7, argv, pos, &npos), 0);
    shown = &d;
    char *out = printed(print_demo, NULL);
    ck_assert_int_eq(strncmp(out, "workers                          = 1\n", 37), 0);
    ck_assert_ptr_nonnull(strstr(out, "chdir                            = 'it\\'s\\\\n'\n"));
    ck_assert_ptr_nonnull(strstr(out, "preload_app                      = True\n"));
    ck_assert_ptr_nonnull(strstr(out, "bind                             = ['a:1', 'b:2']\n"));
    ck_assert_ptr_nonnull(strstr(out, "mode                             = 'both'\n"));
    free(out);
    out = printed(print_defaults, NULL);
    ck_assert_str_eq(out, "1;None;False;['127.0.0.1:8000'];2;'off';0;");
    free(out);
    tc_opt_free(demo_table, &d);
}
END_TEST

START_TEST(usage_lists_aliases_once)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tc_opt_usage_row(f, tc_opt_find_key(demo_table, "keepalive"));
    fclose(f);
    ck_assert_str_eq(buf, "  --keep-alive INT                       idle seconds "
                          "(also --keepalive --keep_alive) [2]\n");
    free(buf);
}
END_TEST

/* A dict (a config file's only) and a choice whose flag may come bare. */
struct extra {
    tc_strlist headers;
    int pp;
};

static const char *const pp_modes[] = { "off", "v1", "v2", "auto", NULL };

/* A settings table laid out by hand. */
/* clang-format off */
static const tc_opt extra_table[] = {
    { .key = "secure_scheme_headers", .type = TC_OPT_DICT,
      .offset = offsetof(struct extra, headers), .def = "X-A=on, X-B=a=b" },
    { .key = "proxy_protocol", .flag = "--proxy-protocol", .type = TC_OPT_CHOICE,
      .offset = offsetof(struct extra, pp), .def = "off", .metavar = "MODE", .choices = pp_modes,
      .bare = "auto" },
    TC_OPT_END,
};
/* clang-format on */

static const struct extra *shown_extra;
static void print_extra(FILE *f, const void *arg)
{
    (void)arg;
    tc_opt_write_value(f, &extra_table[0], shown_extra);
    fputc(';', f);
    tc_opt_write_default(f, &extra_table[0]);
}

START_TEST(dicts)
{
    struct extra x = { 0 };
    char err[256];
    ck_assert_int_eq(tc_opt_defaults(extra_table, &x, err, sizeof err), 0);
    ck_assert_uint_eq(x.headers.n, 4);
    ck_assert_str_eq(x.headers.items[0], "X-A");
    ck_assert_str_eq(x.headers.items[3], "a=b"); /* split at the first '=' */
    shown_extra = &x;
    char *out = printed(print_extra, NULL);
    ck_assert_str_eq(out, "{'X-A': 'on', 'X-B': 'a=b'};{'X-A': 'on', 'X-B': 'a=b'}");
    free(out);
    ck_assert_int_eq(tc_opt_set(&extra_table[0], &x, "X-C", err, sizeof err), -1);
    ck_assert_str_eq(err, "secure_scheme_headers: 'X-C' is not KEY=VALUE");
    ck_assert_int_eq(tc_opt_set(&extra_table[0], &x, "X-D=", err, sizeof err), 0);
    ck_assert_uint_eq(x.headers.n, 2); /* replaced whole */
    ck_assert_str_eq(x.headers.items[1], "");
    tc_opt_free(extra_table, &x);
    ck_assert_uint_eq(x.headers.n, 0);
}
END_TEST

static int parse_extra(struct extra *x, int argc, char **argv, char **pos, int *npos, char *err)
{
    memset(x, 0, sizeof *x);
    ck_assert_int_eq(tc_opt_defaults(extra_table, x, err, 256), 0);
    int rc = tc_opt_parse_argv(extra_table, x, argc, argv, pos, 2, npos, err, 256);
    tc_opt_free(extra_table, x);
    return rc;
}

START_TEST(bare_flag_takes_only_a_choice)
{
    struct extra x;
    char err[256], *pos[2];
    int npos;
    char *app[] = { "prog", "--proxy-protocol", "app:app" };
    ck_assert_int_eq(parse_extra(&x, 3, app, pos, &npos, err), 0);
    ck_assert_int_eq(x.pp, 3);
    ck_assert_int_eq(npos, 1);
    ck_assert_str_eq(pos[0], "app:app");
    char *v2[] = { "prog", "--proxy-protocol", "V2" };
    ck_assert_int_eq(parse_extra(&x, 3, v2, pos, &npos, err), 0);
    ck_assert_int_eq(x.pp, 2);
    ck_assert_int_eq(npos, 0);
    char *last[] = { "prog", "--proxy-protocol" };
    ck_assert_int_eq(parse_extra(&x, 2, last, pos, &npos, err), 0);
    ck_assert_int_eq(x.pp, 3);
    char *eq[] = { "prog", "--proxy-protocol=v1" };
    ck_assert_int_eq(parse_extra(&x, 2, eq, pos, &npos, err), 0);
    ck_assert_int_eq(x.pp, 1);
    char *bad[] = { "prog", "--proxy-protocol=v3" };
    ck_assert_int_eq(parse_extra(&x, 2, bad, pos, &npos, err), -1);
    ck_assert_str_eq(err,
                     "proxy_protocol (--proxy-protocol): 'v3' is not one of off, v1, v2, auto");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_opt");
    TCase *tc = tcase_create("opt");
    tcase_add_test(tc, defaults_and_flags);
    tcase_add_test(tc, default_list_kept_without_flag);
    tcase_add_test(tc, errors_name_the_setting);
    tcase_add_test(tc, double_dash_ends_options);
    tcase_add_test(tc, parse_numbers_and_bools);
    tcase_add_test(tc, csv_walk);
    tcase_add_test(tc, aliases_reach_their_row);
    tcase_add_test(tc, shared_spelling_skips_own_flags);
    tcase_add_test(tc, choices);
    tcase_add_test(tc, unset_and_replaceable_lists);
    tcase_add_test(tc, print_writes_python_literals);
    tcase_add_test(tc, usage_lists_aliases_once);
    tcase_add_test(tc, dicts);
    tcase_add_test(tc, bare_flag_takes_only_a_choice);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_tc_opt.c: Check tests for the settings tables (common/tc_opt.c):
 * defaults and flags, lists replacing their default, errors that name the
 * setting, "--", number and boolean parsing, and the comma-list walker. */
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
};

static const tc_opt demo_table[] = {
    {"workers", "--workers", 'w', TC_OPT_INT, offsetof(struct demo, workers), 1, 1024, "1", "INT", "workers", NULL},
    {"chdir", "--chdir", 0, TC_OPT_STR, offsetof(struct demo, chdir), 0, 0, NULL, "DIR", "dir", NULL},
    {"preload_app", "--preload", 0, TC_OPT_BOOL, offsetof(struct demo, preload), 0, 0, "false", NULL, "preload", NULL},
    {"bind", "--bind", 'b', TC_OPT_LIST, offsetof(struct demo, bind), 0, 0, "127.0.0.1:8000", "ADDRESS", "bind", NULL},
    TC_OPT_END,
};

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
    char *argv[] = {"prog", "-w", "4", "app:app", "--chdir=/tmp", "--preload", "-b", "a:1,b:2", "--bind", "c:3"};
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
    char *argv[] = {"prog", "-w8"};
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
    char *bad_range[] = {"prog", "--workers", "0"};
    ck_assert_int_eq(parse(&d, err, 3, bad_range, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "workers"));
    ck_assert_ptr_nonnull(strstr(err, "1..1024"));
    tc_opt_free(demo_table, &d);

    char *not_int[] = {"prog", "--workers=abc"};
    ck_assert_int_eq(parse(&d, err, 2, not_int, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "'abc' is not an integer"));
    tc_opt_free(demo_table, &d);

    char *unknown[] = {"prog", "--nope"};
    ck_assert_int_eq(parse(&d, err, 2, unknown, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "'--nope'"));
    tc_opt_free(demo_table, &d);

    char *missing[] = {"prog", "--chdir"};
    ck_assert_int_eq(parse(&d, err, 2, missing, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "requires a value"));
    tc_opt_free(demo_table, &d);

    char *too_many[] = {"prog", "a", "b", "c"};
    ck_assert_int_eq(parse(&d, err, 4, too_many, pos, &npos), -1);
    ck_assert_ptr_nonnull(strstr(err, "'c'"));
    tc_opt_free(demo_table, &d);

    char *bad_bool[] = {"prog", "--preload=maybe"};
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
    char *argv[] = {"prog", "--", "-w"};
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
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

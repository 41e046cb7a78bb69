/* test_tc_privs.c: Check tests for common/tc_privs.c: Gunicorn's umask
 * spellings, user and group names or ids resolved, a name that does not
 * exist named in the error, and nothing to drop when neither is given. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc_privs.h"

START_TEST(umask_spellings)
{
    long long v = -1;
    ck_assert_int_eq(tc_umask_parse("0", &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(tc_umask_parse("18", &v), 0); /* decimal, as Python's int(x, 0) */
    ck_assert_int_eq(v, 022);
    ck_assert_int_eq(tc_umask_parse("0o22", &v), 0);
    ck_assert_int_eq(v, 022);
    ck_assert_int_eq(tc_umask_parse("0x12", &v), 0);
    ck_assert_int_eq(v, 022);
    ck_assert_int_eq(tc_umask_parse("022", &v), 0); /* the shell's octal */
    ck_assert_int_eq(v, 022);
    ck_assert_int_eq(tc_umask_parse("0o777", &v), 0);
    ck_assert_int_eq(v, 0777);
    const char *bad[] = { "", "0o", "0o1000", "512", "-1", "0o8", "abc", "22 ", "0x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(tc_umask_parse(bad[i], &v) == -1, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(names_and_ids)
{
    tc_privs p;
    char err[256];
    ck_assert_int_eq(tc_privs_resolve(NULL, "", 0, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.active, 0);
    ck_assert_int_eq(tc_privs_drop(&p, err, sizeof err), 0); /* nothing to do */
    ck_assert_int_eq(tc_privs_resolve("root", NULL, 1, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.active, 1);
    ck_assert_int_eq(p.uid, 0);
    ck_assert_int_eq(p.gid, 0);
    ck_assert_str_eq(p.name, "root");
    ck_assert_int_eq(p.initgroups, 1);
    ck_assert_int_eq(tc_privs_resolve("0", "0", 0, &p, err, sizeof err), 0);
    ck_assert_str_eq(p.name, "root");
    /* A uid with no passwd entry is still a uid. */
    ck_assert_int_eq(tc_privs_resolve("4000000", NULL, 0, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.uid, 4000000);
    /* Only a group: the process's own user, that group. */
    ck_assert_int_eq(tc_privs_resolve(NULL, "root", 0, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.uid, geteuid());
    ck_assert_int_eq(p.gid, 0);
}
END_TEST

START_TEST(unknown_names_are_named)
{
    tc_privs p;
    char err[256];
    ck_assert_int_eq(tc_privs_resolve("no-such-user-x", NULL, 0, &p, err, sizeof err), -1);
    ck_assert_str_eq(err, "user (--user): no such user 'no-such-user-x'");
    ck_assert_int_eq(tc_privs_resolve("root", "no-such-group-x", 0, &p, err, sizeof err), -1);
    ck_assert_str_eq(err, "group (--group): no such group 'no-such-group-x'");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_privs");
    TCase *tc = tcase_create("privs");
    tcase_add_test(tc, umask_spellings);
    tcase_add_test(tc, names_and_ids);
    tcase_add_test(tc, unknown_names_are_named);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

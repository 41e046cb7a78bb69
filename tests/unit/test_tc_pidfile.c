/* test_tc_pidfile.c: Check tests for the pid files of all three programs
 * (common/tc_pidfile.c): written whole, refused when another live process
 * owns the file, taken over from a dead one, removed only while ours. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tc_pidfile.h"

static char dir[64], path[128], err[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tc-pidfile-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/app.pid", dir);
    err[0] = '\0';
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

static void put(long pid)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%ld\n", pid);
    fclose(f);
}

static long get(void)
{
    long pid = -1;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = -2;
        fclose(f);
    }
    return pid;
}

/* A pid that surely names no process: a child that has been waited for. */
static long dead_pid(void)
{
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    ck_assert_int_gt(c, 0);
    waitpid(c, NULL, 0);
    return (long)c;
}

START_TEST(writes_our_pid)
{
    ck_assert_int_eq(tc_pidfile_write(path, err, sizeof err), 0);
    ck_assert_int_eq(get(), (long)getpid());
    ck_assert_int_eq(tc_pidfile_write(path, err, sizeof err), 0); /* ours already: fine */
}
END_TEST

START_TEST(refuses_a_live_owner)
{
    put((long)getppid());
    ck_assert_int_eq(tc_pidfile_write(path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "already running on PID"));
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_int_eq(get(), (long)getppid()); /* untouched */
}
END_TEST

START_TEST(takes_over_from_the_dead_and_from_garbage)
{
    put(dead_pid());
    ck_assert_int_eq(tc_pidfile_write(path, err, sizeof err), 0);
    ck_assert_int_eq(get(), (long)getpid());
    FILE *f = fopen(path, "w");
    fputs("not a pid\n", f);
    fclose(f);
    ck_assert_int_eq(tc_pidfile_write(path, err, sizeof err), 0);
    ck_assert_int_eq(get(), (long)getpid());
}
END_TEST

START_TEST(names_the_file_that_cannot_be_written)
{
    char bad[160];
    snprintf(bad, sizeof bad, "%s/missing/app.pid", dir);
    ck_assert_int_eq(tc_pidfile_write(bad, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, bad));
    ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
}
END_TEST

START_TEST(removes_only_its_own)
{
    put((long)getppid());
    tc_pidfile_remove(path); /* a successor's: kept */
    ck_assert_int_eq(get(), (long)getppid());
    ck_assert_int_eq(tc_pidfile_write(path, err, sizeof err), -1);
    put((long)getpid());
    tc_pidfile_remove(path);
    ck_assert_int_eq(access(path, F_OK), -1);
    tc_pidfile_remove(path); /* gone already: a no-op */
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_pidfile");
    TCase *tc = tcase_create("pidfile");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, writes_our_pid);
    tcase_add_test(tc, refuses_a_live_owner);
    tcase_add_test(tc, takes_over_from_the_dead_and_from_garbage);
    tcase_add_test(tc, names_the_file_that_cannot_be_written);
    tcase_add_test(tc, removes_only_its_own);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_tc_addr.c: Check tests for bind addresses (common/tc_addr.c): the
 * accepted forms and their errors, a port already in use, and a Unix socket
 * path replaced only when no one listens on it. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "tc_addr.h"

START_TEST(addresses)
{
    tc_addr a;
    char err[256];
    ck_assert_int_eq(tc_addr_parse("127.0.0.1:8443", 8000, &a, err, sizeof err), 0);
    ck_assert_str_eq(a.text, "127.0.0.1:8443");
    ck_assert_int_eq(tc_addr_parse("[::1]:9000", 8000, &a, err, sizeof err), 0);
    ck_assert_str_eq(a.text, "[::1]:9000");
    ck_assert_int_eq(tc_addr_parse(":7000", 8000, &a, err, sizeof err), 0);
    ck_assert_str_eq(a.text, "0.0.0.0:7000");
    ck_assert_int_eq(tc_addr_parse("127.0.0.1", 8000, &a, err, sizeof err), 0);
    ck_assert_str_eq(a.text, "127.0.0.1:8000");
    ck_assert_int_eq(tc_addr_parse("unix:/tmp/x.sock", 0, &a, err, sizeof err), 0);
    ck_assert_int_eq(a.ss.ss_family, AF_UNIX);
    ck_assert_str_eq(a.text, "unix:/tmp/x.sock");
    ck_assert_int_eq(tc_addr_parse("127.0.0.1:70000", 8000, &a, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "0 to 65535"));
    ck_assert_int_eq(tc_addr_parse("::1:80", 8000, &a, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "[ADDRESS]:PORT"));
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    memcpy(longpath, "unix:", 5);
    ck_assert_int_eq(tc_addr_parse(longpath, 0, &a, err, sizeof err), -1);
}
END_TEST

START_TEST(listen_twice_is_address_in_use)
{
    tc_addr a;
    char err[256];
    ck_assert_int_eq(tc_addr_parse("127.0.0.1:0", 0, &a, err, sizeof err), 0);
    int fd = tc_listen(&a, 16, err, sizeof err);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    memcpy(&a.ss, &ss, len);
    ck_assert_int_eq(tc_listen(&a, 16, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "in use"));
    close(fd);
}
END_TEST

START_TEST(unix_listen_replaces_only_stale)
{
    char path[] = "/tmp/tc_test_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(path));
    char spec[128], err[256];
    snprintf(spec, sizeof spec, "unix:%s/s.sock", path);
    tc_addr a;
    ck_assert_int_eq(tc_addr_parse(spec, 0, &a, err, sizeof err), 0);
    int fd = tc_listen(&a, 16, err, sizeof err);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tc_listen(&a, 16, err, sizeof err), -1); /* live: refused */
    close(fd);
    fd = tc_listen(&a, 16, err, sizeof err); /* stale: replaced */
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(((struct sockaddr_un *)&a.ss)->sun_path);
    rmdir(path);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_addr");
    TCase *tc = tcase_create("addr");
    tcase_add_test(tc, addresses);
    tcase_add_test(tc, listen_twice_is_address_in_use);
    tcase_add_test(tc, unix_listen_replaces_only_stale);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

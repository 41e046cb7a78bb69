/* test_px_trust.c: Check tests for trusted peers (proxy/px_trust.c,
 * forwarded_allow_ips): the loopback default, addresses, CIDR networks and
 * "*", v4-mapped IPv6, the local Unix socket, and bad entries named in the
 * error through the settings. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "px_check.h"

static struct sockaddr_storage ip(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &a4->sin_addr) == 1)
        a4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1)
        a6->sin6_family = AF_INET6;
    else
        ck_abort_msg("bad test address %s", text);
    return ss;
}

static int trusted(const px_trust *t, const char *text)
{
    struct sockaddr_storage ss = ip(text);
    return px_trust_match(t, (struct sockaddr *)&ss);
}

START_TEST(trusted_peers)
{
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    /* Default: loopback only. */
    ck_assert(trusted(&s.trust, "127.0.0.1"));
    ck_assert(trusted(&s.trust, "::1"));
    ck_assert(!trusted(&s.trust, "127.0.0.2"));
    ck_assert(!trusted(&s.trust, "10.0.0.1"));
    ck_assert(trusted(&s.trust, "::ffff:127.0.0.1")); /* v4-mapped is the v4 address */
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    ck_assert(px_trust_match(&s.trust, (struct sockaddr *)&un));

    px_trust t;
    tc_strlist l = { 0 };
    tc_strlist_add(&l, "10.0.0.0/8, 192.168.1.7,fd00::/8");
    tc_strlist_add(&l, "172.16.0.0/12");
    ck_assert_int_eq(px_trust_parse(&l, &t, err, sizeof err), 0);
    tc_strlist_free(&l);
    ck_assert_int_eq(t.n, 4);
    ck_assert(trusted(&t, "10.255.1.2"));
    ck_assert(!trusted(&t, "11.0.0.1"));
    ck_assert(trusted(&t, "192.168.1.7"));
    ck_assert(!trusted(&t, "192.168.1.8"));
    ck_assert(trusted(&t, "172.31.255.255"));
    ck_assert(!trusted(&t, "172.32.0.0"));
    ck_assert(trusted(&t, "fd12:3456::1"));
    ck_assert(!trusted(&t, "fe80::1"));
    ck_assert(!trusted(&t, "127.0.0.1"));

    tc_strlist_add(&l, "*");
    ck_assert_int_eq(px_trust_parse(&l, &t, err, sizeof err), 0);
    tc_strlist_free(&l);
    ck_assert(trusted(&t, "203.0.113.9"));
    ck_assert(trusted(&t, "2001:db8::1"));

    /* Empty: nobody (but the local Unix socket). */
    ck_assert_int_eq(px_trust_parse(&l, &t, err, sizeof err), 0);
    ck_assert(!trusted(&t, "127.0.0.1"));
    ck_assert(px_trust_match(&t, (struct sockaddr *)&un));

    const char *bad[] = { "10.0.0.0/33", "::1/129", "example.com", "10.0.0.1/",
                          "10.0.0.1/x",  "1.2.3",   "10.0.0.0/-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tc_strlist_add(&l, bad[i]);
        ck_assert_int_eq(px_trust_parse(&l, &t, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "forwarded_allow_ips"));
        ck_assert_ptr_nonnull(strstr(err, bad[i]));
        tc_strlist_free(&l);
    }
    /* Through the settings: a bad entry fails validation naming the key. */
    ck_assert_int_eq(set("forwarded_allow_ips", "10.9.9.9,nope"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "'nope'"));
}
END_TEST

START_TEST(addresses_as_bytes_and_named_errors)
{
    ck_assert_int_eq(set("forwarded_allow_ips", "10.0.0.0/8,2001:db8::/32"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    uint8_t a4[4] = { 10, 1, 2, 3 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
    ck_assert(px_trust_match_ip(&s.trust, AF_INET, a4));
    ck_assert(px_trust_match_ip(&s.trust, AF_INET6, a6));
    a6[1] = 0x02;
    ck_assert(!px_trust_match_ip(&s.trust, AF_INET6, a6));
    /* ::ffff:10.1.2.3, one byte into a buffer: no alignment assumed */
    uint8_t mapped[17] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3 };
    ck_assert(px_trust_match_ip(&s.trust, AF_INET6, mapped + 1));
    px_trust t;
    tc_strlist l = { 0 };
    ck_assert_int_eq(tc_strlist_add(&l, "192.0.2.1,bogus"), 0);
    ck_assert_int_eq(px_trust_parse_named("proxy_allow_ips", &l, &t, err, sizeof err), -1);
    ck_assert_str_eq(err, "proxy_allow_ips: 'bogus' is not an IP address, a CIDR network or '*'");
    tc_strlist_free(&l);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_trust");
    TCase *tc = tcase_create("trust");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, trusted_peers);
    tcase_add_test(tc, addresses_as_bytes_and_named_errors);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

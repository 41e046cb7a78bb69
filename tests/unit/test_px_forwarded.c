/* test_px_forwarded.c: Check tests for a trusted front's forwarded fields
 * (proxy/px_forwarded.c): Gunicorn's secure_scheme_headers table of
 * outcomes (one match, none, a value that is not the dict's, fields that
 * disagree), header names in any case, and X-Forwarded-For read from the
 * right past trusted hops, across several fields, with bad entries. */
#include <check.h>
#include <string.h>

#include "px_check.h"
#include "px_forwarded.h"

#define STR(lit) ((tp_str){ (const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1) })

static tp_request_head h;
static tp_header fields[8];
static px_forwarded_cfg cfg;

/* A request from 127.0.0.1 over TLS (scheme https), with the default
 * settings validated; fields are added with field(). */
static void head(const char *trusted)
{
    if (trusted) {
        const tc_opt *o = tc_opt_find_key(px_settings_table, "forwarded_allow_ips");
        ck_assert_int_eq(tc_opt_unset(o, &s, err, sizeof err), 0);
        ck_assert_int_eq(set("forwarded_allow_ips", trusted), 0);
    }
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    cfg = (px_forwarded_cfg){ &s.secure_scheme_headers, &s.trust };
    memset(&h, 0, sizeof h);
    h.scheme = STR("https");
    h.peer_addr = STR("127.0.0.1");
    h.peer_port = 40000;
    h.headers = fields;
}

static void field(const char *name, const char *value)
{
    ck_assert_uint_lt(h.nheaders, 8);
    fields[h.nheaders++] = (tp_header){ { (const uint8_t *)name, (uint32_t)strlen(name) },
                                        { (const uint8_t *)value, (uint32_t)strlen(value) } };
}

static int str_is(tp_str v, const char *want)
{
    return v.len == strlen(want) && memcmp(v.ptr, want, v.len) == 0;
}

START_TEST(secure_scheme_outcomes)
{
    /* no secure field: the connection's scheme stays */
    head(NULL);
    field("accept", "*/*");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.scheme, "https"));
    /* one that matches */
    head(NULL);
    h.scheme = STR("http");
    field("X-Forwarded-Proto", "https");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.scheme, "https"));
    /* one that does not: http, even over TLS (Gunicorn) */
    head(NULL);
    field("x-forwarded-proto", "http");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.scheme, "http"));
    /* values compare exactly: case counts */
    head(NULL);
    h.scheme = STR("http");
    field("X-FORWARDED-SSL", "ON");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.scheme, "http"));
    /* two that agree */
    head(NULL);
    h.scheme = STR("http");
    field("X-Forwarded-Ssl", "on");
    field("X-Forwarded-Protocol", "ssl");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.scheme, "https"));
}
END_TEST

START_TEST(contradictory_scheme_headers)
{
    head(NULL);
    field("X-Forwarded-Ssl", "on");
    field("X-Forwarded-Proto", "http");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), -1);
    /* the same field twice, disagreeing */
    head(NULL);
    field("x-forwarded-proto", "https");
    field("x-forwarded-proto", "http");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), -1);
    /* a dict of the file's own */
    head(NULL);
    ck_assert_int_eq(set("secure_scheme_headers", "X-Scheme=https"), 0);
    field("X-Forwarded-Proto", "http"); /* no longer a secure field */
    field("x-scheme", "https");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.scheme, "https"));
}
END_TEST

START_TEST(forwarded_for_rightmost_untrusted)
{
    head("127.0.0.1,10.0.0.0/8");
    field("X-Forwarded-For", "203.0.113.9, 198.51.100.7, 10.1.2.3");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.peer_addr, "198.51.100.7")); /* 10.1.2.3 is a trusted hop */
    ck_assert_uint_eq(h.peer_port, 0);
    /* fields in order: the last field holds the nearest hops */
    head("127.0.0.1,10.0.0.0/8");
    field("x-forwarded-for", "203.0.113.9");
    field("x-forwarded-for", " 10.0.0.5 ,, ");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.peer_addr, "203.0.113.9"));
    /* all trusted: the leftmost ("*" trusts every hop) */
    head("*");
    field("X-Forwarded-For", "2001:db8::1, 192.0.2.1");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.peer_addr, "2001:db8::1"));
    /* v4-mapped hops are the IPv4 ones */
    head("127.0.0.1,10.0.0.0/8");
    field("X-Forwarded-For", "192.0.2.44, ::ffff:10.9.9.9");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.peer_addr, "192.0.2.44"));
}
END_TEST

START_TEST(forwarded_for_bad_entries_change_nothing)
{
    const char *bad[] = { "unknown", "192.0.2.1:8080",    "[2001:db8::1]", "192.0.2.300", "",
                          " , ",     "192.0.2.1, garbage" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        head(NULL);
        field("X-Forwarded-For", bad[i]);
        ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
        ck_assert_msg(str_is(h.peer_addr, "127.0.0.1"), "%s", bad[i]);
        ck_assert_uint_eq(h.peer_port, 40000);
    }
    /* a bad entry left of the client is never reached */
    head(NULL);
    field("X-Forwarded-For", "garbage, 192.0.2.1");
    ck_assert_int_eq(px_forwarded_apply(&cfg, &h), 0);
    ck_assert(str_is(h.peer_addr, "192.0.2.1"));
}
END_TEST

START_TEST(secure_headers_setting)
{
    ck_assert_int_eq(set("secure_scheme_headers", "X Bad=on"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), -1);
    ck_assert_str_eq(err, "secure_scheme_headers: 'X Bad' is not a header field name");
    ck_assert_int_eq(px_settings_check_key(&s, "secure_scheme_headers", err, sizeof err), -1);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_forwarded");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, secure_scheme_outcomes);
    tcase_add_test(tc, contradictory_scheme_headers);
    tcase_add_test(tc, forwarded_for_rightmost_untrusted);
    tcase_add_test(tc, forwarded_for_bad_entries_change_nothing);
    tcase_add_test(tc, secure_headers_setting);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

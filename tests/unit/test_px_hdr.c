/* test_px_hdr.c: Check tests for the header helpers the proxy's HTTP/1 and
 * HTTP/2 sides share (proxy/px_hdr.c): a worker's field made ready for a
 * client, h2 name lower-casing, base64url (HTTP2-Settings), status reasons,
 * dates and path/query splitting.  The field rules themselves are
 * common/tc_http's (test_tc_http.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_hdr.h"

#define S(x) (const uint8_t *)(x), strlen(x)

/* The field rules (hop-by-hop, names, values, lists, trailers, Content-
 * Length) moved to common/tc_http and their tests to test_tc_http.c. */
static tp_header field(const char *n, const char *v)
{
    return (tp_header){ { (const uint8_t *)n, (uint32_t)strlen(n) },
                        { (const uint8_t *)v, (uint32_t)strlen(v) } };
}

START_TEST(header_helpers)
{
    uint8_t buf[32];
    px_hdr_lower(buf, (const uint8_t *)"X-Custom-HEADER", 15);
    ck_assert_int_eq(memcmp(buf, "x-custom-header", 15), 0);
    /* a worker's field: trimmed, then held to tc_http's rules */
    tp_header f = field("X-Ok", " \tfine value\t ");
    tp_str v;
    ck_assert(px_hdr_response_field(&f, &v));
    ck_assert_uint_eq(v.len, 10);
    ck_assert_int_eq(memcmp(v.ptr, "fine value", 10), 0);
    f = field("X-Empty", "  ");
    ck_assert(px_hdr_response_field(&f, &v));
    ck_assert_uint_eq(v.len, 0);
    f = field("X-Bad", "a\r\nSet-Cookie: x");
    ck_assert(!px_hdr_response_field(&f, &v));
    f = field("X-Ctl", "a\x01b");
    ck_assert(!px_hdr_response_field(&f, &v));
    f = field("X-Del", "a\x7f");
    ck_assert(!px_hdr_response_field(&f, &v));
    f = field("Bad Name", "v");
    ck_assert(!px_hdr_response_field(&f, &v));
    f = field("", "v");
    ck_assert(!px_hdr_response_field(&f, &v));
}
END_TEST

START_TEST(base64url)
{
    uint8_t out[16];
    /* SETTINGS_MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=65535 */
    const uint8_t want[12] = { 0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 0xff, 0xff };
    ck_assert_int_eq(px_base64url_decode(S("AAMAAABkAAQAAP__"), out, sizeof out), 12);
    ck_assert_int_eq(memcmp(out, want, 12), 0);
    ck_assert_int_eq(px_base64url_decode(S(""), out, sizeof out), 0);
    ck_assert_int_eq(px_base64url_decode(S("_-8"), out, sizeof out), 2);
    ck_assert_uint_eq(out[0], 0xff);
    ck_assert_uint_eq(out[1], 0xef);
    ck_assert_int_eq(px_base64url_decode(S("AA=="), out, sizeof out), 1); /* padding tolerated */
    ck_assert_int_eq(px_base64url_decode(S("AAMAAABkAAQAAP//"), out, sizeof out), -1); /* not url */
    ck_assert_int_eq(px_base64url_decode(S("A"), out, sizeof out), -1);
    ck_assert_int_eq(px_base64url_decode(S("AAMA AAB"), out, sizeof out), -1);
    ck_assert_int_eq(px_base64url_decode(S("AAMAAABkAAQAAP__"), out, 11), -1); /* no room */
}
END_TEST

START_TEST(status_digits)
{
    char d[3];
    px_status_digits(d, 200);
    ck_assert_int_eq(memcmp(d, "200", 3), 0);
    px_status_digits(d, 103);
    ck_assert_int_eq(memcmp(d, "103", 3), 0);
    px_status_digits(d, 999);
    ck_assert_int_eq(memcmp(d, "999", 3), 0);
    px_status_digits(d, 1042); /* beyond the wire's range: status % 1000 */
    ck_assert_int_eq(memcmp(d, "042", 3), 0);
}
END_TEST

START_TEST(status_date_path)
{
    ck_assert_str_eq(px_status_reason(200), "OK");
    ck_assert_str_eq(px_status_reason(103), "Early Hints");
    ck_assert_str_eq(px_status_reason(502), "Bad Gateway");
    ck_assert_str_eq(px_status_reason(599), "Unknown");
    char d[32];
    ck_assert_uint_eq(px_http_date(784111777, d), 29);
    ck_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    size_t pl, ql;
    const uint8_t *q;
    const char *p = "/a/b?x=1&y=2?z";
    px_split_path((const uint8_t *)p, strlen(p), &pl, &q, &ql);
    ck_assert_uint_eq(pl, 4);
    ck_assert_uint_eq(ql, 9);
    ck_assert_int_eq(memcmp(q, "x=1&y=2?z", 9), 0);
    px_split_path((const uint8_t *)"/", 1, &pl, &q, &ql);
    ck_assert_uint_eq(pl, 1);
    ck_assert_uint_eq(ql, 0);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_hdr");
    TCase *tc = tcase_create("hdr");
    tcase_add_test(tc, header_helpers);
    tcase_add_test(tc, base64url);
    tcase_add_test(tc, status_date_path);
    tcase_add_test(tc, status_digits);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

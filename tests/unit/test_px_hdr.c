/* test_px_hdr.c: Check tests for the header helpers the proxy's HTTP/1 and
 * HTTP/2 sides share (proxy/px_hdr.c): connection-specific and forbidden
 * trailer fields, list membership, base64url (HTTP2-Settings),
 * Content-Length, status reasons, dates and path/query splitting. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_hdr.h"

#define S(x) (const uint8_t *)(x), strlen(x)

START_TEST(header_helpers)
{
    ck_assert(px_hdr_conn_specific(S("Connection")));
    ck_assert(px_hdr_conn_specific(S("keep-alive")));
    ck_assert(px_hdr_conn_specific(S("Transfer-Encoding")));
    ck_assert(px_hdr_conn_specific(S("UPGRADE")));
    ck_assert(px_hdr_conn_specific(S("Proxy-Connection")));
    ck_assert(!px_hdr_conn_specific(S("content-type")));
    ck_assert(!px_hdr_conn_specific(S("te")));
    ck_assert(px_hdr_is(S("Content-Length"), "content-length"));
    ck_assert(!px_hdr_is(S("Content-Lengt"), "content-length"));
    uint8_t buf[32];
    px_hdr_lower(buf, (const uint8_t *)"X-Custom-HEADER", 15);
    ck_assert_int_eq(memcmp(buf, "x-custom-header", 15), 0);
    ck_assert(px_hdr_valid_response_field(S("X-Ok"), S("fine value")));
    ck_assert(!px_hdr_valid_response_field(S("X-Bad"), S("a\r\nSet-Cookie: x")));
    ck_assert(!px_hdr_valid_response_field(S("Bad Name"), S("v")));
    ck_assert(!px_hdr_valid_response_field(S(""), S("v")));
    ck_assert(px_hdr_list_has(S("gzip, trailers"), "trailers"));
    ck_assert(px_hdr_list_has(S("Trailers;q=1"), "trailers"));
    ck_assert(!px_hdr_list_has(S("trailersx"), "trailers"));
    ck_assert(px_hdr_list_has(S("keep-alive, Close"), "close"));
}
END_TEST

START_TEST(trailer_fields)
{
    const char *bad[] = { ":status", "Content-Length", "transfer-encoding", "Host", "TE",
                          "connection", "Keep-Alive", "upgrade", "proxy-connection", "Trailer" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(px_hdr_forbidden_trailer(S(bad[i])), "%s allowed", bad[i]);
    ck_assert(!px_hdr_forbidden_trailer(S("x-checksum")));
    ck_assert(!px_hdr_forbidden_trailer(S("grpc-status")));
    ck_assert(!px_hdr_forbidden_trailer(S("server-timing")));
    ck_assert(!px_hdr_forbidden_trailer(S("tee")));
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

START_TEST(content_length)
{
    uint64_t v;
    ck_assert_int_eq(px_parse_content_length(S("0"), &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(px_parse_content_length(S(" 1048576 "), &v), 0);
    ck_assert_uint_eq(v, 1048576);
    ck_assert_int_eq(px_parse_content_length(S("-1"), &v), -1);
    ck_assert_int_eq(px_parse_content_length(S("1,1"), &v), -1);
    ck_assert_int_eq(px_parse_content_length(S(""), &v), -1);
    ck_assert_int_eq(px_parse_content_length(S("99999999999999999999"), &v), -1);
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
    tcase_add_test(tc, trailer_fields);
    tcase_add_test(tc, base64url);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, status_date_path);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_h1_fields.c: Check tests for the field lines of an HTTP/1 request head
 * and the fields that decide framing and connection handling
 * (proxy/h1/h1_fields.c; character classes from h1_lex.c, held to
 * common/tc_http's): names, values, Host, and the request-smuggling rules
 * for Content-Length and Transfer-Encoding, then Connection, Upgrade,
 * Expect and TE. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* before h1_check.h, whose globals would shadow h1_internal.h's parameters */
#include "h1_internal.h"
#include "h1_check.h"
#include "tc_http.h"

/* ---------- malformed field lines, with their exact status ---------- */

static const struct bad_case bad_field_lines[] = {
    /* field lines */
    BAD("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H ": a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "NoColon\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X(y): a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "\xc3\xa9: a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X: a\r\n b\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X: a\r\n\tb\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n X: a\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X: a\x01"
        "b\r\n\r\n",
        400),
    BAD("GET / HTTP/1.1\r\n" H "X: a\x7f"
        "b\r\n\r\n",
        400),
    BAD("GET / HTTP/1.1\r\n" H "X: \x1b[0m\r\n\r\n", 400),
    /* Host */
    BAD("GET / HTTP/1.1\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H H "\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400),
    BAD("GET / HTTP/1.0\r\n" H H "\r\n", 400),
    BAD("GET http://a/ HTTP/1.1\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: a:80:90\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400),
};

START_TEST(test_bad_field_lines) { check_bad_case(&bad_field_lines[_i], _i); }
END_TEST

/* ---------- framing that could smuggle a request, with its exact status ---------- */

static const struct bad_case bad_framing[] = {
    /* Content-Length */
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: -5\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 0x5\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5 5\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 1e3\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5;\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: ,\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5,\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5, 6\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\ncontent-length: 05\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775808\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551616\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n", 400),
    /* Transfer-Encoding */
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
        501),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, gzip\r\n\r\n", 501),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: identity\r\n\r\n", 501),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunkedx\r\n\r\n", 501),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", 501),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked;a=b\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: \"chunked\"\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked,\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: ,chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: x chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding : chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: x\r\n chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "X: y\r\n Transfer-Encoding: chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\0\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: \x0b"
        "chunked\r\n\r\n",
        400),
    /* Expect */
    BAD("POST / HTTP/1.1\r\n" H "Expect: foo\r\n\r\n", 417),
    BAD("POST / HTTP/1.1\r\n" H "Expect: 100-continue, foo\r\n\r\n", 417),
    BAD("POST / HTTP/1.1\r\n" H "Expect: 100-continuex\r\n\r\n", 417),
    BAD("POST / HTTP/1.1\r\n" H "Expect: 100-continue;a=b\r\n\r\n", 417),
};

START_TEST(test_bad_framing) { check_bad_case(&bad_framing[_i], _i); }
END_TEST

/* ---------- field lines ---------- */

START_TEST(test_field_values)
{
    static const char in[] = "GET / HTTP/1.1\r\nhOsT: a\r\nX-Pad:   \t in  side \t \r\n"
                             "Empty:\r\nEmpty2:   \r\nObs: caf\xc3\xa9\xff\r\nTab:\tx\ty\t\r\n\r\n";
    int r = PARSE(in);

    ck_assert_ok(r);
    ck_assert_uint_eq(req.nheaders, 6);
    ck_assert_span(hdrs[0].name, "hOsT");
    ck_assert_span(hdrs[0].value, "a");
    ck_assert_span(req.host, "a");
    ck_assert_span(hdrs[1].name, "X-Pad");
    ck_assert_span(hdrs[1].value, "in  side");
    ck_assert_span(hdrs[2].name, "Empty");
    ck_assert_uint_eq(hdrs[2].value.len, 0);
    ck_assert_uint_eq(hdrs[3].value.len, 0);
    ck_assert_span(hdrs[4].value, "caf\xc3\xa9\xff");
    ck_assert_span(hdrs[5].value, "x\ty");
}
END_TEST

START_TEST(test_field_names)
{
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n"));
    ck_assert_span(hdrs[1].name, "!#$%&'*+-.^_`|~09azAZ");
    ck_assert_status(PARSE("GET / HTTP/1.1\r\n" H "a\"b: v\r\n\r\n"), 400);
    ck_assert_status(PARSE("GET / HTTP/1.1\r\n" H "a b: v\r\n\r\n"), 400);
}
END_TEST

/* ---------- Host ---------- */

START_TEST(test_host)
{
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"));
    ck_assert_span(req.host, "example.com:8080");
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"));
    ck_assert_span(req.host, "[::1]:80");
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n"));
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\nHost: xn--caf-dma.example_-~%41!$&'()*+,;=\r\n\r\n"));
    /* an empty Host is valid (target had no authority) but still present */
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\nHost:\r\n\r\n"));
    ck_assert_uint_eq(req.host.len, 0);
    ck_assert_status(PARSE("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
    ck_assert_status(PARSE("GET / HTTP/1.1\r\n\r\n"), 400);
}
END_TEST

/* The parser's table repeats common/tc_http's classes so its loops read one
 * table; it must agree with them on every byte.  (px_h1_is_tchar's own
 * test moved to test_tc_http.c with the one definition.) */
START_TEST(test_classes_match_tc_http)
{
    for (int c = 0; c < 256; c++) {
        uint8_t b = (uint8_t)c;
        ck_assert_msg(px_h1_is(b, PX_H1_TCHAR) == tc_http_is_tchar(b), "TCHAR 0x%02x", c);
        ck_assert_msg(px_h1_is(b, PX_H1_FVAL) == tc_http_is_value_char(b), "FVAL 0x%02x", c);
        ck_assert_msg(px_h1_is(b, PX_H1_OWS) == tc_http_is_ows(b), "OWS 0x%02x", c);
    }
}
END_TEST

/* ---------- Content-Length ---------- */

START_TEST(test_content_length)
{
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nhello"));
    ck_assert_uint_eq(req.content_length, 5);
    ck_assert_uint_eq(req.chunked, 0);
    ck_assert_uint_eq(used, sizeof("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\n") - 1);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "content-LENGTH:  42 \r\n\r\n"));
    ck_assert_uint_eq(req.content_length, 42);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n"));
    ck_assert_uint_eq(req.content_length, 0);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 007\r\n\r\n"));
    ck_assert_uint_eq(req.content_length, 7);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 5, 5,5\r\n\r\n"));
    ck_assert_uint_eq(req.content_length, 5);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"));
    ck_assert_uint_eq(req.content_length, 5);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775807\r\n\r\n"));
    ck_assert_uint_eq(req.content_length, UINT64_C(9223372036854775807));
    ck_assert_status(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775808\r\n\r\n"),
                     400);
    ck_assert_ok(PARSE("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n"));
    ck_assert_uint_eq(req.content_length, 3);
}
END_TEST

/* ---------- Transfer-Encoding ---------- */

START_TEST(test_transfer_encoding)
{
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"));
    ck_assert_uint_eq(req.chunked, 1);
    ck_assert_uint_eq(req.content_length, TP_LENGTH_UNKNOWN);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "transfer-encoding:\t CHUNKED \t\r\n\r\n"));
    ck_assert_uint_eq(req.chunked, 1);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Transfer-Encoding: Chunked\r\n\r\n"));
    ck_assert_uint_eq(req.chunked, 1);
    ck_assert_status(
        PARSE("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"),
        400);
    ck_assert_status(PARSE("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    /* a name that only looks like it (no smuggling through near misses) */
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Transfer_Encoding: chunked\r\n\r\n"));
    ck_assert_uint_eq(req.chunked, 0);
    ck_assert_uint_eq(req.content_length, 0);
}
END_TEST

/* ---------- Connection, Upgrade ---------- */

START_TEST(test_connection)
{
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "\r\n"));
    ck_assert_uint_eq(req.keep_alive, 1);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: close\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: Keep-Alive, CLOSE\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: te\r\nConnection: ,close,\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: closed\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 1);
    ck_assert_ok(PARSE("GET / HTTP/1.0\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 1);
    ck_assert_ok(PARSE("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n"));
    ck_assert_uint_eq(req.keep_alive, 0);
}
END_TEST

START_TEST(test_upgrade)
{
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
    ck_assert_uint_eq(req.upgrade, 1);
    ck_assert_uint_eq(req.h2c_upgrade, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Upgrade: websocket\r\n\r\n"));
    ck_assert_uint_eq(req.upgrade, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: upgrade\r\n\r\n"));
    ck_assert_uint_eq(req.upgrade, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"));
    ck_assert_uint_eq(req.upgrade, 0);

    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: Upgrade, HTTP2-Settings\r\n"
                       "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"));
    ck_assert_uint_eq(req.upgrade, 1);
    ck_assert_uint_eq(req.h2c_upgrade, 1);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n"));
    ck_assert_uint_eq(req.h2c_upgrade, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: Upgrade\r\nUpgrade: h2c\r\n"
                       "HTTP2-Settings: A\r\nhttp2-settings: B\r\n\r\n"));
    ck_assert_uint_eq(req.h2c_upgrade, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                       "HTTP2-Settings: A\r\n\r\n"));
    ck_assert_uint_eq(req.h2c_upgrade, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "Upgrade: h2c\r\nHTTP2-Settings: A\r\n\r\n"));
    ck_assert_uint_eq(req.h2c_upgrade, 0);
}
END_TEST

/* ---------- Expect, TE ---------- */

START_TEST(test_expect)
{
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Expect: 100-continue\r\n\r\n"));
    ck_assert_uint_eq(req.expect_continue, 1);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "Expect: 100-Continue\r\n\r\n"));
    ck_assert_uint_eq(req.expect_continue, 1);
    ck_assert_ok(PARSE("POST / HTTP/1.1\r\n" H "\r\n"));
    ck_assert_uint_eq(req.expect_continue, 0);
    ck_assert_ok(PARSE("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"));
    ck_assert_uint_eq(req.expect_continue, 0);
    ck_assert_ok(PARSE("POST / HTTP/1.0\r\nExpect: foo\r\n\r\n"));
    ck_assert_status(PARSE("POST / HTTP/1.1\r\n" H "Expect: foo\r\n\r\n"), 417);
}
END_TEST

START_TEST(test_te_trailers)
{
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "TE: trailers\r\n\r\n"));
    ck_assert_uint_eq(req.te_trailers, 1);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "te: gzip;q=0.5, Trailers\r\n\r\n"));
    ck_assert_uint_eq(req.te_trailers, 1);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "TE: deflate\r\n\r\n"));
    ck_assert_uint_eq(req.te_trailers, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "TE: trailersx\r\n\r\n"));
    ck_assert_uint_eq(req.te_trailers, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "\r\n"));
    ck_assert_uint_eq(req.te_trailers, 0);
}
END_TEST

static Suite *h1_fields_suite(void)
{
    Suite *s = suite_create("h1_fields");
    TCase *fl = tcase_create("fields");
    TCase *fr = tcase_create("framing");

    tcase_add_loop_test(fl, test_bad_field_lines, 0, NELEM(bad_field_lines));
    tcase_add_test(fl, test_field_values);
    tcase_add_test(fl, test_field_names);
    tcase_add_test(fl, test_classes_match_tc_http);
    tcase_add_test(fl, test_host);
    suite_add_tcase(s, fl);

    tcase_add_loop_test(fr, test_bad_framing, 0, NELEM(bad_framing));
    tcase_add_test(fr, test_content_length);
    tcase_add_test(fr, test_transfer_encoding);
    tcase_add_test(fr, test_connection);
    tcase_add_test(fr, test_upgrade);
    tcase_add_test(fr, test_expect);
    tcase_add_test(fr, test_te_trailers);
    suite_add_tcase(s, fr);
    return s;
}

int main(void) { return run_suite(h1_fields_suite()); }

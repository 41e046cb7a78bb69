/* test_h1_request_line.c: Check tests for finding an HTTP/1 request head and
 * parsing its request line (proxy/h1/h1_parser.c): methods, the four target
 * forms, versions, the HTTP/2 preface, line endings, NUL and binary input
 * refused early, pipelining, and every split of the input. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1_check.h"

/* ---------- malformed request lines and heads, with their exact status ---------- */

static const struct bad_case bad_request_lines[] = {
    /* request line */
    BAD("G@T / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET  / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET /  HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET\t/ HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET /\tHTTP/1.1\r\n" H "\r\n", 400),
    BAD(" GET / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1.1 \r\n" H "\r\n", 400),
    BAD("GET /\r\n" H "\r\n", 400),
    BAD("GET / \r\n" H "\r\n", 400),
    BAD("GET\r\n" H "\r\n", 400),
    BAD("/ HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET / http/1.1\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1.1x\r\n" H "\r\n", 400),
    BAD("GET / HTTP/11.1\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1.a\r\n" H "\r\n", 400),
    BAD("GET / HTTP/a.1\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1,1\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1.2\r\n" H "\r\n", 505),
    BAD("GET / HTTP/1.9\r\n" H "\r\n", 505),
    BAD("GET / HTTP/2.0\r\n" H "\r\n", 505),
    BAD("GET / HTTP/3.0\r\n" H "\r\n", 505),
    BAD("GET / HTTP/0.9\r\n" H "\r\n", 505),
    BAD("GET / HTTP/9.9\r\n" H "\r\n", 505),
    BAD("PRI / HTTP/2.0\r\n\r\n", 505),
    BAD("PRI * HTTP/2.0\r\nX: y\r\n\r\n", 400),
    BAD("PRI * HTTP/1.1\r\n" H "\r\n", 400),
    /* request-target */
    BAD("GET /a\x01"
        "b HTTP/1.1\r\n" H "\r\n",
        400),
    BAD("GET /a\x7f"
        "b HTTP/1.1\r\n" H "\r\n",
        400),
    BAD("GET /a\x80"
        "b HTTP/1.1\r\n" H "\r\n",
        400),
    BAD("GET /\xff HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET /a#frag HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET * HTTP/1.1\r\n" H "\r\n", 400),
    BAD("OPTIONS ** HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET example.com:80 HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET foo HTTP/1.1\r\n" H "\r\n", 400),
    BAD("CONNECT / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("CONNECT example.com HTTP/1.1\r\n" H "\r\n", 400),
    BAD("CONNECT example.com: HTTP/1.1\r\n" H "\r\n", 400),
    BAD("CONNECT u@example.com:443 HTTP/1.1\r\n" H "\r\n", 400),
    BAD("CONNECT http://a/ HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET ftp://a/b HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET http:/a/b HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET http: HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET http:///b HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET http://user@host/ HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET http://[::1/ HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET http://a:8x/ HTTP/1.1\r\n" H "\r\n", 400),
    /* line endings, CR, LF, NUL */
    BAD("GET / HTTP/1.1\n" H "\r\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: a\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "\n", 400),
    BAD("GET / HTTP/1.1\n\n", 400),
    BAD("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X: 1\r\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\rX\r\n" H "\r\n", 400),
    BAD("GET /\r HTTP/1.1\r\n" H "\r\n", 400),
    BAD("\nGET / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("\r\nGET / HTTP/1.1\n" H "\r\n", 400),
    BAD("\r\r\nGET / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("\0GET / HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET /\0 HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1.1\0\r\n" H "\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X\0: a\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "\0\r\n\r\n", 400),
};

START_TEST(test_bad_request_lines) { check_bad_case(&bad_request_lines[_i], _i); }
END_TEST

/* ---------- request line and target forms ---------- */

START_TEST(test_simple_get)
{
    static const char in[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
    int r = PARSE(in);

    ck_assert_ok(r);
    ck_assert_uint_eq(used, sizeof(in) - 1);
    ck_assert_span(req.method, "GET");
    ck_assert_span(req.target, "/index.html");
    ck_assert_span(req.path, "/index.html");
    ck_assert_uint_eq(req.query.len, 0);
    ck_assert_span(req.host, "example.com");
    ck_assert_uint_eq(req.http_minor, 1);
    ck_assert_uint_eq(req.keep_alive, 1);
    ck_assert_uint_eq(req.chunked, 0);
    ck_assert_uint_eq(req.content_length, 0);
    ck_assert_uint_eq(req.nheaders, 1);
    ck_assert_ptr_eq(req.headers, hdrs);
    ck_assert_uint_eq(req.h2_preface, 0);
    ck_assert_uint_eq(req.upgrade, 0);
}
END_TEST

START_TEST(test_method_token)
{
    ck_assert_status(PARSE("M-SEARCH! * HTTP/1.1\r\n" H "\r\n"), 400); /* '*' only with OPTIONS */
    ck_assert_ok(PARSE("M-SEARCH~_.! / HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.method, "M-SEARCH~_.!");
    ck_assert_status(PARSE("GE(T / HTTP/1.1\r\n" H "\r\n"), 400);
    /* methods are case-sensitive: "connect" is not CONNECT */
    ck_assert_status(PARSE("connect a:443 HTTP/1.1\r\n" H "\r\n"), 400);
}
END_TEST

START_TEST(test_query_split)
{
    ck_assert_ok(PARSE("GET /a/b?x=1&y=2?z HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.path, "/a/b");
    ck_assert_span(req.query, "x=1&y=2?z");
    ck_assert_ok(PARSE("GET /a? HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.path, "/a");
    ck_assert_uint_eq(req.query.len, 0);
    ck_assert_ok(PARSE("GET /?q HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.path, "/");
    ck_assert_span(req.query, "q");
    /* printable but URI-unsafe bytes pass through for the app to judge */
    ck_assert_ok(PARSE("GET /a|b{c}%20\"<> HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.path, "/a|b{c}%20\"<>");
}
END_TEST

START_TEST(test_absolute_form)
{
    ck_assert_ok(PARSE("GET http://example.com:8080/p/q?x=y HTTP/1.1\r\nHost: other\r\n\r\n"));
    ck_assert_span(req.host, "example.com:8080");
    ck_assert_span(req.path, "/p/q");
    ck_assert_span(req.query, "x=y");
    ck_assert_span(req.target, "http://example.com:8080/p/q?x=y");

    ck_assert_ok(PARSE("GET HTTPS://[::1]:443 HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.host, "[::1]:443");
    ck_assert_span(req.path, "/");
    ck_assert_uint_eq(req.query.len, 0);

    ck_assert_ok(PARSE("GET http://h?a=b HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.host, "h");
    ck_assert_span(req.path, "/");
    ck_assert_span(req.query, "a=b");

    /* HTTP/1.0 needs no Host; the authority comes from the target */
    ck_assert_ok(PARSE("GET http://h/x HTTP/1.0\r\n\r\n"));
    ck_assert_span(req.host, "h");
}
END_TEST

START_TEST(test_authority_form)
{
    ck_assert_ok(PARSE("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
    ck_assert_span(req.method, "CONNECT");
    ck_assert_span(req.host, "example.com:443");
    ck_assert_uint_eq(req.path.len, 0);
    ck_assert_uint_eq(req.query.len, 0);
    ck_assert_ok(PARSE("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.host, "[2001:db8::1]:8443");
}
END_TEST

START_TEST(test_asterisk_form)
{
    ck_assert_ok(PARSE("OPTIONS * HTTP/1.1\r\n" H "\r\n"));
    ck_assert_span(req.target, "*");
    ck_assert_span(req.path, "*");
    ck_assert_status(PARSE("GET * HTTP/1.1\r\n" H "\r\n"), 400);
    ck_assert_status(PARSE("options * HTTP/1.1\r\n" H "\r\n"), 400);
}
END_TEST

START_TEST(test_versions)
{
    ck_assert_ok(PARSE("GET / HTTP/1.0\r\n\r\n"));
    ck_assert_uint_eq(req.http_minor, 0);
    ck_assert_uint_eq(req.keep_alive, 0);
    ck_assert_uint_eq(req.host.len, 0);
    ck_assert_ok(PARSE("GET / HTTP/1.0\r\nHost: h\r\n\r\n"));
    ck_assert_span(req.host, "h");
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "\r\n"));
    ck_assert_uint_eq(req.http_minor, 1);
    ck_assert_status(PARSE("GET / HTTP/1.2\r\n" H "\r\n"), 505);
    ck_assert_status(PARSE("GET / HTTP/1.x\r\n" H "\r\n"), 400);
}
END_TEST

START_TEST(test_h2_preface)
{
    static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    int r = PARSE(pre);

    ck_assert_ok(r);
    ck_assert_uint_eq(req.h2_preface, 1);
    /* nothing consumed: the whole preface goes to the HTTP/2 session */
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(PARSE("PRI * HTTP/2.0\r\n"), PX_H1_AGAIN);
    ck_assert_ok(PARSE("\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    ck_assert_uint_eq(req.h2_preface, 1);
    ck_assert_uint_eq(used, 2);
    ck_assert_ok(PARSE("GET / HTTP/1.1\r\n" H "\r\n"));
    ck_assert_uint_eq(req.h2_preface, 0);
}
END_TEST

/* ---------- line endings ---------- */

START_TEST(test_leading_empty_lines)
{
    static const char in[] = "\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n";
    static const char eight[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n";

    ck_assert_ok(PARSE(in));
    ck_assert_uint_eq(used, sizeof(in) - 1);
    ck_assert_span(req.method, "GET");
    ck_assert_ok(PARSE(eight));
    ck_assert_uint_eq(used, sizeof(eight) - 1);
    ck_assert_int_eq(PARSE("\r\n\r\n"), PX_H1_AGAIN);
    ck_assert_int_eq(PARSE("\r"), PX_H1_AGAIN);
    ck_assert_int_eq(PARSE(""), PX_H1_AGAIN);
    ck_assert_status(PARSE("\r\n\n"), 400);
}
END_TEST

START_TEST(test_bare_lf_fails_early)
{
    /* a bare LF is refused at once, not after waiting for a CRLF CRLF */
    ck_assert_status(PARSE("GET / HTTP/1.1\n"), 400);
    ck_assert_status(PARSE("GET / HTTP/1.1\r\nHost: a\nX"), 400);
    ck_assert_int_eq(PARSE("GET / HTTP/1.1\r\nHost: a\r\nX"), PX_H1_AGAIN);
}
END_TEST

START_TEST(test_binary_fails_early)
{
    /* a TLS ClientHello on the plain-text port: refused before any CRLF */
    ck_assert_status(PARSE("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400);
    ck_assert_status(PARSE("\x16"), 400);
    ck_assert_status(PARSE("GE\0"), 400);
    ck_assert_status(PARSE("GET\t"), 400);
    ck_assert_status(PARSE("GET\t/ HTTP/1.1\r\nHost: a\r\n"), 400);
    ck_assert_int_eq(PARSE("GET"), PX_H1_AGAIN);
    ck_assert_int_eq(PARSE("GET /\x01"), PX_H1_AGAIN); /* the target is judged whole */
}
END_TEST

/* ---------- pipelining and incremental input ---------- */

START_TEST(test_pipelined)
{
    static const char first[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
    static const char both[] =
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b?c HTTP/1.1\r\nHost: b\r\n\r\n";
    size_t off;

    ck_assert_ok(PARSE(both));
    ck_assert_uint_eq(used, sizeof(first) - 1);
    ck_assert_span(req.path, "/a");
    off = used;
    ck_assert_ok(parse_n(both + off, sizeof(both) - 1 - off));
    ck_assert_uint_eq(used, sizeof(both) - 1 - off);
    ck_assert_span(req.path, "/b");
    ck_assert_span(req.query, "c");
    ck_assert_span(req.host, "b");
    ck_assert_ptr_eq(req.path.ptr, (const uint8_t *)both + off + 4);
}
END_TEST

static const char *const split_reqs[] = {
    "GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n",
    "\r\n\r\nPOST http://h:1/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
    "PRI * HTTP/2.0\r\n\r\n",
};

START_TEST(test_every_split)
{
    const char *s = split_reqs[_i];
    size_t n = strlen(s);
    char *copy = malloc(n + 7);

    ck_assert_ptr_nonnull(copy);
    for (size_t k = 0; k < n; k++) {
        /* a fresh copy of exactly k bytes, so ASan catches any overread */
        char *part = malloc(k ? k : 1);
        memcpy(part, s, k);
        ck_assert_msg(parse_n(part, k) == PX_H1_AGAIN, "prefix %zu of case %d not AGAIN", k, _i);
        free(part);
    }
    memcpy(copy, s, n);
    memcpy(copy + n, "abcdefg", 7);
    ck_assert_ok(parse_n(copy, n));
    ck_assert_ok(parse_n(copy, n + 7));
    if (!req.h2_preface)
        ck_assert_uint_eq(used, n);
    free(copy);
}
END_TEST

START_TEST(test_spans_inside_buffer)
{
    static const char in[] = "GET /p?q HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n";
    const uint8_t *lo = (const uint8_t *)in, *hi = lo + sizeof(in) - 1;

    ck_assert_ok(PARSE(in));
    ck_assert(req.method.ptr >= lo && req.method.ptr + req.method.len <= hi);
    ck_assert(req.target.ptr >= lo && req.target.ptr + req.target.len <= hi);
    ck_assert(req.path.ptr >= lo && req.path.ptr + req.path.len <= hi);
    ck_assert(req.query.ptr >= lo && req.query.ptr + req.query.len <= hi);
    ck_assert(req.host.ptr >= lo && req.host.ptr + req.host.len <= hi);
    for (uint32_t i = 0; i < req.nheaders; i++) {
        ck_assert(hdrs[i].name.ptr >= lo && hdrs[i].name.ptr + hdrs[i].name.len <= hi);
        ck_assert(hdrs[i].value.ptr >= lo && hdrs[i].value.ptr + hdrs[i].value.len <= hi);
    }
}
END_TEST

static Suite *h1_request_line_suite(void)
{
    Suite *s = suite_create("h1_request_line");
    TCase *rl = tcase_create("request");
    TCase *in = tcase_create("incremental");

    tcase_add_loop_test(rl, test_bad_request_lines, 0, NELEM(bad_request_lines));
    tcase_add_test(rl, test_simple_get);
    tcase_add_test(rl, test_method_token);
    tcase_add_test(rl, test_query_split);
    tcase_add_test(rl, test_absolute_form);
    tcase_add_test(rl, test_authority_form);
    tcase_add_test(rl, test_asterisk_form);
    tcase_add_test(rl, test_versions);
    tcase_add_test(rl, test_h2_preface);
    tcase_add_test(rl, test_leading_empty_lines);
    tcase_add_test(rl, test_bare_lf_fails_early);
    tcase_add_test(rl, test_binary_fails_early);
    suite_add_tcase(s, rl);

    tcase_add_test(in, test_pipelined);
    tcase_add_loop_test(in, test_every_split, 0, NELEM(split_reqs));
    tcase_add_test(in, test_spans_inside_buffer);
    suite_add_tcase(s, in);
    return s;
}

int main(void) { return run_suite(h1_request_line_suite()); }

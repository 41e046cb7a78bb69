/* test_h1_parser.c: Check tests for the strict HTTP/1 request parser and the
 * chunked decoder (proxy/h1_*.c): every rule with a passing and a failing
 * case, the smuggling classics, limits at and one past, and every split. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1_parser.h"

#define MAXH 128

static tp_header hdrs[MAXH];
static px_h1_request req;
static size_t used;

static int parse_lim(const void *s, size_t n, const px_h1_limits *lim)
{
    return px_h1_parse_request(s, n, lim, &req, hdrs, MAXH, &used);
}

static int parse_n(const void *s, size_t n)
{
    return parse_lim(s, n, NULL);
}

#define PARSE(lit) parse_n(lit, sizeof(lit) - 1)

static int span_is(tp_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

#define ck_assert_span(s, want) \
    ck_assert_msg(span_is((s), (want)), "span is '%.*s', want '%s'", (int)(s).len, \
                  (const char *)(s).ptr, (want))

#define ck_assert_ok(r) \
    ck_assert_msg((r) == PX_H1_OK, "r=%d status=%d (%s)", (r), req.error_status, \
                  req.error ? req.error : "")

#define ck_assert_status(r, st)                                                       \
    do {                                                                              \
        ck_assert_int_eq((r), PX_H1_ERROR);                                           \
        ck_assert_int_eq(req.error_status, (st));                                     \
        ck_assert_ptr_nonnull(req.error);                                             \
    } while (0)

/* ---------- table of malformed requests and their exact status ---------- */

struct bad_case {
    const char *in;
    size_t len;
    int status;
};

#define BAD(lit, st) { lit, sizeof(lit) - 1, st }
#define H "Host: a\r\n"

static const struct bad_case bad_cases[] = {
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
    BAD("GET /a\x01" "b HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET /a\x7f" "b HTTP/1.1\r\n" H "\r\n", 400),
    BAD("GET /a\x80" "b HTTP/1.1\r\n" H "\r\n", 400),
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
    BAD("GET / HTTP/1.1\r\n" H "X: a\x01" "b\r\n\r\n", 400),
    BAD("GET / HTTP/1.1\r\n" H "X: a\x7f" "b\r\n\r\n", 400),
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
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
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
    BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: \x0b" "chunked\r\n\r\n", 400),
    /* Expect */
    BAD("POST / HTTP/1.1\r\n" H "Expect: foo\r\n\r\n", 417),
    BAD("POST / HTTP/1.1\r\n" H "Expect: 100-continue, foo\r\n\r\n", 417),
    BAD("POST / HTTP/1.1\r\n" H "Expect: 100-continuex\r\n\r\n", 417),
    BAD("POST / HTTP/1.1\r\n" H "Expect: 100-continue;a=b\r\n\r\n", 417),
};

START_TEST(test_bad_table)
{
    const struct bad_case *b = &bad_cases[_i];
    int r = parse_n(b->in, b->len);

    ck_assert_msg(r == PX_H1_ERROR && req.error_status == b->status,
                  "case %d: r=%d status=%d (%s), want %d", _i, r, req.error_status,
                  req.error ? req.error : "", b->status);
    ck_assert_ptr_nonnull(req.error);
    ck_assert_uint_eq(used, 0);
}
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
    ck_assert_int_eq(PARSE("GET /\x01"), PX_H1_AGAIN);   /* the target is judged whole */
}
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
    ck_assert_status(PARSE("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775808\r\n\r\n"), 400);
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
    ck_assert_status(PARSE("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"), 400);
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

/* ---------- limits ---------- */

/* A request whose request line is exactly n bytes (without CRLF). */
static size_t make_line(char *buf, size_t n, const char *rest)
{
    size_t tlen = n - 13;   /* "GET " + target + " HTTP/1.1" */

    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'a', tlen - 1);
    memcpy(buf + 4 + tlen, " HTTP/1.1", 9);
    strcpy(buf + n, rest);
    return n + strlen(rest);
}

START_TEST(test_limit_request_line)
{
    static char buf[12000];
    size_t n;

    n = make_line(buf, 4094, "\r\n" H "\r\n");
    ck_assert_ok(parse_n(buf, n));
    ck_assert_uint_eq(req.method.len + 1 + req.target.len + 9, 4094);
    n = make_line(buf, 4095, "\r\n" H "\r\n");
    ck_assert_status(parse_n(buf, n), 414);
    /* incomplete input: 414 as soon as the line is known to be too long */
    make_line(buf, 4094, "");
    ck_assert_int_eq(parse_n(buf, 4094), PX_H1_AGAIN);
    make_line(buf, 4094, "\r");
    ck_assert_int_eq(parse_n(buf, 4095), PX_H1_AGAIN);
    make_line(buf, 4095, "");
    ck_assert_status(parse_n(buf, 4095), 414);
    memset(buf, 'a', 5000);
    memcpy(buf, "GET /", 5);
    ck_assert_status(parse_n(buf, 5000), 414);
    /* 0 = unlimited */
    {
        px_h1_limits lim = {0, 100, 8190, 0};
        n = make_line(buf, 10000, "\r\n" H "\r\n");
        ck_assert_ok(parse_lim(buf, n, &lim));
        lim.max_request_line = 9999;
        ck_assert_status(parse_lim(buf, n, &lim), 414);
    }
}
END_TEST

/* Host plus (nfields - 1) "Xn: v" lines. */
static size_t make_fields(char *buf, int nfields)
{
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n" H);

    for (int i = 1; i < nfields; i++)
        n += (size_t)sprintf(buf + n, "X%d: v\r\n", i);
    n += (size_t)sprintf(buf + n, "\r\n");
    return n;
}

START_TEST(test_limit_fields)
{
    static char buf[8192];
    size_t n;

    n = make_fields(buf, 100);
    ck_assert_ok(parse_n(buf, n));
    ck_assert_uint_eq(req.nheaders, 100);
    n = make_fields(buf, 101);
    ck_assert_status(parse_n(buf, n), 431);
    /* too many fields is seen before the head is complete */
    ck_assert_status(parse_n(buf, n - 2), 431);
    {
        px_h1_limits lim = {4094, 3, 8190, 65536};
        n = make_fields(buf, 3);
        ck_assert_ok(parse_lim(buf, n, &lim));
        n = make_fields(buf, 4);
        ck_assert_status(parse_lim(buf, n, &lim), 431);
    }
    /* the caller's array bounds the count too */
    n = make_fields(buf, 5);
    ck_assert_ok(px_h1_parse_request((const uint8_t *)buf, n, NULL, &req, hdrs, 5, &used));
    ck_assert_int_eq(px_h1_parse_request((const uint8_t *)buf, n, NULL, &req, hdrs, 4, &used),
                     PX_H1_ERROR);
    ck_assert_int_eq(req.error_status, 431);
}
END_TEST

/* "GET / HTTP/1.1", Host, then "X: " + value where 1 + 2 + vlen == size. */
static size_t make_field_size(char *buf, size_t size, const char *ows)
{
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n" H "X:%s", ows);
    size_t vlen = size - 3;

    memset(buf + n, 'v', vlen);
    n += vlen;
    n += (size_t)sprintf(buf + n, "%s\r\n\r\n", ows);
    return n;
}

START_TEST(test_limit_field_size)
{
    static char buf[20000];
    size_t n;

    n = make_field_size(buf, 8190, " ");
    ck_assert_ok(parse_n(buf, n));
    ck_assert_uint_eq(hdrs[1].name.len + 2 + hdrs[1].value.len, 8190);
    n = make_field_size(buf, 8191, " ");
    ck_assert_status(parse_n(buf, n), 431);
    /* OWS around the value is not counted */
    n = make_field_size(buf, 8190, "   \t  ");
    ck_assert_ok(parse_n(buf, n));
    {
        px_h1_limits lim = {4094, 100, 0, 0};
        n = make_field_size(buf, 15000, " ");
        ck_assert_ok(parse_lim(buf, n, &lim));
    }
}
END_TEST

START_TEST(test_limit_head)
{
    static char buf[300];
    px_h1_limits lim = {4094, 100, 8190, 100};
    /* 16 + 9 + 2 + "X: " + value + 2 = 100 */
    size_t base = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n" H "X: ");
    size_t vlen = 100 - base - 4;
    size_t n;

    memset(buf + base, 'v', vlen);
    n = base + vlen + (size_t)sprintf(buf + base + vlen, "\r\n\r\n");
    ck_assert_uint_eq(n, 100);
    ck_assert_ok(parse_lim(buf, n, &lim));
    ck_assert_uint_eq(used, 100);
    /* body bytes after the head do not count */
    memcpy(buf + n, "GET / HTTP/1.1\r\n", 16);
    ck_assert_ok(parse_lim(buf, n + 16, &lim));
    ck_assert_uint_eq(used, 100);
    ck_assert_int_eq(parse_lim(buf, n - 1, &lim), PX_H1_AGAIN);
    lim.max_head = 99;
    ck_assert_status(parse_lim(buf, n, &lim), 431);
    /* incomplete: 99 bytes without an end are already more than 99 */
    ck_assert_status(parse_lim(buf, n - 1, &lim), 431);
    ck_assert_int_eq(parse_lim(buf, n - 2, &lim), PX_H1_AGAIN);
    /* leading empty lines count towards the head */
    lim.max_head = 100;
    memmove(buf + 2, buf, n);
    memcpy(buf, "\r\n", 2);
    ck_assert_status(parse_lim(buf, n + 2, &lim), 431);
    lim.max_head = 102;
    ck_assert_ok(parse_lim(buf, n + 2, &lim));
    ck_assert_uint_eq(used, 102);
}
END_TEST

/* ---------- pipelining and incremental input ---------- */

START_TEST(test_pipelined)
{
    static const char first[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
    static const char both[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b?c HTTP/1.1\r\nHost: b\r\n\r\n";
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

START_TEST(test_is_tchar)
{
    const char *yes = "!#$%&'*+-.^_`|~09AZaz";
    const char *no = " \t\"(),/:;<=>?@[\\]{}\x7f";

    for (const char *p = yes; *p; p++)
        ck_assert_msg(px_h1_is_tchar((uint8_t)*p), "'%c' should be a tchar", *p);
    for (const char *p = no; *p; p++)
        ck_assert_msg(!px_h1_is_tchar((uint8_t)*p), "'%c' should not be a tchar", *p);
    ck_assert(!px_h1_is_tchar(0));
    ck_assert(!px_h1_is_tchar(0x80));
    ck_assert(!px_h1_is_tchar(0xff));
}
END_TEST

/* ---------- chunked decoder ---------- */

/* Feeds in[0..n) first up to `first` bytes, then `step` more at a time,
 * the way a socket would; collects the body.  Returns the last result;
 * *end is where decoding stopped (just past the last chunk when done). */
static int decode(px_h1_chunked *c, const char *in, size_t n, size_t first, size_t step,
                  char *body, size_t *body_len, size_t *end)
{
    size_t pos = 0, lim = first < n ? first : n;

    *body_len = 0;
    for (int guard = 0; guard < 100000; guard++) {
        size_t u, off, dl;
        /* a fresh heap copy of just the visible bytes: ASan sees overreads */
        uint8_t *win = malloc(lim - pos + 1);
        int r;
        memcpy(win, in + pos, lim - pos);
        r = px_h1_chunked_decode(c, win, lim - pos, &u, &off, &dl);
        free(win);
        ck_assert_uint_le(u, lim - pos);
        if (dl) {
            ck_assert_uint_le(off + dl, u);
            memcpy(body + *body_len, in + pos + off, dl);
            *body_len += dl;
        }
        pos += u;
        *end = pos;
        if (r == PX_H1_ERROR) {
            ck_assert_ptr_nonnull(c->error);
            return r;
        }
        if (c->done)
            return r;
        if (r == PX_H1_AGAIN) {
            ck_assert_uint_eq(pos, lim);
            if (lim == n)
                return r;
            lim = (n - lim > step) ? lim + step : n;
        } else {
            ck_assert_msg(u > 0, "OK without progress");
        }
    }
    ck_abort_msg("decoder loops");
    return PX_H1_ERROR;
}

struct chunk_case {
    const char *in;
    size_t len;
    const char *body;   /* NULL: decoding must fail */
    size_t body_len;
    size_t end;         /* bytes of chunked body (rest is the next request) */
};

#define CHUNK_OK(lit, body, tail) \
    { lit tail, sizeof(lit tail) - 1, body, sizeof(body) - 1, sizeof(lit) - 1 }
#define CHUNK_BAD(lit) { lit, sizeof(lit) - 1, NULL, 0, 0 }

static const struct chunk_case chunk_cases[] = {
    CHUNK_OK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "GET / HTTP/1.1\r\n"),
    CHUNK_OK("0\r\n\r\n", "", ""),
    CHUNK_OK("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij", "X"),
    CHUNK_OK("0005\r\nhello\r\n000\r\n\r\n", "hello", ""),
    CHUNK_OK("5;a=b;c;d=\"x;y\\\"z\\\\\";e=\"\"\r\nhello\r\n0;f=g\r\nTrailer: v\r\nX-T:\r\n\r\n",
             "hello", "tail"),
    CHUNK_OK("3\r\n\r\n\0\r\n0\r\nA: b c\t\xff\r\n\r\n", "\r\n\0", ""),
    CHUNK_BAD("0x5\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5 ;ext\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5 \r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5\t\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD(" 5\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5; a=b\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;a =b\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;a=\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;=b\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;a=\"x\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;a=b=c\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5;a\0\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD(";a\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("-5\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("+5\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("g\r\n"),
    CHUNK_BAD("\r\n0\r\n\r\n"),
    CHUNK_BAD("5\0\r\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("8000000000000000\r\n"),
    CHUNK_BAD("10000000000000000\r\n"),
    CHUNK_BAD("ffffffffffffffffffff\r\n"),
    CHUNK_BAD("5\nhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5\rhello\r\n0\r\n\r\n"),
    CHUNK_BAD("5\r\nhelloX\r\n0\r\n\r\n"),
    CHUNK_BAD("5\r\nhello\n0\r\n\r\n"),
    CHUNK_BAD("5\r\nhello\rX0\r\n\r\n"),
    CHUNK_BAD("5\r\nhello0\r\n\r\n"),
    CHUNK_BAD("0\n\r\n"),
    CHUNK_BAD("0\r\n\n"),
    CHUNK_BAD("0\r\n\rX"),
    CHUNK_BAD("0\r\nX: a\r\n b\r\n\r\n"),
    CHUNK_BAD("0\r\n X: a\r\n\r\n"),
    CHUNK_BAD("0\r\nX Y: a\r\n\r\n"),
    CHUNK_BAD("0\r\nX : a\r\n\r\n"),
    CHUNK_BAD("0\r\n: a\r\n\r\n"),
    CHUNK_BAD("0\r\nX\r\n\r\n"),
    CHUNK_BAD("0\r\nX: a\x01\r\n\r\n"),
    CHUNK_BAD("0\r\nX: a\0\r\n\r\n"),
    CHUNK_BAD("0\r\nX: a\n\r\n"),
    CHUNK_BAD("0\r\nX: a\rb\r\n\r\n"),
};

START_TEST(test_chunked_every_split)
{
    const struct chunk_case *cc = &chunk_cases[_i];
    char *body = malloc(cc->len + 1);
    size_t blen, end;
    px_h1_chunked c;

    /* split == len: one call with everything; 0 < split < len: two pieces;
     * split == 0: one byte at a time */
    for (size_t split = 0; split <= cc->len; split++) {
        size_t first = split ? split : 1, step = split ? cc->len : 1;
        int r;
        px_h1_chunked_init(&c);
        r = decode(&c, cc->in, cc->len, first, step, body, &blen, &end);
        if (cc->body == NULL) {
            ck_assert_msg(r == PX_H1_ERROR, "case %d split %zu: r=%d", _i, split, r);
            continue;
        }
        ck_assert_msg(r == PX_H1_OK && c.done, "case %d split %zu: r=%d (%s)", _i, split, r,
                      c.error ? c.error : "");
        ck_assert_uint_eq(end, cc->end);
        ck_assert_uint_eq(blen, cc->body_len);
        ck_assert(memcmp(body, cc->body, blen) == 0);
    }
    free(body);
}
END_TEST

START_TEST(test_chunked_huge_size)
{
    px_h1_chunked c;
    size_t u, off, dl;
    static const char big[] = "7fffffffffffffff\r\nabc";

    px_h1_chunked_init(&c);
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)big, sizeof(big) - 1, &u, &off, &dl),
                     PX_H1_OK);
    ck_assert_uint_eq(off, 18);
    ck_assert_uint_eq(dl, 3);
    ck_assert_uint_eq(u, sizeof(big) - 1);
    ck_assert_uint_eq(c.remaining, UINT64_C(0x7fffffffffffffff) - 3);
    px_h1_chunked_init(&c);
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)"8000000000000000", 16, &u, &off, &dl),
                     PX_H1_ERROR);
    ck_assert_ptr_nonnull(c.error);
}
END_TEST

START_TEST(test_chunked_done_and_sticky)
{
    px_h1_chunked c;
    size_t u, off, dl;
    static const char in[] = "1\r\nx\r\n0\r\n\r\nPOST";

    px_h1_chunked_init(&c);
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)in, sizeof(in) - 1, &u, &off, &dl),
                     PX_H1_OK);
    ck_assert_uint_eq(dl, 1);
    ck_assert_uint_eq(off, 3);
    ck_assert_uint_eq(u, 4);
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)in + 4, sizeof(in) - 5, &u, &off, &dl),
                     PX_H1_OK);
    ck_assert_uint_eq(c.done, 1);
    ck_assert_uint_eq(dl, 0);
    ck_assert_uint_eq(4 + u, sizeof(in) - 1 - 4);
    /* done: nothing more is consumed (the next request is not ours) */
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)"POST", 4, &u, &off, &dl), PX_H1_OK);
    ck_assert_uint_eq(u, 0);
    /* empty input before done is AGAIN */
    px_h1_chunked_init(&c);
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)"", 0, &u, &off, &dl), PX_H1_AGAIN);
    /* errors are sticky */
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)"z", 1, &u, &off, &dl), PX_H1_ERROR);
    ck_assert_int_eq(px_h1_chunked_decode(&c, (const uint8_t *)"0\r\n\r\n", 5, &u, &off, &dl),
                     PX_H1_ERROR);
    ck_assert_uint_eq(u, 0);
}
END_TEST

START_TEST(test_chunked_line_limit)
{
    px_h1_chunked c;
    char body[64];
    size_t blen, end;
    static const char ok[] = "1;aaaaaaaa\r\nx\r\n0\r\n\r\n";   /* size line: 10 bytes */
    static const char bad[] = "1;aaaaaaaaa\r\nx\r\n0\r\n\r\n"; /* 11 bytes */

    px_h1_chunked_init(&c);
    c.max_line = 10;
    ck_assert_int_eq(decode(&c, ok, sizeof(ok) - 1, 1, 1, body, &blen, &end), PX_H1_OK);
    ck_assert(c.done);
    px_h1_chunked_init(&c);
    c.max_line = 10;
    ck_assert_int_eq(decode(&c, bad, sizeof(bad) - 1, 1, 1, body, &blen, &end), PX_H1_ERROR);
    ck_assert_str_eq(c.error, "chunk-size line too long");
}
END_TEST

START_TEST(test_chunked_default_line_limit)
{
    static char in[8192];
    px_h1_chunked c;
    char body[8];
    size_t blen, end, n;

    /* 4096 bytes of size line pass, 4097 do not */
    memcpy(in, "1;", 2);
    memset(in + 2, 'e', 4094);
    n = 4096 + (size_t)sprintf(in + 4096, "\r\nx\r\n0\r\n\r\n");
    px_h1_chunked_init(&c);
    ck_assert_int_eq(decode(&c, in, n, n, n, body, &blen, &end), PX_H1_OK);
    memset(in + 2, 'e', 4095);
    n = 4097 + (size_t)sprintf(in + 4097, "\r\nx\r\n0\r\n\r\n");
    px_h1_chunked_init(&c);
    ck_assert_int_eq(decode(&c, in, n, n, n, body, &blen, &end), PX_H1_ERROR);
}
END_TEST

START_TEST(test_chunked_trailer_limit)
{
    px_h1_chunked c;
    char body[64];
    size_t blen, end;
    /* trailer section = "X: 1234567890123\r\n\r\n" = 20 bytes */
    static const char ok[] = "0\r\nX: 1234567890123\r\n\r\n";
    static const char bad[] = "0\r\nX: 12345678901234\r\n\r\n";

    px_h1_chunked_init(&c);
    c.max_trailers = 20;
    ck_assert_int_eq(decode(&c, ok, sizeof(ok) - 1, 1, 1, body, &blen, &end), PX_H1_OK);
    ck_assert_uint_eq(c.trailer_bytes, 20);
    px_h1_chunked_init(&c);
    c.max_trailers = 20;
    ck_assert_int_eq(decode(&c, bad, sizeof(bad) - 1, 1, 1, body, &blen, &end), PX_H1_ERROR);
    ck_assert_str_eq(c.error, "trailer section too large");
    /* and a single trailer line is bounded by max_line */
    px_h1_chunked_init(&c);
    c.max_line = 5;
    ck_assert_int_eq(decode(&c, ok, sizeof(ok) - 1, 1, 1, body, &blen, &end), PX_H1_ERROR);
    ck_assert_str_eq(c.error, "trailer field too long");
}
END_TEST

START_TEST(test_chunked_after_head)
{
    /* head and chunked body in one buffer, as a connection would see it */
    static const char in[] = "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    char body[32];
    size_t blen, end;
    px_h1_chunked c;

    ck_assert_ok(PARSE(in));
    ck_assert_uint_eq(req.chunked, 1);
    px_h1_chunked_init(&c);
    ck_assert_int_eq(decode(&c, in + used, sizeof(in) - 1 - used, sizeof(in), 1, body, &blen, &end),
                     PX_H1_OK);
    ck_assert_uint_eq(blen, 9);
    ck_assert(memcmp(body, "Wikipedia", 9) == 0);
    ck_assert(memcmp(in + used + end, "GET / HTTP/1.1\r\n", 16) == 0);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *h1_suite(void)
{
    Suite *s = suite_create("h1_parser");
    TCase *rl = tcase_create("request");
    TCase *lim = tcase_create("limits");
    TCase *ch = tcase_create("chunked");

    tcase_add_loop_test(rl, test_bad_table, 0, NELEM(bad_cases));
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
    tcase_add_test(rl, test_field_values);
    tcase_add_test(rl, test_field_names);
    tcase_add_test(rl, test_host);
    tcase_add_test(rl, test_content_length);
    tcase_add_test(rl, test_transfer_encoding);
    tcase_add_test(rl, test_connection);
    tcase_add_test(rl, test_upgrade);
    tcase_add_test(rl, test_expect);
    tcase_add_test(rl, test_te_trailers);
    tcase_add_test(rl, test_pipelined);
    tcase_add_loop_test(rl, test_every_split, 0, NELEM(split_reqs));
    tcase_add_test(rl, test_spans_inside_buffer);
    tcase_add_test(rl, test_is_tchar);
    suite_add_tcase(s, rl);

    tcase_add_test(lim, test_limit_request_line);
    tcase_add_test(lim, test_limit_fields);
    tcase_add_test(lim, test_limit_field_size);
    tcase_add_test(lim, test_limit_head);
    suite_add_tcase(s, lim);

    tcase_add_loop_test(ch, test_chunked_every_split, 0, NELEM(chunk_cases));
    tcase_add_test(ch, test_chunked_huge_size);
    tcase_add_test(ch, test_chunked_done_and_sticky);
    tcase_add_test(ch, test_chunked_line_limit);
    tcase_add_test(ch, test_chunked_default_line_limit);
    tcase_add_test(ch, test_chunked_trailer_limit);
    tcase_add_test(ch, test_chunked_after_head);
    suite_add_tcase(s, ch);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(h1_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

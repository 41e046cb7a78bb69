/* test_h1_limits.c: Check tests for the HTTP/1 parser's limits
 * (limit_request_line, limit_request_fields, limit_request_field_size and
 * the head bound; proxy/h1/h1_parser.c, h1_fields.c): each at its value and one
 * past, on complete and incomplete input, and 0 as unlimited. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1_check.h"

/* A request whose request line is exactly n bytes (without CRLF). */
static size_t make_line(char *buf, size_t n, const char *rest)
{
    size_t tlen = n - 13; /* "GET " + target + " HTTP/1.1" */

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
        px_h1_limits lim = { 0, 100, 8190, 0 };
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
        px_h1_limits lim = { 4094, 3, 8190, 65536 };
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

/* "GET / HTTP/1.1", Host, then a field line "X:" ows value ows CRLF of
 * size bytes in all, CRLF included (Gunicorn's count). */
static size_t make_field_size(char *buf, size_t size, const char *ows)
{
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n" H "X:%s", ows);
    size_t vlen = size - 2 - 2 * strlen(ows) - 2;

    memset(buf + n, 'v', vlen);
    n += vlen;
    n += (size_t)sprintf(buf + n, "%s\r\n\r\n", ows);
    return n;
}

START_TEST(test_limit_field_size)
{
    static char buf[20000];
    size_t n;

    /* Gunicorn: len(line) + len("\r\n") > limit is refused, so with the
     * default 8190 a line of 8188 bytes plus its CRLF passes. */
    n = make_field_size(buf, 8190, " ");
    ck_assert_ok(parse_n(buf, n));
    ck_assert_uint_eq(hdrs[1].name.len + 2 + hdrs[1].value.len + 3, 8190); /* "X: v.. CRLF" */
    n = make_field_size(buf, 8191, " ");
    ck_assert_status(parse_n(buf, n), 431);
    /* OWS around the value is counted: it was sent */
    n = make_field_size(buf, 8190, "   \t  ");
    ck_assert_ok(parse_n(buf, n));
    n = make_field_size(buf, 8191, "   \t  ");
    ck_assert_status(parse_n(buf, n), 431);
    /* incomplete: refused once the line, without its CRLF yet, is too long */
    n = make_field_size(buf, 8191, "");
    ck_assert_int_eq(parse_n(buf, n - 5), PX_H1_AGAIN); /* 8188 bytes, no CRLF */
    ck_assert_status(parse_n(buf, n - 4), 431);         /* 8189 */
    {
        px_h1_limits lim = { 4094, 100, 0, 0 };
        n = make_field_size(buf, 15000, " ");
        ck_assert_ok(parse_lim(buf, n, &lim));
    }
}
END_TEST

/* A field array smaller than the limit is not the limit: hdrs_full says so,
 * and the same scan state may be passed again with a larger array. */
START_TEST(test_fields_array_grows)
{
    static char buf[8192];
    static tp_header small[4], big[200];
    px_h1_limits lim = { 4094, 150, 8190, 65536 };
    px_h1_scan sc;
    size_t n = make_fields(buf, 120);

    memset(&sc, 0, sizeof sc);
    ck_assert_int_eq(px_h1_parse_request_from(&sc, (const uint8_t *)buf, n, &lim, &req, small, 4,
                                              &used),
                     PX_H1_ERROR);
    ck_assert_int_eq(req.hdrs_full, 1);
    ck_assert_int_eq(px_h1_parse_request_from(&sc, (const uint8_t *)buf, n, &lim, &req, big, 200,
                                              &used),
                     PX_H1_OK);
    ck_assert_uint_eq(req.nheaders, 120);
    /* past the limit it is the limit that speaks */
    lim.max_fields = 100;
    memset(&sc, 0, sizeof sc);
    ck_assert_int_eq(px_h1_parse_request_from(&sc, (const uint8_t *)buf, n, &lim, &req, big, 200,
                                              &used),
                     PX_H1_ERROR);
    ck_assert_int_eq(req.hdrs_full, 0);
    ck_assert_int_eq(req.error_status, 431);
}
END_TEST

/* A head fed one byte at a time: with the scan state kept, each byte is
 * searched once (linear work), and the result is the one-shot parse's. */
START_TEST(test_head_scan_is_linear)
{
    static char buf[40000];
    static tp_header many[400];
    px_h1_limits lim = { 4094, 400, 8190, 65536 };
    px_h1_scan sc;
    size_t n = make_fields(buf, 300), k;
    int rc = PX_H1_AGAIN;

    memset(&sc, 0, sizeof sc);
    for (k = 1; k <= n && rc == PX_H1_AGAIN; k++)
        rc = px_h1_parse_request_from(&sc, (const uint8_t *)buf, k, &lim, &req, many, 400, &used);
    ck_assert_int_eq(rc, PX_H1_OK);
    ck_assert_uint_eq(k - 1, n);
    ck_assert_uint_eq(used, n);
    ck_assert_uint_eq(req.nheaders, 300);
    ck_assert_uint_le(sc.work, n);
    /* a field line fed byte by byte is refused at the same byte as whole */
    n = make_field_size(buf, 9000, " ");
    memset(&sc, 0, sizeof sc);
    rc = PX_H1_AGAIN;
    for (k = 1; k <= n && rc == PX_H1_AGAIN; k++)
        rc = px_h1_parse_request_from(&sc, (const uint8_t *)buf, k, &lim, &req, many, 400, &used);
    ck_assert_int_eq(rc, PX_H1_ERROR);
    ck_assert_int_eq(req.error_status, 431);
    ck_assert_uint_eq(k - 1, 16 + strlen(H) + 8189);
    ck_assert_uint_le(sc.work, n);
}
END_TEST

START_TEST(test_limit_head)
{
    static char buf[300];
    px_h1_limits lim = { 4094, 100, 8190, 100 };
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

static Suite *h1_limits_suite(void)
{
    Suite *s = suite_create("h1_limits");
    TCase *lim = tcase_create("limits");

    tcase_add_test(lim, test_limit_request_line);
    tcase_add_test(lim, test_limit_fields);
    tcase_add_test(lim, test_limit_field_size);
    tcase_add_test(lim, test_limit_head);
    tcase_add_test(lim, test_fields_array_grows);
    tcase_add_test(lim, test_head_scan_is_linear);
    suite_add_tcase(s, lim);
    return s;
}

int main(void) { return run_suite(h1_limits_suite()); }

/* h1_check.h: what the HTTP/1 parser's unit tests (test_h1_*.c) share: one
 * request and header array per test program that every parse fills, parse
 * shorthands, span and status assertions, and the check of a table of
 * malformed requests.  Header-only: each test program is one file. */
#ifndef TANDEM_H1_CHECK_H
#define TANDEM_H1_CHECK_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "h1_parser.h"

#define MAXH 128
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* The Host line most requests need to be valid HTTP/1.1. */
#define H "Host: a\r\n"

/* The last parse's result, its header spans and the bytes it consumed. */
static tp_header hdrs[MAXH];
static px_h1_request req;
static size_t used;

static inline int parse_lim(const void *s, size_t n, const px_h1_limits *lim)
{
    return px_h1_parse_request(s, n, lim, &req, hdrs, MAXH, &used);
}

static inline int parse_n(const void *s, size_t n) { return parse_lim(s, n, NULL); }

#define PARSE(lit) parse_n(lit, sizeof(lit) - 1)

static inline int span_is(tp_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

#define ck_assert_span(s, want)                                                    \
    ck_assert_msg(span_is((s), (want)), "span is '%.*s', want '%s'", (int)(s).len, \
                  (const char *)(s).ptr, (want))

#define ck_assert_ok(r)                                                          \
    ck_assert_msg((r) == PX_H1_OK, "r=%d status=%d (%s)", (r), req.error_status, \
                  req.error ? req.error : "")

#define ck_assert_status(r, st)                   \
    do {                                          \
        ck_assert_int_eq((r), PX_H1_ERROR);       \
        ck_assert_int_eq(req.error_status, (st)); \
        ck_assert_ptr_nonnull(req.error);         \
    } while (0)

/* A request the parser must refuse with exactly this status. */
struct bad_case {
    const char *in;
    size_t len;
    int status;
};

#define BAD(lit, st)             \
    {                            \
        lit, sizeof(lit) - 1, st \
    }

/* Case i of a table of bad requests: refused with its status and a reason
 * for the log, and nothing consumed. */
static inline void check_bad_case(const struct bad_case *b, int i)
{
    int r = parse_n(b->in, b->len);

    ck_assert_msg(r == PX_H1_ERROR && req.error_status == b->status,
                  "case %d: r=%d status=%d (%s), want %d", i, r, req.error_status,
                  req.error ? req.error : "", b->status);
    ck_assert_ptr_nonnull(req.error);
    ck_assert_uint_eq(used, 0);
}

/* Runs every test of s; the exit status for main(). */
static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif

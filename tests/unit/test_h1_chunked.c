/* test_h1_chunked.c: Check tests for the chunked transfer-coding decoder
 * (proxy/h1/h1_chunked.c): good and bad bodies under every split of the input,
 * chunk sizes near 2^63, the done and error states, the size-line and
 * trailer-section limits, and a body that follows its head in one buffer. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1_check.h"

/* Feeds in[0..n) first up to `first` bytes, then `step` more at a time,
 * the way a socket would; collects the body.  Returns the last result;
 * *end is where decoding stopped (just past the last chunk when done). */
static int decode(px_h1_chunked *c, const char *in, size_t n, size_t first, size_t step, char *body,
                  size_t *body_len, size_t *end)
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
    const char *body; /* NULL: decoding must fail */
    size_t body_len;
    size_t end; /* bytes of chunked body (rest is the next request) */
};

#define CHUNK_OK(lit, body, tail)                                               \
    {                                                                           \
        lit tail, sizeof(lit tail) - 1, body, sizeof(body) - 1, sizeof(lit) - 1 \
    }
#define CHUNK_BAD(lit)                   \
    {                                    \
        lit, sizeof(lit) - 1, NULL, 0, 0 \
    }

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
    ck_assert_int_eq(
        px_h1_chunked_decode(&c, (const uint8_t *)"8000000000000000", 16, &u, &off, &dl),
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
    ck_assert_int_eq(
        px_h1_chunked_decode(&c, (const uint8_t *)in + 4, sizeof(in) - 5, &u, &off, &dl), PX_H1_OK);
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

static Suite *h1_chunked_suite(void)
{
    Suite *s = suite_create("h1_chunked");
    TCase *ch = tcase_create("chunked");

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

int main(void) { return run_suite(h1_chunked_suite()); }

/* fuzz_h1.c: libFuzzer target for the proxy's HTTP/1 parser (proxy/h1/h1_*.c):
 * parses the input as a request head, decodes what follows as chunked when
 * the head says so, and aborts when any promise of h1_parser.h is broken. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "h1_parser.h"
#include "tc_http.h"

#define FUZZ_MAXH 128

#define CHECK(cond) FUZZ_CHECK("fuzz_h1", cond)

/* Tight limits reach the 414/431 paths with small inputs. */
static const px_h1_limits tight = { 64, 8, 96, 512 };

static int inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)buf;

    return a >= lo && a - lo <= len && n <= len - (a - lo);
}

static int valid_status(int s)
{
    return s == 400 || s == 414 || s == 417 || s == 431 || s == 501 || s == 505;
}

/* A parsed head holds only what RFC 9110 allows: token names, values with
 * no CTL other than HTAB and no OWS at their ends; the same as the rules
 * both daemons share (common/tc_http) say. */
static void check_header(const tp_header *h, const uint8_t *buf, size_t head)
{
    CHECK(inside(h->name.ptr, h->name.len, buf, head));
    CHECK(inside(h->value.ptr, h->value.len, buf, head));
    CHECK(h->name.len > 0);
    for (uint32_t i = 0; i < h->name.len; i++)
        CHECK(tc_http_is_tchar(h->name.ptr[i]));
    CHECK(tc_http_name_ok(h->name.ptr, h->name.len));
    CHECK(tc_http_value_ok(h->value.ptr, h->value.len));
    for (uint32_t i = 0; i < h->value.len; i++) {
        uint8_t c = h->value.ptr[i];
        CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
    if (h->value.len) {
        CHECK(h->value.ptr[0] != ' ' && h->value.ptr[0] != '\t');
        CHECK(h->value.ptr[h->value.len - 1] != ' ' && h->value.ptr[h->value.len - 1] != '\t');
    }
}

static void check_ok(const px_h1_request *req, const uint8_t *buf, size_t len, size_t used)
{
    CHECK(used <= len);
    CHECK(req->error_status == 0);
    if (req->h2_preface) {
        CHECK(req->nheaders == 0);
        return;
    }
    CHECK(used >= 16); /* "A / HTTP/1.0" CRLF CRLF is the shortest */
    CHECK(memcmp(buf + used - 4, "\r\n\r\n", 4) == 0);
    CHECK(inside(req->method.ptr, req->method.len, buf, used) && req->method.len > 0);
    CHECK(inside(req->target.ptr, req->target.len, buf, used) && req->target.len > 0);
    for (uint32_t i = 0; i < req->target.len; i++)
        CHECK(req->target.ptr[i] > 0x20 && req->target.ptr[i] < 0x7f);
    CHECK(inside(req->path.ptr, req->path.len, buf, used) ||
          (req->path.len == 1 && req->path.ptr[0] == '/'));
    CHECK(inside(req->query.ptr, req->query.len, buf, used));
    CHECK(req->host.len == 0 || inside(req->host.ptr, req->host.len, buf, used));
    CHECK(req->http_minor <= 1);
    CHECK(req->nheaders <= FUZZ_MAXH && req->headers != NULL);
    for (uint32_t i = 0; i < req->nheaders; i++)
        check_header(&req->headers[i], buf, used);
    if (req->chunked)
        CHECK(req->content_length == TP_LENGTH_UNKNOWN);
    else
        CHECK(req->content_length <= INT64_MAX);
    CHECK(!req->h2c_upgrade || req->upgrade);
    CHECK(!req->upgrade || req->http_minor == 1);
    CHECK(!req->expect_continue || req->http_minor == 1);
}

static int parse(const uint8_t *buf, size_t len, const px_h1_limits *lim, px_h1_request *req,
                 tp_header *hdrs, size_t *used)
{
    int r = px_h1_parse_request(buf, len, lim, req, hdrs, FUZZ_MAXH, used);

    CHECK(r == PX_H1_OK || r == PX_H1_AGAIN || r == PX_H1_ERROR);
    if (r == PX_H1_OK) {
        check_ok(req, buf, len, *used);
    } else {
        CHECK(*used == 0);
        if (r == PX_H1_ERROR)
            CHECK(valid_status(req->error_status) && req->error != NULL);
    }
    return r;
}

/* Parses an exact-size heap copy of buf[0..n) so ASan sees any overread. */
static int parse_copy(const uint8_t *buf, size_t n, px_h1_request *req, tp_header *hdrs,
                      size_t *used)
{
    uint8_t *copy = malloc(n ? n : 1);
    int r;

    CHECK(copy != NULL);
    if (n)
        memcpy(copy, buf, n);
    r = parse(copy, n, NULL, req, hdrs, used);
    free(copy);
    return r;
}

/* Decodes in[0..len) fed in pieces of `step` bytes; collects the body.
 * Returns the final result; *end is where decoding stopped. */
static int decode(const uint8_t *in, size_t len, size_t step, uint32_t max_line, uint8_t *body,
                  size_t *blen, size_t *end, int *done)
{
    px_h1_chunked c;
    size_t pos = 0, lim = step < len ? step : len;
    int r;

    px_h1_chunked_init(&c);
    c.max_line = max_line;
    c.max_trailers = max_line * 4; /* 0 (the default) with the default line */
    *blen = 0;
    for (;;) {
        size_t u, off, dl;
        r = px_h1_chunked_decode(&c, in + pos, lim - pos, &u, &off, &dl);
        CHECK(r == PX_H1_OK || r == PX_H1_AGAIN || r == PX_H1_ERROR);
        CHECK(u <= lim - pos);
        if (dl) {
            CHECK(r == PX_H1_OK && off + dl <= u);
            memcpy(body + *blen, in + pos + off, dl);
            *blen += dl;
        }
        pos += u;
        if (r == PX_H1_ERROR) {
            CHECK(c.error != NULL);
            break;
        }
        if (c.done)
            break;
        if (r == PX_H1_AGAIN) {
            CHECK(pos == lim);
            if (lim == len)
                break;
            lim = len - lim > step ? lim + step : len;
        } else {
            CHECK(u > 0);
        }
    }
    *end = pos;
    *done = c.done;
    CHECK(*blen <= pos);
    return r;
}

/* Any split of the input must decode to the same body, end and outcome. */
static void check_chunked(const uint8_t *in, size_t len, uint32_t max_line)
{
    uint8_t *b1 = malloc(len + 1), *b2 = malloc(len + 1);
    size_t l1, l2, e1, e2;
    int d1, d2, r1, r2;
    size_t step = 1 + (len ? in[len / 2] % 7 : 0);

    CHECK(b1 && b2);
    r1 = decode(in, len, len ? len : 1, max_line, b1, &l1, &e1, &d1);
    r2 = decode(in, len, 1, max_line, b2, &l2, &e2, &d2);
    CHECK((r1 == PX_H1_ERROR) == (r2 == PX_H1_ERROR));
    CHECK(d1 == d2 && e1 == e2 && l1 == l2 && memcmp(b1, b2, l1) == 0);
    r2 = decode(in, len, step, max_line, b2, &l2, &e2, &d2);
    CHECK((r1 == PX_H1_ERROR) == (r2 == PX_H1_ERROR));
    CHECK(d1 == d2 && e1 == e2 && l1 == l2 && memcmp(b1, b2, l1) == 0);
    free(b1);
    free(b2);
}

/* A complete head does not depend on the bytes after it; one byte short
 * it is incomplete; tighter limits never accept what defaults refuse. */
static void check_consistency(const uint8_t *data, size_t size, int r, size_t used, int preface,
                              tp_header *hdrs)
{
    px_h1_request req2;
    size_t used2;
    int r2;

    if (r == PX_H1_OK && !preface) {
        CHECK(parse_copy(data, used, &req2, hdrs, &used2) == PX_H1_OK && used2 == used);
        CHECK(parse_copy(data, used - 1, &req2, hdrs, &used2) == PX_H1_AGAIN);
    }
    if (r == PX_H1_AGAIN && size > 0)
        CHECK(parse_copy(data, size / 2, &req2, hdrs, &used2) == PX_H1_AGAIN);
    r2 = parse(data, size, &tight, &req2, hdrs, &used2);
    if (r2 == PX_H1_OK)
        CHECK(r == PX_H1_OK && used2 == used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tp_header hdrs[FUZZ_MAXH];
    px_h1_request req;
    size_t used;
    int r = parse(data, size, NULL, &req, hdrs, &used);

    if (r == PX_H1_OK && req.chunked)
        check_chunked(data + used, size - used, 0);
    check_consistency(data, size, r, used, r == PX_H1_OK && req.h2_preface, hdrs);
    /* the decoder on its own, over the raw input, default and tight lines */
    check_chunked(data, size, 0);
    check_chunked(data, size, 16);
    return 0;
}

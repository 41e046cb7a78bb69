/* h1_internal.h: what the HTTP/1 parser's files share (character classes,
 * small helpers, the per-head field state).  Not part of the public API. */
#ifndef TANDEM_H1_INTERNAL_H
#define TANDEM_H1_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "h1_parser.h"
#include "tc_http.h"

/* Character classes, one bit each in px_h1_cc[] (h1_lex.c).  One table
 * lookup per byte is what keeps the hot loops branch-light.  TCHAR, FVAL and
 * OWS are common/tc_http's tchar, value byte and OWS classes (a unit test
 * compares every byte); the others are the parser's own. */
#define PX_H1_TCHAR 0x01  /* token (RFC 9110 §5.6.2): methods, field names, codings */
#define PX_H1_FVAL 0x02   /* field-vchar / obs-text / SP / HTAB: anything in a field value */
#define PX_H1_TARGET 0x04 /* request-target byte: VCHAR except '#' */
#define PX_H1_HEX 0x08    /* HEXDIG */
#define PX_H1_HOST 0x10   /* uri-host / port: unreserved, sub-delims, '%', ':', '[', ']' */
#define PX_H1_OWS 0x20    /* SP / HTAB */
#define PX_H1_QDTEXT 0x40 /* quoted-string content (RFC 9110 §5.6.4), without '\\' */

extern const uint8_t px_h1_cc[256];

static inline int px_h1_is(uint8_t c, uint8_t cls) { return (px_h1_cc[c] & cls) != 0; }

/* SWAR: non-zero when any of the 8 bytes in x is below n (n <= 128) or
 * equal to b.  Exact as a yes/no answer (bit-twiddling hacks, "hasless"). */
#define PX_H1_ONES UINT64_C(0x0101010101010101)
#define PX_H1_HIGH UINT64_C(0x8080808080808080)

static inline uint64_t px_h1_any_below(uint64_t x, uint8_t n)
{
    return (x - PX_H1_ONES * n) & ~x & PX_H1_HIGH;
}

static inline uint64_t px_h1_any_eq(uint64_t x, uint8_t b)
{
    uint64_t y = x ^ (PX_H1_ONES * b);
    return (y - PX_H1_ONES) & ~y & PX_H1_HIGH;
}

/* Index of the first byte at or after i that is not field-value text
 * (PX_H1_FVAL).  Eight bytes at a time while p[i..i+8) lies below limit;
 * the byte loop finishes (HTAB takes it too: rare).  The caller guarantees
 * a terminating CR before the end of the buffer. */
static inline size_t px_h1_skip_fval(const uint8_t *p, size_t i, size_t limit)
{
    while (i + 8 <= limit) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        if (px_h1_any_below(x, 0x20) | px_h1_any_eq(x, 0x7f))
            break;
        i += 8;
    }
    while (px_h1_is(p[i], PX_H1_FVAL))
        i++;
    return i;
}

/* ASCII case-insensitive equality of a span with a lower-case literal. */
#define PX_H1_IEQ(p, len, lit) tc_http_name_eq((p), (len), (lit), sizeof(lit) - 1)

static inline int px_h1_fail(px_h1_request *req, int status, const char *why)
{
    req->error_status = status;
    req->error = why;
    return PX_H1_ERROR;
}

/* Walks a #list (RFC 9110 §5.6.1): each call yields the next element with
 * OWS trimmed (possibly empty).  Quoted commas are not special: no list we
 * act on can turn an invalid value into a valid one by splitting inside
 * quotes (see h1_fields.c). */
typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    int done;
} px_h1_list;

void px_h1_list_init(px_h1_list *l, tp_str value);
int px_h1_list_next(px_h1_list *l, tp_str *elem);
int px_h1_is_token(tp_str s);

/* What the field lines said, folded into the request once all are read. */
typedef struct {
    uint32_t host_count;
    tp_str host;
    uint8_t cl_seen;
    tp_str cl_text; /* first Content-Length element, for the identity check */
    uint64_t cl;
    uint8_t te_seen;
    uint8_t te_unknown;      /* a transfer coding other than chunked */
    uint8_t te_last_chunked; /* the final coding is chunked */
    uint32_t te_chunked;     /* times chunked was listed */
    uint8_t conn_close, conn_keep_alive, conn_upgrade;
    uint8_t upgrade_hdr, upgrade_h2c, upgrade_websocket;
    uint32_t settings_count;
    uint8_t expect_continue;
    uint8_t te_trailers;
} px_h1_fields;

/* Parses the field lines in buf[pos..end) (end = the final empty line's CR)
 * into req->headers and fs.  The caller has verified every LF in range is
 * preceded by CR, so each line is known to end inside the buffer. */
int px_h1_parse_fields(const uint8_t *buf, size_t pos, size_t end, const px_h1_limits *lim,
                       uint32_t max_hdrs, px_h1_request *req, px_h1_fields *fs);

/* Applies the cross-field rules (Host count, framing, connection options). */
int px_h1_finish_fields(px_h1_request *req, const px_h1_fields *fs, int authority_in_target);

/* uri-host [ ":" port ] (RFC 9110 §4.2/7.2), no userinfo. */
int px_h1_valid_authority(const uint8_t *p, size_t n, int require_port);

#endif

/* tp_wire.h: private to protocol/: big-endian loads and stores, a bounds-checked
 * reader, and the rules the encoders and decoders share so they cannot drift. */
#ifndef TANDEM_TP_WIRE_H
#define TANDEM_TP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tp.h"

/* Fixed part of REQUEST_HEAD, before the strings. */
#define TP_REQUEST_FIXED_SIZE 35u

/* Byte-at-a-time so unaligned input is fine and the compiler still emits
 * one bswap'd load. */
static inline uint16_t tp_load16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t tp_load32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t tp_load64(const uint8_t *p)
{
    return (uint64_t)tp_load32(p) << 32 | tp_load32(p + 4);
}

static inline uint8_t *tp_store8(uint8_t *p, uint8_t v)
{
    p[0] = v;
    return p + 1;
}

static inline uint8_t *tp_store16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static inline uint8_t *tp_store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static inline uint8_t *tp_store64(uint8_t *p, uint64_t v)
{
    return tp_store32(tp_store32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

/* memcpy(p, NULL, 0) is undefined, and empty strings may carry NULL. */
static inline uint8_t *tp_store_bytes(uint8_t *p, const uint8_t *src, uint32_t n)
{
    if (n)
        memcpy(p, src, n);
    return p + n;
}

static inline uint8_t *tp_store_str(uint8_t *p, tp_str s)
{
    return tp_store_bytes(tp_store32(p, s.len), s.ptr, s.len);
}

/* Remaining input of one payload.  Every take compares against `left`,
 * never computes an end pointer, so a hostile length cannot wrap. */
typedef struct {
    const uint8_t *p;
    size_t left;
} tp_reader;

static inline const uint8_t *tp_take(tp_reader *r, size_t n)
{
    const uint8_t *at = r->p;

    if (n > r->left)
        return NULL;
    r->p += n;
    r->left -= n;
    return at;
}

int tp_read_str(tp_reader *r, tp_str *out);
int tp_read_headers(tp_reader *r, tp_header *hdrs, uint32_t max_hdrs, uint32_t *count);
/* Encoded size of a header list, saturating just above TP_MAX_PAYLOAD. */
uint64_t tp_headers_size(uint32_t n, const tp_header *headers);
uint8_t *tp_store_headers(uint8_t *p, uint32_t n, const tp_header *headers);
/* TP_E_VALUE when a string claims bytes but has no pointer. */
int tp_str_check(tp_str s);
int tp_headers_check(uint32_t n, const tp_header *headers);

/* The header rules of tp_frame_header_decode, for encoders too. */
int tp_frame_check(const tp_frame_header *h, uint32_t max_payload);
/* Checks h, reserves header + payload in b, writes the header and points
 * *payload at where the h->length payload bytes go (b->len already counts
 * them).  On error b is unchanged. */
int tp_frame_start(tp_buf *b, const tp_frame_header *h, uint8_t **payload);

#endif

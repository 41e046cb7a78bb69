/* tp_fields.c: length-prefixed strings and header lists, the variable part
 * shared by REQUEST_HEAD, RESPONSE_INFO/HEAD and TRAILERS. */
#include "tp_wire.h"

/* Smallest encoding of one header: two empty strings. */
#define TP_HEADER_MIN_SIZE 8u

int tp_read_str(tp_reader *r, tp_str *out)
{
    const uint8_t *p = tp_take(r, 4);
    uint32_t len;

    if (!p)
        return TP_E_TRUNCATED;
    len = tp_load32(p);
    p = tp_take(r, len);
    if (!p)
        return TP_E_TRUNCATED;
    out->ptr = p;
    out->len = len;
    return TP_OK;
}

/* A count the payload cannot hold is the frame's fault (TRUNCATED) and is
 * reported before a count the caller cannot hold (TOO_MANY), so a receiver
 * may treat TOO_MANY as a per-stream failure with the link still in sync. */
int tp_read_headers(tp_reader *r, tp_header *hdrs, uint32_t max_hdrs, uint32_t *count)
{
    const uint8_t *p = tp_take(r, 4);
    uint32_t n, i;
    int rc;

    if (!p)
        return TP_E_TRUNCATED;
    n = tp_load32(p);
    if (n > r->left / TP_HEADER_MIN_SIZE)
        return TP_E_TRUNCATED;
    if (n > max_hdrs)
        return TP_E_TOO_MANY;
    for (i = 0; i < n; i++) {
        rc = tp_read_str(r, &hdrs[i].name);
        if (rc == TP_OK)
            rc = tp_read_str(r, &hdrs[i].value);
        if (rc != TP_OK)
            return rc;
    }
    *count = n;
    return TP_OK;
}

/* Saturates so a hostile or buggy array cannot wrap 64 bits: each step adds
 * less than 2^34, and we stop once past the ceiling.  A missing array is
 * "not encodable", which callers already treat as too big. */
uint64_t tp_headers_size(uint32_t n, const tp_header *headers)
{
    uint64_t size = 4;
    uint32_t i;

    if (n && !headers)
        return (uint64_t)TP_MAX_PAYLOAD + 1;
    for (i = 0; i < n && size <= TP_MAX_PAYLOAD; i++)
        size += (uint64_t)TP_HEADER_MIN_SIZE + headers[i].name.len + headers[i].value.len;
    return size;
}

uint8_t *tp_store_headers(uint8_t *p, uint32_t n, const tp_header *headers)
{
    uint32_t i;

    p = tp_store32(p, n);
    for (i = 0; i < n; i++) {
        p = tp_store_str(p, headers[i].name);
        p = tp_store_str(p, headers[i].value);
    }
    return p;
}

int tp_str_check(tp_str s) { return s.len && !s.ptr ? TP_E_VALUE : TP_OK; }

int tp_headers_check(uint32_t n, const tp_header *headers)
{
    uint32_t i;

    if (n && !headers)
        return TP_E_VALUE;
    for (i = 0; i < n; i++) {
        if (tp_str_check(headers[i].name) || tp_str_check(headers[i].value))
            return TP_E_VALUE;
    }
    return TP_OK;
}

/* tp_request.c: REQUEST_HEAD, the one frame that opens a stream and carries
 * everything a worker needs for the WSGI environ / ASGI scope. */
#include <stddef.h>

#include "tp_wire.h"

#define TP_REQ_KNOWN_FLAGS                                                            \
    (TP_REQ_TLS | TP_REQ_HAS_PRIORITY | TP_REQ_EXPECT_CONTINUE | TP_REQ_TE_TRAILERS | \
     TP_REQ_EARLY_HINTS | TP_REQ_WEBSOCKET)
/* RFC 7540 stream ids, and so dependencies, are 31 bits. */
#define TP_H2_MAX_STREAM 0x7fffffffu

/* The strings in wire order, which is struct order (tandem-protocol(7)).
 * A table keeps encoder, decoder and size in the same order by construction. */
static const size_t tp_req_str_off[TP_REQUEST_NSTRINGS] = {
    offsetof(tp_request_head, method),
    offsetof(tp_request_head, scheme),
    offsetof(tp_request_head, authority),
    offsetof(tp_request_head, path),
    offsetof(tp_request_head, query),
    offsetof(tp_request_head, peer_addr),
    offsetof(tp_request_head, local_addr),
    offsetof(tp_request_head, tls_version),
    offsetof(tp_request_head, tls_cipher),
    offsetof(tp_request_head, alpn),
    offsetof(tp_request_head, sni),
    offsetof(tp_request_head, proxy_protocol),
    offsetof(tp_request_head, proxy_addr),
    offsetof(tp_request_head, client_verify),
    offsetof(tp_request_head, client_cert),
    offsetof(tp_request_head, client_s_dn),
    offsetof(tp_request_head, client_i_dn),
    offsetof(tp_request_head, client_serial),
    offsetof(tp_request_head, client_v_start),
    offsetof(tp_request_head, client_v_end),
};

static tp_str tp_req_str(const tp_request_head *h, unsigned i)
{
    return *(const tp_str *)(const void *)((const char *)h + tp_req_str_off[i]);
}

static tp_str *tp_req_str_at(tp_request_head *h, unsigned i)
{
    return (tp_str *)(void *)((char *)h + tp_req_str_off[i]);
}

tp_str *tp_request_string(tp_request_head *h, unsigned i)
{
    return i < TP_REQUEST_NSTRINGS ? tp_req_str_at(h, i) : NULL;
}

static int tp_req_version_ok(const tp_request_head *h)
{
    if (h->http_major == 1)
        return h->http_minor <= 1;
    return h->http_major == 2 && h->http_minor == 0;
}

/* Priority ranges are checked even without TP_REQ_HAS_PRIORITY because a
 * zeroed struct satisfies them; the RFC 7540 weight has no valid zero, so it
 * is checked only when the flag says the fields mean something. */
static int tp_req_prio_ok(const tp_request_head *h)
{
    if (h->prio_exclusive > 1 || h->prio_urgency > 7 || h->prio_incremental > 1)
        return 0;
    if (!(h->flags & TP_REQ_HAS_PRIORITY))
        return 1;
    return h->prio_weight >= 1 && h->prio_weight <= 256 && h->prio_depends_on <= TP_H2_MAX_STREAM;
}

/* What a worker may rely on after a successful decode. */
static int tp_req_check(const tp_request_head *h)
{
    if (h->flags & ~TP_REQ_KNOWN_FLAGS)
        return TP_E_RESERVED;
    if (!tp_req_version_ok(h) || !tp_req_prio_ok(h) || h->method.len == 0)
        return TP_E_VALUE;
    return TP_OK;
}

/* The strings' encoded size, or TP_E_VALUE when one claims bytes but has
 * no pointer: one pass, since the encoder runs once per request. */
static int tp_req_strings_size(const tp_request_head *h, uint64_t *size)
{
    uint64_t n = 0;
    unsigned i;

    for (i = 0; i < TP_REQUEST_NSTRINGS; i++) {
        tp_str str = tp_req_str(h, i);
        if (str.len && !str.ptr)
            return TP_E_VALUE;
        n += 4 + (uint64_t)str.len;
    }
    *size = n;
    return TP_OK;
}

uint64_t tp_request_head_size(const tp_request_head *h)
{
    uint64_t size = TP_REQUEST_FIXED_SIZE;
    unsigned i;

    for (i = 0; i < TP_REQUEST_NSTRINGS; i++)
        size += 4 + (uint64_t)tp_req_str(h, i).len;
    return size + tp_headers_size(h->nheaders, h->headers);
}

static uint8_t *tp_req_store_fixed(uint8_t *p, const tp_request_head *h)
{
    p = tp_store8(p, h->http_major);
    p = tp_store8(p, h->http_minor);
    p = tp_store16(p, h->flags);
    p = tp_store64(p, h->content_length);
    p = tp_store16(p, h->prio_weight);
    p = tp_store32(p, h->prio_depends_on);
    p = tp_store8(p, h->prio_exclusive);
    p = tp_store8(p, h->prio_urgency);
    p = tp_store8(p, h->prio_incremental);
    p = tp_store16(p, h->peer_port);
    p = tp_store16(p, h->local_port);
    p = tp_store32(p, h->conn_id);
    p = tp_store32(p, h->h2_stream_id);
    return tp_store16(p, h->proxy_port);
}

static void tp_req_load_fixed(const uint8_t *p, tp_request_head *h)
{
    h->http_major = p[0];
    h->http_minor = p[1];
    h->flags = tp_load16(p + 2);
    h->content_length = tp_load64(p + 4);
    h->prio_weight = tp_load16(p + 12);
    h->prio_depends_on = tp_load32(p + 14);
    h->prio_exclusive = p[18];
    h->prio_urgency = p[19];
    h->prio_incremental = p[20];
    h->peer_port = tp_load16(p + 21);
    h->local_port = tp_load16(p + 23);
    h->conn_id = tp_load32(p + 25);
    h->h2_stream_id = tp_load32(p + 29);
    h->proxy_port = tp_load16(p + 33);
}

int tp_encode_request_head(tp_buf *b, uint32_t stream, uint8_t flags, const tp_request_head *h)
{
    tp_frame_header fh = { 0, TP_FRAME_REQUEST_HEAD, flags, stream };
    uint64_t size;
    uint8_t *p;
    unsigned i;
    int rc;

    rc = tp_req_strings_size(h, &size);
    if (rc == TP_OK)
        rc = tp_headers_check(h->nheaders, h->headers);
    if (rc == TP_OK)
        rc = tp_req_check(h);
    if (rc != TP_OK)
        return rc;
    size += TP_REQUEST_FIXED_SIZE + tp_headers_size(h->nheaders, h->headers);
    if (size > TP_MAX_PAYLOAD)
        return TP_E_TOO_BIG;
    fh.length = (uint32_t)size;
    rc = tp_frame_start(b, &fh, &p);
    if (rc != TP_OK)
        return rc;
    p = tp_req_store_fixed(p, h);
    for (i = 0; i < TP_REQUEST_NSTRINGS; i++)
        p = tp_store_str(p, tp_req_str(h, i));
    tp_store_headers(p, h->nheaders, h->headers);
    return TP_OK;
}

/* Framing errors (TRUNCATED, TRAILING) win over value errors: the fields are
 * only judged once the whole payload is known to be well formed. */
int tp_decode_request_head(const uint8_t *payload, size_t len, tp_request_head *out,
                           tp_header *hdrs, uint32_t max_hdrs)
{
    tp_reader r = { payload, len };
    const uint8_t *fixed = tp_take(&r, TP_REQUEST_FIXED_SIZE);
    unsigned i;
    int rc;

    out->nheaders = 0;
    out->headers = hdrs;
    if (!fixed)
        return TP_E_TRUNCATED;
    tp_req_load_fixed(fixed, out);
    for (i = 0; i < TP_REQUEST_NSTRINGS; i++) {
        rc = tp_read_str(&r, tp_req_str_at(out, i));
        if (rc != TP_OK)
            return rc;
    }
    rc = tp_read_headers(&r, hdrs, max_hdrs, &out->nheaders);
    if (rc != TP_OK)
        return rc;
    if (r.left)
        return TP_E_TRAILING;
    return tp_req_check(out);
}

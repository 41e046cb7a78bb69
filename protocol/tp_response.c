/* tp_response.c: RESPONSE_INFO (1xx), RESPONSE_HEAD and TRAILERS, which share
 * one layout: a status (absent in TRAILERS) and a header list. */
#include "tp_wire.h"

static int tp_resp_has_status(uint8_t type) { return type != TP_FRAME_TRAILERS; }

/* The status range is what tells the proxy whether a head is interim or
 * final, so it is enforced on both ends of the wire. */
static int tp_resp_status_ok(uint8_t type, uint16_t status)
{
    switch (type) {
    case TP_FRAME_RESPONSE_INFO: return status >= 100 && status <= 199;
    case TP_FRAME_RESPONSE_HEAD: return status == 101 || (status >= 200 && status <= 999);
    default: return status == 0;
    }
}

static int tp_resp_type_ok(uint8_t type)
{
    return type == TP_FRAME_RESPONSE_INFO || type == TP_FRAME_RESPONSE_HEAD ||
           type == TP_FRAME_TRAILERS;
}

static uint64_t tp_resp_size(uint8_t type, uint32_t n, const tp_header *headers)
{
    return (tp_resp_has_status(type) ? 2 : 0) + tp_headers_size(n, headers);
}

uint64_t tp_response_head_size(uint8_t type, const tp_response_head *h)
{
    return tp_resp_size(type, h->nheaders, h->headers);
}

static int tp_resp_encode(tp_buf *b, tp_frame_header fh, uint16_t status, uint32_t n,
                          const tp_header *headers)
{
    uint64_t size;
    uint8_t *p;
    int rc;

    if (!tp_resp_status_ok(fh.type, status))
        return TP_E_VALUE;
    rc = tp_headers_check(n, headers);
    if (rc != TP_OK)
        return rc;
    size = tp_resp_size(fh.type, n, headers);
    if (size > TP_MAX_PAYLOAD)
        return TP_E_TOO_BIG;
    fh.length = (uint32_t)size;
    rc = tp_frame_start(b, &fh, &p);
    if (rc != TP_OK)
        return rc;
    if (tp_resp_has_status(fh.type))
        p = tp_store16(p, status);
    tp_store_headers(p, n, headers);
    return TP_OK;
}

int tp_encode_response_info(tp_buf *b, uint32_t stream, const tp_response_head *h)
{
    tp_frame_header fh = { 0, TP_FRAME_RESPONSE_INFO, 0, stream };

    return tp_resp_encode(b, fh, h->status, h->nheaders, h->headers);
}

int tp_encode_response_head(tp_buf *b, uint32_t stream, uint8_t flags, const tp_response_head *h)
{
    tp_frame_header fh = { 0, TP_FRAME_RESPONSE_HEAD, flags, stream };

    return tp_resp_encode(b, fh, h->status, h->nheaders, h->headers);
}

int tp_encode_trailers(tp_buf *b, uint32_t stream, uint32_t nheaders, const tp_header *headers)
{
    tp_frame_header fh = { 0, TP_FRAME_TRAILERS, 0, stream };

    return tp_resp_encode(b, fh, 0, nheaders, headers);
}

/* As for requests, a malformed payload is reported before a bad status. */
int tp_decode_response_head(uint8_t type, const uint8_t *payload, size_t len, tp_response_head *out,
                            tp_header *hdrs, uint32_t max_hdrs)
{
    tp_reader r = { payload, len };
    const uint8_t *p;
    int rc;

    out->status = 0;
    out->nheaders = 0;
    out->headers = hdrs;
    if (!tp_resp_type_ok(type))
        return TP_E_TYPE;
    if (tp_resp_has_status(type)) {
        p = tp_take(&r, 2);
        if (!p)
            return TP_E_TRUNCATED;
        out->status = tp_load16(p);
    }
    rc = tp_read_headers(&r, hdrs, max_hdrs, &out->nheaders);
    if (rc != TP_OK)
        return rc;
    if (r.left)
        return TP_E_TRAILING;
    return tp_resp_status_ok(type, out->status) ? TP_OK : TP_E_VALUE;
}

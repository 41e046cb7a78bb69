/* fuzz_protocol.c: libFuzzer target for the wire codec.  Bytes from a peer are
 * untrusted, so every decoder must refuse or accept without a crash, and what
 * it accepts must re-encode to exactly the bytes it came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tp.h"

#define FUZZ_MAX_HDRS 64

static _Noreturn void fuzz_fail(const char *what, uint8_t type)
{
    fprintf(stderr, "fuzz_protocol: %s (%s)\n", what, tp_frame_type_name(type));
    abort();
}

/* Every error a decoder returns is one of the documented ones. */
static void check_rc(int rc, uint8_t type)
{
    if (rc > TP_OK || rc < TP_E_NOMEM || rc == TP_E_AGAIN)
        fuzz_fail("undocumented return code", type);
}

static int reencode_hello(tp_buf *b, const uint8_t *p, size_t len)
{
    tp_hello h;
    int rc = tp_decode_hello(p, len, &h);

    return rc != TP_OK ? rc : tp_encode_hello(b, &h) == TP_OK ? TP_OK : 1;
}

static int reencode_request(tp_buf *b, const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    tp_header hdrs[FUZZ_MAX_HDRS];
    tp_request_head h;
    int rc = tp_decode_request_head(p, len, &h, hdrs, FUZZ_MAX_HDRS);

    if (rc != TP_OK)
        return rc;
    if (h.headers != hdrs || h.nheaders > FUZZ_MAX_HDRS)
        fuzz_fail("headers outside the caller's array", fh->type);
    return tp_encode_request_head(b, fh->stream, fh->flags, &h) == TP_OK ? TP_OK : 1;
}

static int reencode_response(tp_buf *b, const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    tp_header hdrs[FUZZ_MAX_HDRS];
    tp_response_head h;
    int rc = tp_decode_response_head(fh->type, p, len, &h, hdrs, FUZZ_MAX_HDRS);

    if (rc != TP_OK)
        return rc;
    if (fh->type == TP_FRAME_RESPONSE_INFO)
        rc = tp_encode_response_info(b, fh->stream, &h);
    else if (fh->type == TP_FRAME_RESPONSE_HEAD)
        rc = tp_encode_response_head(b, fh->stream, fh->flags, &h);
    else
        rc = tp_encode_trailers(b, fh->stream, h.nheaders, h.headers);
    return rc == TP_OK ? TP_OK : 1;
}

static int reencode_u32(tp_buf *b, const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    uint32_t v, raw;
    int rc = fh->type == TP_FRAME_CREDIT ? tp_decode_credit(p, len, &v) : tp_decode_u32(p, len, &v);

    if (rc != TP_OK)
        return rc;
    if (tp_decode_u32(p, len, &raw) != TP_OK || raw != v)
        fuzz_fail("tp_decode_credit and tp_decode_u32 disagree", fh->type);
    if (fh->type == TP_FRAME_RESET)
        rc = tp_encode_reset(b, fh->stream, v);
    else if (fh->type == TP_FRAME_CREDIT)
        rc = tp_encode_credit(b, fh->stream, v);
    else
        rc = tp_encode_drain(b, v);
    return rc == TP_OK ? TP_OK : 1;
}

/* DATA has no payload decoder: the header is all the codec owns. */
static int reencode_data(tp_buf *b, const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    uint8_t raw[TP_HEADER_SIZE];

    if (tp_encode_data_header(b, fh->type, fh->stream, fh->flags, (uint32_t)len) != TP_OK)
        return 1;
    tp_data_header(raw, fh->type, fh->stream, fh->flags, (uint32_t)len);
    if (memcmp(raw, b->data + b->len - TP_HEADER_SIZE, TP_HEADER_SIZE) != 0)
        fuzz_fail("tp_data_header differs from tp_encode_data_header", fh->type);
    return tp_buf_append(b, p, len) == TP_OK ? TP_OK : 1;
}

static int reencode_ws_close(tp_buf *b, const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    uint16_t code;
    tp_str reason;
    int rc = tp_decode_ws_close(p, len, &code, &reason);

    if (rc != TP_OK)
        return rc;
    if (reason.ptr != p + 2 || reason.len != len - 2)
        fuzz_fail("reason outside the payload", fh->type);
    return tp_encode_ws_close(b, fh->stream, code, reason.ptr, reason.len) == TP_OK ? TP_OK : 1;
}

static int reencode_ping(tp_buf *b, const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    if (len != 8)
        return TP_E_VALUE;
    return tp_encode_ping(b, fh->flags, p) == TP_OK ? TP_OK : 1;
}

/* Decodes p as the payload of a frame with header fh and, when it decodes,
 * re-encodes the whole frame into b.  Returns the decoder's code, or 1 when
 * the encoder refused what the decoder accepted (a bug). */
static int reencode(tp_buf *b, const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    switch (fh->type) {
    case TP_FRAME_HELLO: return reencode_hello(b, p, len);
    case TP_FRAME_REQUEST_HEAD: return reencode_request(b, fh, p, len);
    case TP_FRAME_REQUEST_DATA:
    case TP_FRAME_RESPONSE_DATA: return reencode_data(b, fh, p, len);
    case TP_FRAME_RESPONSE_INFO:
    case TP_FRAME_RESPONSE_HEAD:
    case TP_FRAME_TRAILERS: return reencode_response(b, fh, p, len);
    case TP_FRAME_RESET:
    case TP_FRAME_CREDIT:
    case TP_FRAME_DRAIN: return reencode_u32(b, fh, p, len);
    case TP_FRAME_PING: return reencode_ping(b, fh, p, len);
    case TP_FRAME_WS_CLOSE: return reencode_ws_close(b, fh, p, len);
    default: fuzz_fail("reencode of an unknown type", fh->type);
    }
    return 1;
}

/* The round trip: what decoded must come back byte for byte, header included.
 * One buffer for the whole run (emptied, not freed) keeps malloc out of it. */
static void roundtrip(const tp_frame_header *fh, const uint8_t *p, size_t len)
{
    static tp_buf b;
    uint8_t want[TP_HEADER_SIZE];
    int rc;

    b.len = 0;
    rc = reencode(&b, fh, p, len);

    if (rc == 1)
        fuzz_fail("encoder refused what the decoder accepted", fh->type);
    check_rc(rc, fh->type);
    if (rc == TP_OK) {
        tp_frame_header_encode(want, fh);
        if (b.len != TP_HEADER_SIZE + len || memcmp(b.data, want, TP_HEADER_SIZE) != 0 ||
            memcmp(b.data + TP_HEADER_SIZE, p, len) != 0)
            fuzz_fail("round trip differs", fh->type);
    }
}

#define FUZZ_SMALL_MAX 6

/* Caller arrays of every small size, each its own exact-size heap block so
 * ASan sees a write one past the end (a decoder must return TP_E_TOO_MANY
 * instead).  Allocated once: malloc per input would dominate the run. */
static tp_header *small_array(uint32_t m)
{
    static tp_header *arrays[FUZZ_SMALL_MAX + 1];

    if (!arrays[m]) {
        arrays[m] = malloc(m ? m * sizeof(tp_header) : 1);
        if (!arrays[m])
            abort();
    }
    return arrays[m];
}

static void fuzz_small_arrays(uint8_t type, const uint8_t *p, size_t len)
{
    tp_request_head req;
    tp_response_head resp;
    tp_header *hdrs;
    uint32_t m, n;
    int rc;

    for (m = 0; m <= FUZZ_SMALL_MAX; m++) {
        hdrs = small_array(m);
        if (type == TP_FRAME_REQUEST_HEAD) {
            rc = tp_decode_request_head(p, len, &req, hdrs, m);
            n = req.nheaders;
        } else {
            rc = tp_decode_response_head(type, p, len, &resp, hdrs, m);
            n = resp.nheaders;
        }
        check_rc(rc, type);
        if (rc == TP_OK && n > m)
            fuzz_fail("more headers than max_hdrs", type);
    }
}

static int has_headers(uint8_t type)
{
    return type == TP_FRAME_REQUEST_HEAD || type == TP_FRAME_RESPONSE_INFO ||
           type == TP_FRAME_RESPONSE_HEAD || type == TP_FRAME_TRAILERS;
}

/* Every payload decoder over the raw input, whatever a header would say. */
static void fuzz_payloads(const uint8_t *data, size_t size)
{
    tp_frame_header fh = { 0 };
    uint8_t type;

    if (size > TP_MAX_PAYLOAD)
        return;
    fh.length = (uint32_t)size;
    for (type = 1; type <= TP_FRAME_MAX_; type++) {
        fh.type = type;
        fh.stream =
            type == TP_FRAME_HELLO || type == TP_FRAME_PING || type == TP_FRAME_DRAIN ? 0 : 1;
        roundtrip(&fh, data, size);
        if (has_headers(type))
            fuzz_small_arrays(type, data, size);
    }
}

/* The read loop of a daemon: header, then that many payload bytes, repeat. */
static void fuzz_frames(const uint8_t *data, size_t size)
{
    tp_frame_header fh, small;
    uint8_t again[TP_HEADER_SIZE];
    int rc, rc_small;

    for (;;) {
        rc = tp_frame_header_decode(data, size, TP_MAX_PAYLOAD, &fh);
        if (rc == TP_E_AGAIN && size >= TP_HEADER_SIZE)
            fuzz_fail("TP_E_AGAIN with a whole header", 0);
        if (rc == TP_E_AGAIN)
            return;
        check_rc(rc, 0);
        /* a smaller limit can only add TOO_BIG */
        rc_small = tp_frame_header_decode(data, size, TP_MIN_MAX_FRAME, &small);
        if (rc_small != rc && rc_small != TP_E_TOO_BIG)
            fuzz_fail("max_payload changed a verdict other than TOO_BIG", fh.type);
        if (rc != TP_OK)
            return;
        tp_frame_header_encode(again, &fh);
        if (memcmp(again, data, TP_HEADER_SIZE) != 0)
            fuzz_fail("header round trip differs", fh.type);
        if (fh.length > size - TP_HEADER_SIZE)
            return;
        roundtrip(&fh, data + TP_HEADER_SIZE, fh.length);
        if (has_headers(fh.type))
            fuzz_small_arrays(fh.type, data + TP_HEADER_SIZE, fh.length);
        data += TP_HEADER_SIZE + fh.length;
        size -= TP_HEADER_SIZE + fh.length;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_payloads(data, size);
    fuzz_frames(data, size);
    return 0;
}

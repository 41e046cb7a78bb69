/* tp_control.c: the fixed-size frames (HELLO, RESET, CREDIT, PING, DRAIN), WS_CLOSE and
 * DATA headers, whose bodies the caller writes itself so they are never copied. */
#include "tp_wire.h"

/* ---- HELLO ---- */

/* Per role, so a proxy and a worker can never be mistaken for each other
 * and the reachability bookkeeping (pid, index, count) is sane.  A proxy's
 * worker_index is the worker it asks for, any number (0: any); the master
 * falls back to another worker when that one is not there. */
static int tp_hello_role_ok(const tp_hello *h)
{
    if (h->role == TP_ROLE_PROXY)
        return h->worker_class == TP_CLASS_NONE && h->capacity == 0 && h->worker_count == 0 &&
               h->generation == 0;
    if (h->role != TP_ROLE_WORKER)
        return 0;
    return h->worker_class >= TP_CLASS_SYNC && h->worker_class <= TP_CLASS_EVENTLET &&
           h->pid != 0 && h->capacity != 0 && h->worker_index >= 1 &&
           h->worker_index <= h->worker_count;
}

/* Version first: on a mismatch the caller gets TP_E_VALUE with out->version
 * filled in, to log both numbers before closing. */
static int tp_hello_check(const tp_hello *h)
{
    if (h->version != TP_VERSION)
        return TP_E_VALUE;
    if (h->reserved != 0)
        return TP_E_RESERVED;
    if (h->initial_window > TP_MAX_WINDOW || h->max_frame < TP_MIN_MAX_FRAME ||
        h->max_frame > TP_MAX_PAYLOAD)
        return TP_E_VALUE;
    return tp_hello_role_ok(h) ? TP_OK : TP_E_VALUE;
}

int tp_encode_hello(tp_buf *b, const tp_hello *h)
{
    tp_frame_header fh = { TP_HELLO_SIZE, TP_FRAME_HELLO, 0, 0 };
    uint8_t *p;
    int rc = tp_hello_check(h);

    if (rc == TP_OK)
        rc = tp_frame_start(b, &fh, &p);
    if (rc != TP_OK)
        return rc;
    p = tp_store16(p, h->version);
    p = tp_store8(p, h->role);
    p = tp_store8(p, h->worker_class);
    p = tp_store32(p, h->pid);
    p = tp_store32(p, h->capacity);
    p = tp_store32(p, h->worker_index);
    p = tp_store32(p, h->worker_count);
    p = tp_store32(p, h->initial_window);
    p = tp_store32(p, h->max_frame);
    p = tp_store32(p, h->generation);
    tp_store32(p, h->reserved);
    return TP_OK;
}

int tp_decode_hello(const uint8_t *payload, size_t len, tp_hello *out)
{
    const uint8_t *p = payload;

    if (len < TP_HELLO_SIZE)
        return TP_E_TRUNCATED;
    if (len > TP_HELLO_SIZE)
        return TP_E_TRAILING;
    out->version = tp_load16(p);
    out->role = p[2];
    out->worker_class = p[3];
    out->pid = tp_load32(p + 4);
    out->capacity = tp_load32(p + 8);
    out->worker_index = tp_load32(p + 12);
    out->worker_count = tp_load32(p + 16);
    out->initial_window = tp_load32(p + 20);
    out->max_frame = tp_load32(p + 24);
    out->generation = tp_load32(p + 28);
    out->reserved = tp_load32(p + 32);
    return tp_hello_check(out);
}

/* ---- RESET, CREDIT, DRAIN: one u32 ---- */

static int tp_encode_u32(tp_buf *b, uint8_t type, uint32_t stream, uint32_t v)
{
    tp_frame_header fh = { 4, type, 0, stream };
    uint8_t *p;
    int rc = tp_frame_start(b, &fh, &p);

    if (rc == TP_OK)
        tp_store32(p, v);
    return rc;
}

/* Any reason is accepted: a receiver maps reasons it does not know to
 * INTERNAL_ERROR, so new reasons need no version bump. */
int tp_encode_reset(tp_buf *b, uint32_t stream, uint32_t reason)
{
    return tp_encode_u32(b, TP_FRAME_RESET, stream, reason);
}

int tp_encode_credit(tp_buf *b, uint32_t stream, uint32_t increment)
{
    if (increment == 0 || increment > TP_MAX_WINDOW)
        return TP_E_VALUE;
    return tp_encode_u32(b, TP_FRAME_CREDIT, stream, increment);
}

int tp_encode_drain(tp_buf *b, uint32_t last_stream)
{
    return tp_encode_u32(b, TP_FRAME_DRAIN, 0, last_stream);
}

int tp_decode_u32(const uint8_t *payload, size_t len, uint32_t *out)
{
    if (len < 4)
        return TP_E_TRUNCATED;
    if (len > 4)
        return TP_E_TRAILING;
    *out = tp_load32(payload);
    return TP_OK;
}

int tp_decode_credit(const uint8_t *payload, size_t len, uint32_t *out)
{
    int rc = tp_decode_u32(payload, len, out);

    if (rc == TP_OK && (*out == 0 || *out > TP_MAX_WINDOW))
        return TP_E_VALUE;
    return rc;
}

/* ---- PING ---- */

int tp_encode_ping(tp_buf *b, uint8_t flags, const uint8_t opaque[8])
{
    static const uint8_t zero[8];
    tp_frame_header fh = { 8, TP_FRAME_PING, flags, 0 };
    uint8_t *p;
    int rc = tp_frame_start(b, &fh, &p);

    if (rc == TP_OK)
        memcpy(p, opaque ? opaque : zero, 8);
    return rc;
}

/* ---- DATA ---- */

int tp_encode_data_header(tp_buf *b, uint8_t type, uint32_t stream, uint8_t flags, uint32_t n)
{
    tp_frame_header fh = { n, type, flags, stream };
    int rc;

    if (type != TP_FRAME_REQUEST_DATA && type != TP_FRAME_RESPONSE_DATA)
        return TP_E_TYPE;
    rc = tp_frame_check(&fh, TP_MAX_PAYLOAD);
    if (rc == TP_OK)
        rc = tp_buf_reserve(b, TP_HEADER_SIZE);
    if (rc != TP_OK)
        return rc;
    tp_frame_header_encode(b->data + b->len, &fh);
    b->len += TP_HEADER_SIZE;
    return TP_OK;
}

/* Unchecked, for a header built on the stack next to an iovec of body. */
void tp_data_header(uint8_t out[TP_HEADER_SIZE], uint8_t type, uint32_t stream, uint8_t flags,
                    uint32_t n)
{
    tp_frame_header fh = { n, type, flags, stream };

    tp_frame_header_encode(out, &fh);
}

/* ---- WS_CLOSE ---- */

/* Codes a close may carry on the wire: RFC 6455's range.  Which of them a
 * WebSocket peer may see is the proxy's business (1005 says "no code"). */
static int tp_ws_code_ok(uint16_t code) { return code >= 1000 && code <= 4999; }

int tp_encode_ws_close(tp_buf *b, uint32_t stream, uint16_t code, const uint8_t *reason,
                       uint32_t len)
{
    tp_frame_header fh = { 2 + len, TP_FRAME_WS_CLOSE, 0, stream };
    uint8_t *p;
    int rc;

    if (len > TP_WS_REASON_MAX || (len && !reason))
        return TP_E_TOO_BIG;
    if (!tp_ws_code_ok(code))
        return TP_E_VALUE;
    rc = tp_frame_start(b, &fh, &p);
    if (rc == TP_OK)
        tp_store_bytes(tp_store16(p, code), reason, len);
    return rc;
}

int tp_decode_ws_close(const uint8_t *payload, size_t len, uint16_t *code, tp_str *reason)
{
    if (len < 2)
        return TP_E_TRUNCATED;
    if (len > 2 + TP_WS_REASON_MAX)
        return TP_E_TRAILING;
    *code = tp_load16(payload);
    reason->ptr = payload + 2;
    reason->len = (uint32_t)(len - 2);
    return tp_ws_code_ok(*code) ? TP_OK : TP_E_VALUE;
}

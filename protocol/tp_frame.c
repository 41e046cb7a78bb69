/* tp_frame.c: the 12-byte frame header, the per-type rules every frame obeys
 * (one table, used by decoder and encoders alike), and names for logs. */
#include "tp_wire.h"

/* DATA flags: END_STREAM, and the message flags that only mean something
 * after a 101 (the receiver checks that; the codec only the bits). */
#define TP_DATA_FLAGS (TP_FLAG_END_STREAM | TP_FLAG_TEXT | TP_FLAG_MESSAGE_END)

struct tp_type_rule {
    const char *name;
    uint8_t flags;   /* flags allowed for the type */
    uint8_t on_conn; /* 1: stream must be 0; 0: stream must be > 0 */
    uint8_t size;    /* exact payload size, 0 for variable */
};

static const struct tp_type_rule tp_rules[TP_FRAME_MAX_ + 1] = {
    [TP_FRAME_HELLO] = { "HELLO", 0, 1, TP_HELLO_SIZE },
    [TP_FRAME_REQUEST_HEAD] = { "REQUEST_HEAD", TP_FLAG_END_STREAM, 0, 0 },
    [TP_FRAME_REQUEST_DATA] = { "REQUEST_DATA", TP_DATA_FLAGS, 0, 0 },
    [TP_FRAME_RESPONSE_INFO] = { "RESPONSE_INFO", 0, 0, 0 },
    [TP_FRAME_RESPONSE_HEAD] = { "RESPONSE_HEAD", TP_FLAG_END_STREAM, 0, 0 },
    [TP_FRAME_RESPONSE_DATA] = { "RESPONSE_DATA", TP_DATA_FLAGS, 0, 0 },
    [TP_FRAME_TRAILERS] = { "TRAILERS", 0, 0, 0 },
    [TP_FRAME_RESET] = { "RESET", 0, 0, 4 },
    [TP_FRAME_CREDIT] = { "CREDIT", 0, 0, 4 },
    [TP_FRAME_PING] = { "PING", TP_FLAG_ACK, 1, 8 },
    [TP_FRAME_DRAIN] = { "DRAIN", 0, 1, 4 },
    [TP_FRAME_WS_CLOSE] = { "WS_CLOSE", 0, 0, 0 },
};

static const struct tp_type_rule *tp_rule(uint8_t type)
{
    if (type == 0 || type > TP_FRAME_MAX_)
        return NULL;
    return &tp_rules[type];
}

/* Order matters only for which error is reported: framing (type, length)
 * before addressing (stream) before details (flags, exact size). */
int tp_frame_check(const tp_frame_header *h, uint32_t max_payload)
{
    const struct tp_type_rule *r = tp_rule(h->type);

    if (!r)
        return TP_E_TYPE;
    if (h->length > TP_MAX_PAYLOAD || h->length > max_payload)
        return TP_E_TOO_BIG;
    if (r->on_conn != (h->stream == 0))
        return TP_E_STREAM;
    if (h->flags & ~r->flags)
        return TP_E_RESERVED;
    if (r->size && h->length < r->size)
        return TP_E_TRUNCATED;
    if (r->size && h->length > r->size)
        return TP_E_TRAILING;
    return TP_OK;
}

int tp_frame_header_decode(const uint8_t *p, size_t len, uint32_t max_payload, tp_frame_header *out)
{
    if (len < TP_HEADER_SIZE)
        return TP_E_AGAIN;
    if (p[6] || p[7])
        return TP_E_RESERVED;
    out->length = tp_load32(p);
    out->type = p[4];
    out->flags = p[5];
    out->stream = tp_load32(p + 8);
    return tp_frame_check(out, max_payload);
}

void tp_frame_header_encode(uint8_t out[TP_HEADER_SIZE], const tp_frame_header *h)
{
    uint8_t *p = tp_store32(out, h->length);

    p = tp_store8(p, h->type);
    p = tp_store8(p, h->flags);
    p = tp_store16(p, 0);
    tp_store32(p, h->stream);
}

int tp_frame_start(tp_buf *b, const tp_frame_header *h, uint8_t **payload)
{
    int rc = tp_frame_check(h, TP_MAX_PAYLOAD);

    if (rc == TP_OK)
        rc = tp_buf_reserve(b, (size_t)TP_HEADER_SIZE + h->length);
    if (rc != TP_OK)
        return rc;
    tp_frame_header_encode(b->data + b->len, h);
    *payload = b->data + b->len + TP_HEADER_SIZE;
    b->len += (size_t)TP_HEADER_SIZE + h->length;
    return TP_OK;
}

const char *tp_frame_type_name(uint8_t type)
{
    const struct tp_type_rule *r = tp_rule(type);

    return r ? r->name : "UNKNOWN";
}

const char *tp_strerror(int err)
{
    switch (err) {
    case TP_OK: return "success";
    case TP_E_AGAIN: return "incomplete frame, need more bytes";
    case TP_E_TOO_BIG: return "frame length above the allowed maximum";
    case TP_E_TYPE: return "unknown frame type";
    case TP_E_STREAM: return "wrong stream id for the frame type";
    case TP_E_TRUNCATED: return "payload shorter than its fields";
    case TP_E_TRAILING: return "payload longer than its fields";
    case TP_E_RESERVED: return "reserved bits or bad flags for the frame type";
    case TP_E_VALUE: return "field value out of range";
    case TP_E_TOO_MANY: return "more header fields than the receiver holds";
    case TP_E_NOMEM: return "out of memory";
    default: return "unknown protocol error";
    }
}

const char *tp_reset_reason_name(uint32_t reason)
{
    switch (reason) {
    case TP_RESET_NO_ERROR: return "NO_ERROR";
    case TP_RESET_PROTOCOL_ERROR: return "PROTOCOL_ERROR";
    case TP_RESET_INTERNAL_ERROR: return "INTERNAL_ERROR";
    case TP_RESET_FLOW_CONTROL_ERROR: return "FLOW_CONTROL_ERROR";
    case TP_RESET_REFUSED_STREAM: return "REFUSED_STREAM";
    case TP_RESET_CANCEL: return "CANCEL";
    case TP_RESET_TIMEOUT: return "TIMEOUT";
    default: return "UNKNOWN";
    }
}

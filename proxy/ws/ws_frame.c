/* ws_frame.c: the client-frame parser and the server-frame encoder of
 * RFC 6455 §5 (ws_frame.h).  One event per call keeps the caller's loop
 * simple; checks happen as soon as the header is whole, so a frame that
 * breaks a rule is refused before any of its payload is read. */
#include "config.h"
#include <string.h>
#include "ws_frame.h"

enum { ST_HEAD = 0, ST_PAYLOAD, ST_CLOSED, ST_FAILED };

void ws_parser_init(ws_parser *p, uint64_t max_message)
{
    memset(p, 0, sizeof *p);
    p->max_message = max_message;
    ws_utf8_init(&p->utf8);
}

int ws_close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

static int fail(ws_parser *p, ws_event *ev, uint16_t code, const char *why)
{
    p->state = ST_FAILED;
    p->error_code = code;
    p->error = why;
    ev->type = WS_EV_ERROR;
    ev->code = code;
    ev->why = why;
    return WS_EV_ERROR;
}

/* Header bytes needed, from what is known of it so far. */
static size_t head_size(const ws_parser *p)
{
    if (p->hlen < 2)
        return 2;
    uint8_t l7 = p->hdr[1] & 0x7f;
    return 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + 4;
}

static uint64_t head_length(const ws_parser *p)
{
    uint8_t l7 = p->hdr[1] & 0x7f;
    uint64_t n = 0;
    if (l7 < 126)
        return l7;
    for (int i = 0, k = l7 == 126 ? 2 : 8; i < k; i++)
        n = n << 8 | p->hdr[2 + i];
    return n;
}

/* The first two bytes: what they alone can break. */
static int check_start(ws_parser *p, ws_event *ev)
{
    uint8_t b0 = p->hdr[0], b1 = p->hdr[1];
    uint8_t op = b0 & 0x0f;
    if (b0 & 0x70)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "RSV bit set without an extension");
    if (op > WS_OP_BINARY && op < WS_OP_CLOSE)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "reserved data opcode");
    if (op > WS_OP_PONG)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "reserved control opcode");
    if (!(b1 & 0x80))
        return fail(p, ev, WS_CLOSE_PROTOCOL, "unmasked client frame");
    if (op >= WS_OP_CLOSE && !(b0 & 0x80))
        return fail(p, ev, WS_CLOSE_PROTOCOL, "fragmented control frame");
    if (op >= WS_OP_CLOSE && (b1 & 0x7f) > WS_CONTROL_MAX)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "control frame over 125 bytes");
    if (op == WS_OP_CONT && !p->in_message)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "continuation frame outside a message");
    if ((op == WS_OP_TEXT || op == WS_OP_BINARY) && p->in_message)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "new message inside a fragmented one");
    return WS_EV_AGAIN;
}

/* The whole header: the length's encoding and the message's size. */
static int check_head(ws_parser *p, ws_event *ev)
{
    uint8_t l7 = p->hdr[1] & 0x7f;
    uint64_t len = head_length(p);
    if ((l7 == 126 && len < 126) || (l7 == 127 && len <= 0xffff))
        return fail(p, ev, WS_CLOSE_PROTOCOL, "length not in its shortest form");
    if (len >> 63)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "64-bit length with its top bit set");
    p->fin = p->hdr[0] >> 7;
    p->opcode = p->hdr[0] & 0x0f;
    p->left = len;
    p->mask_off = 0;
    memcpy(p->mask, p->hdr + head_size(p) - 4, 4);
    if (p->opcode >= WS_OP_CLOSE) {
        p->ctl_len = 0;
        return WS_EV_AGAIN;
    }
    if (p->opcode != WS_OP_CONT) {
        p->in_message = 1;
        p->msg_opcode = p->opcode;
        p->msg_len = 0;
        ws_utf8_init(&p->utf8);
    }
    if (p->max_message && len > p->max_message - p->msg_len)
        return fail(p, ev, WS_CLOSE_TOO_BIG, "message over the size limit");
    p->msg_len += len;
    return WS_EV_AGAIN;
}

static void unmask(ws_parser *p, uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i < n && p->mask_off) {
        d[i++] ^= p->mask[p->mask_off];
        p->mask_off = (p->mask_off + 1) & 3;
    }
    if (n - i >= 8) {
        uint8_t m8[8];
        uint64_t m;
        memcpy(m8, p->mask, 4);
        memcpy(m8 + 4, p->mask, 4);
        memcpy(&m, m8, 8);
        for (; n - i >= 8; i += 8) {
            uint64_t x;
            memcpy(&x, d + i, 8);
            x ^= m;
            memcpy(d + i, &x, 8);
        }
    }
    for (; i < n; i++) {
        d[i] ^= p->mask[p->mask_off];
        p->mask_off = (p->mask_off + 1) & 3;
    }
}

/* A whole control frame in p->ctl. */
static int control_done(ws_parser *p, ws_event *ev)
{
    ev->type = WS_EV_CONTROL;
    ev->opcode = p->opcode;
    ev->data = p->ctl;
    ev->len = p->ctl_len;
    ev->code = 0;
    p->state = ST_HEAD;
    p->hlen = 0;
    if (p->opcode != WS_OP_CLOSE)
        return WS_EV_CONTROL;
    if (p->ctl_len == 1)
        return fail(p, ev, WS_CLOSE_PROTOCOL, "close payload of one byte");
    ev->code = WS_CLOSE_NO_STATUS;
    if (p->ctl_len >= 2) {
        ev->code = (uint16_t)(p->ctl[0] << 8 | p->ctl[1]);
        if (!ws_close_code_valid(ev->code))
            return fail(p, ev, WS_CLOSE_PROTOCOL, "invalid close code");
        if (!ws_utf8_valid(p->ctl + 2, p->ctl_len - 2u))
            return fail(p, ev, WS_CLOSE_INVALID_DATA, "close reason not UTF-8");
    }
    p->state = ST_CLOSED;
    return WS_EV_CONTROL;
}

static int control_bytes(ws_parser *p, uint8_t *buf, size_t len, size_t *pos, ws_event *ev)
{
    size_t n = len - *pos < p->left ? len - *pos : (size_t)p->left;
    memcpy(p->ctl + p->ctl_len, buf + *pos, n);
    unmask(p, p->ctl + p->ctl_len, n);
    p->ctl_len = (uint8_t)(p->ctl_len + n);
    p->left -= n;
    *pos += n;
    return p->left ? WS_EV_AGAIN : control_done(p, ev);
}

/* Payload of a data frame: what is here now, checked and unmasked. */
static int data_bytes(ws_parser *p, uint8_t *buf, size_t len, size_t *pos, ws_event *ev)
{
    size_t n = len - *pos < p->left ? len - *pos : (size_t)p->left;
    uint8_t *d = buf + *pos;
    unmask(p, d, n);
    *pos += n;
    p->left -= n;
    int text = p->msg_opcode == WS_OP_TEXT;
    if (text && ws_utf8_feed(&p->utf8, d, n) < 0)
        return fail(p, ev, WS_CLOSE_INVALID_DATA, "text message not UTF-8");
    int end = p->left == 0 && p->fin;
    if (end && text && !ws_utf8_complete(&p->utf8))
        return fail(p, ev, WS_CLOSE_INVALID_DATA, "text message ends inside a character");
    if (p->left == 0) {
        p->state = ST_HEAD;
        p->hlen = 0;
        if (end)
            p->in_message = 0;
    }
    if (n == 0 && !end)
        return WS_EV_AGAIN;
    ev->type = WS_EV_DATA;
    ev->opcode = p->msg_opcode;
    ev->msg_end = (uint8_t)end;
    ev->data = d;
    ev->len = n;
    return WS_EV_DATA;
}

/* Header bytes; on the last one, the frame's checks. */
static int head_bytes(ws_parser *p, const uint8_t *buf, size_t len, size_t *pos, ws_event *ev)
{
    while (*pos < len) {
        p->hdr[p->hlen++] = buf[(*pos)++];
        if (p->hlen == 2 && check_start(p, ev) == WS_EV_ERROR)
            return WS_EV_ERROR;
        if (p->hlen < 2 || p->hlen < head_size(p))
            continue;
        if (check_head(p, ev) == WS_EV_ERROR)
            return WS_EV_ERROR;
        p->state = ST_PAYLOAD;
        return WS_EV_AGAIN;
    }
    return WS_EV_AGAIN;
}

int ws_parse(ws_parser *p, uint8_t *buf, size_t len, size_t *used, ws_event *ev)
{
    size_t pos = 0;
    int rc = WS_EV_AGAIN;
    memset(ev, 0, sizeof *ev);
    if (p->state == ST_FAILED) {
        *used = 0;
        return fail(p, ev, p->error_code, p->error);
    }
    if (p->state == ST_CLOSED) {
        *used = len;
        return WS_EV_AGAIN;
    }
    for (;;) {
        if (p->state == ST_HEAD) {
            if (pos == len)
                break;
            rc = head_bytes(p, buf, len, &pos, ev);
            if (rc != WS_EV_AGAIN || p->state != ST_PAYLOAD)
                break;
        }
        /* A payload, maybe empty: an empty frame is whole at once. */
        if (p->opcode >= WS_OP_CLOSE)
            rc = control_bytes(p, buf, len, &pos, ev);
        else
            rc = data_bytes(p, buf, len, &pos, ev);
        if (rc != WS_EV_AGAIN || pos == len)
            break;
    }
    *used = rc == WS_EV_ERROR ? 0 : pos;
    return rc;
}

size_t ws_frame_header(uint8_t out[WS_HEADER_MAX], int fin, unsigned opcode, uint64_t len)
{
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}

size_t ws_close_payload(uint8_t out[WS_CONTROL_MAX], unsigned code, const uint8_t *reason,
                        size_t len)
{
    if (code == WS_CLOSE_NO_STATUS)
        return 0;
    if (len > WS_REASON_MAX) {
        /* Cut on a character boundary: never before a continuation byte. */
        len = WS_REASON_MAX;
        while (len > 0 && (reason[len] & 0xc0) == 0x80)
            len--;
    }
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    if (len)
        memcpy(out + 2, reason, len);
    return 2 + len;
}

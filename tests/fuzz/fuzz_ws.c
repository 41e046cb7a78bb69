/* fuzz_ws.c: libFuzzer target for the proxy's WebSocket frame parser
 * (proxy/ws/ws_frame.c, ws_utf8.c): client bytes are untrusted.  The input
 * is parsed whole and in pieces cut at a point the input picks; both must
 * report the same messages, control frames and verdict, every span must lie
 * inside the piece given, every text message must be valid UTF-8, no
 * message may pass the size bound, and the parser must never stall. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ws_frame.h"

#define CHECK(cond) FUZZ_CHECK("fuzz_ws", cond)

#define MAX_MESSAGE 4096

/* What a run reported, reduced to a digest that splits cannot change. */
typedef struct {
    uint64_t hash;
    unsigned events;
    int error;
} outcome;

static void mix(outcome *o, const uint8_t *p, size_t n, unsigned tag)
{
    o->hash = (o->hash ^ tag) * 1099511628211u;
    for (size_t i = 0; i < n; i++)
        o->hash = (o->hash ^ p[i]) * 1099511628211u;
}

static uint8_t msg[MAX_MESSAGE];

/* Parses data[0..size) in pieces of at most step bytes (exact-size heap
 * copies, so ASan sees an overread). */
static outcome run(const uint8_t *data, size_t size, size_t step)
{
    outcome o = { 14695981039346656037u, 0, 0 };
    ws_parser p;
    size_t msglen = 0;
    ws_parser_init(&p, MAX_MESSAGE);
    for (size_t off = 0; off < size && !o.error;) {
        size_t n = size - off < step ? size - off : step;
        uint8_t *piece = malloc(n);
        CHECK(piece != NULL);
        memcpy(piece, data + off, n);
        size_t pos = 0;
        for (unsigned spins = 0;; spins++) {
            CHECK(spins <= n + 2); /* every call makes progress or reports */
            ws_event ev;
            size_t used;
            int rc = ws_parse(&p, piece + pos, n - pos, &used, &ev);
            CHECK(used <= n - pos);
            pos += used;
            if (rc == WS_EV_AGAIN) {
                CHECK(pos == n);
                break;
            }
            if (rc == WS_EV_ERROR) {
                CHECK(ev.code == 1002 || ev.code == 1007 || ev.code == 1009);
                CHECK(ev.why != NULL);
                mix(&o, NULL, 0, ev.code);
                o.error = 1;
                break;
            }
            o.events++;
            if (rc == WS_EV_DATA) {
                CHECK(ev.opcode == WS_OP_TEXT || ev.opcode == WS_OP_BINARY);
                CHECK(ev.len == 0 || (ev.data >= piece && ev.data + ev.len <= piece + n));
                CHECK(msglen + ev.len <= MAX_MESSAGE);
                if (ev.len)
                    memcpy(msg + msglen, ev.data, ev.len);
                msglen += ev.len;
                if (ev.msg_end) {
                    if (ev.opcode == WS_OP_TEXT)
                        CHECK(ws_utf8_valid(msg, msglen));
                    mix(&o, msg, msglen, ev.opcode);
                    msglen = 0;
                }
            } else {
                CHECK(rc == WS_EV_CONTROL && ev.len <= WS_CONTROL_MAX);
                CHECK(ev.opcode == WS_OP_PING || ev.opcode == WS_OP_PONG ||
                      ev.opcode == WS_OP_CLOSE);
                if (ev.opcode == WS_OP_CLOSE)
                    CHECK(ev.code == WS_CLOSE_NO_STATUS || ws_close_code_valid(ev.code));
                mix(&o, ev.data, ev.len, ev.opcode << 16 | ev.code);
            }
        }
        free(piece);
        off += n;
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    outcome a = run(data, size, size);
    outcome b = run(data, size, 1);
    outcome c = run(data, size, 1 + data[0] % 17);
    CHECK(a.hash == b.hash && a.error == b.error);
    CHECK(a.hash == c.hash && a.error == c.error);
    /* The encoder's headers parse back as the length they say. */
    uint8_t h[WS_HEADER_MAX];
    uint64_t len = 0;
    for (size_t i = 0; i < size && i < 8; i++)
        len = len << 8 | data[i];
    len >>= 1;
    size_t hl = ws_frame_header(h, 1, WS_OP_BINARY, len);
    CHECK(hl == (len < 126 ? 2u : len <= 0xffff ? 4u : 10u));
    return 0;
}

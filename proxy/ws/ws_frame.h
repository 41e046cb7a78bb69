/* ws_frame.h: the WebSocket framing of RFC 6455 §5 as a server sees it: an
 * incremental parser of client frames and an encoder of server frames.
 * Pure: no I/O, no allocation, no logging; bytes may arrive split anywhere.
 *
 * The parser enforces what a server must: every client frame masked (and
 * unmasked in place), no RSV bit (no extension is negotiated), known
 * opcodes, control frames whole (FIN) and at most 125 bytes, continuation
 * frames only inside a fragmented message and new messages only outside
 * one, minimal length encodings, text messages valid UTF-8 (checked as the
 * bytes arrive, across fragments), a bound on the size of a message, and
 * valid close codes and reasons.  A fault is reported with the close code
 * to fail the connection with (1002, 1007 or 1009). */
#ifndef TANDEM_WS_FRAME_H
#define TANDEM_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "ws_utf8.h"

enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xa,
};

/* Close codes (RFC 6455 §7.4.1) the proxy uses. */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_NO_STATUS = 1005, /* never sent: a Close without a code */
    WS_CLOSE_ABNORMAL = 1006,  /* never sent: no Close at all */
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
};

#define WS_CONTROL_MAX 125 /* payload of a control frame */
#define WS_REASON_MAX 123  /* a close reason: the control payload less the code */
#define WS_HEADER_MAX 14   /* 2 + 8 (length) + 4 (mask) */

typedef struct {
    int state;
    uint8_t hdr[WS_HEADER_MAX];
    uint8_t hlen; /* header bytes collected */
    uint8_t fin, opcode;
    uint8_t mask[4];
    uint8_t mask_off;     /* payload offset of the next byte, mod 4 */
    uint64_t left;        /* payload bytes of the current frame still to come */
    uint8_t in_message;   /* a fragmented data message is open */
    uint8_t msg_opcode;   /* its opcode (TEXT or BINARY) */
    uint64_t msg_len;     /* bytes of it so far, with the current frame's */
    uint64_t max_message; /* 0: no bound */
    ws_utf8 utf8;         /* of the open text message */
    uint8_t ctl[WS_CONTROL_MAX];
    uint8_t ctl_len;
    uint16_t error_code; /* once failed: the code and rule, repeated */
    const char *error;
} ws_parser;

enum ws_ev {
    WS_EV_AGAIN = 0, /* every byte given was used; nothing to report yet */
    WS_EV_DATA,      /* message bytes (maybe 0 of them, at the end of a message) */
    WS_EV_CONTROL,   /* a whole ping, pong or close frame */
    WS_EV_ERROR,     /* fail the connection with ev->code; the parser stays failed */
};

typedef struct {
    int type;        /* WS_EV_* */
    uint8_t opcode;  /* DATA: the message's (TEXT, BINARY); CONTROL: the frame's */
    uint8_t msg_end; /* DATA: these bytes complete the message */
    uint8_t *data;   /* DATA: unmasked, in the caller's buffer; CONTROL: the parser's */
    size_t len;
    uint16_t code;   /* CLOSE: the code (1005 when none); ERROR: the code to close with */
    const char *why; /* ERROR: the rule broken, for the log */
} ws_event;

/* max_message bounds a message's payload (0: no bound). */
void ws_parser_init(ws_parser *p, uint64_t max_message);
/* Parses buf[0..len), which it may modify (unmasking), up to the next
 * event; *used bytes were consumed.  After a Close frame every later byte
 * is used and ignored (WS_EV_AGAIN); after an error nothing is used and
 * the error repeats.  A CONTROL event's data lives until the next call. */
int ws_parse(ws_parser *p, uint8_t *buf, size_t len, size_t *used, ws_event *ev);

/* A code a peer may send in a Close frame (1000..1003, 1007..1014,
 * 3000..4999). */
int ws_close_code_valid(unsigned code);
/* The header of an unmasked (server) frame; its length (2, 4 or 10). */
size_t ws_frame_header(uint8_t out[WS_HEADER_MAX], int fin, unsigned opcode, uint64_t len);
/* A Close payload: code then up to WS_REASON_MAX bytes of reason (cut at
 * that, on a character boundary).  Its length; 0 (no payload) for 1005. */
size_t ws_close_payload(uint8_t out[WS_CONTROL_MAX], unsigned code, const uint8_t *reason,
                        size_t len);

#endif

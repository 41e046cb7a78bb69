/* ws_session.h: one WebSocket after its 101, whatever carries it (an
 * HTTP/1.1 connection switched in place, or an HTTP/2 stream of RFC 8441):
 * client frames become messages for the worker, the worker's messages
 * become frames for the client, pings are answered and sent, and the close
 * handshake runs with a bounded wait.
 *
 * The carrier fills a ws_io table: where the client's bytes are, where
 * frames go, and how the carrier ends.  The worker's side is the session's
 * stream (px_tunnel.c); the carrier's stream operations route the worker's
 * messages, close and failures here.
 *
 * Memory: the session holds at most WS_UP_HOLD bytes (plus one read) of
 * client messages the worker has no window for yet, and the carrier's
 * output is credited to the worker only below PX_OUT_HIGH, so a WebSocket
 * costs a bounded amount whatever either side does.
 *
 * Ownership: the carrier owns the session (embedded or allocated); the
 * session never frees its stream, and ws_session_stop lets go of it. */
#ifndef TANDEM_WS_SESSION_H
#define TANDEM_WS_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event_struct.h>
#include "tp.h"
#include "ws_frame.h"
#include "px_stream.h"

typedef struct ws_session ws_session;
struct evbuffer;

/* How a carrier ends the WebSocket. */
enum ws_end {
    WS_END_CLEAN = 1, /* after the output already queued (h1: close; h2: END_STREAM) */
    WS_END_ABORT,     /* at once (h1: close; h2: RST_STREAM) */
};

typedef struct ws_io {
    struct evbuffer *(*input)(ws_session *ws);    /* the client's bytes, unparsed */
    void (*consumed)(ws_session *ws, size_t n);   /* n of them were parsed */
    struct evbuffer *(*output)(ws_session *ws);   /* frames toward the client */
    void (*wrote)(ws_session *ws);                /* frames were appended */
    void (*end)(ws_session *ws, enum ws_end how); /* called once */
} ws_io;

/* Client messages held for the worker, and their boundaries. */
#define WS_UP_HOLD (64 * 1024)
#define WS_UP_MSGS 32

typedef struct {
    uint32_t left; /* bytes of it in up, not sent yet */
    uint8_t text;
    uint8_t complete; /* its last byte arrived */
} ws_up_msg;

struct ws_session {
    const ws_io *io;
    px_stream *s;  /* the worker's side; NULL once stopped */
    void *carrier; /* the carrier's own pointer (its connection or stream) */
    struct event timer;
    uint8_t timer_mode;
    uint8_t started;
    ws_parser parser;
    struct evbuffer *up; /* unmasked client messages for the worker */
    ws_up_msg msgs[WS_UP_MSGS];
    uint8_t msg_first, msg_count;
    uint64_t owed;          /* worker bytes framed, not credited yet */
    ws_utf8 down_utf8;      /* the worker's text message being sent */
    unsigned down_open : 1; /* a worker message is partly sent */
    unsigned down_text : 1;
    unsigned pong_due : 1;   /* a ping waits for room to be answered */
    unsigned close_sent : 1; /* our Close frame went to the client */
    unsigned close_recv : 1; /* the client's Close arrived */
    unsigned failed : 1;     /* we failed the WebSocket (the client broke a rule, or it is dead) */
    unsigned up_close_due : 1; /* WS_CLOSE owed to the worker once up is drained */
    unsigned ended : 1;        /* io->end was called */
    uint16_t up_close_code;
    uint8_t up_reason_len;
    uint8_t pong_len;
    uint32_t ping_seq;
    uint8_t up_reason[WS_REASON_MAX];
    uint8_t pong[WS_CONTROL_MAX];
};

/* After the 101 went out: s is the tunnel's stream, carrier the io's
 * context.  Reads what the client sent already.  0, or -1 out of memory
 * (the carrier then ends the WebSocket itself). */
int ws_session_start(ws_session *ws, const ws_io *io, px_stream *s, void *carrier);
/* The carrier ends (or the client went away): timers off, buffers freed,
 * the stream forgotten.  Safe to call twice. */
void ws_session_stop(ws_session *ws);

/* Client bytes arrived, or the worker granted credit: move what can move. */
void ws_session_pump(ws_session *ws);
/* The carrier's output drained: credit the worker, answer a waiting ping. */
void ws_session_drained(ws_session *ws);
/* The server stops: Close 1001 to both sides. */
void ws_session_shutdown(ws_session *ws);
/* The client ended its side without a Close (h2 END_STREAM): like a TCP
 * FIN, the WebSocket is over. */
void ws_session_client_ended(ws_session *ws);

/* For the carrier's stream operations (px_stream_ops): */
void ws_session_on_message(ws_session *ws, struct evbuffer *in, size_t n, unsigned flags);
void ws_session_on_close(ws_session *ws, unsigned code, tp_str reason);
/* The worker's side ended without WS_CLOSE: a RESET NO_ERROR (resp_end)
 * closes with 1000, the others arrive as abort. */
void ws_session_worker_ended(ws_session *ws);
void ws_session_abort(ws_session *ws, enum px_abort why);

#endif

/* h1_conn.h: an HTTP/1.0/1.1 client connection: strict parsing
 * (h1_parser.h), one request at a time in order (pipelined bytes wait in
 * the input buffer), request bodies (Content-Length or chunked) forwarded
 * under the worker's window, and responses framed by Content-Length,
 * chunked (1.1) or close (1.0).  Its streams are plain px_streams: the
 * per-request framing state lives here, as there is one request at a time. */
#ifndef TANDEM_H1_CONN_H
#define TANDEM_H1_CONN_H

#include <stdint.h>
#include "h1_parser.h"
#include "px_conn.h"
#include "px_stream.h"
#include "ws_handshake.h"

typedef struct px_h1_conn {
    px_conn base;
    px_stream *cur;                    /* the request being served */
    uint32_t requests;                 /* heads parsed on this connection */
    px_h1_chunked chunked;             /* cur's chunked request body */
    px_h1_scan scan;                   /* how far the next head was searched */
    uint64_t req_left;                 /* Content-Length body still to read from the client */
    uint64_t resp_left;                /* response Content-Length still to write, UINT64_MAX none */
    unsigned keep_alive : 1;           /* the connection may carry another request */
    unsigned chunked_in : 1;           /* the request body is chunked */
    unsigned chunked_out : 1;          /* the response body is chunked */
    unsigned close_out : 1;            /* the response is close-delimited */
    unsigned expect_continue : 1;      /* 100 Continue is owed once a worker takes the request */
    unsigned te_trailers : 1;          /* the client accepts trailers (TE: trailers) */
    unsigned websocket : 1;            /* cur asked for a WebSocket: a 101 switches to ws_conn.h */
    unsigned head_timed : 1;           /* the --header-timeout deadline of the next head runs */
    char ws_accept[WS_ACCEPT_LEN + 1]; /* ...and its Sec-WebSocket-Accept */
} px_h1_conn;

extern const px_conn_ops px_h1_conn_ops;
extern const px_stream_ops px_h1_stream_ops;

static inline px_h1_conn *px_h1_of(px_conn *c) { return PX_CONN_AS(px_h1_conn, c); }

/* h1_response.c: the client side of the current stream. */
void px_h1_send_info(px_stream *s, const tp_response_head *h);
void px_h1_send_head(px_stream *s, const tp_response_head *h);
void px_h1_pump_response(px_stream *s);
void px_h1_abort(px_stream *s, enum px_abort why);
/* A response from the proxy itself before any stream exists (parse
 * errors): written, then the connection closes. */
void px_h1_send_error(px_conn *c, int status, const char *why);

/* h1_conn.c: the current stream is complete on the client side. */
void px_h1_finish(px_conn *c, px_stream *s);
/* Back to HTTP/1's stream free list (also for a stream a tunnel took over). */
void px_h1_stream_recycle(px_stream *s);

#endif

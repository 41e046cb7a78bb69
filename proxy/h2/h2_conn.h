/* h2_conn.h: an HTTP/2 client connection on an nghttp2 server session, and
 * its streams.  The files of the HTTP/2 side share this header:
 * h2_session.c (the session, its I/O and the connection's operations),
 * h2_request.c (streams opened by HEADERS, request bodies, the stream
 * operations), h2_priority.c (PRIORITY and PRIORITY_UPDATE signals) and
 * h2_response.c (heads, DATA without copies, trailers, resets). */
#ifndef TANDEM_H2_CONN_H
#define TANDEM_H2_CONN_H

#include <stdint.h>
#include <nghttp2/nghttp2.h>
#include "px_conn.h"
#include "px_stream.h"

struct ws_session;

typedef struct px_h2_stream {
    px_stream base;
    struct px_h2_stream *next, *prev; /* the connection's open streams */
    int32_t id;
    unsigned deferred : 1;  /* the data provider waits for bytes */
    unsigned body_seen : 1; /* DATA received */
    unsigned prio_9218 : 1; /* a PRIORITY_UPDATE set urgency: the header no longer does */
    unsigned ws_done : 1;   /* the WebSocket is over: END_STREAM after its output */
    tp_str protocol;        /* :protocol of an extended CONNECT (RFC 8441) */
    struct ws_session *ws;  /* after a 101: the WebSocket this stream carries */
    uint32_t unconsumed;    /* body bytes received, not yet consumed */
    uint32_t window_open;   /* window 0: body bytes the client may still send */
    uint32_t collect_extra; /* window opened past the initial one to collect the body */
    uint64_t header_bytes;  /* header list size so far (RFC 9113 §6.5.2) */
    nghttp2_rcbuf **rc;     /* references keeping header bytes alive */
    uint32_t nrc, rc_cap;
    uint32_t ncookies;
    uint64_t resp_left; /* body bytes the app's Content-Length still owes; UINT64_MAX: none */
} px_h2_stream;

/* Priority signals for streams not opened yet (RFC 7540 PRIORITY on an idle
 * stream, RFC 9218 PRIORITY_UPDATE before the HEADERS): a few, the oldest
 * forgotten first, as RFC 9218 §7.1 allows. */
typedef struct px_h2_prio_early {
    int32_t id; /* 0: free */
    uint8_t has_7540, has_9218;
    uint8_t exclusive, urgency, incremental;
    uint16_t weight;
    uint32_t depends_on;
} px_h2_prio_early;

#define PX_H2_PRIO_EARLY 8

struct px_h2_mem;

typedef struct px_h2_conn {
    px_conn base;
    nghttp2_session *session;
    struct px_h2_mem *mem; /* the session's allocator (h2_session.c); NULL: unknown */
    px_h2_stream *streams;
    uint32_t nstreams;
    uint8_t goaway;        /* GOAWAY sent: close once the streams are done */
    uint8_t manual_window; /* stream windows opened per worker credit (window 0) */
    uint8_t settled;       /* idle long enough that its memory went back (px_limits) */
    px_h2_prio_early prio_early[PX_H2_PRIO_EARLY];
    uint8_t prio_early_next;
    uint16_t ext_len; /* PRIORITY_UPDATE payload collected so far */
    uint8_t ext_drop; /* ...too long or malformed: ignored */
    uint8_t *ext_buf; /* ...in here, only while such a frame arrives (h2_priority.c) */
    uint8_t head_open;    /* a header block is arriving: --header-timeout runs */
    uint8_t head_timer;   /* ...and its deadline is armed: a read left the block open */
    uint32_t flood_left;  /* frames without progress still allowed (h2_flood.c) */
    size_t collect_extra; /* the streams' collect_extra, within --request-buffer-size */
} px_h2_conn;

extern const px_conn_ops px_h2_conn_ops;
extern const px_stream_ops px_h2_stream_ops;

static inline px_h2_conn *px_h2_of(px_conn *c) { return PX_CONN_AS(px_h2_conn, c); }
static inline px_h2_stream *px_h2s_of(px_stream *s) { return (px_h2_stream *)(void *)s; }

/* ---- h2_session.c ---- */
/* A server session for c (user data c), or NULL.  manual_window is the
 * window-0 mode (stream windows opened per worker credit). */
nghttp2_session *px_h2_session_new(px_conn *c);
/* Frames went through the session's frame buffer (NULL m: nothing to do). */
void px_h2_mem_touched(struct px_h2_mem *m);
/* The connection has been idle a moment and everything is sent: the frame
 * buffer's pages go back to the kernel. */
void px_h2_mem_release_idle(struct px_h2_mem *m);
/* The last stream is gone (or none came yet): the idle clock starts. */
void px_h2_idle_start(px_h2_conn *hc);
/* Our SETTINGS and the connection window, from c's limits: 0 or -1. */
int px_h2_session_settings(px_conn *c, nghttp2_session *session);
/* h2c Upgrade: c becomes HTTP/2 on session (already upgraded and set up);
 * the 101 is out; s, the upgrading request, becomes stream 1. */
void px_h2_adopt_upgrade(px_conn *c, nghttp2_session *session, px_stream *s);

/* ---- h2_request.c ---- */
int px_h2_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud);
int px_h2_on_header(nghttp2_session *session, const nghttp2_frame *frame, nghttp2_rcbuf *name,
                    nghttp2_rcbuf *value, uint8_t flags, void *ud);
int px_h2_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud);
int px_h2_on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                        size_t len, void *ud);
int px_h2_on_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *ud);
px_h2_stream *px_h2_get_stream(px_h2_conn *hc, int32_t id);
/* A new stream on c (not linked yet), or NULL out of memory. */
px_h2_stream *px_h2_stream_new(px_conn *c);
/* Links s into c's streams as client stream id. */
void px_h2_link_stream(px_h2_conn *hc, px_h2_stream *s, int32_t id);
/* The head of a request is complete: finish it and submit it. */
void px_h2_request_ready(px_h2_conn *hc, px_h2_stream *s, int end_stream);
/* Stream operations h2_websocket.c shares. */
void px_h2_consumed(px_stream *s, size_t n);
void px_h2_body_abandoned(px_stream *s);
void px_h2_stream_recycle(px_stream *s);

/* Every frame's 9-byte header, before its payload: the header deadline
 * (h2_request.c) and the flood budget (h2_flood.c) look at it.  0, or
 * NGHTTP2_ERR_CALLBACK_FAILURE once the connection is being dropped. */
int px_h2_on_begin_frame(nghttp2_session *session, const nghttp2_frame_hd *hd, void *ud);
/* The header block of hd starts, goes on, or has ended. */
void px_h2_head_frame(px_h2_conn *hc, const nghttp2_frame_hd *hd);
/* After a read: a header block it left open gets its --header-timeout. */
void px_h2_head_deadline(px_h2_conn *hc);
/* A header block did not complete within --header-timeout: GOAWAY. */
void px_h2_head_expired(px_h2_conn *hc);

/* ---- h2_flood.c: frames that carry no progress ---- */
/* A fresh budget for a new connection. */
void px_h2_flood_init(px_h2_conn *hc);
/* hd (at its start) costs the budget when it cannot carry progress:
 * 0, or -1 when the budget is spent (GOAWAY(ENHANCE_YOUR_CALM) submitted). */
int px_h2_flood_frame(px_h2_conn *hc, const nghttp2_frame_hd *hd);
/* A DATA frame fully read: payload bytes (without padding) and END_STREAM. */
int px_h2_flood_data(px_h2_conn *hc, size_t payload, int end_stream);
/* Real progress (a request head, body or response bytes) refills it. */
void px_h2_flood_progress(px_h2_conn *hc);

/* ---- h2_websocket.c: RFC 8441 extended CONNECT ---- */
extern const px_stream_ops px_h2_ws_stream_ops;
/* s is an extended CONNECT: checked (a bad one is answered at once) and
 * made a WEBSOCKET request.  0 to submit it, -1 answered. */
int px_h2_ws_request(px_h2_conn *hc, px_h2_stream *s, int end_stream);
/* The connection goes away: its WebSockets close with 1001. */
void px_h2_ws_shutdown(px_h2_conn *hc);

/* ---- h2_priority.c ---- */
/* Not dispatched yet: a new priority still counts. */
int px_h2_prio_open(const px_h2_stream *s);
/* A client that sent SETTINGS_NO_RFC7540_PRIORITIES=1 does not use them. */
int px_h2_rfc7540_ignored(px_h2_conn *hc);
void px_h2_set_7540(px_h2_stream *s, const nghttp2_priority_spec *p);
/* Applies priority signals that arrived before s's HEADERS. */
void px_h2_prio_take_early(px_h2_conn *hc, px_h2_stream *s);
void px_h2_on_priority(px_h2_conn *hc, const nghttp2_frame *frame);
/* nghttp2 only tells the scheduler about the header field: mirror a frame's. */
void px_h2_mirror_extpri(px_h2_conn *hc, px_h2_stream *s);
int px_h2_on_ext_chunk(nghttp2_session *session, const nghttp2_frame_hd *hd, const uint8_t *data,
                       size_t len, void *ud);
int px_h2_unpack_ext(nghttp2_session *session, void **payload, const nghttp2_frame_hd *hd,
                     void *ud);
/* Forgets a PRIORITY_UPDATE half received (frees its buffer). */
void px_h2_ext_reset(px_h2_conn *hc);

/* ---- h2_response.c ---- */
ssize_t px_h2_send_cb(nghttp2_session *session, const uint8_t *data, size_t len, int flags,
                      void *ud);
int px_h2_send_data_cb(nghttp2_session *session, nghttp2_frame *frame, const uint8_t *framehd,
                       size_t length, nghttp2_data_source *source, void *ud);
void px_h2_send_info(px_stream *s, const tp_response_head *h);
/* A 101: :status 200 with the application's fields, the body read by
 * read_cb (the tunnel's frames).  0, or -1 when nothing could be sent. */
int px_h2_send_tunnel_head(px_stream *s, const tp_response_head *h,
                           nghttp2_data_source_read_callback read_cb);
void px_h2_send_head(px_stream *s, const tp_response_head *h);
void px_h2_data_ready(px_stream *s);
void px_h2_abort(px_stream *s, enum px_abort why);
enum px_stall px_h2_stalled(px_stream *s, int reads);

#endif

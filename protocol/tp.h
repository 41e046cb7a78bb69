/* tp.h: the tandem wire protocol between tandem-proxy and tandem-appd workers.
 * One codec, linked by both daemons; specified for humans in tandem-protocol(7).
 *
 * Conventions for every function here:
 *  - Decoders never allocate and never read past the length they are given.
 *    Strings in decoded structs (tp_str) point INTO the caller's input buffer:
 *    they are valid only as long as that buffer is.
 *  - Encoders append to a tp_buf, which owns its heap memory (tp_buf_free).
 *  - Return values: TP_OK (0) on success, a negative TP_E_* code on error;
 *    tp_strerror() names it.  Nothing here logs or aborts.
 */
#ifndef TANDEM_TP_H
#define TANDEM_TP_H

#include <stddef.h>
#include <stdint.h>

#define TP_VERSION 4

/* Frame header: 12 bytes, network byte order.
 *   u32 length     payload bytes that follow the header
 *   u8  type       TP_FRAME_*
 *   u8  flags      TP_FLAG_*
 *   u16 reserved   must be 0
 *   u32 stream     0 for connection frames, > 0 for stream frames */
#define TP_HEADER_SIZE 12

/* Hard ceiling on any payload, whatever a peer announces: bounds memory per
 * frame on both sides.  Peers announce a smaller max_frame in HELLO. */
#define TP_MAX_PAYLOAD (16u * 1024u * 1024u)
#define TP_DEFAULT_MAX_FRAME (256u * 1024u)
#define TP_DEFAULT_WINDOW (1024u * 1024u)

enum tp_frame_type {
    TP_FRAME_HELLO = 0x01,         /* stream 0: version, role, pid, capacity... */
    TP_FRAME_REQUEST_HEAD = 0x02,  /* proxy -> worker: opens a stream */
    TP_FRAME_REQUEST_DATA = 0x03,  /* proxy -> worker: body bytes */
    TP_FRAME_RESPONSE_INFO = 0x04, /* worker -> proxy: 1xx (103 Early Hints) */
    TP_FRAME_RESPONSE_HEAD = 0x05, /* worker -> proxy: final status + headers */
    TP_FRAME_RESPONSE_DATA = 0x06, /* worker -> proxy: body bytes */
    TP_FRAME_TRAILERS = 0x07,      /* worker -> proxy: trailer fields; ends the stream */
    TP_FRAME_RESET = 0x08,         /* either way: abort one stream, u32 reason */
    TP_FRAME_CREDIT = 0x09,        /* either way: u32 more bytes of DATA allowed */
    TP_FRAME_PING = 0x0a,          /* either way, stream 0: 8 opaque bytes, ACK flag */
    TP_FRAME_DRAIN = 0x0b,         /* either way, stream 0: no new streams, finish the open ones */
    TP_FRAME_WS_CLOSE = 0x0c,      /* either way, after a 101: u16 code, reason; ends a direction */
    TP_FRAME_MAX_ = 0x0c
};

enum tp_flag {
    TP_FLAG_END_STREAM =
        0x01, /* REQUEST_HEAD/REQUEST_DATA/RESPONSE_HEAD/RESPONSE_DATA: last frame of this direction */
    TP_FLAG_ACK = 0x02, /* PING: this is the answer */
    /* REQUEST_DATA/RESPONSE_DATA after a 101 (WebSocket messages): */
    TP_FLAG_TEXT = 0x04,        /* on every frame of a text message */
    TP_FLAG_MESSAGE_END = 0x08, /* this frame completes a message */
};

/* RESET reasons (u32).  Numbered like HTTP/2 error codes where one exists so
 * the proxy can pass them to RST_STREAM unchanged. */
enum tp_reset_reason {
    TP_RESET_NO_ERROR = 0x0,
    TP_RESET_PROTOCOL_ERROR = 0x1,
    TP_RESET_INTERNAL_ERROR = 0x2, /* app raised after the head was sent */
    TP_RESET_FLOW_CONTROL_ERROR = 0x3,
    TP_RESET_REFUSED_STREAM = 0x7, /* worker never started it: safe to retry elsewhere */
    TP_RESET_CANCEL = 0x8,         /* client went away / reset the stream */
    TP_RESET_TIMEOUT = 0x100,      /* worker timed out (tandem-specific) */
};

enum tp_role { TP_ROLE_PROXY = 1, TP_ROLE_WORKER = 2 };

enum tp_worker_class {
    TP_CLASS_NONE = 0, /* sent by the proxy */
    TP_CLASS_SYNC = 1,
    TP_CLASS_GTHREAD = 2,
    TP_CLASS_ASGI = 3,
    TP_CLASS_GEVENT = 4,
    TP_CLASS_EVENTLET = 5,
};

enum tp_error {
    TP_OK = 0,
    TP_E_AGAIN = -1,     /* not enough bytes yet: read more and call again */
    TP_E_TOO_BIG = -2,   /* length beyond the allowed maximum */
    TP_E_TYPE = -3,      /* unknown frame type */
    TP_E_STREAM = -4,    /* stream id 0 where >0 is required, or the reverse */
    TP_E_TRUNCATED = -5, /* payload shorter than its fields say */
    TP_E_TRAILING = -6,  /* payload longer than its fields say */
    TP_E_RESERVED = -7,  /* reserved bits set / bad flags for the type */
    TP_E_VALUE = -8,     /* a field out of its range (bad version, status, count) */
    TP_E_TOO_MANY = -9,  /* more headers than the caller's array holds */
    TP_E_NOMEM = -10,    /* tp_buf could not grow */
};

const char *tp_strerror(int err);
const char *tp_frame_type_name(uint8_t type); /* "HELLO", ..., "UNKNOWN" */

/* A byte string referenced, not owned. */
typedef struct {
    const uint8_t *ptr;
    uint32_t len;
} tp_str;

typedef struct {
    tp_str name; /* lower-case for HTTP/2 clients; as received for HTTP/1 */
    tp_str value;
} tp_header;

typedef struct {
    uint32_t length;
    uint8_t type;
    uint8_t flags;
    uint32_t stream;
} tp_frame_header;

/* Decodes the 12-byte header at p.  TP_E_AGAIN if len < TP_HEADER_SIZE.
 * Checks: reserved == 0, known type, length <= max_payload (and
 * <= TP_MAX_PAYLOAD), stream 0 exactly for HELLO/PING/DRAIN, flags valid
 * for the type, fixed-size payloads have their exact size. */
int tp_frame_header_decode(const uint8_t *p, size_t len, uint32_t max_payload,
                           tp_frame_header *out);
void tp_frame_header_encode(uint8_t out[TP_HEADER_SIZE], const tp_frame_header *h);

/* Growable output buffer.  Zero-initialise, or tp_buf_init. */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} tp_buf;

void tp_buf_init(tp_buf *b);
void tp_buf_free(tp_buf *b);
int tp_buf_reserve(tp_buf *b, size_t extra); /* TP_OK or TP_E_NOMEM */
int tp_buf_append(tp_buf *b, const void *p, size_t n);
void tp_buf_consume(tp_buf *b, size_t n); /* drop n bytes from the front */

/* ---- HELLO (stream 0), fixed 36 bytes ----
 * Sent first by both sides; a peer that sees a version other than its own
 * sends nothing more and closes. */
typedef struct {
    uint16_t version;     /* TP_VERSION */
    uint8_t role;         /* TP_ROLE_* */
    uint8_t worker_class; /* TP_CLASS_* (workers) */
    uint32_t pid;
    uint32_t capacity;       /* streams this worker runs at once (0 from proxy) */
    uint32_t worker_index;   /* 1..worker_count; from a proxy: the one it asks for, 0 any */
    uint32_t worker_count;   /* workers the master runs now (0 from proxy) */
    uint32_t initial_window; /* DATA bytes the peer may send per stream before CREDIT */
    uint32_t max_frame;      /* largest payload the sender accepts, <= TP_MAX_PAYLOAD */
    uint32_t generation;     /* appd: bumped on reload; proxy: 0 */
    uint32_t reserved;       /* 0 */
} tp_hello;
#define TP_HELLO_SIZE 36

int tp_encode_hello(tp_buf *b, const tp_hello *h);
int tp_decode_hello(const uint8_t *payload, size_t len, tp_hello *out);

/* ---- REQUEST_HEAD ----
 * Everything the app needs to build a WSGI environ / ASGI scope.  The proxy
 * has already validated names and values; appd trusts them to be HTTP-legal
 * but still bounds-checks every length. */
#define TP_LENGTH_UNKNOWN UINT64_MAX

enum tp_req_flag {
    TP_REQ_TLS = 0x01,             /* connection is TLS (wsgi.url_scheme=https) */
    TP_REQ_HAS_PRIORITY = 0x02,    /* HTTP/2 priority fields are meaningful */
    TP_REQ_EXPECT_CONTINUE = 0x04, /* client waits for 100-continue (proxy answers it) */
    TP_REQ_TE_TRAILERS = 0x08,     /* client accepts trailers */
    TP_REQ_EARLY_HINTS = 0x10,     /* client can receive 1xx (HTTP/1.1 or h2) */
    TP_REQ_WEBSOCKET = 0x20, /* the client asked for a WebSocket (Upgrade or extended CONNECT) */
};

typedef struct {
    uint8_t http_major, http_minor; /* 1.0, 1.1, 2.0 */
    uint16_t flags;                 /* TP_REQ_* */
    uint64_t content_length;        /* TP_LENGTH_UNKNOWN when chunked/unknown */
    /* priority: RFC 7540 (weight 1..256, default 16) and RFC 9218 */
    uint16_t prio_weight;
    uint32_t prio_depends_on;
    uint8_t prio_exclusive;
    uint8_t prio_urgency;     /* 0..7, default 3 */
    uint8_t prio_incremental; /* 0/1 */
    uint16_t peer_port, local_port;
    uint32_t conn_id;      /* proxy's connection number (logs) */
    uint32_t h2_stream_id; /* client's stream id on h2, 0 on HTTP/1 */
    uint16_t proxy_port;   /* PROXY header's destination port (0 without one) */
    tp_str method;
    tp_str scheme;    /* "http"/"https": the proxy's decision (TLS, or a trusted front's
                         secure_scheme_headers), which the app's url_scheme is */
    tp_str authority; /* :authority or Host */
    tp_str path;      /* raw, percent-encoded, without '?query' */
    tp_str query;     /* raw, after the first '?', without '?' */
    tp_str peer_addr; /* textual IP, "" for a Unix listener */
    tp_str local_addr;
    tp_str tls_version; /* "TLSv1.3" or "" */
    tp_str tls_cipher;
    tp_str alpn; /* "h2", "http/1.1" or "" */
    tp_str sni;
    /* Since version 3.  A PROXY protocol header ("" without one): its
     * protocol ("TCP4", "TCP6", "UNKNOWN", "LOCAL", "UNSPEC", "UNIX") and
     * destination address; its source is peer_addr/peer_port. */
    tp_str proxy_protocol;
    tp_str proxy_addr;
    /* The TLS client certificate (cert_reqs): the verify result ("SUCCESS",
     * "NONE" when the client sent none; "" when none was asked for), and
     * for a certificate its PEM, subject and issuer (RFC 2253), serial
     * (hex) and validity ("Jun  1 12:00:00 2025 GMT"). */
    tp_str client_verify;
    tp_str client_cert;
    tp_str client_s_dn;
    tp_str client_i_dn;
    tp_str client_serial;
    tp_str client_v_start;
    tp_str client_v_end;
    uint32_t nheaders;
    tp_header *headers; /* encode: input array; decode: caller's array */
} tp_request_head;

/* The head's strings in wire order (tandem-protocol(7)), for code that
 * walks them all (copying a head): index 0..TP_REQUEST_NSTRINGS-1. */
#define TP_REQUEST_NSTRINGS 20u
tp_str *tp_request_string(tp_request_head *h, unsigned i);

int tp_encode_request_head(tp_buf *b, uint32_t stream, uint8_t flags, const tp_request_head *h);
/* Decodes into *out; headers go into hdrs[0..max_hdrs).  TP_E_TOO_MANY when
 * the frame carries more than max_hdrs. */
int tp_decode_request_head(const uint8_t *payload, size_t len, tp_request_head *out,
                           tp_header *hdrs, uint32_t max_hdrs);

/* ---- RESPONSE_INFO / RESPONSE_HEAD / TRAILERS ----
 * status is 100..199 for INFO, 101 or 200..999 for HEAD (checked; 101 accepts
 * a WEBSOCKET request), 0 for TRAILERS. */
typedef struct {
    uint16_t status;
    uint32_t nheaders;
    tp_header *headers;
} tp_response_head;

int tp_encode_response_info(tp_buf *b, uint32_t stream, const tp_response_head *h);
int tp_encode_response_head(tp_buf *b, uint32_t stream, uint8_t flags, const tp_response_head *h);
int tp_encode_trailers(tp_buf *b, uint32_t stream, uint32_t nheaders, const tp_header *headers);
/* type is the frame's type (INFO, HEAD or TRAILERS), checked against status. */
int tp_decode_response_head(uint8_t type, const uint8_t *payload, size_t len, tp_response_head *out,
                            tp_header *hdrs, uint32_t max_hdrs);

/* ---- DATA (request or response) ----
 * Appends a header only; the caller appends/writev's the n body bytes after
 * it, so bodies are never copied by the codec. */
int tp_encode_data_header(tp_buf *b, uint8_t type, uint32_t stream, uint8_t flags, uint32_t n);
void tp_data_header(uint8_t out[TP_HEADER_SIZE], uint8_t type, uint32_t stream, uint8_t flags,
                    uint32_t n);

/* ---- RESET, CREDIT, PING, DRAIN ---- (fixed 4, 4, 8, 4 bytes) */
int tp_encode_reset(tp_buf *b, uint32_t stream, uint32_t reason);
int tp_encode_credit(tp_buf *b, uint32_t stream, uint32_t increment);
int tp_encode_ping(tp_buf *b, uint8_t flags, const uint8_t opaque[8]);
int tp_encode_drain(tp_buf *b, uint32_t last_stream);
/* Each takes the payload of a frame whose header already decoded OK. */
int tp_decode_u32(const uint8_t *payload, size_t len, uint32_t *out); /* RESET, CREDIT, DRAIN */

/* ---- Additions (backward compatible: nothing above changed) ---- */

/* Largest flow-control window and CREDIT increment, as in HTTP/2, so windows
 * fit a signed 32-bit counter; HELLO initial_window is at most this too. */
#define TP_MAX_WINDOW 0x7fffffffu
/* Smallest max_frame a HELLO may announce (HTTP/2's floor): a request head
 * never spans frames, so every peer must accept a useful one. */
#define TP_MIN_MAX_FRAME 16384u

/* CREDIT payload: tp_decode_u32 plus the range check, 1..TP_MAX_WINDOW
 * (TP_E_VALUE otherwise).  Receivers of CREDIT should call this one. */
int tp_decode_credit(const uint8_t *payload, size_t len, uint32_t *out);

/* Payload bytes the encoders would produce, so a sender can compare with the
 * peer's max_frame (and answer 431/500) before encoding.  A value above
 * TP_MAX_PAYLOAD only means "too big" (the sum saturates there).
 * tp_response_head_size takes the frame type: TRAILERS carry no status. */
uint64_t tp_request_head_size(const tp_request_head *h);
uint64_t tp_response_head_size(uint8_t type, const tp_response_head *h);

/* ---- WS_CLOSE (version 2), stream > 0, after a 101 ----
 * u16 close code (1000..4999), then the reason: at most TP_WS_REASON_MAX
 * bytes of UTF-8 (the sender checks the encoding; the codec only the
 * length).  The final frame of its sender's direction. */
#define TP_WS_REASON_MAX 123u
int tp_encode_ws_close(tp_buf *b, uint32_t stream, uint16_t code, const uint8_t *reason,
                       uint32_t len);
/* *reason points into payload. */
int tp_decode_ws_close(const uint8_t *payload, size_t len, uint16_t *code, tp_str *reason);

/* "NO_ERROR", ..., "TIMEOUT", "UNKNOWN": for logs. */
const char *tp_reset_reason_name(uint32_t reason);

#endif

/* h1_parser.h: strict HTTP/1.0 and HTTP/1.1 request parser (RFC 9110/9112).
 * Pure functions over caller-owned bytes: no I/O, no allocation, no logging.
 *
 * Ownership: every tp_str filled in here points INTO the caller's input
 * buffer and lives as long as it does.  Errors: a negative return means the
 * request must be answered with req->error_status (400, 413, 414, 417, 431,
 * 501, 505) and the connection closed; req->error names the rule that failed
 * (a static string, for the log).
 */
#ifndef TANDEM_H1_PARSER_H
#define TANDEM_H1_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include "tp.h"

typedef struct {
    uint32_t max_request_line; /* limit_request_line: 0 = unlimited, default 4094 */
    uint32_t max_fields;       /* limit_request_fields: default 100 */
    uint32_t max_field_size;   /* limit_request_field_size: default 8190, a field line with its
                                  CRLF, as sent (Gunicorn's count) */
    uint32_t max_head;         /* whole head in bytes; bounds memory per connection */
} px_h1_limits;

enum px_h1_result {
    PX_H1_OK = 0,     /* a complete head was parsed; *consumed bytes of it */
    PX_H1_AGAIN = -1, /* head incomplete and within limits: read more */
    PX_H1_ERROR = -2, /* see req->error_status / req->error */
};

typedef struct {
    tp_str method;
    tp_str target;           /* request-target as sent */
    tp_str path;             /* origin-form path, or the path of an absolute-form target */
    tp_str query;            /* after the first '?', without it; len 0 when none */
    tp_str host;             /* Host header value (or absolute-form authority) */
    uint8_t http_minor;      /* 0 or 1 */
    uint8_t keep_alive;      /* after Connection: close/keep-alive and version rules */
    uint8_t chunked;         /* Transfer-Encoding: chunked */
    uint8_t expect_continue; /* Expect: 100-continue */
    uint8_t te_trailers;     /* TE contains "trailers" */
    uint8_t upgrade;         /* Upgrade header present (Connection: upgrade) */
    uint8_t h2c_upgrade;     /* Upgrade: h2c with HTTP2-Settings */
    uint8_t ws_upgrade;      /* Upgrade: websocket (the rest of RFC 6455 §4.2.1: ws_handshake) */
    uint8_t h2_preface;      /* the bytes are the HTTP/2 connection preface "PRI * HTTP/2.0";
                                 then *consumed counts only empty lines before it, so the
                                 preface reaches the HTTP/2 session whole */
    uint64_t content_length; /* TP_LENGTH_UNKNOWN when chunked; 0 when no body */
    uint32_t nheaders;
    tp_header *headers; /* caller's array, filled in order received */
    uint8_t hdrs_full;       /* 431 because the caller's array, not the limit, ran out */
    int error_status;
    const char *error;
} px_h1_request;

/* Where the search for the end of a head stopped, kept by the caller
 * between calls on the same growing head so that each byte is searched
 * once (a head fed one byte at a time costs linear work).  Zero it for each
 * new head; the bytes already seen must not change between calls. */
typedef struct {
    size_t start;     /* request line (after skipped empty lines) */
    size_t line_end;  /* the request line's CR */
    size_t fields;    /* first field line */
    size_t end;       /* the final empty line's CR */
    size_t line;      /* start of the first line not yet complete */
    size_t searched;  /* bytes already searched for LF */
    uint32_t lines;   /* complete field lines before line */
    uint8_t method_ok; /* the method and its SP were seen */
    uint64_t work;    /* bytes searched in all, for tests */
} px_h1_scan;

/* Parses one request head from buf[0..len).  hdrs has room for max_hdrs
 * entries (fewer than limits->max_fields only sets hdrs_full).  On PX_H1_OK, *consumed is the head's
 * length including the final CRLF CRLF; the body (if any) follows.  Leading
 * empty lines (CRLF) before the request line are skipped as RFC 9112 §2.2
 * allows, and count towards *consumed.
 * On PX_H1_AGAIN nothing is retained: call again with more bytes.  Limits are
 * enforced on incomplete input too (a 5000-byte request line with no CRLF yet
 * fails with 414 as soon as it exceeds the limit). */
int px_h1_parse_request(const uint8_t *buf, size_t len, const px_h1_limits *limits,
                        px_h1_request *req, tp_header *hdrs, uint32_t max_hdrs, size_t *consumed);
/* The same, resuming the search where the last call on this head left sc.
 * When req->hdrs_full is set, a larger array and the same sc may be passed
 * again. */
int px_h1_parse_request_from(px_h1_scan *sc, const uint8_t *buf, size_t len,
                             const px_h1_limits *limits, px_h1_request *req, tp_header *hdrs,
                             uint32_t max_hdrs, size_t *consumed);

/* Incremental chunked-body decoder.  Zero-initialise (or px_h1_chunked_init). */
typedef struct {
    int state;
    uint64_t remaining;     /* bytes left in the current chunk */
    uint32_t line_len;      /* bytes of the current size/trailer line seen */
    uint32_t trailer_bytes; /* bytes of trailer section seen (bounded) */
    uint32_t max_line;      /* chunk-size line and trailer line limit; 0 = 4096 */
    uint32_t max_trailers;  /* trailer section total; 0 = 8192 */
    uint8_t done;           /* last-chunk and trailer section consumed */
    const char *error;
} px_h1_chunked;

void px_h1_chunked_init(px_h1_chunked *c);

/* Consumes bytes from in[0..len).  On return, *consumed bytes were used and,
 * if *data_len > 0, in[*data_off .. *data_off + *data_len) are body bytes (a
 * span inside in: no copy).  Returns at most one data span per call: call
 * again with the rest.  Returns PX_H1_OK (progress, maybe done), PX_H1_AGAIN
 * (needs more bytes; *consumed may still be > 0), or PX_H1_ERROR (c->error:
 * bad hex, size overflow > 2^63, missing CRLF, chunk extension too long,
 * trailer section too large, bare LF/CR, NUL).  Chunk extensions are skipped
 * (bounded by max_line); trailer fields are discarded after validation. */
int px_h1_chunked_decode(px_h1_chunked *c, const uint8_t *in, size_t len, size_t *consumed,
                         size_t *data_off, size_t *data_len);

#endif

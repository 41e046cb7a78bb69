/* px_limits.h: the bounds a client connection and its streams live by.  A
 * listener takes them from the settings once; each thread keeps a copy
 * with its own timers, and every connection points at the copy of the
 * listener that accepted it.  Protocol code reads bounds here, never from
 * the global settings, so they may differ per listener and per-connection
 * budgets (flood counters, byte budgets) have a home. */
#ifndef TANDEM_PX_LIMITS_H
#define TANDEM_PX_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include "h1_parser.h"
#include "px_forwarded.h"
#include "px_settings.h"

/* A connection's output beyond PX_OUT_HIGH stops us producing for it
 * (nghttp2 sends, HTTP/1 body copies); writing resumes below PX_OUT_LOW. */
#define PX_OUT_HIGH (256 * 1024)
#define PX_OUT_LOW (64 * 1024)
/* De-chunked HTTP/1 request body held before the worker takes it. */
#define PX_CHUNKED_HOLD (64 * 1024)
/* How long a closing connection reads and drops what the client still sends. */
#define PX_LINGER_S 2
/* An h2 connection idle this long gives back the memory only traffic needs
 * (a connection serving one request at a time would otherwise pay for it
 * on every request). */
#define PX_H2_SETTLE_S 1

typedef struct px_limits {
    /* Seconds as configured (0 = off), for messages and arithmetic. */
    long long timeout_s;       /* a stream makes no progress; a client takes no bytes */
    long long keepalive_s;     /* an idle HTTP/1 connection stays open */
    long long h2_idle_s;       /* an HTTP/2 connection with no stream stays open */
    long long queue_timeout_s; /* a request waits for a free worker */
    size_t max_queue;          /* requests that may wait, counted process-wide */
    /* The same as timers of the owning thread's event base (NULL = off),
     * filled by px_limits_bind (libevent common timeouts: O(1) insertion;
     * plain ones, kept in tv_plain, when the base has no more of those). */
    const struct timeval *tv_timeout, *tv_keepalive, *tv_queue, *tv_linger, *tv_h2_idle;
    /* HTTP/2 idleness in two steps when the idle timeout is longer than
     * PX_H2_SETTLE_S: settle (memory given back), then the rest (GOAWAY).
     * tv_h2_settle NULL: one step, tv_h2_idle. */
    const struct timeval *tv_h2_settle, *tv_h2_idle_rest;
    struct timeval tv_plain[11]; /* in the order px_limits_bind fills them */

    /* HTTP/1 */
    px_h1_limits h1;            /* request line, fields, field size, whole head */
    uint32_t h1_max_fields;     /* header entries a head may fill (a bound even when unlimited) */
    size_t h1_read_high;        /* bytes read ahead of the parser before reading pauses */
    uint32_t h1_chunk_line_max; /* chunk-size line of a chunked request body */
    uint32_t h1_trailers_max;   /* trailer section of a chunked request body */
    int keepalive;              /* HTTP/1 keep-alive allowed at all */

    /* HTTP/2: the SETTINGS we announce and enforce */
    uint32_t h2_max_concurrent_streams;
    uint32_t h2_initial_window;
    uint32_t h2_max_frame;
    uint32_t h2_max_header_list;
    /* limit_request_fields and limit_request_field_size for h2 heads (0 = no limit) */
    uint32_t max_fields;
    uint32_t max_field_size;
    /* limit_request_body, both protocols (0 = no limit) */
    uint64_t max_body;

    /* WebSockets */
    uint64_t ws_max_message; /* a client message's payload, bytes */
    long long ws_ping_interval_s, ws_ping_timeout_s;
    const struct timeval *tv_ws_ping;   /* silence before a ping (NULL = off) */
    const struct timeval *tv_ws_answer; /* a ping's or a Close's answer */

    /* Slow clients (px_deadline.h) */
    long long header_timeout_s;          /* a request head, whole (h1 and h2) */
    const struct timeval *tv_header;     /* the same as a timer */
    size_t body_buffer;                  /* request bodies collected before a worker (0 = off) */
    long long body_timeout_s;            /* ...must arrive within it (and larger ones keep pace) */
    const struct timeval *tv_body;       /* the same as a timer */
    size_t resp_spool;                   /* response bytes held to free the worker (0 = off) */
    size_t conn_budget;                  /* response bytes held per connection (0 = no bound) */

    /* Whom a connection trusts, decided at accept.  These point into the
     * settings the limits were made from, which must outlive them (a
     * reload keeps its settings for as long as it keeps the limits). */
    const px_trust *trust;       /* forwarded_allow_ips: h2c and forwarded fields */
    px_forwarded_cfg forwarded;  /* what a trusted peer's forwarded fields mean */
    int proxy_protocol;          /* enum px_pp_mode: a PROXY header read first */
    const px_trust *proxy_trust; /* proxy_allow_ips: peers allowed to send one */
} px_limits;

/* Derives every bound from validated settings; the timers stay NULL.  l
 * borrows cfg's trust lists: cfg must live as long as l. */
void px_limits_from_settings(px_limits *l, const px_settings *cfg);

struct event_base;
/* Fills the timers for base (the thread that will own the connections).
 * l must stay where it is while they are used.  Always 0. */
int px_limits_bind(px_limits *l, struct event_base *base);

#endif

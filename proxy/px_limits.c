/* px_limits.c: settings turned into the per-connection bounds of px_limits. */
#include "config.h"
#include <event2/event.h>
#include "px_limits.h"
#include "tp.h"

/* Gunicorn's values for a limit of 0: its MAX_HEADERS, and the size it
 * assumes per field when sizing the head buffer. */
#define PX_FIELDS_UNLIMITED 32768u
#define PX_FIELD_SIZE_ASSUMED 8190u
/* Bytes of fields a head may carry by default: nginx's 4 buffers of 8 KiB. */
#define PX_HEAD_FIELDS_DEFAULT (32u * 1024u)

/* The whole HTTP/1 head: the request line and a fields budget, never more
 * than appd's frame limit (a head never spans frames, so a larger one could
 * only be refused later, after being buffered twice).  The budget is 32 KiB,
 * or at least one field at its limit; given field limits raise it to
 * Gunicorn's fields x field size. */
static uint32_t h1_head_bound(const px_settings *cfg)
{
    uint64_t line = cfg->limit_request_line ? (uint64_t)cfg->limit_request_line : 8190;
    uint64_t fields =
        cfg->limit_request_fields ? (uint64_t)cfg->limit_request_fields : PX_FIELDS_UNLIMITED;
    uint64_t fsz = cfg->limit_request_field_size ? (uint64_t)cfg->limit_request_field_size
                                                 : PX_FIELD_SIZE_ASSUMED;
    uint64_t budget = PX_HEAD_FIELDS_DEFAULT;
    if (fsz > budget)
        budget = fsz;
    if ((cfg->explicit_set & PX_SET_LIMITS) && fields * fsz > budget)
        budget = fields * fsz;
    uint64_t head = line + 2 + budget + 2;
    return head > TP_DEFAULT_MAX_FRAME ? TP_DEFAULT_MAX_FRAME : (uint32_t)head;
}

void px_limits_from_settings(px_limits *l, const px_settings *cfg)
{
    *l = (px_limits){ 0 };
    l->timeout_s = cfg->timeout;
    l->keepalive_s = cfg->keepalive;
    l->h2_idle_s = cfg->http2_idle_timeout;
    l->queue_timeout_s = cfg->queue_timeout;
    l->max_queue = (size_t)cfg->max_queue;
    l->trust = &cfg->trust;
    l->forwarded = (px_forwarded_cfg){ &cfg->secure_scheme_headers, &cfg->trust };
    l->proxy_protocol = cfg->proxy_protocol;
    l->proxy_trust = &cfg->proxy_trust;

    l->h1.max_request_line = (uint32_t)cfg->limit_request_line;
    l->h1.max_fields = cfg->limit_request_fields ? (uint32_t)cfg->limit_request_fields
                                                 : PX_FIELDS_UNLIMITED;
    l->h1.max_field_size = (uint32_t)cfg->limit_request_field_size;
    l->h1.max_head = h1_head_bound(cfg);
    l->h1_read_high = (size_t)l->h1.max_head + 64 * 1024;
    l->h1_max_fields = l->h1.max_fields; /* the parse array grows to it on demand */
    l->h1_chunk_line_max = 4096;
    l->h1_trailers_max =
        (uint32_t)(cfg->limit_request_field_size ? cfg->limit_request_field_size : 8190);
    l->keepalive = cfg->keepalive > 0;

    l->h2_max_concurrent_streams = (uint32_t)cfg->http2_max_concurrent_streams;
    l->h2_initial_window = (uint32_t)cfg->http2_initial_window_size;
    l->h2_max_frame = (uint32_t)cfg->http2_max_frame_size;
    /* Counted as RFC 9113 does (32 per field more than the bytes): within
     * the frame limit, the head always fits one request frame. */
    l->h2_max_header_list = cfg->http2_max_header_list_size > TP_DEFAULT_MAX_FRAME
                                ? TP_DEFAULT_MAX_FRAME
                                : (uint32_t)cfg->http2_max_header_list_size;
    l->max_fields = l->h1.max_fields;
    l->max_field_size = (uint32_t)cfg->limit_request_field_size;
    l->max_body = (uint64_t)cfg->limit_request_body;

    l->ws_max_message = (uint64_t)cfg->websocket_max_message_size;
    l->ws_ping_interval_s = cfg->websocket_ping_interval;
    l->ws_ping_timeout_s = cfg->websocket_ping_timeout;

    l->header_timeout_s = cfg->header_timeout;
    l->body_buffer = (size_t)cfg->request_buffer_size;
    l->body_timeout_s = cfg->body_timeout;
    l->resp_spool = (size_t)cfg->response_buffer_size;
    l->conn_budget = (size_t)cfg->connection_buffer_size;
}

/* libevent keeps at most 256 common timeouts per base, and reloads that
 * keep changing the values could use them up: a plain timer (O(log n)
 * insertion) then does the same job. */
static const struct timeval *timer(struct event_base *base, long long sec, struct timeval *plain)
{
    if (sec <= 0)
        return NULL;
    struct timeval tv = { (time_t)sec, 0 };
    const struct timeval *t = event_base_init_common_timeout(base, &tv);
    if (t)
        return t;
    *plain = tv;
    return plain;
}

int px_limits_bind(px_limits *l, struct event_base *base)
{
    l->tv_timeout = timer(base, l->timeout_s, &l->tv_plain[0]);
    l->tv_keepalive = timer(base, l->keepalive_s, &l->tv_plain[1]);
    l->tv_queue = timer(base, l->queue_timeout_s, &l->tv_plain[2]);
    l->tv_linger = timer(base, PX_LINGER_S, &l->tv_plain[3]);
    l->tv_h2_idle = timer(base, l->h2_idle_s, &l->tv_plain[4]);
    if (l->h2_idle_s == 0 || l->h2_idle_s > PX_H2_SETTLE_S) {
        l->tv_h2_settle = timer(base, PX_H2_SETTLE_S, &l->tv_plain[5]);
        l->tv_h2_idle_rest = timer(base, l->h2_idle_s - PX_H2_SETTLE_S, &l->tv_plain[6]);
    }
    l->tv_ws_ping = timer(base, l->ws_ping_interval_s, &l->tv_plain[7]);
    l->tv_ws_answer = timer(base, l->ws_ping_timeout_s, &l->tv_plain[8]);
    l->tv_header = timer(base, l->header_timeout_s, &l->tv_plain[9]);
    l->tv_body = timer(base, l->body_timeout_s, &l->tv_plain[10]);
    return 0;
}

/* px_bodybuf.c: small request bodies collected before a worker is taken,
 * and the pace a larger one must keep (px_bodybuf.h). */
#include "config.h"
#include <event2/buffer.h>
#include <event2/event.h>
#include "px_bodybuf.h"
#include "px_conn.h"
#include "px_dispatch.h"
#include "px_limits.h"
#include "px_pool.h"
#include "px_thread.h"
#include "px_upstream.h"
#include "tc_log.h"

static const char too_slow[] = "Request Timeout\n";

int px_bodybuf_start(px_stream *s, size_t max)
{
    const px_limits *l = s->limits;
    uint64_t declared = s->head.content_length;
    if (max > l->body_buffer)
        max = l->body_buffer;
    /* A body of unknown length is collected up to the bound too, as a
     * slow one would hold a thread; not for workers that run requests as
     * tasks: there it costs little, and may be a stream the application
     * answers as it reads (bidirectional HTTP/2, progress reports). */
    int unknown = declared == TP_LENGTH_UNKNOWN;
    if (s->req_end || max == 0 || !l->tv_body ||
        (s->head.flags & (TP_REQ_EXPECT_CONTINUE | TP_REQ_WEBSOCKET)) ||
        (unknown ? !px_pool_thread_per_request(s->th->pool) : declared > max))
        return 0;
    s->collecting = 1;
    s->collect_max = max;
    px_stream_set_timer(s, l->tv_body);
    return 1;
}

void px_bodybuf_check(px_stream *s)
{
    if (!s->collecting)
        return;
    if (!s->req_end && evbuffer_get_length(s->req) < s->collect_max)
        return;
    /* Whole (the usual case), or too large after all: the worker takes it
     * from here, streamed as any other body. */
    s->collecting = 0;
    px_stream_set_timer(s, NULL);
    /* A body of unknown length that ended within the bound is known now:
     * the application sees its length (CONTENT_LENGTH) as for a sized one. */
    if (s->req_end && s->head.content_length == TP_LENGTH_UNKNOWN)
        s->head.content_length = evbuffer_get_length(s->req);
    px_dispatch_submit(s);
}

/* Answers 408 (a reset once the response started), cancelling the worker. */
static void give_up(px_stream *s)
{
    if (s->up) {
        px_upstream_send_reset(s, TP_RESET_CANCEL);
        s->req_end_sent = 1;
    }
    if (s->conn)
        s->ops->body_abandoned(s);
    px_stream_local_response(s, 408, too_slow);
}

void px_bodybuf_expired(px_stream *s)
{
    tc_info("conn %u: request body incomplete after %lld s (%zu bytes): 408",
            s->conn ? s->conn->id : 0, s->limits->body_timeout_s, evbuffer_get_length(s->req));
    s->collecting = 0;
    give_up(s);
}

void px_bodybuf_pace_restart(px_stream *s)
{
    event_base_gettimeofday_cached(s->th->base, &s->pace_since);
    s->pace_bytes = 0;
}

int px_bodybuf_pace(px_stream *s, size_t n)
{
    const px_limits *l = s->limits;
    if (!l->body_buffer || !l->body_timeout_s || s->state != PX_ST_UP)
        return 0;
    struct timeval now;
    event_base_gettimeofday_cached(s->th->base, &now);
    if (!s->pace_since.tv_sec && !s->pace_since.tv_usec) {
        s->pace_since = now;
        s->pace_bytes = 0;
    }
    s->pace_bytes += n;
    if (now.tv_sec - s->pace_since.tv_sec < l->body_timeout_s)
        return 0;
    if (s->pace_bytes >= l->body_buffer) {
        s->pace_since = now; /* kept pace: a new period */
        s->pace_bytes = 0;
        return 0;
    }
    tc_info("conn %u: request body slower than %zu bytes in %lld s: %s",
            s->conn ? s->conn->id : 0, l->body_buffer, l->body_timeout_s,
            s->resp_head ? "reset" : "408");
    give_up(s);
    return 1;
}

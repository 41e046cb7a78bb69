/* px_request.c: a complete request head made ready for a worker
 * (px_request.h), one place for HTTP/1 and HTTP/2 alike. */
#include "config.h"
#include <string.h>
#include "px_request.h"
#include "px_conn.h"
#include "px_dispatch.h"
#include "px_limits.h"
#include "px_listener.h"
#include "px_upstream.h"
#include "tc_log.h"

static const char too_large[] = "Payload Too Large\n";

/* CONNECT asks for a tunnel (RFC 9110 §9.3.6), which no setting opens yet:
 * the app never sees one.  An extended CONNECT (RFC 8441) is a WebSocket
 * request by now, its method GET. */
static int is_connect(const tp_request_head *h)
{
    return h->method.len == 7 && memcmp(h->method.ptr, "CONNECT", 7) == 0;
}

int px_request_admit(px_stream *s)
{
    px_conn *c = s->conn;
    if (is_connect(&s->head)) {
        tc_debug("conn %u: CONNECT without a tunnel: 501", c->id);
        px_stream_local_response(s, 501, "Not Implemented: CONNECT\n");
        return -1;
    }
    /* From anyone else the forwarded fields are plain headers. */
    if (c->trusted && px_forwarded_apply(&c->limits->forwarded, &s->head) < 0) {
        tc_info("conn %u: secure_scheme_headers from %s disagree: 400", c->id, c->peer_ip);
        px_stream_local_response(s, 400, "Bad Request: Contradictory scheme headers\n");
        return -1;
    }
    uint64_t max = s->limits->max_body, declared = s->head.content_length;
    if (max && declared != TP_LENGTH_UNKNOWN && declared > max) {
        tc_debug("conn %u: request body of %llu bytes over limit_request_body %llu: 413", c->id,
                 (unsigned long long)declared, (unsigned long long)max);
        px_stream_local_response(s, 413, too_large);
        return -1;
    }
    return 0;
}

int px_request_body_over(px_stream *s, size_t n)
{
    uint64_t max = s->limits->max_body;
    s->body_in += n;
    if (!max || s->body_in <= max)
        return 0;
    tc_debug("conn %u: request body over limit_request_body %llu: %s", s->conn ? s->conn->id : 0,
             (unsigned long long)max, s->resp_head ? "reset" : "413");
    if (s->state == PX_ST_QUEUED)
        px_dispatch_unqueue(s);
    if (s->up)
        px_upstream_send_reset(s, TP_RESET_CANCEL);
    if (s->conn)
        s->ops->body_abandoned(s);
    /* After a head, the response cannot say 413: the protocol resets. */
    px_stream_local_response(s, 413, too_large);
    return 1;
}

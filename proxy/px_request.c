/* px_request.c: a complete request head made ready for a worker
 * (px_request.h), one place for HTTP/1 and HTTP/2 alike. */
#include "config.h"
#include "px_request.h"
#include "px_conn.h"
#include "px_listener.h"
#include "tc_log.h"

int px_request_admit(px_stream *s)
{
    px_conn *c = s->conn;
    /* From anyone else the forwarded fields are plain headers. */
    if (c->trusted && px_forwarded_apply(&c->lis->forwarded, &s->head) < 0) {
        tc_info("conn %u: secure_scheme_headers from %s disagree: 400", c->id, c->peer_ip);
        px_stream_local_response(s, 400, "Bad Request: Contradictory scheme headers\n");
        return -1;
    }
    return 0;
}

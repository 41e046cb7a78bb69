/* px_tunnel.c: the worker's side of a stream that a 101 turned into a
 * two-way message tunnel (tandem-protocol(7), WEBSOCKETS): messages to the
 * worker under its window, and the WS_CLOSE frames that end each
 * direction.  What the messages are to the client (WebSocket frames) is the
 * tunnel protocol's (proxy/ws/); this file knows only the wire. */
#include "config.h"
#include <event2/buffer.h>
#include "px_stream.h"
#include "px_upstream.h"

void px_stream_send_message(px_stream *s, struct evbuffer *src, size_t n, unsigned flags)
{
    px_upstream_send_message(s, src, n, flags);
    s->send_window -= (int64_t)n;
    s->req_data_sent = 1;
}

void px_stream_close_tunnel(px_stream *s, unsigned code, const uint8_t *reason, size_t len)
{
    if (s->up && !s->req_end_sent) {
        px_upstream_send_ws_close(s, code, reason, len);
        s->req_end_sent = 1;
    }
    /* Both final frames exchanged: the worker's slot is free again. */
    if (s->resp_end && s->req_end_sent && (s->up || s->slot >= 0))
        px_stream_detach_upstream(s);
}

void px_stream_on_ws_close(px_stream *s, unsigned code, tp_str reason)
{
    s->resp_end = 1;
    if (!s->conn) {
        /* Its client is gone: this final frame frees the stream. */
        px_stream_detach_upstream(s);
        px_stream_free(s);
        return;
    }
    /* The tunnel tells its client and answers with px_stream_close_tunnel. */
    s->ops->peer_close(s, code, reason);
}

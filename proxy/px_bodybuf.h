/* px_bodybuf.h: slow request bodies.  A body whose Content-Length fits in
 * --request-buffer-size is collected in the stream (s->req) before the
 * request is submitted, so a client that uploads slowly holds a buffer
 * for --body-timeout at most, never a worker; so is one of unknown length
 * (chunked, HTTP/2 without content-length) for workers with a thread per
 * request, up to the bound: whole, it goes with its length, else the rest
 * streams.  A larger body is streamed to the worker and must keep a pace:
 * --request-buffer-size bytes in every --body-timeout seconds that the
 * proxy waits on the client for it.
 *
 * The protocols call these with the stream they own; each function that
 * may answer the client says so, and s may be freed then. */
#ifndef TANDEM_PX_BODYBUF_H
#define TANDEM_PX_BODYBUF_H

#include <stddef.h>
#include "px_stream.h"

/* A complete, admitted head: whether its body should be collected first,
 * with room for at most max bytes before it would have to be submitted
 * anyway (HTTP/2: the client's window).  Only for a declared
 * Content-Length within both, or an unknown one (px_pool_thread_per_request);
 * not for Expect: 100-continue (the client waits for the worker's word) nor
 * WebSockets.  When it should, the stream starts collecting (its timer is
 * the body's deadline): 1; else 0, submit as usual. */
int px_bodybuf_start(px_stream *s, size_t max);

/* Body bytes were added to s->req, or the body ended: a collecting stream
 * that is whole is submitted (which may answer and free s); one that sent
 * more than it declared is submitted too, for the protocol's checks to
 * refuse.  Nothing for a stream that is not collecting. */
void px_bodybuf_check(px_stream *s);

/* The stream's timer fired while it collected: 408 (s may be freed). */
void px_bodybuf_expired(px_stream *s);

/* n body bytes came from the client while the worker had room for more
 * (waiting):  past a --body-timeout period in which fewer than
 * --request-buffer-size bytes came, the client is too slow: the worker is
 * told to cancel and the client gets 408 (or a reset once the response has
 * started): 1, and s may be gone.  0 while it keeps pace. */
int px_bodybuf_pace(px_stream *s, size_t n);
/* The proxy, not the client, held the body back (the worker's window was
 * full): the pace period starts again. */
void px_bodybuf_pace_restart(px_stream *s);

#endif

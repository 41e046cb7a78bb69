/* px_request.h: the checks and decisions every complete request head goes
 * through once, whatever its protocol, before it waits for a worker. */
#ifndef TANDEM_PX_REQUEST_H
#define TANDEM_PX_REQUEST_H

#include "px_stream.h"

/* CONNECT refused (no tunnel is served), a trusted front's word on scheme
 * and client (px_forwarded.h), then the body cap (limit_request_body)
 * against a declared length.  0 to submit the stream, or -1 when it was
 * answered (501, 400, 413) and must not be. */
int px_request_admit(px_stream *s);

/* n more body bytes arrived from the client (chunked, or HTTP/2 DATA).
 * Past limit_request_body the worker is told to cancel, the bytes held
 * are dropped and the client is answered 413, or, when a response head
 * went out already, its stream is reset (HTTP/2) or its connection closed
 * (HTTP/1): 1 then, and s may be gone; 0 while within the limit. */
int px_request_body_over(px_stream *s, size_t n);

#endif

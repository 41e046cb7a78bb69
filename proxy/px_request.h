/* px_request.h: the checks and decisions every complete request head goes
 * through once, whatever its protocol, before it waits for a worker. */
#ifndef TANDEM_PX_REQUEST_H
#define TANDEM_PX_REQUEST_H

#include "px_stream.h"

/* A trusted front's word on scheme and client (px_forwarded.h), then the
 * body cap (limit_request_body) against a declared length.  0 to submit
 * the stream, or -1 when it was answered (400, 413) and must not be. */
int px_request_admit(px_stream *s);

#endif

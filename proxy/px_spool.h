/* px_spool.h: response bytes held for a slow reader so the worker is free.
 * While a stream holds less than --response-buffer-size bytes of response
 * the client has not taken, each RESPONSE_DATA is credited back to the
 * worker as it arrives, so a response up to that size (plus the worker's
 * window) leaves the worker at once, however slowly the client reads;
 * beyond it, bytes are credited only as they leave for the client (the
 * client paces the worker, as without a spool).  Each byte is credited once. */
#ifndef TANDEM_PX_SPOOL_H
#define TANDEM_PX_SPOOL_H

#include <stddef.h>
#include "px_stream.h"

/* n response bytes were appended to s->resp (not the last ones). */
void px_spool_arrived(px_stream *s, size_t n);
/* n response bytes left for the client: how many of them still need a
 * credit (the others were credited on arrival). */
size_t px_spool_passed(px_stream *s, size_t n);

#endif

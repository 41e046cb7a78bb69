/* px_budget.h: response bytes the proxy holds for a client, and the credit
 * that lets workers send them.  A stream "holds" what it granted its worker
 * and the client has not taken yet: window not used, bytes on their way,
 * bytes in s->resp.  Two bounds:
 *
 *  - per stream, the worker's window (PX_RESP_WINDOW) plus the spool
 *    (--response-buffer-size): below it, arriving bytes are credited at
 *    once so a slow reader does not hold the worker; beyond it the client's
 *    reading paces the worker;
 *  - per connection, --connection-buffer-size (0 = none): the sum over its
 *    streams.  Once reached, credit waits for room, which is handed out in
 *    turn (first asked, first served) as the client takes bytes.  Each
 *    stream may always hold PX_RESP_WINDOW_MIN (its initial window) beyond
 *    the bound, so a client that reads one stream only still gets it,
 *    whatever the others hold.
 *
 * The connection's output queue is bounded apart (PX_OUT_HIGH).  Every
 * function is a no-op for a stream whose client is gone. */
#ifndef TANDEM_PX_BUDGET_H
#define TANDEM_PX_BUDGET_H

#include <stddef.h>
#include "px_stream.h"

/* s was attached to a worker (state PX_ST_UP): its initial window counts,
 * and the rest of the window is asked for. */
void px_budget_open(px_stream *s);
/* Response bytes were appended to s->resp (not the last ones). */
void px_budget_arrived(px_stream *s);
/* n response bytes left s->resp for the client. */
void px_budget_passed(px_stream *s, size_t n);
/* The worker's side is over: window it will never use is given back. */
void px_budget_worker_done(px_stream *s);
/* The client side is gone: everything s held leaves its connection's count. */
void px_budget_leave(px_stream *s);

#endif

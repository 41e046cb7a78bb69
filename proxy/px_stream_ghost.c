/* px_stream_ghost.c: the worker's side of a stream the proxy gave up on
 * (504, a malformed request body, a worker's flow or protocol error) while
 * its client is still answered.  The worker runs the app until it reads our
 * RESET, so its capacity slot stays taken until its final frame: a ghost, a
 * bare stream with no client, holds the slot and the upstream stream id,
 * as a stream whose client is gone does (px_stream_client_gone). */
#include "config.h"
#include <stdlib.h>
#include "px_limits.h"
#include "px_stream.h"
#include "px_upstream.h"

static void ghost_recycle(px_stream *g)
{
    px_stream_destruct(g);
    free(g);
}

/* A ghost has no client: every worker event is an orphan's (px_stream.c),
 * so only recycle is ever called. */
static const px_stream_ops ghost_ops = { .recycle = ghost_recycle };

int px_stream_ghost_take(px_stream *s)
{
    px_stream *g = malloc(sizeof *g);
    if (!g || px_stream_construct(g) < 0) {
        free(g);
        return -1;
    }
    px_stream_init_orphan(g, s->th, s->limits, &ghost_ops);
    if (px_upstream_rebind(s, g) < 0) {
        ghost_recycle(g);
        return -1;
    }
    g->slot = s->slot;
    s->slot = -1;
    g->state = s->state;
    g->since = s->since;
    g->head.flags = s->head.flags;
    g->head_in = s->head_in;
    g->tunnel = s->tunnel;
    g->resp_window = s->resp_window;
    g->reset_out = 1;
    g->req_end_sent = 1;
    /* No timer: the worker answers when the app returns, which appd's own
     * --timeout bounds (a stuck worker is killed, its connection lost). */
    return 0;
}

/* px_spool.c: response bytes credited on arrival up to a bound (px_spool.h). */
#include "config.h"
#include <event2/buffer.h>
#include "px_spool.h"
#include "px_limits.h"
#include "px_upstream.h"

void px_spool_arrived(px_stream *s, size_t n)
{
    size_t bound = s->limits->resp_spool;
    if (!bound || !n || !s->up || s->state != PX_ST_UP || s->resp_end ||
        evbuffer_get_length(s->resp) > bound)
        return;
    s->spooled += n;
    px_upstream_send_credit(s, (uint32_t)n);
}

size_t px_spool_passed(px_stream *s, size_t n)
{
    size_t ahead = s->spooled < n ? (size_t)s->spooled : n;
    s->spooled -= ahead;
    return n - ahead;
}

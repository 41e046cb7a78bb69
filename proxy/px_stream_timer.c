/* px_stream_timer.c: a stream's one timer (queue wait, body, no-progress),
 * restarted lazily: progress is reported several times per request, and
 * each event_add costs a trip through libevent's timeout queue. */
#include "config.h"
#include <time.h>
#include <event2/event.h>
#include "px_stream.h"
#include "px_thread.h"

/* libevent marks a common timeout in tv_usec's upper bits; the low 20
 * hold its microseconds (and a plain timeval's are below 2^20 anyway). */
#define USEC_MASK 0xfffff
/* The coarse clock moves in ticks of 1 to 10 ms: a period with less than
 * that left is over (re-arming for it could spin until the next tick). */
#define SLACK_NS 10000000u

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t duration_ns(const struct timeval *tv)
{
    return (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)(tv->tv_usec & USEC_MASK) * 1000u;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    px_stream *s = arg;
    uint64_t elapsed = now_ns() - s->timer_from_ns, full = duration_ns(s->timer_tv);
    if (elapsed + SLACK_NS < full) {
        /* Restarted since it was armed: the rest of the period from then. */
        uint64_t rest = full - elapsed;
        struct timeval tv = { (time_t)(rest / 1000000000u),
                              (suseconds_t)(rest % 1000000000u / 1000u) };
        evtimer_add(&s->timer, &tv);
        return;
    }
    s->timer_tv = NULL;
    px_stream_timeout(s);
}

void px_stream_timer_init(px_stream *s)
{
    s->timer_tv = NULL;
    evtimer_assign(&s->timer, s->th->base, timer_cb, s);
}

void px_stream_set_timer(px_stream *s, const struct timeval *tv)
{
    if (!tv) {
        if (s->timer_tv)
            evtimer_del(&s->timer);
        s->timer_tv = NULL;
        return;
    }
    s->timer_from_ns = now_ns();
    if (tv == s->timer_tv)
        return; /* the same period starts over: timer_cb will see it */
    s->timer_tv = tv;
    evtimer_add(&s->timer, tv);
}

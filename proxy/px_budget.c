/* px_budget.c: credit to workers within the per-stream and per-connection
 * bounds on response bytes held for a client (px_budget.h). */
#include "config.h"
#include <stdint.h>
#include <event2/buffer.h>
#include "px_budget.h"
#include "px_conn.h"
#include "px_counters.h"
#include "px_limits.h"
#include "px_upstream.h"

/* Credit goes out in pieces of at least this much (fewer CREDIT frames):
 * a quarter of the window, so a worker never stalls on a full one. */
#define CREDIT_BATCH (PX_RESP_WINDOW / 4)

/* Credit s could use now, within its own bound: the window refilled, and
 * no more held than the window and the spool together. */
static uint64_t want(const px_stream *s)
{
    if (!s->conn || !s->up || s->state != PX_ST_UP || s->resp_end)
        return 0;
    int64_t cap = PX_RESP_WINDOW + (s->tunnel ? 0 : (int64_t)s->limits->resp_spool);
    int64_t window = PX_RESP_WINDOW - s->resp_window;
    int64_t hold = cap - (int64_t)s->held;
    int64_t w = window < hold ? window : hold;
    return w > 0 ? (uint64_t)w : 0;
}

/* What the connection may still grant (UINT64_MAX: no bound). */
static uint64_t room(const px_conn *c)
{
    uint64_t bound = c->limits->conn_budget;
    if (!bound)
        return UINT64_MAX;
    return c->resp_held < bound ? bound - c->resp_held : 0;
}

/* The smallest credit worth a frame (a bound below a batch lowers it). */
static uint64_t step(const px_conn *c)
{
    uint64_t bound = c->limits->conn_budget;
    return bound && bound < CREDIT_BATCH ? bound : CREDIT_BATCH;
}

static void count(px_stream *s, uint64_t n, int add)
{
    if (add) {
        s->held += n;
        s->conn->resp_held += n;
    } else {
        n = n < s->held ? n : s->held;
        s->held -= n;
        s->conn->resp_held -= n;
    }
    if (n)
        px_counters_held(s->th, n, add);
}

/* Sends n of credit and counts what the worker really got (nothing when
 * its connection is gone). */
static uint64_t grant(px_stream *s, uint64_t n)
{
    int64_t before = s->resp_window;
    px_upstream_send_credit(s, (uint32_t)n);
    uint64_t given = s->resp_window > before ? (uint64_t)(s->resp_window - before) : 0;
    count(s, given, 1);
    return given;
}

static void enqueue(px_conn *c, px_stream *s)
{
    s->credit_waits = 1;
    s->credit_next = NULL;
    s->credit_prev = c->credit_last;
    if (c->credit_last)
        c->credit_last->credit_next = s;
    else
        c->credit_first = s;
    c->credit_last = s;
}

static void dequeue(px_conn *c, px_stream *s)
{
    if (!s->credit_waits)
        return;
    if (s->credit_prev)
        s->credit_prev->credit_next = s->credit_next;
    else
        c->credit_first = s->credit_next;
    if (s->credit_next)
        s->credit_next->credit_prev = s->credit_prev;
    else
        c->credit_last = s->credit_prev;
    s->credit_prev = s->credit_next = NULL;
    s->credit_waits = 0;
}

/* Hands the connection's room to the streams waiting, in turn: each gets
 * what it wants (room permitting) and waits again at the back if it wants
 * more.  Each pass grants at least a step or drops a stream: it ends. */
static void distribute(px_conn *c)
{
    uint64_t min = step(c);
    px_stream *s;
    while ((s = c->credit_first) && room(c) >= min) {
        dequeue(c, s);
        uint64_t w = want(s);
        if (w < min)
            continue;
        uint64_t r = room(c);
        if (grant(s, w < r ? w : r) && want(s) >= min)
            enqueue(c, s);
    }
}

/* s's bytes or window changed: the part of its initial window it has used
 * is always given back (whatever the connection holds, every stream can
 * progress), the rest waits its turn for room. */
static void ask(px_stream *s)
{
    px_conn *c = s->conn;
    uint64_t w = want(s);
    if (w && s->held <= PX_RESP_WINDOW_MIN / 2) {
        uint64_t floor = PX_RESP_WINDOW_MIN - s->held;
        grant(s, w < floor ? w : floor);
        w = want(s);
    }
    if (w >= step(c) && !s->credit_waits)
        enqueue(c, s);
    distribute(c);
}

void px_budget_open(px_stream *s)
{
    if (!s->conn || s->resp_window <= 0)
        return;
    count(s, (uint64_t)s->resp_window, 1); /* granted by the worker connection's HELLO */
    ask(s);
}

void px_budget_arrived(px_stream *s)
{
    if (s->conn)
        ask(s);
}

void px_budget_passed(px_stream *s, size_t n)
{
    if (!s->conn)
        return;
    count(s, n, 0);
    ask(s);
}

void px_budget_worker_done(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c)
        return;
    dequeue(c, s);
    size_t buffered = evbuffer_get_length(s->resp);
    if (s->held > buffered) {
        count(s, s->held - buffered, 0);
        distribute(c);
    }
}

void px_budget_leave(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c)
        return;
    dequeue(c, s);
    count(s, s->held, 0);
    if (!c->closing)
        distribute(c);
}

/* test_px_stream.c: Check tests for a request's life in the proxy
 * (proxy/px_stream.c with the wait queue, proxy/px_dispatch.c, and the
 * tunnel a 101 opens, proxy/px_tunnel.c), driven
 * through fakes: a protocol that records what the stream asks of it, a
 * worker connection that records the frames sent to it, and a pool whose
 * answer each test chooses.  The worker capacity table (px_balance.c) and
 * the queue are the real ones, so a slot left held is caught. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "px_balance.h"
#include "px_conn.h"
#include "px_dispatch.h"
#include "px_limits.h"
#include "px_pool.h"
#include "px_stream.h"
#include "px_thread.h"
#include "px_upstream.h"

/* ---- the world around one stream ---- */

static struct event_base *base;
static px_thread th;
static px_limits lim;
static px_conn conn;
static int slot;

struct px_upstream {
    uint32_t pid;
};
static struct px_upstream up = { 4242 };

static struct {
    int dispatched, pump, consumed, abandoned, info, head, data_ready, aborts, recycled, closes;
    int messages, peer_closes;
    unsigned msg_flags, peer_code;
    size_t msg_bytes;
    unsigned status;
    enum px_abort why;
    char body[256];
} cl;                               /* what the client side saw */

static struct {
    int attaches, resets, credits, data_frames, forgets, ws_closes;
    unsigned message_flags, ws_close_code;
    uint32_t reset_reason, credited;
    size_t data_bytes;
    int end_sent;
} wk;                               /* what the worker side saw */

static int attach_answer;           /* px_pool_attach's reply */
static enum px_stall stall_answer;
static size_t out_len;              /* bytes "queued" to the client */

/* ---- fakes of the modules px_stream.c and px_dispatch.c call ---- */

int px_thread_count(void) { return 1; }
px_thread *px_thread_at(int i) { return i == 0 ? &th : NULL; }
void px_thread_schedule_flush(px_thread *t) { (void)t; }
void px_thread_wake(px_thread *t) { (void)t; }

size_t px_conn_out_len(px_conn *c) { (void)c; return out_len; }
void px_conn_close(px_conn *c, int how)
{
    (void)c;
    (void)how;
    cl.closes++;
}

uint32_t px_upstream_pid(const px_upstream *u) { return u->pid; }
uint32_t px_upstream_max_frame(const px_upstream *u) { (void)u; return 16384; }

void px_upstream_send_reset(px_stream *s, uint32_t reason)
{
    if (!s->up)
        return;
    wk.resets++;
    wk.reset_reason = reason;
}

void px_upstream_send_credit(px_stream *s, uint32_t n)
{
    if (!s->up || !n)
        return;
    wk.credits++;
    wk.credited += n;
    s->resp_window += n;
}

void px_upstream_send_data(px_stream *s, struct evbuffer *src, size_t n, int end)
{
    evbuffer_drain(src, n);
    wk.data_frames++;
    wk.data_bytes += n;
    wk.end_sent |= end;
    (void)s;
}

void px_upstream_send_message(px_stream *s, struct evbuffer *src, size_t n, unsigned flags)
{
    evbuffer_drain(src, n);
    wk.data_frames++;
    wk.data_bytes += n;
    wk.message_flags = flags;
    (void)s;
}

void px_upstream_send_ws_close(px_stream *s, unsigned code, const uint8_t *reason, size_t len)
{
    (void)reason;
    (void)len;
    if (!s->up)
        return;
    wk.ws_closes++;
    wk.ws_close_code = code;
}

void px_upstream_forget(px_stream *s)
{
    wk.forgets++;
    s->up = NULL;
}

int px_pool_attach(px_pool *p, px_stream *s)
{
    (void)p;
    wk.attaches++;
    if (attach_answer <= 0)
        return attach_answer;
    if (!px_worker_try_acquire(slot))
        return 0;
    s->slot = slot;
    s->up = &up;
    s->up_id = (uint32_t)wk.attaches;
    s->send_window = 65536;
    s->resp_window = PX_RESP_WINDOW;
    if (s->req_end && evbuffer_get_length(s->req) == 0)
        s->req_end_sent = 1;
    return 1;
}

/* ---- the fake protocol ---- */

static void f_dispatched(px_stream *s) { (void)s; cl.dispatched++; }
static void f_pump(px_stream *s) { (void)s; cl.pump++; }
static void f_consumed(px_stream *s, size_t n) { (void)s; cl.consumed += (int)n; }
static void f_abandoned(px_stream *s) { (void)s; cl.abandoned++; }
static void f_info(px_stream *s, const tp_response_head *h) { (void)s; (void)h; cl.info++; }
static void f_data_ready(px_stream *s) { (void)s; cl.data_ready++; }

static void f_head(px_stream *s, const tp_response_head *h)
{
    cl.head++;
    cl.status = h->status;
    size_t n = evbuffer_get_length(s->resp);
    if (n >= sizeof cl.body)
        n = sizeof cl.body - 1;
    evbuffer_copyout(s->resp, cl.body, n);
    cl.body[n] = '\0';
    s->resp_head = 1;
}

static void f_abort(px_stream *s, enum px_abort why)
{
    (void)s;
    cl.aborts++;
    cl.why = why;
}

static enum px_stall f_stalled(px_stream *s, int reads)
{
    (void)s;
    (void)reads;
    return stall_answer;
}

static void f_recycle(px_stream *s)
{
    cl.recycled++;
    px_stream_destruct(s);
    free(s);
}

/* A tunnel takes the worker's messages, and answers its close at once. */
static void f_message(px_stream *s, struct evbuffer *in, size_t n, unsigned flags)
{
    (void)s;
    evbuffer_drain(in, n);
    cl.messages++;
    cl.msg_bytes += n;
    cl.msg_flags = flags;
}

static void f_peer_close(px_stream *s, unsigned code, tp_str reason)
{
    (void)reason;
    cl.peer_closes++;
    cl.peer_code = code;
    px_stream_close_tunnel(s, code, NULL, 0);
}

static const px_stream_ops fake_ops = {
    .message = f_message,
    .peer_close = f_peer_close,
    .dispatched = f_dispatched,
    .pump_request = f_pump,
    .consumed = f_consumed,
    .body_abandoned = f_abandoned,
    .send_informational = f_info,
    .send_head = f_head,
    .data_ready = f_data_ready,
    .abort = f_abort,
    .stalled = f_stalled,
    .recycle = f_recycle,
};

/* ---- fixture ---- */

static const struct timeval tv_long = { 3600, 0 };
static const struct timeval tv_short = { 0, 1000 };

static void setup(void)
{
    memset(&cl, 0, sizeof cl);
    memset(&wk, 0, sizeof wk);
    attach_answer = 1;
    stall_answer = PX_STALL_CLOSE;
    out_len = 0;
    base = event_base_new();
    memset(&th, 0, sizeof th);
    th.base = base;
    px_queue_init(&th.queue);
    atomic_store(&th.queue_best, UINT64_MAX);
    memset(&lim, 0, sizeof lim);
    lim.timeout_s = 3600;
    lim.queue_timeout_s = 3600;
    lim.max_queue = 16;
    lim.tv_timeout = &tv_long;
    lim.tv_queue = &tv_long;
    lim.tv_linger = &tv_long;
    memset(&conn, 0, sizeof conn);
    conn.th = &th;
    conn.limits = &lim;
    conn.id = 7;
    px_workers_init();
    slot = px_workers_ref(up.pid, 1);
    ck_assert_int_ge(slot, 0);
}

static void teardown(void)
{
    px_workers_unref(slot);
    px_queue_free(&th.queue);
    event_base_free(base);
}

/* A GET whose head is complete, not yet submitted. */
static px_stream *new_request(void)
{
    px_stream *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(px_stream_construct(s), 0);
    px_stream_init(s, &conn, &fake_ops);
    s->req_end = 1;
    s->head_kept = 1;
    return s;
}

static void head(px_stream *s, unsigned status, int end)
{
    tp_response_head h = { (uint16_t)status, 0, NULL };
    px_stream_on_head(s, &h, end);
}

/* Runs the loop until cond holds, a bounded number of turns. */
#define RUN_UNTIL(cond)                                                    \
    do {                                                                   \
        for (int turn_ = 0; turn_ < 1000 && !(cond); turn_++)              \
            event_base_loop(base, EVLOOP_ONCE);                            \
        ck_assert(cond);                                                   \
    } while (0)

/* ---- to a worker, and back ---- */

START_TEST(submit_dispatches_and_completes)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_UP);
    ck_assert_int_eq(cl.dispatched, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 1);
    head(s, 200, 1);
    ck_assert_int_eq(cl.head, 1);
    ck_assert_uint_eq(cl.status, 200);
    /* The worker's part is over: its slot is free before the client reads. */
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    ck_assert_int_eq(s->state, PX_ST_DONE);
    ck_assert_int_eq(wk.forgets, 1);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(no_capacity_waits_then_drains)
{
    attach_answer = 0;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_QUEUED);
    ck_assert_uint_eq(px_waiting_total(), 1);
    ck_assert_int_eq(cl.dispatched, 0);
    attach_answer = 1;
    px_dispatch_drain(&th);
    ck_assert_int_eq(s->state, PX_ST_UP);
    ck_assert_uint_eq(px_waiting_total(), 0);
    ck_assert_int_eq(cl.dispatched, 1);
    px_stream_client_gone(s); /* the worker still runs: cancelled, not freed */
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_CANCEL);
    ck_assert_int_eq(cl.recycled, 0);
    px_stream_on_reset(s, TP_RESET_NO_ERROR); /* the worker's final frame */
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

START_TEST(full_queue_answers_503)
{
    attach_answer = 0;
    lim.max_queue = 0;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_uint_eq(cl.status, 503);
    ck_assert_str_eq(cl.body, "Service Unavailable: server busy\n");
    ck_assert_uint_eq(px_waiting_total(), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(unreachable_and_oversized_heads)
{
    attach_answer = -1;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_uint_eq(cl.status, 502);
    ck_assert_str_eq(cl.body, "Bad Gateway: application server unreachable\n");
    px_stream_client_gone(s);
    attach_answer = -2;
    s = new_request();
    px_dispatch_submit(s);
    ck_assert_uint_eq(cl.status, 431);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 2);
}
END_TEST

START_TEST(queue_timeout_answers_503)
{
    attach_answer = 0;
    lim.tv_queue = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_QUEUED);
    RUN_UNTIL(cl.head == 1);
    ck_assert_uint_eq(cl.status, 503);
    ck_assert_uint_eq(px_waiting_total(), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(queued_client_gone_leaves_queue)
{
    attach_answer = 0;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_client_gone(s);
    ck_assert_uint_eq(px_waiting_total(), 0);
    ck_assert_uint_eq(px_queue_len(&th.queue), 0);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(priority_orders_the_queue)
{
    attach_answer = 0;
    px_stream *a = new_request(), *b = new_request();
    px_dispatch_submit(a);
    px_dispatch_submit(b);
    b->head.prio_urgency = 0; /* a PRIORITY_UPDATE while it waits */
    px_dispatch_reprioritize(b);
    attach_answer = 1; /* one slot: the more urgent goes first */
    px_dispatch_drain(&th);
    ck_assert_int_eq(b->state, PX_ST_UP);
    ck_assert_int_eq(a->state, PX_ST_QUEUED);
    px_stream_client_gone(a);
    px_stream_client_gone(b);
    px_stream_on_reset(b, TP_RESET_NO_ERROR);
    ck_assert_int_eq(cl.recycled, 2);
}
END_TEST

/* ---- the worker fails ---- */

START_TEST(refused_stream_is_retried)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_on_reset(s, TP_RESET_REFUSED_STREAM);
    ck_assert_int_eq(wk.attaches, 2);
    ck_assert_int_eq(s->state, PX_ST_UP);
    ck_assert_int_eq(s->retries, 1);
    ck_assert_int_eq(cl.head, 0);
    ck_assert_uint_eq(px_worker_outstanding(slot), 1);
    head(s, 204, 1);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

START_TEST(refused_without_kept_head_fails)
{
    px_stream *s = new_request();
    s->head_kept = 0; /* its bytes are gone: cannot run elsewhere */
    px_dispatch_submit(s);
    px_stream_on_reset(s, TP_RESET_REFUSED_STREAM);
    ck_assert_int_eq(wk.attaches, 1);
    ck_assert_uint_eq(cl.status, 502);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(reset_after_head_aborts)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 0);
    px_stream_on_reset(s, TP_RESET_INTERNAL_ERROR);
    ck_assert_int_eq(cl.aborts, 1);
    ck_assert_int_eq(cl.why, PX_ABORT_INTERNAL);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(timeout_reset_is_504)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_on_reset(s, TP_RESET_TIMEOUT);
    ck_assert_uint_eq(cl.status, 504);
    ck_assert_str_eq(cl.body, "Gateway Timeout\n");
    px_stream_client_gone(s);
}
END_TEST

START_TEST(worker_lost_before_head_is_502)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_upstream_forget(s); /* what the closing connection does first */
    px_stream_on_up_lost(s);
    ck_assert_uint_eq(cl.status, 502);
    ck_assert_str_eq(cl.body, "Bad Gateway\n");
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(no_progress_is_504_and_resets_the_worker)
{
    lim.tv_timeout = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    RUN_UNTIL(cl.head == 1);
    ck_assert_uint_eq(cl.status, 504);
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_CANCEL);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    lim.tv_timeout = &tv_long;
    px_stream_client_gone(s);
}
END_TEST

START_TEST(credit_overflow_is_a_flow_error)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_on_credit(s, (uint32_t)TP_MAX_WINDOW);
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_FLOW_CONTROL_ERROR);
    ck_assert_uint_eq(cl.status, 502);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(cancelled_worker_that_never_answers)
{
    lim.tv_timeout = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 0);
    RUN_UNTIL(cl.recycled == 1); /* the slot is taken back */
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

/* ---- bodies both ways ---- */

START_TEST(request_body_moves_under_the_window)
{
    px_stream *s = new_request();
    s->req_end = 0;
    px_dispatch_submit(s);
    s->send_window = 1000;
    evbuffer_add(s->req, "0123456789", 10);
    for (int i = 0; i < 299; i++)
        evbuffer_add(s->req, "0123456789", 10);
    px_stream_pump_request(s);
    ck_assert_uint_eq(wk.data_bytes, 1000);
    ck_assert_int_eq(cl.consumed, 1000);
    ck_assert_uint_eq(evbuffer_get_length(s->req), 2000);
    s->req_end = 1;
    px_stream_on_credit(s, 5000);
    ck_assert_int_eq(cl.pump, 1); /* the protocol moves it */
    px_stream_pump_request(s);
    ck_assert_uint_eq(wk.data_bytes, 3000);
    ck_assert_int_eq(wk.end_sent, 1);
    ck_assert(s->req_end_sent);
    head(s, 200, 1);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(response_credit_in_batches)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 0);
    struct evbuffer *in = evbuffer_new();
    static char chunk[100000];
    evbuffer_add(in, chunk, sizeof chunk);
    s->resp_window -= sizeof chunk;
    px_stream_on_data(s, in, sizeof chunk, 0);
    ck_assert_int_eq(cl.data_ready, 1);
    ck_assert_uint_eq(evbuffer_get_length(s->resp), sizeof chunk);
    px_stream_resp_passed(s, PX_RESP_WINDOW / 4 - 1);
    ck_assert_int_eq(wk.credits, 0);
    px_stream_resp_passed(s, 1);
    ck_assert_int_eq(wk.credits, 1);
    ck_assert_uint_eq(wk.credited, PX_RESP_WINDOW / 4);
    evbuffer_free(in);
    px_stream_on_reset(s, TP_RESET_NO_ERROR); /* ends a started response cleanly */
    ck_assert_int_eq(cl.aborts, 0);
    ck_assert(s->resp_end);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(body_of_head_request_is_dropped_and_credited)
{
    px_stream *s = new_request();
    s->is_head = 1;
    px_dispatch_submit(s);
    head(s, 200, 0);
    struct evbuffer *in = evbuffer_new();
    evbuffer_add(in, "abcdef", 6);
    px_stream_on_data(s, in, 6, 0);
    ck_assert_uint_eq(evbuffer_get_length(s->resp), 0);
    ck_assert_uint_eq(wk.credited, 6);
    evbuffer_free(in);
    px_stream_client_gone(s);
    px_stream_on_reset(s, TP_RESET_NO_ERROR);
}
END_TEST

START_TEST(trailers_keep_only_allowed_fields)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 0);
    tp_header f[3] = {
        { { (const uint8_t *)"x-checksum", 10 }, { (const uint8_t *)"abc", 3 } },
        { { (const uint8_t *)"content-length", 14 }, { (const uint8_t *)"5", 1 } },
        { { (const uint8_t *)"x-bad", 5 }, { (const uint8_t *)"a\r\nb", 4 } },
    };
    tp_response_head h = { 0, 3, f };
    px_stream_on_trailers(s, &h);
    ck_assert_uint_eq(s->ntrailers, 1);
    ck_assert(s->has_trailers);
    ck_assert(s->resp_end);
    ck_assert_int_eq(cl.data_ready, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(stalled_client_reset_or_closed)
{
    lim.tv_timeout = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 1);
    stall_answer = PX_STALL_RESET;
    RUN_UNTIL(cl.aborts == 1);
    ck_assert_int_eq(cl.why, PX_ABORT_CANCEL);
    stall_answer = PX_STALL_CLOSE;
    px_stream_set_timer(s, lim.tv_timeout);
    RUN_UNTIL(cl.closes == 1);
    lim.tv_timeout = &tv_long;
    px_stream_client_gone(s);
}
END_TEST

START_TEST(events_after_the_client_left)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_client_gone(s);
    struct evbuffer *in = evbuffer_new();
    evbuffer_add(in, "xyz", 3);
    head(s, 200, 0);
    px_stream_on_data(s, in, 3, 0);
    ck_assert_uint_eq(evbuffer_get_length(in), 0);
    ck_assert_int_eq(cl.head, 0);
    ck_assert_int_eq(cl.recycled, 0);
    evbuffer_add(in, "xyz", 3);
    px_stream_on_data(s, in, 3, 1); /* the final frame frees it */
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    evbuffer_free(in);
}
END_TEST

START_TEST(local_response_to_a_head_request_has_no_body)
{
    px_stream *s = new_request();
    s->is_head = 1;
    px_stream_local_response(s, 503, "busy\n");
    ck_assert_uint_eq(cl.status, 503);
    ck_assert_str_eq(cl.body, "");
    px_stream_client_gone(s);
}
END_TEST

/* ---- a tunnel (px_tunnel.c): after a 101 ---- */

static px_stream *open_tunnel(void)
{
    px_stream *s = new_request();
    s->head.flags |= TP_REQ_WEBSOCKET;
    s->req_end = 0;
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_UP);
    head(s, 101, 0);
    ck_assert(s->tunnel);
    return s;
}

START_TEST(tunnel_opens_on_101_without_timeout)
{
    px_stream *s = open_tunnel();
    ck_assert_uint_eq(cl.status, 101);
    /* kept alive by pings, not by --timeout; the slot stays held */
    ck_assert(!event_pending(&s->timer, EV_TIMEOUT, NULL));
    px_stream_progress(s);
    ck_assert(!event_pending(&s->timer, EV_TIMEOUT, NULL));
    ck_assert_uint_eq(px_worker_outstanding(slot), 1);
    /* the worker's DATA is a message for the tunnel, flags and all */
    struct evbuffer *in = evbuffer_new();
    evbuffer_add(in, "hello", 5);
    px_stream_on_data(s, in, 5, TP_FLAG_TEXT | TP_FLAG_MESSAGE_END);
    ck_assert_int_eq(cl.messages, 1);
    ck_assert_uint_eq(cl.msg_bytes, 5);
    ck_assert_uint_eq(cl.msg_flags, TP_FLAG_TEXT | TP_FLAG_MESSAGE_END);
    ck_assert_int_eq(cl.data_ready, 0);
    /* and a message to the worker spends its window */
    evbuffer_add(s->req, "abc", 3);
    int64_t w = s->send_window;
    px_stream_send_message(s, s->req, 3, TP_FLAG_MESSAGE_END);
    ck_assert_int_eq(s->send_window, w - 3);
    ck_assert_uint_eq(wk.message_flags, TP_FLAG_MESSAGE_END);
    evbuffer_free(in);
    px_stream_close_tunnel(s, 1000, NULL, 0);
    tp_str none = { NULL, 0 };
    px_stream_on_ws_close(s, 1000, none);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(worker_close_is_answered_and_frees_the_slot)
{
    px_stream *s = open_tunnel();
    tp_str reason = { (const uint8_t *)"bye", 3 };
    px_stream_on_ws_close(s, 4002, reason);
    ck_assert_int_eq(cl.peer_closes, 1);
    ck_assert_uint_eq(cl.peer_code, 4002);
    /* answered with the same code: both directions over, the worker free */
    ck_assert_int_eq(wk.ws_closes, 1);
    ck_assert_uint_eq(wk.ws_close_code, 4002);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    ck_assert_int_eq(s->state, PX_ST_DONE);
    /* the client side finishes its close handshake on its own */
    px_stream_client_gone(s);
    ck_assert_int_eq(wk.resets, 0);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(client_gone_after_our_close_sends_no_reset)
{
    px_stream *s = open_tunnel();
    px_stream_close_tunnel(s, 4001, NULL, 0);
    ck_assert(s->req_end_sent);
    ck_assert_uint_eq(px_worker_outstanding(slot), 1); /* until the worker answers */
    px_stream_client_gone(s);
    ck_assert_int_eq(wk.resets, 0);    /* the close said it all */
    ck_assert_int_eq(cl.recycled, 0);
    tp_str none = { NULL, 0 };
    px_stream_on_ws_close(s, 4001, none); /* the answer frees it */
    ck_assert_int_eq(cl.peer_closes, 0);
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

START_TEST(client_gone_from_an_open_tunnel_cancels)
{
    px_stream *s = open_tunnel();
    px_stream_client_gone(s);
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_CANCEL);
    px_stream_on_reset(s, TP_RESET_CANCEL);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(worker_reset_after_101_aborts_the_tunnel)
{
    px_stream *s = open_tunnel();
    px_stream_on_reset(s, TP_RESET_INTERNAL_ERROR);
    ck_assert_int_eq(cl.aborts, 1);
    ck_assert_int_eq(cl.why, PX_ABORT_INTERNAL);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_stream");
    TCase *tc = tcase_create("life");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, submit_dispatches_and_completes);
    tcase_add_test(tc, no_capacity_waits_then_drains);
    tcase_add_test(tc, full_queue_answers_503);
    tcase_add_test(tc, unreachable_and_oversized_heads);
    tcase_add_test(tc, queue_timeout_answers_503);
    tcase_add_test(tc, queued_client_gone_leaves_queue);
    tcase_add_test(tc, priority_orders_the_queue);
    tcase_add_test(tc, refused_stream_is_retried);
    tcase_add_test(tc, refused_without_kept_head_fails);
    tcase_add_test(tc, reset_after_head_aborts);
    tcase_add_test(tc, timeout_reset_is_504);
    tcase_add_test(tc, worker_lost_before_head_is_502);
    tcase_add_test(tc, no_progress_is_504_and_resets_the_worker);
    tcase_add_test(tc, credit_overflow_is_a_flow_error);
    tcase_add_test(tc, cancelled_worker_that_never_answers);
    tcase_add_test(tc, request_body_moves_under_the_window);
    tcase_add_test(tc, response_credit_in_batches);
    tcase_add_test(tc, body_of_head_request_is_dropped_and_credited);
    tcase_add_test(tc, trailers_keep_only_allowed_fields);
    tcase_add_test(tc, stalled_client_reset_or_closed);
    tcase_add_test(tc, events_after_the_client_left);
    tcase_add_test(tc, local_response_to_a_head_request_has_no_body);
    tcase_add_test(tc, tunnel_opens_on_101_without_timeout);
    tcase_add_test(tc, worker_close_is_answered_and_frees_the_slot);
    tcase_add_test(tc, client_gone_after_our_close_sends_no_reset);
    tcase_add_test(tc, client_gone_from_an_open_tunnel_cancels);
    tcase_add_test(tc, worker_reset_after_101_aborts_the_tunnel);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

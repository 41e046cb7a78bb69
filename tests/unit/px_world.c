/* px_world.c: the fake world of the proxy's stream tests (px_world.h). */
#include "px_world.h"

struct event_base *base;
px_thread th;
px_limits lim;
px_conn conn;
int slot;

struct px_upstream up = { 4242 };

struct px_seen_client cl;
struct px_seen_worker wk;

int attach_answer;
enum px_stall stall_answer;
size_t out_len;

/* ---- fakes of the modules px_stream.c and px_dispatch.c call ---- */

int px_thread_count(void) { return 1; }
px_thread *px_thread_at(int i) { return i == 0 ? &th : NULL; }
void px_thread_schedule_flush(px_thread *t) { (void)t; }
void px_thread_wake(px_thread *t) { (void)t; }

size_t px_conn_out_len(px_conn *c)
{
    (void)c;
    return out_len;
}
void px_conn_close(px_conn *c, int how)
{
    (void)c;
    (void)how;
    cl.closes++;
}

uint32_t px_upstream_pid(const px_upstream *u) { return u->pid; }
uint32_t px_upstream_max_frame(const px_upstream *u)
{
    (void)u;
    return 16384;
}

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

/* The fake reset leaves reset_out alone, so no ghost is ever asked for
 * here: the ghost's life is tested against a real worker (integration). */
int px_upstream_rebind(px_stream *from, px_stream *to)
{
    to->up = from->up;
    to->up_id = from->up_id;
    from->up = NULL;
    return 0;
}

void px_upstream_forget(px_stream *s)
{
    wk.forgets++;
    s->up = NULL;
}

/* The one fake worker has room while its slot is under capacity, and
 * always when attaching is made to fail otherwise. */
int px_pool_has_room(px_pool *p)
{
    (void)p;
    return attach_answer <= 0 || px_worker_outstanding(slot) < px_worker_capacity(slot);
}

/* The fake workers run a thread per request, as sync ones do. */
int px_pool_thread_per_request(const px_pool *p)
{
    (void)p;
    return 1;
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

static void f_dispatched(px_stream *s)
{
    (void)s;
    cl.dispatched++;
}
static void f_pump(px_stream *s)
{
    (void)s;
    cl.pump++;
}
static void f_consumed(px_stream *s, size_t n)
{
    (void)s;
    cl.consumed += (int)n;
}
static void f_abandoned(px_stream *s)
{
    (void)s;
    cl.abandoned++;
}
static void f_info(px_stream *s, const tp_response_head *h)
{
    (void)s;
    (void)h;
    cl.info++;
}
static void f_data_ready(px_stream *s)
{
    (void)s;
    cl.data_ready++;
}

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

const struct timeval tv_long = { 3600, 0 };
const struct timeval tv_short = { 0, 1000 };

void px_world_setup(void)
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

void px_world_teardown(void)
{
    px_workers_unref(slot);
    px_queue_free(&th.queue);
    event_base_free(base);
}

px_stream *new_request(void)
{
    px_stream *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(px_stream_construct(s), 0);
    px_stream_init(s, &conn, &fake_ops);
    s->req_end = 1;
    s->head_kept = 1;
    return s;
}

void head(px_stream *s, unsigned status, int end)
{
    tp_response_head h = { (uint16_t)status, 0, NULL };
    px_stream_on_head(s, &h, end);
}

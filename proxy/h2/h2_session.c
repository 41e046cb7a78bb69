/* h2_session.c: an HTTP/2 client connection's nghttp2 session and I/O: the
 * callbacks, our SETTINGS, input fed to nghttp2 straight from the buffer's
 * chains, and everything nghttp2 has to send after a read going out in one
 * flush at the end of the loop turn.  Requests are h2_request.c's,
 * responses h2_response.c's. */
#include "config.h"
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <event2/buffer.h>
#include "h2_conn.h"
#include "px_limits.h"
#include "tc_log.h"

static nghttp2_session_callbacks *callbacks;
static nghttp2_option *options;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* nghttp2's own defences, set explicitly wherever this build of the
 * library has them (configure looked): a distribution's patch level must
 * not decide them.  The values are nghttp2's own defaults since 1.61. */
static void set_abuse_limits(nghttp2_option *opt)
{
#ifdef HAVE_NGHTTP2_OPTION_SET_MAX_OUTBOUND_ACK
    /* PING and SETTINGS ACKs queued for a client that does not read. */
    nghttp2_option_set_max_outbound_ack(opt, 1000);
#endif
#ifdef HAVE_NGHTTP2_OPTION_SET_STREAM_RESET_RATE_LIMIT
    /* Rapid reset (CVE-2023-44487): 1000 at once, then 33 per second. */
    nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
#endif
#ifdef HAVE_NGHTTP2_OPTION_SET_MAX_CONTINUATIONS
    /* CONTINUATION flood (CVE-2024-27316 and kin): 8 per header block. */
    nghttp2_option_set_max_continuations(opt, 8);
#endif
#ifdef HAVE_NGHTTP2_OPTION_SET_MAX_SETTINGS
    /* Entries in one SETTINGS frame. */
    nghttp2_option_set_max_settings(opt, 32);
#endif
    (void)opt;
}

static void init_callbacks(void)
{
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_send_callback(callbacks, px_h2_send_cb);
    nghttp2_session_callbacks_set_send_data_callback(callbacks, px_h2_send_data_cb);
    nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, px_h2_on_begin_frame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, px_h2_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback2(callbacks, px_h2_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, px_h2_on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, px_h2_on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, px_h2_on_stream_close);
    nghttp2_session_callbacks_set_on_extension_chunk_recv_callback(callbacks, px_h2_on_ext_chunk);
    nghttp2_session_callbacks_set_unpack_extension_callback(callbacks, px_h2_unpack_ext);
    nghttp2_option_new(&options);
    /* Window updates only when the worker took the bytes. */
    nghttp2_option_set_no_auto_window_update(options, 1);
    set_abuse_limits(options);
    /* RFC 9218: we announce SETTINGS_NO_RFC7540_PRIORITIES=1 (clients may
     * send PRIORITY_UPDATE, nghttp2 schedules by urgency), and fall back to
     * RFC 7540 for a client that does not announce it too, so its PRIORITY
     * frames still reach us.  PRIORITY_UPDATE is a user extension so that
     * it arrives in both modes (see h2_priority.c). */
    nghttp2_option_set_server_fallback_rfc7540_priorities(options, 1);
    nghttp2_option_set_user_recv_extension_type(options, 0x10 /* PRIORITY_UPDATE */);
}

/* ---- the session's memory ----
 *
 * nghttp2 gives every session a 16 KiB buffer to serialize outgoing frames
 * in, for the session's whole life: 40% of an idle connection's memory.
 * Its content is dead once everything is sent, so a connection idle for
 * PX_H2_SETTLE_S hands the buffer's pages back to the kernel (MADV_DONTNEED:
 * zero pages on the next touch).  The session's allocator finds the buffer
 * (the first block of a frame's size) and gives it whole pages of its own.
 * Blocks it made may outlive the session (header buffers a stream keeps
 * after its connection closed), so the allocator's state counts them and
 * goes with the last one.
 *
 * The stream map's table (4 KiB from nghttp2 1.52's session constructor)
 * stays for the session's life too, and it is all zero bytes whenever no
 * stream is in it.  Zeroed blocks of whole pages are given whole pages of
 * their own, and at the same idle moment a block that reads all zero hands
 * its pages back: the kernel's zero pages hold the same bytes. */

#define H2_FRAMEBUF_MIN 16384 /* nghttp2's frame buffer: a frame header, a pad byte, 16 KiB */
#define H2_QUIET_BLOCKS 2      /* zeroed page blocks watched per session */

struct px_h2_mem {
    size_t live;    /* blocks allocated and not freed yet */
    int held;       /* px_h2_session_new still uses it */
    void *framebuf; /* the frame buffer, page-aligned (NULL: not seen or gone) */
    size_t framebuf_len;
    int touched; /* frames went through it since the last release */
    void *quiet[H2_QUIET_BLOCKS]; /* zeroed whole-page blocks (the stream map) */
    size_t quiet_len[H2_QUIET_BLOCKS];
};

static size_t page_size(void)
{
    static size_t page;
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

static void *counted(struct px_h2_mem *m, void *p)
{
    if (p)
        m->live++;
    return p;
}

static void mem_drop_if_unused(struct px_h2_mem *m)
{
    if (m->live == 0 && !m->held)
        free(m);
}

static void *mem_malloc(size_t size, void *ud) { return counted(ud, malloc(size)); }

/* A zeroed block of whole pages, page-aligned and watched (quiet_release),
 * when a slot is free; else NULL and an ordinary calloc does. */
static void *quiet_alloc(struct px_h2_mem *m, size_t n, size_t size)
{
    size_t page = page_size();
    if (n == 0 || size > SIZE_MAX / n || n * size < page || n * size % page)
        return NULL;
    for (int i = 0; i < H2_QUIET_BLOCKS; i++) {
        void *p;
        if (m->quiet[i])
            continue;
        if (posix_memalign(&p, page, n * size) != 0)
            return NULL;
        memset(p, 0, n * size);
        m->quiet[i] = p;
        m->quiet_len[i] = n * size;
        return p;
    }
    return NULL;
}

/* p leaves the allocator's hands (freed or moved): no longer watched. */
static void quiet_forget(struct px_h2_mem *m, const void *p)
{
    for (int i = 0; i < H2_QUIET_BLOCKS; i++)
        if (m->quiet[i] == p)
            m->quiet[i] = NULL;
}

static int all_zero(const void *p, size_t len)
{
    const uint64_t *w = p;
    for (size_t i = 0; i < len / sizeof *w; i++)
        if (w[i])
            return 0;
    return 1;
}

static void quiet_release(struct px_h2_mem *m)
{
    for (int i = 0; i < H2_QUIET_BLOCKS; i++)
        if (m->quiet[i] && all_zero(m->quiet[i], m->quiet_len[i]))
            madvise(m->quiet[i], m->quiet_len[i], MADV_DONTNEED);
}

static void *mem_calloc(size_t n, size_t size, void *ud)
{
    void *p = quiet_alloc(ud, n, size);
    return counted(ud, p ? p : calloc(n, size));
}

static void mem_free(void *ptr, void *ud)
{
    struct px_h2_mem *m = ud;
    if (!ptr)
        return;
    if (ptr == m->framebuf)
        m->framebuf = NULL;
    quiet_forget(m, ptr);
    free(ptr);
    m->live--;
    mem_drop_if_unused(m);
}

static void *mem_realloc(void *ptr, size_t size, void *ud)
{
    struct px_h2_mem *m = ud;
    if (!ptr && size >= H2_FRAMEBUF_MIN && !m->framebuf) {
        void *p;
        if (posix_memalign(&p, page_size(), size) != 0)
            return NULL;
        m->framebuf = p;
        m->framebuf_len = size;
        return counted(m, p);
    }
    if (ptr)
        quiet_forget(m, ptr); /* its size changes, or it moves */
    void *p = realloc(ptr, size);
    if (!ptr)
        return counted(m, p);
    if (p && ptr == m->framebuf)
        m->framebuf = NULL; /* moved: no longer page-aligned, no longer ours to release */
    return p;
}

void px_h2_mem_touched(struct px_h2_mem *m)
{
    if (m)
        m->touched = 1;
}

/* The handshakes and requests of a burst leave free memory in the middle
 * of the heap, which glibc keeps resident (a few KiB per connection after
 * 1,000 came at once).  malloc_trim(0) hands its whole free pages back;
 * it locks each arena while it walks its free chunks (about a millisecond),
 * so it runs at most once every TRIM_INTERVAL_S seconds, from the first
 * connection to settle after that. */
#define TRIM_INTERVAL_S 2

static void trim_heap_now_and_then(void)
{
#ifdef __GLIBC__
    static _Atomic long long last;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    long long prev = atomic_load_explicit(&last, memory_order_relaxed);
    if (ts.tv_sec - prev < TRIM_INTERVAL_S ||
        !atomic_compare_exchange_strong(&last, &prev, (long long)ts.tv_sec))
        return; /* too soon, or another thread does it now */
    malloc_trim(0);
#endif
}

void px_h2_mem_release_idle(struct px_h2_mem *m)
{
    if (!m)
        return;
    trim_heap_now_and_then();
    quiet_release(m);
    if (!m->touched || !m->framebuf)
        return;
    size_t whole = m->framebuf_len / page_size() * page_size();
    if (whole)
        madvise(m->framebuf, whole, MADV_DONTNEED);
    m->touched = 0;
}

/* The session being set up on this thread and its allocator: session_go
 * takes the allocator when it gets that session (h2c creates the session
 * while the connection is still HTTP/1, so the pointer cannot go there). */
static __thread struct {
    nghttp2_session *session;
    struct px_h2_mem *mem;
} fresh;

nghttp2_session *px_h2_session_new(px_conn *c)
{
    nghttp2_session *session;
    pthread_once(&init_once, init_callbacks);
    struct px_h2_mem *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->held = 1;
    nghttp2_mem mem = { m, mem_malloc, mem_free, mem_calloc, mem_realloc };
    int rv = nghttp2_session_server_new3(&session, callbacks, c, options, &mem);
    m->held = 0;
    if (rv != 0) {
        mem_drop_if_unused(m); /* nghttp2 freed what it had made */
        return NULL;
    }
    fresh.session = session;
    fresh.mem = m;
    return session;
}

int px_h2_session_settings(px_conn *c, nghttp2_session *session)
{
    const px_limits *l = c->limits;
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, l->h2_max_concurrent_streams },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, l->h2_initial_window },
        { NGHTTP2_SETTINGS_MAX_FRAME_SIZE, l->h2_max_frame },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, l->h2_max_header_list },
        { NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 },
        /* RFC 8441: WebSockets over extended CONNECT. */
        { NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1 },
    };
    int rv = nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    if (rv != 0) {
        tc_warn("conn %u: cannot submit SETTINGS: %s", c->id, nghttp2_strerror(rv));
        return -1;
    }
    /* Connection window: room for every stream's window (bounded by
     * 2^31-1), so the stream windows, not the connection's, pace uploads.
     * With window 0 the per-stream grants are the bound, so the connection
     * window is the largest. */
    long long streams = l->h2_max_concurrent_streams < 64 ? l->h2_max_concurrent_streams : 64;
    long long w = (long long)l->h2_initial_window * streams;
    if (l->h2_initial_window == 0 || w > 2147483647LL)
        w = 2147483647LL;
    if (w < 65535)
        w = 65535;
    rv = nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, (int32_t)w);
    if (rv != 0) {
        tc_warn("conn %u: cannot set the connection window to %lld: %s", c->id, w,
                nghttp2_strerror(rv));
        return -1;
    }
    return 0;
}

static void h2_on_read(px_conn *c);

int px_h2_on_begin_frame(nghttp2_session *session, const nghttp2_frame_hd *hd, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    px_h2_head_frame(hc, hd);
    return px_h2_flood_frame(hc, hd) < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

/* The session is set up: read what is there already. */
static void session_go(px_h2_conn *hc, nghttp2_session *session)
{
    px_conn *c = &hc->base;
    hc->session = session;
    hc->mem = fresh.session == session ? fresh.mem : NULL;
    fresh.session = NULL;
    fresh.mem = NULL;
    /* With a zero initial window no client can send a body byte unasked:
     * each stream's window is opened as its worker grants room. */
    hc->manual_window = c->limits->h2_initial_window == 0;
    px_h2_flood_init(hc);
    /* An h1 connection that switched had a read watermark for heads. */
    px_conn_set_read_high(c, 0);
    px_h2_idle_start(hc);
    px_conn_mark_dirty(c);
}

static void h2_start(px_conn *c)
{
    nghttp2_session *session = px_h2_session_new(c);
    if (!session || px_h2_session_settings(c, session) < 0) {
        if (session)
            nghttp2_session_del(session);
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    session_go(px_h2_of(c), session);
    if (evbuffer_get_length(px_conn_in(c)))
        h2_on_read(c);
}

void px_h2_adopt_upgrade(px_conn *c, nghttp2_session *session, px_stream *s)
{
    px_conn_handover(c, &px_h2_conn_ops);
    px_h2_conn *hc = px_h2_of(c);
    session_go(hc, session);
    px_h2_stream *hs = px_h2s_of(s);
    px_h2_link_stream(hc, hs, 1);
    px_h2_request_ready(hc, hs, 1);
    if (!c->closing && evbuffer_get_length(px_conn_in(c)))
        h2_on_read(c);
}

static void h2_on_read(px_conn *c)
{
    px_h2_conn *hc = px_h2_of(c);
    struct evbuffer *in = px_conn_in(c);
    size_t total = evbuffer_get_length(in);
    if (!total || !hc->session)
        return;
    /* Feed nghttp2 straight from the buffer's chains: no pullup copy. */
    struct evbuffer_iovec vec[16];
    size_t done = 0;
    while (done < total && !c->closing) {
        int nv = evbuffer_peek(in, -1, NULL, vec, 16);
        if (nv <= 0)
            break;
        int k = nv < 16 ? nv : 16;
        size_t fed = 0;
        for (int i = 0; i < k; i++) {
            ssize_t rv = nghttp2_session_mem_recv(hc->session, vec[i].iov_base, vec[i].iov_len);
            if (rv < 0) {
                tc_debug("conn %u: HTTP/2 error: %s", c->id, nghttp2_strerror((int)rv));
                /* nghttp2 answers every error with a GOAWAY but this one. */
                if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC)
                    nghttp2_session_terminate_session(hc->session, NGHTTP2_PROTOCOL_ERROR);
                evbuffer_drain(in, fed);
                /* Let nghttp2 send its GOAWAY, then close. */
                nghttp2_session_send(hc->session);
                px_conn_close(c, PX_CLOSE_FLUSH);
                return;
            }
            fed += vec[i].iov_len;
            if (c->closing)
                break;
        }
        evbuffer_drain(in, fed);
        done += fed;
    }
    if (c->closing)
        return;
    px_h2_head_deadline(hc);
    px_conn_mark_dirty(c);
    if (px_conn_out_len(c) >= PX_OUT_HIGH)
        px_conn_pause_read(c, 1); /* do not take more work while the client does not read */
}

static void h2_flush(px_conn *c)
{
    px_h2_conn *hc = px_h2_of(c);
    if (c->closing || !hc->session)
        return;
    int rv = nghttp2_session_send(hc->session);
    if (rv != 0) {
        tc_debug("conn %u: HTTP/2 send: %s", c->id, nghttp2_strerror(rv));
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    if (!nghttp2_session_want_read(hc->session) && !nghttp2_session_want_write(hc->session)) {
        px_conn_close(c, PX_CLOSE_FLUSH);
        return;
    }
    if (hc->goaway && hc->nstreams == 0)
        px_conn_close(c, PX_CLOSE_FLUSH);
}

static void h2_on_write(px_conn *c)
{
    if (c->read_paused)
        px_conn_pause_read(c, 0);
    h2_flush(c);
    /* Input left while paused. */
    if (!c->closing && evbuffer_get_length(px_conn_in(c)))
        h2_on_read(c);
}

void px_h2_idle_start(px_h2_conn *hc)
{
    const px_limits *l = hc->base.limits;
    hc->settled = l->tv_h2_settle == NULL;
    px_conn_set_timer(&hc->base, l->tv_h2_settle ? l->tv_h2_settle : l->tv_h2_idle);
}

static void h2_on_timeout(px_conn *c)
{
    px_h2_conn *hc = px_h2_of(c);
    if (hc->head_open) {
        px_h2_head_expired(hc);
        return;
    }
    if (hc->nstreams)
        return;
    if (!hc->settled) {
        /* Idle for a moment: the frame buffer holds nothing alive once
         * everything is sent.  Then the rest of the idle time. */
        hc->settled = 1;
        if (!nghttp2_session_want_write(hc->session)) {
            px_conn_io_release_idle(c); /* before the heap trim below */
            px_h2_mem_release_idle(hc->mem);
        }
        px_conn_set_timer(c, c->limits->tv_h2_idle_rest);
        return;
    }
    /* Idle for --http2-idle-timeout seconds with no stream: GOAWAY(NO_ERROR), close. */
    nghttp2_session_terminate_session(hc->session, NGHTTP2_NO_ERROR);
    hc->goaway = 1;
    h2_flush(c);
}

static void h2_shutdown(px_conn *c)
{
    px_h2_conn *hc = px_h2_of(c);
    if (hc->goaway || !hc->session)
        return;
    hc->goaway = 1;
    px_h2_ws_shutdown(hc);
    nghttp2_submit_goaway(hc->session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(hc->session), NGHTTP2_NO_ERROR,
                          NULL, 0);
    px_conn_mark_dirty(c);
}

static void h2_detach(px_conn *c)
{
    px_h2_conn *hc = px_h2_of(c);
    while (hc->streams) {
        px_h2_stream *s = hc->streams;
        hc->streams = s->next;
        s->next = s->prev = NULL;
        px_stream_client_gone(&s->base);
    }
    hc->nstreams = 0;
}

static void h2_release(px_conn *c)
{
    px_h2_conn *hc = px_h2_of(c);
    if (hc->session)
        nghttp2_session_del(hc->session); /* hc->mem goes with its last block */
    hc->session = NULL;
    hc->mem = NULL;
    px_h2_ext_reset(hc);
}

const px_conn_ops px_h2_conn_ops = {
    .name = "HTTP/2",
    .start = h2_start,
    .on_read = h2_on_read,
    .on_write = h2_on_write,
    .on_timeout = h2_on_timeout,
    .shutdown = h2_shutdown,
    .flush = h2_flush,
    .detach = h2_detach,
    .release = h2_release,
};

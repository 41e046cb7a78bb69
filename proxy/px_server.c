/* px_server.c: the event-loop threads (one libevent base each, no shared
 * locks), the end-of-turn flush that batches writes, cross-thread wake-ups
 * through an eventfd, and signal-driven graceful shutdown. */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <event2/event.h>
#include "px_server.h"
#include "px_accesslog.h"
#include "px_balance.h"
#include "px_conn.h"
#include "px_dispatch.h"
#include "px_hdr.h"
#include "px_admin.h"
#include "px_control.h"
#include "px_counters.h"
#include "px_listener.h"
#include "px_metrics.h"
#include "px_pool.h"
#include "px_reload.h"
#include "px_thread.h"
#include "tc_log.h"
#include "tc_daemon.h"
#include "tc_notify.h"

static px_thread *threads;
static int nthreads;
static int *wake_fds;     /* one eventfd per thread */
static int main_efd = -1; /* threads tell the main loop they have ended */
static atomic_int threads_done;
static atomic_int stopping;
static struct event_base *main_base;
static struct event *grace_ev;
static _Atomic long long graceful_timeout_s;

int px_thread_count(void) { return nthreads; }

void px_server_set_graceful_timeout(long long seconds)
{
    atomic_store(&graceful_timeout_s, seconds);
}

px_thread *px_thread_at(int i) { return &threads[i]; }

const char *px_thread_date(px_thread *th)
{
    struct timeval tv;
    event_base_gettimeofday_cached(th->base, &tv);
    if (tv.tv_sec != th->date_sec) {
        th->date_sec = tv.tv_sec;
        px_http_date(tv.tv_sec, th->date);
    }
    return th->date;
}

void px_thread_schedule_flush(px_thread *th)
{
    if (!th->flush_scheduled) {
        th->flush_scheduled = 1;
        /* Runs after the callbacks of this loop turn: one session send, one
         * TLS write, per connection per turn. */
        event_active(th->flush_ev, EV_TIMEOUT, 0);
    }
}

static int has_reaped(px_thread *th) { return th->reap_conns || px_pool_has_reaped(th->pool); }

/* Work the end-of-turn flush left for another round. */
static int has_work(px_thread *th)
{
    return th->dirty || has_reaped(th) || px_pool_has_writes(th->pool);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    px_thread *th = arg;
    th->flush_scheduled = 0;
    for (int round = 0; round < 8; round++) {
        if (px_queue_len(&th->queue))
            px_dispatch_drain(th);
        px_conn *c;
        while ((c = th->dirty)) {
            th->dirty = c->dirty_next;
            c->dirty_next = NULL;
            c->dirty = 0;
            px_conn_flush(c);
        }
        while ((c = th->reap_conns)) {
            th->reap_conns = c->next;
            px_conn_free_reaped(c);
        }
        /* Frames toward workers last: flushing and freeing connections
         * produce credits and resets. */
        px_pool_flush(th->pool);
        px_pool_reap(th->pool);
        if (!has_work(th))
            break;
    }
    if (has_work(th))
        px_thread_schedule_flush(th);
    /* The turn's access-log lines and metrics: one write, one datagram. */
    px_accesslog_flush();
    px_metrics_flush();
    px_thread_maybe_exit(th);
}

/* One eventfd write per wake-up the thread has not taken yet: under load
 * every freed worker slot may wake the thread whose turn comes first, and
 * most of those writes found a wake-up still pending (eventfd adds them up,
 * so the thread read them as one). */
void px_thread_wake(px_thread *t)
{
    if (atomic_exchange(&t->wake_pending, 1))
        return;
    uint64_t one = 1;
    ssize_t r = write(wake_fds[t->index], &one, sizeof one);
    (void)r; /* EAGAIN: the counter is already non-zero, a wake is pending */
}

static void thread_stop(px_thread *th)
{
    if (th->stopping)
        return;
    th->stopping = 1;
    px_listener_detach(th);
    for (px_conn *c = th->conns, *n; c; c = n) {
        n = c->next;
        px_conn_shutdown(c);
    }
    /* Requests still waiting for a worker will not get one in time. */
    px_dispatch_fail_queue(th, 503);
    px_thread_schedule_flush(th);
}

void px_thread_maybe_exit(px_thread *th)
{
    if (th->stopping && th->nconns == 0 && !th->reap_conns) {
        px_pool_close_all(th->pool);
        event_base_loopexit(th->base, NULL);
    }
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    px_thread *th = arg;
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
    /* Cleared after the read, which may have taken a write whose waker set
     * the flag: cleared before, the flag would stay set with nothing to
     * read, and no waker would write again.  An exchange, so a waker that
     * found the flag set and did not write made its changes visible here
     * before they are looked at; one that comes later writes again. */
    atomic_exchange(&th->wake_pending, 0);
    px_reload_take(th);
    px_accesslog_follow();
    int stop = atomic_load(&th->wake_stop);
    if (stop == 2) {
        event_base_loopbreak(th->base);
        return;
    }
    if (stop == 1)
        thread_stop(th);
    /* Even with nothing queued here: draining an empty queue passes the
     * wake on to the threads that still wait. */
    px_dispatch_drain(th);
}

static void *thread_main(void *arg)
{
    px_thread *th = arg;
    event_base_dispatch(th->base);
    px_accesslog_thread_end();
    px_metrics_thread_end();
    px_reload_release(th);
    /* Nobody may stand back for a thread that no longer runs. */
    atomic_store(&th->queue_best, UINT64_MAX);
    px_queue_free(&th->queue);
    atomic_fetch_add(&threads_done, 1);
    uint64_t one = 1;
    ssize_t r = write(main_efd, &one, sizeof one);
    (void)r;
    return NULL;
}

static int thread_init(px_thread *th, int index, const tc_addr *upstream)
{
    th->index = index;
    struct event_config *ec = event_config_new();
    /* Each base is used by its thread only: no libevent locking. */
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
    th->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!th->base)
        return -1;
    wake_fds[index] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fds[index] < 0)
        return -1;
    th->wake_ev = event_new(th->base, wake_fds[index], EV_READ | EV_PERSIST, wake_cb, th);
    th->flush_ev = event_new(th->base, -1, 0, flush_cb, th);
    if (!th->wake_ev || !th->flush_ev || event_add(th->wake_ev, NULL) < 0)
        return -1;
    px_queue_init(&th->queue);
    atomic_store(&th->queue_best, UINT64_MAX);
    /* Listeners first: the pool's first dial may fail requests already. */
    if (px_listener_attach(th) < 0)
        return -1;
    th->pool = px_pool_new(th, upstream);
    return th->pool ? 0 : -1;
}

static void stop_threads(int how)
{
    for (int i = 0; i < nthreads; i++) {
        int cur = atomic_load(&threads[i].wake_stop);
        if (how > cur)
            atomic_store(&threads[i].wake_stop, how);
        uint64_t one = 1;
        ssize_t r = write(wake_fds[i], &one, sizeof one);
        (void)r;
    }
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    tc_warn("graceful timeout (%lld s) reached: closing remaining connections",
            atomic_load(&graceful_timeout_s));
    stop_threads(2);
}

static void graceful_stop(int sig)
{
    if (atomic_load(&stopping)) {
        tc_info("second signal: stopping now");
        stop_threads(2);
        return;
    }
    tc_info("Handling signal: %s", sig == SIGTERM ? "term" : "int");
    atomic_store(&stopping, 1);
    px_admin_stopping();
    stop_threads(1);
    struct timeval tv = { (time_t)atomic_load(&graceful_timeout_s), 0 };
    grace_ev = evtimer_new(main_base, grace_cb, NULL);
    evtimer_add(grace_ev, &tv);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT: graceful_stop((int)sig); break;
    case SIGQUIT:
        tc_info("Handling signal: quit");
        atomic_store(&stopping, 1);
        stop_threads(2);
        break;
    case SIGUSR1:
        if (tc_log_reopen() < 0)
            tc_error("cannot reopen the log: %s", strerror(errno));
        else if (px_accesslog_reopen() < 0)
            tc_error("cannot reopen the access log: %s", strerror(errno));
        else
            tc_info("Handling signal: usr1 (log reopened)");
        break;
    case SIGHUP:
        tc_info("Handling signal: hup");
        if (!atomic_load(&stopping))
            px_reload();
        break;
    default:
        /* TTIN, TTOU, USR2: appd's signals, which would stop or end the
         * proxy by their default action. */
        tc_info("Handling signal: %s (ignored: it means nothing to tandem-proxy)",
                sig == SIGUSR2   ? "usr2"
                : sig == SIGTTIN ? "ttin"
                                 : "ttou");
        break;
    }
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
    if (atomic_load(&threads_done) == nthreads)
        event_base_loopexit(main_base, NULL);
}

static int start_threads(const tc_addr *upstream)
{
    int n = nthreads;
    threads = calloc((size_t)n, sizeof(px_thread));
    wake_fds = calloc((size_t)n, sizeof(int));
    if (!threads || !wake_fds)
        return -1;
    px_workers_init();
    if (px_counters_init(n) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (thread_init(&threads[i], i, upstream) < 0) {
            tc_crit("cannot set up event loop %d: %s", i, strerror(errno));
            return -1;
        }
    /* Threads never see signals; the main loop handles them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < n; i++)
        if (pthread_create(&threads[i].tid, NULL, thread_main, &threads[i]) != 0) {
            tc_crit("cannot start thread %d", i);
            return -1;
        }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

int px_server_run(const px_settings *cfg, const tc_addr *upstream)
{
    nthreads = cfg->nthreads;
    graceful_timeout_s = cfg->graceful_timeout;
    if (start_threads(upstream) < 0)
        return -1;
    main_base = event_base_new();
    main_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct event *done = event_new(main_base, main_efd, EV_READ | EV_PERSIST, done_cb, NULL);
    event_add(done, NULL);
    int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP, SIGUSR2, SIGTTIN, SIGTTOU };
    enum { NSIGS = sizeof sigs / sizeof sigs[0] };
    struct event *sev[NSIGS];
    for (int i = 0; i < NSIGS; i++) {
        sev[i] = evsignal_new(main_base, sigs[i], signal_cb, NULL);
        evsignal_add(sev[i], NULL);
    }
    if (px_control_attach(main_base) < 0)
        tc_warn("cannot serve the control socket: %s", strerror(errno));
    if (px_admin_attach(main_base) < 0)
        tc_warn("cannot serve the admin listener: %s", strerror(errno));
    tc_info("tandem-proxy %s ready: %d thread%s, upstream %s", PACKAGE_VERSION, nthreads,
            nthreads == 1 ? "" : "s", upstream->text);
    /* systemd Type=notify and tandem(1) wait for this. */
    if (tc_notify("READY=1") < 0)
        tc_warn("NOTIFY_SOCKET %s: %s", getenv("NOTIFY_SOCKET"), strerror(errno));
    tc_daemon_ready();
    /* A thread may have ended before the loop started watching. */
    if (atomic_load(&threads_done) < nthreads)
        event_base_dispatch(main_base);
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i].tid, NULL);
    for (int i = 0; i < NSIGS; i++)
        event_free(sev[i]);
    event_free(done);
    if (grace_ev)
        event_free(grace_ev);
    px_control_close();
    px_admin_close();
    event_base_free(main_base);
    tc_info("Shutting down: tandem-proxy");
    return 0;
}

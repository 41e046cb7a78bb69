/* ad_worker.c: a worker process: its set-up after the fork, the worker
 * class that serves (ad_wclass.h), and the services every class's loop
 * calls: heartbeats into the scoreboard, the master's control socket,
 * signals, graceful drain.  See ad_worker.h for the model. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ad_conn.h"
#include "ad_ctl.h"
#include "ad_exit.h"
#include "ad_hooks.h"
#include "ad_logging.h"
#include "ad_privs.h"
#include "ad_proctitle.h"
#include "ad_python.h"
#include "ad_scoreboard.h"
#include "ad_signal.h"
#include "ad_stream.h"
#include "ad_watch.h"
#include "ad_wclass.h"
#include "ad_worker.h"
#include "tc_log.h"

ad_worker_state W;

static int ctl_fd = -1;
static ad_slot *slot;
static uint32_t closes_unreported;
static int restart_requested;      /* (mu) max_requests reached, or a file changed (--reload) */
static uint64_t stop_deadline;     /* graceful drain ends here at the latest */
static const ad_stream *published; /* scoreboard's current oldest request... */
static uint32_t published_gen;     /* ...and its generation (streams are pooled) */

static const int worker_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP, SIGWINCH, 0 };
/* With a worker_abort hook, the master's SIGABRT (--timeout) is the loop's
 * to handle too; without one faulthandler's handler takes it directly. */
static const int worker_signals_abort[] = { SIGTERM, SIGINT,   SIGQUIT, SIGUSR1,
                                            SIGHUP,  SIGWINCH, SIGABRT, 0 };

void ad_worker_wake_locked(void)
{
    if (W.wake_pending)
        return;
    W.wake_pending = 1;
    uint64_t one = 1;
    ssize_t r = write(W.wakefd, &one, sizeof one);
    (void)r; /* EAGAIN only when the counter is huge: a wake is pending anyway */
}

void ad_worker_request_done_locked(void)
{
    W.requests++;
    AD_STORE(slot->requests, W.requests);
    if (W.max_requests && W.requests >= W.max_requests && !ad_sched_stopping(&W.sched) &&
        !restart_requested) {
        restart_requested = 1;
        ad_worker_wake_locked();
    }
}

/* ---- deferred wakes ---- */

static __thread int on_loop_thread;
/* Wakes collected by a loop thread while it holds W.mu: per thread, since
 * the lead passes between threads (ad_ioloop.h) and one delivers its list
 * after releasing W.mu while the next may already collect. */
static __thread pthread_cond_t *deferred[64];
static __thread int ndeferred;

void ad_worker_set_loop_thread(int on) { on_loop_thread = on; }

int ad_worker_on_loop_thread(void) { return on_loop_thread; }

void ad_worker_cond_signal(pthread_cond_t *cv)
{
    if (!on_loop_thread || ndeferred == (int)(sizeof deferred / sizeof deferred[0])) {
        pthread_cond_signal(cv);
        return;
    }
    deferred[ndeferred++] = cv;
}

/* Stream objects are pooled, never freed, so a late signal at worst wakes a
 * waiter that re-checks and waits again. */
void ad_worker_unlock(void)
{
    pthread_mutex_unlock(&W.mu);
    for (int i = 0; i < ndeferred; i++)
        pthread_cond_signal(deferred[i]);
    ndeferred = 0;
}

/* ---- the loop's services ---- */

static void heartbeat_locked(uint64_t now)
{
    AD_STORE(slot->alive_ms, now);
    const ad_stream *oldest = NULL;
    uint64_t since = 0;
    uint32_t inflight = 0;
    for (const ad_stream *s = ad_sched_first_running(&W.sched); s; s = s->q_next) {
        inflight++;
        if (s->busy_since_ms && (since == 0 || s->busy_since_ms < since)) {
            since = s->busy_since_ms;
            oldest = s;
        }
    }
    if (oldest && (oldest != published || oldest->gen != published_gen)) {
        const tp_request_head *h = &oldest->req;
        char path[AD_SLOT_PATH];
        snprintf(path, sizeof path, "%.*s %.*s", (int)(h->method.len > 16 ? 16 : h->method.len),
                 (const char *)h->method.ptr,
                 (int)(h->path.len > AD_SLOT_PATH - 20 ? AD_SLOT_PATH - 20 : h->path.len),
                 (const char *)h->path.ptr);
        memcpy(slot->req_path, path, sizeof path);
    }
    published = oldest;
    published_gen = oldest ? oldest->gen : 0;
    AD_STORE(slot->busy_since_ms, since);
    AD_STORE(slot->inflight, inflight);
}

void ad_worker_report_closes(void)
{
    if (closes_unreported == 0 || ctl_fd < 0)
        return;
    uint8_t msg[5] = { AD_MSG_CLOSED };
    memcpy(msg + 1, &closes_unreported, 4);
    if (ad_ctl_send(ctl_fd, msg, sizeof msg, -1) == 0)
        closes_unreported = 0;
}

void ad_worker_close_conn_locked(ad_conn *c, const char *why)
{
    ad_conn_close_locked(c, why);
    closes_unreported++;
}

static void start_graceful_locked(const char *why)
{
    if (ad_sched_stopping(&W.sched))
        return;
    if (why)
        tc_info("%s", why);
    ad_sched_stop(&W.sched);
    stop_deadline = ad_now_ms() + (uint64_t)W.settings->graceful_timeout * 1000u;
    for (ad_conn *c = W.conns; c; c = c->next)
        ad_conn_drain_locked(c);
    if (ctl_fd >= 0) {
        uint8_t m = AD_MSG_STOPPING;
        ad_ctl_send(ctl_fd, &m, 1, -1);
    }
}

void ad_worker_restart(void)
{
    pthread_mutex_lock(&W.mu);
    if (!restart_requested && !ad_sched_stopping(&W.sched)) {
        restart_requested = 1;
        ad_worker_wake_locked();
    }
    ad_worker_unlock();
}

int ad_worker_tick_locked(uint64_t now)
{
    W.wake_pending = 0;
    heartbeat_locked(now);
    if (restart_requested && !ad_sched_stopping(&W.sched))
        start_graceful_locked("Autorestarting worker after current request.");
    for (ad_conn *c = W.conns, *next; c; c = next) {
        next = c->next;
        if (c->broken)
            ad_worker_close_conn_locked(c, "write failed");
        else if (c->drain_recv && c->nstreams == 0 && ad_conn_pending(c) == 0)
            ad_worker_close_conn_locked(c, "drained by the proxy");
    }
    if (!ad_sched_stopping(&W.sched))
        return AD_TICK_SERVE;
    uint32_t left = ad_sched_running(&W.sched) + ad_sched_queued(&W.sched);
    int idle = left == 0;
    /* A connection we drained stays open until the proxy's DRAIN says no
     * head is still on its way: heads that crossed ours are refused, not lost. */
    for (ad_conn *c = W.conns; c && idle; c = c->next)
        if (ad_conn_pending(c) || (c->drain_sent && !c->drain_recv && !c->dead && !c->broken))
            idle = 0;
    if (!idle && now < stop_deadline)
        return AD_TICK_SERVE;
    if (left)
        tc_warn("graceful timeout: abandoning %u request(s)", ad_sched_running(&W.sched));
    while (W.conns)
        ad_worker_close_conn_locked(W.conns, "worker stopping");
    return left ? AD_TICK_ABANDON : AD_TICK_DONE;
}

int ad_worker_tick_interval(void) { return ad_sched_stopping(&W.sched) ? 100 : 1000; }

int ad_worker_tick_once(int *rc, void (*after)(void))
{
    if (*rc != AD_TICK_SERVE)
        return 0;
    pthread_mutex_lock(&W.mu);
    *rc = ad_worker_tick_locked(ad_now_ms());
    ad_worker_unlock();
    after();
    return *rc != AD_TICK_SERVE;
}

static ad_conn *conn_by_fd(int fd)
{
    pthread_mutex_lock(&W.mu);
    ad_conn *c = W.conns;
    while (c && (c->dead || c->fd != fd))
        c = c->next;
    ad_worker_unlock();
    return c;
}

void ad_worker_conn_readable(int fd)
{
    ad_conn *c = conn_by_fd(fd);
    if (c && ad_conn_on_readable(c) != 0) {
        pthread_mutex_lock(&W.mu);
        ad_worker_close_conn_locked(c, "closed by the proxy or a protocol error");
        ad_worker_unlock();
    }
}

void ad_worker_conn_writable(int fd)
{
    ad_conn *c = conn_by_fd(fd);
    if (c) {
        pthread_mutex_lock(&W.mu);
        ad_conn_flush_locked(c);
        ad_worker_unlock();
    }
}

int ad_worker_watch_changes_locked(ad_watch_change *out, int max)
{
    int n = 0;
    for (ad_conn *c = W.conns; c && n < max; c = c->next) {
        if (c->dead)
            continue;
        unsigned want = AD_WATCH_READ | (ad_conn_pending(c) ? AD_WATCH_WRITE : 0);
        if (want == c->wc_watch)
            continue;
        out[n++] = (ad_watch_change){ c->fd, c->wc_watch, want, c };
        c->wc_watch = want;
    }
    return n;
}

int ad_worker_watch_changes(ad_watch_change *out, int max)
{
    pthread_mutex_lock(&W.mu);
    int n = ad_worker_watch_changes_locked(out, max);
    ad_worker_unlock();
    return n;
}

void ad_worker_ready(void)
{
    uint8_t ready = AD_MSG_READY;
    ad_ctl_send(ctl_fd, &ready, 1, -1);
}

int ad_worker_ctl_fd(void) { return ctl_fd; }

void ad_worker_on_wake(void)
{
    uint64_t v;
    ssize_t r = read(W.wakefd, &v, sizeof v);
    (void)r;
}

void ad_worker_on_ctl(void)
{
    for (;;) {
        uint8_t msg[64];
        int fd;
        long n = ad_ctl_recv(ctl_fd, msg, sizeof msg, &fd);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            n = 0;
        }
        if (n == 0) {
            /* The master is gone: nobody will reap or replace us; finish up. */
            close(ctl_fd);
            ctl_fd = -1;
            pthread_mutex_lock(&W.mu);
            start_graceful_locked("Master is gone, shutting down");
            ad_worker_unlock();
            return;
        }
        if (msg[0] != AD_MSG_CONN || fd < 0) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        pthread_mutex_lock(&W.mu);
        ad_conn *c = ad_conn_new(fd);
        if (c == NULL) {
            close(fd);
            closes_unreported++;
        } else {
            c->next = W.conns;
            W.conns = c;
            tc_debug("proxy connection %u accepted", c->id);
            ad_conn_flush_locked(c);
        }
        ad_worker_unlock();
    }
}

int ad_worker_take_signals(void)
{
    return ad_signal_init(ad_hooks_defined("worker_abort") ? worker_signals_abort : worker_signals);
}

static void on_signal(int sig)
{
    switch (sig) {
    case SIGTERM:
        pthread_mutex_lock(&W.mu);
        start_graceful_locked(NULL);
        ad_worker_unlock();
        break;
    case SIGINT:
    case SIGQUIT:
        /* Fast stop: in-flight requests are abandoned, like Gunicorn's QUIT. */
        ad_hooks_worker_int();
        tc_info("Worker exiting (pid: %d)", (int)getpid());
        _exit(0);
    case SIGABRT:
        /* The master's --timeout: the hook, every thread's stack (as
         * faulthandler prints them), then the death the master expects. */
        ad_hooks_worker_abort();
        ad_python_abort(tc_log_fd());
    case SIGUSR1: ad_logging_reopen(); break;
    default: break; /* HUP and WINCH mean nothing to a worker */
    }
}

void ad_worker_on_signals(void)
{
    int sig;
    while ((sig = ad_signal_next()) != 0)
        on_signal(sig);
}

/* ---- process ---- */

/* A worker that started Python but will not serve: worker_exit, then the
 * master learns why. */
static void fail_booted(int code, const char *line) __attribute__((noreturn));
static void fail_boot(int code, const char *line) __attribute__((noreturn));
static void fail_boot(int code, const char *line)
{
    if (line && ctl_fd >= 0) {
        char msg[1024];
        msg[0] = AD_MSG_LOADERR;
        size_t n = strlen(line);
        if (n > sizeof msg - 1)
            n = sizeof msg - 1;
        memcpy(msg + 1, line, n);
        ad_ctl_send(ctl_fd, msg, n + 1, -1);
    }
    _exit(code);
}

void ad_worker_fail_app(const char *line) { fail_boot(AD_EXIT_APP_LOAD, line); }

static void setup_process(uint32_t board, int ctl, const ad_settings *s)
{
    ctl_fd = ctl;
    slot = &ad_board->slot[board];
    memset(slot, 0, sizeof *slot);
    AD_STORE(slot->pid, (int32_t)getpid());
    AD_STORE(slot->alive_ms, ad_now_ms());
    ad_proctitle_set("worker", s->proc_name);
    /* Until the class's loop takes them over, signals act by default (TERM
     * ends a worker still importing the app). */
    for (const int *sg = worker_signals; *sg; sg++)
        signal(*sg, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTTIN, SIG_IGN); /* master-only signals: never stop a worker */
    signal(SIGTTOU, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
}

static void setup_state(const ad_settings *s, uint32_t index)
{
    memset(&W, 0, sizeof W);
    W.settings = s;
    W.index = index;
    W.wc = ad_wclass_find(ad_worker_class_name(s->wclass));
    if (W.wc == NULL) {
        tc_crit("no worker class '%s' in this build", ad_worker_class_name(s->wclass));
        fail_boot(AD_EXIT_BOOT, NULL);
    }
    W.capacity = W.wc->capacity(s);
    W.initial_window = TP_DEFAULT_WINDOW;
    W.max_frame = TP_DEFAULT_MAX_FRAME;
    if (s->max_requests > 0) {
        uint64_t jitter = 0;
        if (s->max_requests_jitter > 0) {
            srandom((unsigned)getpid() ^ (unsigned)ad_now_ms());
            jitter = (uint64_t)random() % ((uint64_t)s->max_requests_jitter + 1);
        }
        W.max_requests = (uint64_t)s->max_requests + jitter;
    }
    pthread_mutex_init(&W.mu, NULL);
    W.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* A few streams may wait for a thread so the proxy can pipeline; more are
     * refused (REFUSED_STREAM) and retried elsewhere: queue limit = capacity. */
    if (W.wakefd < 0 || ad_sched_init(&W.sched, W.capacity, W.capacity) != 0) {
        tc_crit("worker setup failed: %s", strerror(errno));
        fail_boot(AD_EXIT_BOOT, NULL);
    }
}

static void fail_booted(int code, const char *line)
{
    ad_hooks_worker_exit();
    fail_boot(code, line);
}

void ad_worker_main(const ad_settings *s, uint32_t index, uint32_t board, int ctl,
                    struct _object *preloaded)
{
    setup_process(board, ctl, s);
    setup_state(s, index);

    char line[1024];
    /* Gunicorn's: post_fork before the class is prepared and the app
     * loaded, post_worker_init once both are; either raising fails the boot. */
    if (ad_hooks_post_fork(line, sizeof line) != 0)
        fail_booted(AD_EXIT_BOOT, NULL);
    /* Gunicorn's order: post_fork as root, then the user's identity, then
     * the app (imported as the user). */
    if (ad_privs_worker(s, line, sizeof line) != 0) {
        tc_crit("%s", line);
        fail_booted(AD_EXIT_BOOT, line);
    }
    if (W.wc->prepare(s) != 0)
        fail_booted(AD_EXIT_BOOT, NULL);
    struct _object *app = ad_python_worker_app(s->app_spec, preloaded, line, sizeof line);
    if (app == NULL)
        fail_booted(AD_EXIT_APP_LOAD, line);
    ad_watch_start(s);
    /* On SIGABRT (the master's timeout kill) and crashes, every thread's
     * Python stack goes to the error log before the process dies. */
    ad_python_enable_faulthandler(tc_log_fd());

    if (W.wc->init(s, app) != 0 || ad_hooks_post_worker_init(app, line, sizeof line) != 0)
        fail_booted(AD_EXIT_BOOT, NULL);
    if (!W.wc->run()) {
        /* Streams are stuck in the app: waiting for them (or finalizing
         * Python under them) could hang, so leave now. */
        tc_info("Worker exiting (pid: %d)", (int)getpid());
        _exit(0);
    }
    W.wc->shutdown();
    tc_info("Worker exiting (pid: %d)", (int)getpid());
    ad_hooks_worker_exit();
    /* atexit handlers run, as when a Gunicorn worker exits. */
    ad_python_finalize(app);
    _exit(0);
}

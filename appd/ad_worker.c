/* ad_worker.c: a worker process: app load (unless preloaded), the app
 * threads, and the I/O loop on the main thread: poll(2) over the master's
 * control socket, the proxy connections and a wake-up eventfd; heartbeats
 * into the scoreboard; graceful drain.  See ad_worker.h for the model. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ad_conn.h"
#include "ad_exit.h"
#include "ad_fdpass.h"
#include "ad_proctitle.h"
#include "ad_python.h"
#include "ad_scoreboard.h"
#include "ad_signal.h"
#include "ad_stream.h"
#include "ad_worker.h"
#include "tc_log.h"
#include "wsgi.h"

ad_worker_state W;

static PyObject *the_app;
static int ctl_fd = -1;
static ad_slot *slot;
static pthread_t *thread_ids;
static uint32_t closes_unreported;
static int restart_requested;      /* (mu) max_requests reached */
static uint64_t stop_deadline;     /* graceful drain ends here at the latest */
static const ad_stream *published; /* scoreboard's current oldest request... */
static uint32_t published_gen;     /* ...and its generation (streams are pooled) */

static const int worker_signals[] = {SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP, SIGWINCH, 0};

void ad_worker_wake_locked(void)
{
    if (W.wake_pending) return;
    W.wake_pending = 1;
    uint64_t one = 1;
    ssize_t r = write(W.wakefd, &one, sizeof one);
    (void)r;   /* EAGAIN only when the counter is huge: a wake is pending anyway */
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

/* ---- app threads ---- */

static void *app_thread(void *arg)
{
    wsgi_req *req = arg;
    PyGILState_STATE g = PyGILState_Ensure();
    PyThreadState *ts = PyEval_SaveThread();
    ad_stream *done = NULL;
    for (;;) {
        /* One lock round trip both retires the last stream and takes the next. */
        pthread_mutex_lock(&W.mu);
        if (done) ad_stream_done_locked(done);
        ad_stream *s;
        while ((s = ad_sched_next(&W.sched)) == NULL && !ad_sched_quitting(&W.sched))
            pthread_cond_wait(&W.work_cv, &W.mu);
        if (s == NULL) {
            pthread_mutex_unlock(&W.mu);
            break;
        }
        s->busy_since_ms = ad_now_ms();
        pthread_mutex_unlock(&W.mu);

        PyEval_RestoreThread(ts);
        wsgi_handle(req, s, the_app);
        ts = PyEval_SaveThread();
        done = s;
    }
    PyEval_RestoreThread(ts);
    wsgi_req_free(req);
    PyGILState_Release(g);
    return NULL;
}

/* ---- I/O thread ---- */

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

static void report_closes(void)
{
    if (closes_unreported == 0 || ctl_fd < 0) return;
    uint8_t msg[5] = {AD_MSG_CLOSED};
    memcpy(msg + 1, &closes_unreported, 4);
    if (ad_ctl_send(ctl_fd, msg, sizeof msg, -1) == 0) closes_unreported = 0;
}

static void close_conn_locked(ad_conn *c, const char *why)
{
    ad_conn_close_locked(c, why);
    closes_unreported++;
}

static void start_graceful_locked(const char *why)
{
    if (ad_sched_stopping(&W.sched)) return;
    if (why) tc_info("%s", why);
    ad_sched_stop(&W.sched);
    stop_deadline = ad_now_ms() + (uint64_t)W.settings->graceful_timeout * 1000u;
    for (ad_conn *c = W.conns; c; c = c->next) ad_conn_drain_locked(c);
    if (ctl_fd >= 0) {
        uint8_t m = AD_MSG_STOPPING;
        ad_ctl_send(ctl_fd, &m, 1, -1);
    }
}

/* I/O thread: release W.mu, then deliver the wakes collected under it. */
static void io_unlock(void)
{
    pthread_mutex_unlock(&W.mu);
    ad_wake_flush();
}

static void on_ctl(void)
{
    for (;;) {
        uint8_t msg[64];
        int fd;
        long n = ad_ctl_recv(ctl_fd, msg, sizeof msg, &fd);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            n = 0;
        }
        if (n == 0) {
            /* The master is gone: nobody will reap or replace us; finish up. */
            close(ctl_fd);
            ctl_fd = -1;
            pthread_mutex_lock(&W.mu);
            start_graceful_locked("Master is gone, shutting down");
            io_unlock();
            return;
        }
        if (msg[0] != AD_MSG_CONN || fd < 0) {
            if (fd >= 0) close(fd);
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
        io_unlock();
    }
}

static void on_signal(int sig)
{
    switch (sig) {
    case SIGTERM:
        pthread_mutex_lock(&W.mu);
        start_graceful_locked(NULL);
        io_unlock();
        break;
    case SIGINT:
    case SIGQUIT:
        /* Fast stop: in-flight requests are abandoned, like Gunicorn's QUIT. */
        tc_info("Worker exiting (pid: %d)", (int)getpid());
        _exit(0);
    case SIGUSR1:
        tc_log_reopen();
        break;
    default:
        break;   /* HUP and WINCH mean nothing to a worker */
    }
}

/* Returns when the worker should exit: 1 when every request finished, 0 when
 * the graceful timeout abandoned some (their threads are still busy). */
static int io_loop(void)
{
    int clean = 1;
    size_t cap = 16;
    struct pollfd *pfd = malloc(cap * sizeof *pfd);
    ad_conn **pc = malloc(cap * sizeof *pc);
    int sigfd = ad_signal_init(worker_signals);
    if (pfd == NULL || pc == NULL || sigfd < 0) {
        tc_crit("worker setup failed: %s", strerror(errno));
        _exit(AD_EXIT_BOOT);
    }
    ad_on_io_thread = 1;
    for (;;) {
        uint64_t now = ad_now_ms();
        pthread_mutex_lock(&W.mu);
        W.wake_pending = 0;
        heartbeat_locked(now);
        if (restart_requested && !ad_sched_stopping(&W.sched))
            start_graceful_locked("Autorestarting worker after current request.");
        for (ad_conn *c = W.conns, *next; c; c = next) {
            next = c->next;
            if (c->broken) close_conn_locked(c, "write failed");
            else if (c->drain_recv && c->nstreams == 0 && ad_conn_pending(c) == 0)
                close_conn_locked(c, "drained by the proxy");
        }
        if (ad_sched_stopping(&W.sched)) {
            uint32_t left = ad_sched_running(&W.sched) + ad_sched_queued(&W.sched);
            int idle = left == 0;
            for (ad_conn *c = W.conns; c && idle; c = c->next)
                if (ad_conn_pending(c)) idle = 0;
            if (idle || now >= stop_deadline) {
                if (left) {
                    tc_warn("graceful timeout: abandoning %u request(s)",
                            ad_sched_running(&W.sched));
                    clean = 0;
                }
                while (W.conns) close_conn_locked(W.conns, "worker stopping");
                io_unlock();
                break;
            }
        }
        size_t n = 0, need = 3;
        for (ad_conn *c = W.conns; c; c = c->next) need++;
        if (need > cap) {
            while (cap < need) cap *= 2;
            struct pollfd *np = realloc(pfd, cap * sizeof *pfd);
            ad_conn **npc = realloc(pc, cap * sizeof *pc);
            if (np) pfd = np;
            if (npc) pc = npc;
            if (np == NULL || npc == NULL) {
                tc_crit("out of memory");
                _exit(AD_EXIT_BOOT);
            }
        }
        pfd[n] = (struct pollfd){sigfd, POLLIN, 0};
        pc[n++] = NULL;
        pfd[n] = (struct pollfd){W.wakefd, POLLIN, 0};
        pc[n++] = NULL;
        if (ctl_fd >= 0) {
            pfd[n] = (struct pollfd){ctl_fd, POLLIN, 0};
            pc[n++] = NULL;
        }
        size_t first_conn = n;
        for (ad_conn *c = W.conns; c; c = c->next) {
            pfd[n] = (struct pollfd){c->fd, (short)(POLLIN | (ad_conn_pending(c) ? POLLOUT : 0)), 0};
            pc[n++] = c;
        }
        io_unlock();

        report_closes();
        int timeout = ad_sched_stopping(&W.sched) ? 100 : 1000;
        int rc = poll(pfd, n, timeout);
        if (rc < 0 && errno != EINTR) {
            tc_crit("poll: %s", strerror(errno));
            _exit(AD_EXIT_BOOT);
        }
        if (rc <= 0) continue;
        if (pfd[0].revents) {
            int sig;
            while ((sig = ad_signal_next()) != 0) on_signal(sig);
        }
        if (pfd[1].revents) {
            uint64_t v;
            ssize_t r = read(W.wakefd, &v, sizeof v);
            (void)r;
        }
        if (ctl_fd >= 0 && first_conn == 3 && pfd[2].revents) on_ctl();
        for (size_t i = first_conn; i < n; i++) {
            ad_conn *c = pc[i];
            short ev = pfd[i].revents;
            if (!ev) continue;
            if (ev & (POLLIN | POLLHUP | POLLERR)) {
                if (ad_conn_on_readable(c) != 0) {
                    pthread_mutex_lock(&W.mu);
                    close_conn_locked(c, "closed by the proxy or a protocol error");
                    io_unlock();
                    continue;
                }
            }
            if (ev & POLLOUT) {
                pthread_mutex_lock(&W.mu);
                ad_conn_flush_locked(c);
                io_unlock();
            }
        }
    }
    report_closes();
    free(pfd);
    free(pc);
    return clean;
}

/* ---- process ---- */

static void fail_boot(int code, const char *line)
{
    if (line && ctl_fd >= 0) {
        char msg[1024];
        msg[0] = AD_MSG_LOADERR;
        size_t n = strlen(line);
        if (n > sizeof msg - 1) n = sizeof msg - 1;
        memcpy(msg + 1, line, n);
        ad_ctl_send(ctl_fd, msg, n + 1, -1);
    }
    _exit(code);
}

void ad_worker_main(const ad_settings *s, uint32_t index, uint32_t board, int ctl,
                    PyObject *app)
{
    ctl_fd = ctl;
    slot = &ad_board->slot[board];
    memset(slot, 0, sizeof *slot);
    AD_STORE(slot->pid, (int32_t)getpid());
    AD_STORE(slot->alive_ms, ad_now_ms());
    ad_proctitle_set("worker", s->proc_name);
    /* Until the I/O loop takes them over, signals act by default (TERM ends a
     * worker still importing the app). */
    for (const int *sg = worker_signals; *sg; sg++) signal(*sg, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);   /* master-only signals: never stop a worker */
    signal(SIGTTOU, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);

    memset(&W, 0, sizeof W);
    W.settings = s;
    W.index = index;
    W.wclass = (uint32_t)s->wclass;
    W.capacity = (uint32_t)s->threads;
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
    pthread_cond_init(&W.work_cv, NULL);
    W.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* A few streams may wait for a thread so the proxy can pipeline; more are
     * refused (REFUSED_STREAM) and retried elsewhere: queue limit = capacity. */
    thread_ids = calloc(W.capacity, sizeof *thread_ids);
    if (W.wakefd < 0 || thread_ids == NULL || ad_sched_init(&W.sched, W.capacity, W.capacity) != 0) {
        tc_crit("worker setup failed: %s", strerror(errno));
        fail_boot(AD_EXIT_BOOT, NULL);
    }

    if (app == NULL) {
        char line[1024];
        app = ad_python_load_app(s->app_spec, line, sizeof line);
        if (app == NULL) fail_boot(AD_EXIT_APP_LOAD, line);
    } else {
        Py_INCREF(app);
    }
    the_app = app;

    /* On SIGABRT (the master's timeout kill) and crashes, every thread's
     * Python stack goes to the error log before the process dies. */
    PyObject *fh = PyImport_ImportModule("faulthandler");
    PyObject *rv = fh ? PyObject_CallMethod(fh, "enable", "iO", tc_log_fd(), Py_True) : NULL;
    if (rv == NULL) PyErr_Clear();
    Py_XDECREF(rv);
    Py_XDECREF(fh);

    if (wsgi_init(s) != 0) {
        ad_python_log_exception(TC_LOG_CRITICAL, "cannot set up WSGI");
        fail_boot(AD_EXIT_BOOT, NULL);
    }

    /* App threads get no signals: they all go to the I/O thread's self-pipe. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (uint32_t i = 0; i < W.capacity; i++) {
        wsgi_req *req = wsgi_req_new();
        int e = req ? pthread_create(&thread_ids[i], NULL, app_thread, req) : ENOMEM;
        if (e != 0) {
            tc_crit("cannot start app thread: %s", strerror(e));
            fail_boot(AD_EXIT_BOOT, NULL);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    PyThreadState *main_ts = PyEval_SaveThread();

    uint8_t ready = AD_MSG_READY;
    ad_ctl_send(ctl_fd, &ready, 1, -1);

    if (!io_loop()) {
        /* App threads are stuck in requests: joining them (or finalizing
         * Python under them) could hang, so leave now. */
        tc_info("Worker exiting (pid: %d)", (int)getpid());
        _exit(0);
    }

    pthread_mutex_lock(&W.mu);
    ad_sched_quit(&W.sched);
    pthread_cond_broadcast(&W.work_cv);
    pthread_mutex_unlock(&W.mu);
    for (uint32_t i = 0; i < W.capacity; i++) pthread_join(thread_ids[i], NULL);
    PyEval_RestoreThread(main_ts);
    tc_info("Worker exiting (pid: %d)", (int)getpid());
    Py_DECREF(the_app);
    /* atexit handlers run, as when a Gunicorn worker exits. */
    Py_FinalizeEx();
    _exit(0);
}

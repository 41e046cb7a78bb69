/* ad_wclass_threads.c: the sync and gthread worker classes: a pool of app
 * threads running WSGI (one thread for sync, --threads for gthread) beside
 * the epoll I/O thread of ad_ioloop.c on the process's main thread.  An
 * idle app thread reads the proxy sockets itself when it may (the lead,
 * ad_ioloop.h) and runs the stream it read; otherwise it sleeps on a
 * condition variable.  An app thread holds the GIL for a whole request; the
 * I/O thread never takes it.  The two classes differ only in name and HELLO
 * class. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ad_ioloop.h"
#include "ad_python.h"
#include "ad_scoreboard.h"
#include "ad_stream.h"
#include "ad_wclass.h"
#include "ad_worker.h"
#include "tc_log.h"
#include "wsgi.h"

static PyObject *the_app;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER; /* idle app threads wait here */
static pthread_t *thread_ids;
static uint32_t nthreads;
static PyThreadState *main_ts; /* the main thread's, while it serves without the GIL */

/* The request body bytes still to read from the proxy (mu held): 0 when
 * the body came whole with the head (the proxy collects small ones first,
 * --request-buffer-size), UINT64_MAX when unknown. */
static uint64_t body_to_come(const ad_stream *s)
{
    if (s->req_ended)
        return 0;
    uint64_t length = s->req.content_length, have = s->body_wr - s->body_rd;
    if (length == TP_LENGTH_UNKNOWN)
        return UINT64_MAX;
    return length > have ? length - have : 0;
}

static void *app_thread(void *arg)
{
    wsgi_req *req = arg;
    PyGILState_STATE g = PyGILState_Ensure();
    PyThreadState *ts = PyEval_SaveThread();
    ad_stream *done = NULL;
    for (;;) {
        /* One lock round trip both retires the last stream and takes the next. */
        pthread_mutex_lock(&W.mu);
        if (done)
            ad_stream_done_locked(done);
        ad_stream *s;
        /* Idle, it leads when it may: it then runs what it reads itself. */
        while ((s = ad_sched_next(&W.sched)) == NULL && !ad_sched_quitting(&W.sched))
            ad_ioloop_idle_locked(&work_cv);
        if (s == NULL) {
            pthread_mutex_unlock(&W.mu);
            break;
        }
        ad_ioloop_running_locked(body_to_come(s));
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

static uint32_t pool_capacity(const ad_settings *s) { return (uint32_t)s->threads; }

static int pool_prepare(const ad_settings *s)
{
    (void)s;
    return 0;
}

static int pool_init(const ad_settings *s, PyObject *app)
{
    the_app = app;
    if (wsgi_init(s) != 0) {
        ad_python_log_exception(TC_LOG_CRITICAL, "cannot set up WSGI");
        return -1;
    }
    nthreads = W.capacity;
    thread_ids = calloc(nthreads, sizeof *thread_ids);
    if (thread_ids == NULL) {
        tc_crit("worker setup failed: %s", strerror(errno));
        return -1;
    }
    /* App threads get no signals: they all go to the I/O thread's pipe. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (uint32_t i = 0; i < nthreads; i++) {
        wsgi_req *req = wsgi_req_new();
        int e = req ? pthread_create(&thread_ids[i], NULL, app_thread, req) : ENOMEM;
        if (e != 0) {
            tc_crit("cannot start app thread: %s", strerror(e));
            return -1;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

/* The main thread becomes the I/O thread: it lets the app threads have the
 * GIL for good, and the lead while one is idle. */
static int pool_run(void)
{
    main_ts = PyEval_SaveThread();
    ad_worker_ready();
    return ad_ioloop_run(&work_cv);
}

static void pool_shutdown(void)
{
    pthread_mutex_lock(&W.mu);
    ad_sched_quit(&W.sched);
    pthread_cond_broadcast(&work_cv);
    pthread_mutex_unlock(&W.mu);
    for (uint32_t i = 0; i < nthreads; i++)
        pthread_join(thread_ids[i], NULL);
    free(thread_ids);
    thread_ids = NULL;
    PyEval_RestoreThread(main_ts);
}

/* A leading app thread runs what it queued itself, one stream after the
 * other, and wakes nobody: a batch of short requests gains nothing from
 * more threads under the GIL, and each wake-up cost 2-3 futex calls and
 * a context switch (ad_ioloop.h says when the others get the queue). */
static void pool_on_queued(ad_stream *s)
{
    (void)s;
    if (!ad_ioloop_leader_takes_next())
        ad_worker_cond_signal(&work_cv);
}

/* Data, room and resets all mean the same to a blocked app thread: wake up
 * and look again. */
static void pool_wake(ad_stream *s) { ad_stream_wake_locked(s); }

/* The loop's epoll set lets go of c before its descriptor closes. */
static void pool_conn_closing(ad_conn *c) { ad_ioloop_forget_locked(c); }

const ad_wclass ad_wclass_sync = {
    .name = "sync",
    .wire_class = TP_CLASS_SYNC,
    .capacity = pool_capacity,
    .prepare = pool_prepare,
    .init = pool_init,
    .run = pool_run,
    .shutdown = pool_shutdown,
    .on_queued = pool_on_queued,
    .on_data = pool_wake,
    .on_writable = pool_wake,
    .on_reset = pool_wake,
    .on_conn_closing = pool_conn_closing,
    .hold_output = ad_ioloop_hold_output_locked,
};

const ad_wclass ad_wclass_gthread = {
    .name = "gthread",
    .wire_class = TP_CLASS_GTHREAD,
    .capacity = pool_capacity,
    .prepare = pool_prepare,
    .init = pool_init,
    .run = pool_run,
    .shutdown = pool_shutdown,
    .on_queued = pool_on_queued,
    .on_data = pool_wake,
    .on_writable = pool_wake,
    .on_reset = pool_wake,
    .on_conn_closing = pool_conn_closing,
    .hold_output = ad_ioloop_hold_output_locked,
};

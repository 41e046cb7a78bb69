/* px_thread.h: one event-loop thread of tandem-proxy and what it owns: its
 * libevent base, its client connections, its wait queue and its pool of
 * worker connections.  Everything a thread owns is touched by that thread
 * only; other threads read the two atomics (waiting, queue_best) and wake
 * it through px_thread_wake. */
#ifndef TANDEM_PX_THREAD_H
#define TANDEM_PX_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include "px_limits.h"
#include "px_queue.h"

typedef struct px_thread px_thread;
typedef struct px_conn px_conn;
typedef struct px_pool px_pool;
struct event_base;
struct event;
struct px_accepting;
struct ssl_ctx_st;
struct px_reload_set;
struct px_retired;

struct px_thread {
    int index;
    pthread_t tid;
    struct event_base *base;
    struct px_accepting *accepting; /* px_listener.c: this thread's accept events */
    px_limits *limits;              /* one per listener, with this thread's timers */
    struct ssl_ctx_st **tls;        /* one per listener: new connections' TLS (a reference) */
    _Atomic(struct px_reload_set *) reload; /* px_reload.c: new limits and TLS to take */
    struct px_retired *retired;             /* limits of older connections, after reloads */
    struct event *wake_ev;                  /* another thread freed capacity or asked us to stop */
    struct event *flush_ev; /* end of turn: flush dirty connections, free closed objects */
    atomic_int wake_stop;   /* 1 graceful stop, 2 stop now */
    int flush_scheduled;
    int stopping;
    /* client connections (px_conn.c) */
    px_conn *conns;
    uint32_t nconns;
    uint32_t conn_seq;
    px_conn *free_conns;
    px_conn *dirty;      /* have output to produce at the end of the turn */
    px_conn *reap_conns; /* closed this turn, freed at its end */
    /* streams waiting for a worker (px_dispatch.c) */
    px_queue queue;
    atomic_int waiting;          /* requests in this thread's queue (read by others) */
    _Atomic uint64_t queue_best; /* px_queue_best of queue, read by other threads */
    atomic_int wake_pending;     /* a px_thread_wake is on its way (set by wakers) */
    /* connections to appd workers (px_pool.c) */
    px_pool *pool;
    char date[32];
    time_t date_sec;
};

/* The threads, for the few places that look across them (dispatch order,
 * wake-ups).  Valid from px_server_run's start to its end. */
int px_thread_count(void);
px_thread *px_thread_at(int i);

/* The Date header value for now, formatted once per second per thread. */
const char *px_thread_date(px_thread *th);
/* Runs the end-of-turn flush (dirty connections, reaping, queue) once,
 * after the callbacks of this loop turn. */
void px_thread_schedule_flush(px_thread *th);
/* Wakes another thread's loop (it drains its queue, or stops). */
void px_thread_wake(px_thread *t);
/* A stopping thread with no connection left ends its loop. */
void px_thread_maybe_exit(px_thread *th);

#endif

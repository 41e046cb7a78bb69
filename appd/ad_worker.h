/* ad_worker.h: one worker process: an I/O thread (the process's main thread)
 * that owns the proxy connections, and `threads` app threads that run the
 * WSGI app.  This header holds the state they share and its locking rules.
 *
 * Threading model (why): the I/O thread never takes the GIL, so it always
 * answers the proxy (credit, resets, pings, heartbeats) even while the app
 * computes; app threads hold the GIL for a whole request and drop it only to
 * wait for the client (body bytes, flow-control credit, socket space), so a
 * request costs one GIL acquisition, not one per chunk.
 *
 * Locking: one mutex, W.mu, guards every ad_conn/ad_stream field marked
 * (mu) and the scheduler (W.sched).  Lock order is GIL -> W.mu: a thread holding W.mu
 * never waits for the GIL (waits drop W.mu before taking the GIL back), and
 * the I/O thread never touches the GIL at all.  Critical sections are short
 * (a memcpy or a non-blocking writev). */
#ifndef TANDEM_AD_WORKER_H
#define TANDEM_AD_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "ad_sched.h"
#include "ad_settings.h"

typedef struct ad_conn ad_conn;
typedef struct ad_stream ad_stream;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;        /* app threads wait here for streams */
    ad_sched sched;                /* (mu) queued and running streams, admission, stop */
    uint32_t capacity;             /* app threads (= HELLO capacity) */
    int wakefd;                    /* eventfd: app threads -> I/O thread */
    int wake_pending;              /* (mu) an unread wake is in the eventfd */
    ad_conn *conns;                /* (mu) live connections */
    ad_stream *free_streams;       /* (mu) recycled stream objects */
    uint64_t requests;             /* (mu) completed */
    uint64_t max_requests;         /* 0 = no limit */
    uint32_t index;                /* 1..N */
    uint32_t wclass;
    uint32_t initial_window;       /* what we announce: request DATA per stream */
    uint32_t max_frame;            /* what we announce: largest payload we accept */
    uint32_t conn_seq;
    const ad_settings *settings;
} ad_worker_state;

extern ad_worker_state W;

/* Wakes the I/O thread (mu held).  Cheap when a wake is already pending. */
void ad_worker_wake_locked(void);
/* Called by app threads when a stream finished (mu held): counts requests,
 * starts the max-requests restart. */
void ad_worker_request_done_locked(void);

struct _object;
/* Runs the worker; never returns.  index: 1..workers (HELLO worker_index);
 * board: its scoreboard slot; ctl: its end of the control socketpair; app:
 * the preloaded callable or NULL (the worker imports settings->app_spec). */
void ad_worker_main(const ad_settings *s, uint32_t index, uint32_t board, int ctl,
                    struct _object *app) __attribute__((noreturn));

#endif

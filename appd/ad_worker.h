/* ad_worker.h: one worker process: the state its parts share (W), its
 * locking rules, and the services every worker class's loop calls: the
 * per-turn tick (heartbeat, closing dead connections, graceful stop), the
 * master's control socket, signals, and waking the loop.  How a stream
 * flows through a worker is drawn in ad_wclass.h.
 *
 * Threading (why): the proxy sockets are read by a thread that does not hold
 * the GIL while it reads them (in sync and gthread workers: the I/O thread,
 * the process's main thread, or an idle app thread that leads, see
 * ad_ioloop.h), so the proxy is answered (credit, resets, pings,
 * heartbeats) even while the app computes: at once by the I/O thread, or
 * within AD_IOLOOP_STEAL_MS + AD_IOLOOP_TICK_MS of a leader starting a
 * request; an app thread holds the GIL for a whole request and drops it
 * only to wait for the client (body bytes, flow-control credit, socket
 * space), so a request costs one GIL acquisition, not one per chunk.
 *
 * Locking: one mutex, W.mu, guards every ad_conn/ad_stream field marked
 * (mu) and the scheduler (W.sched).  Lock order is GIL -> W.mu: a thread
 * holding W.mu never waits for the GIL (blocking waits release W.mu before
 * the GIL is taken back).  Critical sections are short (a memcpy or a
 * non-blocking writev). */
#ifndef TANDEM_AD_WORKER_H
#define TANDEM_AD_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "ad_sched.h"
#include "ad_settings.h"

typedef struct ad_conn ad_conn;
typedef struct ad_stream ad_stream;
typedef struct ad_wclass ad_wclass;

typedef struct {
    pthread_mutex_t mu;
    ad_sched sched;          /* (mu) queued and running streams, admission, stop */
    const ad_wclass *wc;     /* the worker class */
    uint32_t capacity;       /* streams run at once (= HELLO capacity) */
    int wakefd;              /* eventfd: other threads -> the loop */
    int wake_pending;        /* (mu) an unread wake is in the eventfd */
    ad_conn *conns;          /* (mu) live connections */
    ad_stream *free_streams; /* (mu) recycled stream objects */
    uint64_t requests;       /* (mu) completed */
    uint64_t max_requests;   /* 0 = no limit */
    uint32_t index;          /* 1..N */
    uint32_t initial_window; /* what we announce: request DATA per stream */
    uint32_t max_frame;      /* what we announce: largest payload we accept */
    uint32_t conn_seq;
    const ad_settings *settings;
} ad_worker_state;

extern ad_worker_state W;

/* Wakes the loop (mu held).  Cheap when a wake is already pending. */
void ad_worker_wake_locked(void);
/* A stream finished (mu held): counts requests, starts the max-requests
 * restart. */
void ad_worker_request_done_locked(void);
/* From any thread, W.mu not held: the worker finishes its requests and
 * exits, as after max_requests, and the master starts another (--reload). */
void ad_worker_restart(void);

/* Wakes a thread blocked on cv under W.mu (mu held).  On the loop thread
 * the wake is deferred until ad_worker_unlock, so the woken thread does not
 * run straight into the mutex the loop still holds. */
void ad_worker_cond_signal(pthread_cond_t *cv);
/* Releases W.mu, then delivers the deferred wakes. */
void ad_worker_unlock(void);
/* Marks the calling thread as a loop thread (the one that reads the proxy
 * sockets: on 1) or no longer one (0: an app thread whose turn as the
 * leader ended, ad_ioloop.h); ad_worker_on_loop_thread tells whether the
 * caller is it. */
void ad_worker_set_loop_thread(int on);
int ad_worker_on_loop_thread(void);

/* ---- for the class's loop ---- */

/* Tells the master the worker serves (once). */
void ad_worker_ready(void);
/* The descriptors a loop watches for reading besides the connections: the
 * signal pipe (ad_worker_take_signals creates it: from then on TERM, INT,
 * QUIT and USR1 arrive there), the wake eventfd, and the master's control
 * socket (-1 once the master is gone). */
int ad_worker_take_signals(void);
int ad_worker_ctl_fd(void);
/* Handles what those descriptors say. */
void ad_worker_on_signals(void);
void ad_worker_on_wake(void);
void ad_worker_on_ctl(void);

enum { AD_TICK_SERVE = 0, AD_TICK_DONE, AD_TICK_ABANDON };
/* Once per loop turn and at least once per poll timeout (mu held):
 * heartbeat, max-requests restart, closes broken and drained connections,
 * and graceful-stop progress.  AD_TICK_SERVE: go on; AD_TICK_DONE: stopped,
 * every stream finished; AD_TICK_ABANDON: the graceful timeout expired with
 * streams still running.  Either way the connections are closed by then. */
int ad_worker_tick_locked(uint64_t now);
/* Milliseconds a loop may sleep between ticks. */
int ad_worker_tick_interval(void);
/* The tick for a class whose event loop calls back into it (asgi, gevent),
 * mu not held: nothing once *rc says the worker stopped; else the tick into
 * *rc, then after() (the class acts on what the tick changed).  1 when this
 * tick stopped the worker, and the class ends its loop; 0 otherwise. */
int ad_worker_tick_once(int *rc, void (*after)(void));
/* Such a class's callbacks for a proxy connection's descriptor (mu not
 * held; nothing when fd is no live connection's): readable reads its
 * frames and closes it on an error; writable sends what waits. */
void ad_worker_conn_readable(int fd);
void ad_worker_conn_writable(int fd);
/* What such a class watches a connection's fd for (ad_conn.wc_watch):
 * always reading, and writing while output waits. */
enum { AD_WATCH_READ = 1, AD_WATCH_WRITE = 2 };
typedef struct {
    int fd;
    unsigned had, want; /* AD_WATCH_* */
    ad_conn *conn;      /* valid while W.mu is held (the _locked caller) */
} ad_watch_change;
/* Fills out with up to max connections whose watches must change, and
 * records the new ones as made (mu not held): the class then adds and
 * removes its watchers, without W.mu.  The count. */
int ad_worker_watch_changes(ad_watch_change *out, int max);
/* The same with W.mu held (the thread classes' epoll loop). */
int ad_worker_watch_changes_locked(ad_watch_change *out, int max);
/* Closes c (mu held) and counts it for the master. */
void ad_worker_close_conn_locked(ad_conn *c, const char *why);
/* Tells the master about closed connections (mu not held). */
void ad_worker_report_closes(void);

/* The app refused to start (an ASGI lifespan startup failure): tells the
 * master line, as for an app that failed to import, so it stops instead of
 * respawning, and exits.  GIL state does not matter: nothing Python runs. */
void ad_worker_fail_app(const char *line) __attribute__((noreturn));

struct _object;
/* Runs the worker; never returns.  index: 1..workers (HELLO worker_index);
 * board: its scoreboard slot; ctl: its end of the control socketpair; app:
 * the preloaded callable or NULL (the worker imports settings->app_spec). */
void ad_worker_main(const ad_settings *s, uint32_t index, uint32_t board, int ctl,
                    struct _object *app) __attribute__((noreturn));

#endif

/* ad_ioloop.c: the poll(2) loop over the signal pipe, the wake eventfd, the
 * master's control socket and the proxy connections, with the worker's tick
 * once per turn, and the hand-over of that loop (the lead) between the main
 * thread and idle app threads (see ad_ioloop.h).  poll, not epoll: a worker
 * holds a handful of connections (about one per proxy thread). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ad_conn.h"
#include "ad_exit.h"
#include "ad_ioloop.h"
#include "ad_scoreboard.h"
#include "ad_worker.h"
#include "tc_log.h"

typedef struct {
    struct pollfd *pfd;
    ad_conn **conn; /* conn[i] for pfd[i], NULL for the worker's own fds */
    size_t cap, n, first_conn;
} poll_set;

enum { LEAD_MAIN = 0, LEAD_FREE, LEAD_APP };

/* The lead, all (mu) but the descriptors. */
static struct {
    int who;             /* LEAD_*: MAIN leads, FREE: given away, not yet taken */
    const void *holder;  /* with LEAD_APP: the leading app thread (its &me) */
    int busy;            /* ...which runs a stream since busy_since */
    uint64_t busy_since; /* ms */
    uint64_t run_since;  /* ms: the leader runs streams without reading since */
    int running;         /* ...which it does (run_since is set) */
    uint64_t started;    /* streams leaders started, so far */
    uint64_t started_seen; /* ...when the main thread's timer last fired */
    int timer_armed;     /* the main thread's periodic timer runs */
    uint32_t idle;       /* app threads asleep in ad_ioloop_idle_locked */
    int waiting;         /* the leader polls while its own stream waits for the client */
    int result;          /* AD_TICK_* that ended the loop on an app thread */
    pthread_cond_t *app_cv; /* where idle app threads sleep; NULL: none lead */
    int timer_fd;        /* wakes the parked main thread */
    int sigfd;
} L = { .timer_fd = -1, .sigfd = -1 };

static __thread char me;          /* its address names the calling thread */
static __thread poll_set app_set; /* an app thread's, for the turns it leads */

static void die(const char *what)
{
    tc_crit("%s: %s", what, strerror(errno));
    _exit(AD_EXIT_BOOT);
}

static void reserve(poll_set *ps, size_t need)
{
    if (need <= ps->cap)
        return;
    size_t cap = ps->cap ? ps->cap : 16;
    while (cap < need)
        cap *= 2;
    struct pollfd *np = realloc(ps->pfd, cap * sizeof *np);
    if (np)
        ps->pfd = np;
    ad_conn **nc = realloc(ps->conn, cap * sizeof *nc);
    if (nc)
        ps->conn = nc;
    if (np == NULL || nc == NULL)
        die("out of memory");
    ps->cap = cap;
}

static void add(poll_set *ps, int fd, short events, ad_conn *c)
{
    ps->pfd[ps->n] = (struct pollfd){ fd, events, 0 };
    ps->conn[ps->n++] = c;
}

/* The signal pipe, the wake eventfd and the control socket come first, in
 * that order; then one entry per connection (mu held). */
static void build_locked(poll_set *ps)
{
    size_t need = 3;
    for (ad_conn *c = W.conns; c; c = c->next)
        need++;
    reserve(ps, need);
    ps->n = 0;
    add(ps, L.sigfd, POLLIN, NULL);
    add(ps, W.wakefd, POLLIN, NULL);
    if (ad_worker_ctl_fd() >= 0)
        add(ps, ad_worker_ctl_fd(), POLLIN, NULL);
    ps->first_conn = ps->n;
    for (ad_conn *c = W.conns; c; c = c->next)
        add(ps, c->fd, (short)(POLLIN | (ad_conn_pending(c) ? POLLOUT : 0)), c);
}

static void on_conn(ad_conn *c, short ev)
{
    if (ev & (POLLIN | POLLHUP | POLLERR)) {
        if (ad_conn_on_readable(c) != 0) {
            pthread_mutex_lock(&W.mu);
            ad_worker_close_conn_locked(c, "closed by the proxy or a protocol error");
            ad_worker_unlock();
            return;
        }
    }
    if (ev & POLLOUT) {
        pthread_mutex_lock(&W.mu);
        ad_conn_flush_locked(c);
        ad_worker_unlock();
    }
}

static void dispatch(poll_set *ps)
{
    if (ps->pfd[0].revents)
        ad_worker_on_signals();
    if (ps->pfd[1].revents)
        ad_worker_on_wake();
    if (ps->first_conn == 3 && ps->pfd[2].revents && ad_worker_ctl_fd() >= 0)
        ad_worker_on_ctl();
    for (size_t i = ps->first_conn; i < ps->n; i++)
        if (ps->pfd[i].revents)
            on_conn(ps->conn[i], ps->pfd[i].revents);
}

/* ---- the lead ---- */

static void set_timer_locked(uint64_t first_ns, uint64_t every_ns)
{
    struct itimerspec it = {
        .it_value = { .tv_sec = (time_t)(first_ns / 1000000000u),
                      .tv_nsec = (long)(first_ns % 1000000000u) },
        .it_interval = { .tv_sec = (time_t)(every_ns / 1000000000u),
                         .tv_nsec = (long)(every_ns % 1000000000u) },
    };
    if (timerfd_settime(L.timer_fd, 0, &it, NULL) != 0)
        die("timerfd_settime");
}

/* The main thread's watch over a leader: a periodic tick, not a deadline
 * per stream.  Re-arming a one-shot timer as streams start cost a
 * timerfd_settime on a third to all of a sync worker's requests (more the
 * further apart they came); the tick costs the main thread one wake-up
 * per AD_IOLOOP_TICK_MS while leaders keep starting streams, and stops
 * after a tick in which none started. */
static void arm_tick_locked(void)
{
    uint64_t ns = (uint64_t)AD_IOLOOP_TICK_MS * 1000000u;
    set_timer_locked(ns, ns);
    L.timer_armed = 1;
}

/* Wakes the main thread now, once (the timer then stops by itself). */
static void fire_now_locked(void)
{
    set_timer_locked(1, 0); /* zero would disarm it */
    L.timer_armed = 0;
}

static void disarm_locked(void)
{
    set_timer_locked(0, 0);
    L.timer_armed = 0;
}

static int leads(void) { return L.who == LEAD_APP && L.holder == &me; }

/* The streams a leader left queued for itself get idle threads now: it
 * stops leading, or its stream runs long or waits for the client. */
static void hand_out_queued_locked(void)
{
    uint32_t n = ad_sched_queued(&W.sched);
    if (n > L.idle)
        n = L.idle;
    while (L.app_cv && n-- > 0)
        ad_worker_cond_signal(L.app_cv);
}

/* The leading app thread hands the lead back and wakes the main thread. */
static void give_back_locked(void)
{
    L.who = LEAD_MAIN;
    L.holder = NULL;
    L.busy = 0;
    fire_now_locked();
    hand_out_queued_locked();
}

/* At the top of a main-thread turn: the lead goes to an idle app thread when
 * no stream waits for one (it would run it without the handover).  1 when
 * given away. */
static int give_away_locked(pthread_cond_t *app_cv)
{
    if (app_cv == NULL || L.idle == 0 || ad_sched_queued(&W.sched) ||
        ad_sched_stopping(&W.sched))
        return 0;
    L.who = LEAD_FREE;
    ad_worker_cond_signal(app_cv);
    return 1;
}

/* One turn of the loop on the calling thread, entered and left with W.mu
 * held: the tick, then poll and the handlers.  Returns the tick's result;
 * any but AD_TICK_SERVE ends the loop (nothing was polled then). */
static int turn_locked(poll_set *ps, pthread_cond_t *app_cv)
{
    int tick = ad_worker_tick_locked(ad_now_ms());
    if (tick != AD_TICK_SERVE || give_away_locked(app_cv))
        return tick;
    build_locked(ps);
    ad_worker_unlock();
    ad_worker_report_closes();
    int rc = poll(ps->pfd, ps->n, ad_worker_tick_interval());
    if (rc < 0 && errno != EINTR)
        die("poll");
    if (rc > 0)
        dispatch(ps);
    pthread_mutex_lock(&W.mu);
    return AD_TICK_SERVE;
}

/* The main thread's periodic look at a leading app thread (mu held): hands
 * the streams queued behind it to idle threads once it has run streams for
 * AD_IOLOOP_HANDOUT_MS without reading, takes the lead back from one that
 * has run its stream AD_IOLOOP_STEAL_MS or longer; stops the tick once
 * leaders started nothing for a whole tick. */
static void watch_leader_locked(void)
{
    uint64_t now = ad_now_ms();
    if (L.who == LEAD_APP && L.busy && L.running && now >= L.run_since + AD_IOLOOP_HANDOUT_MS)
        hand_out_queued_locked();
    if (L.who == LEAD_APP && L.busy && now >= L.busy_since + AD_IOLOOP_STEAL_MS) {
        L.who = LEAD_MAIN; /* the busy thread finds out once it is done */
        L.holder = NULL;
        L.busy = 0;
        hand_out_queued_locked();
    }
    int quiet = L.started == L.started_seen && !(L.who == LEAD_APP && L.busy);
    L.started_seen = L.started;
    if (L.timer_armed && (L.who == LEAD_MAIN || quiet))
        disarm_locked();
}

/* The main thread while it does not lead (mu held on entry and exit): sleeps
 * until the lead is handed back or its timer fires, then watches the
 * leader. */
static void park_locked(void)
{
    struct pollfd p = { L.timer_fd, POLLIN, 0 };
    ad_worker_unlock();
    int rc = poll(&p, 1, ad_worker_tick_interval());
    if (rc < 0 && errno != EINTR)
        die("poll");
    uint64_t fired;
    if (rc > 0 && read(L.timer_fd, &fired, sizeof fired) < 0 && errno != EAGAIN)
        die("timerfd read");
    pthread_mutex_lock(&W.mu);
    if (L.who == LEAD_FREE && (L.idle == 0 || ad_sched_stopping(&W.sched)))
        L.who = LEAD_MAIN; /* nobody is left to take it */
    watch_leader_locked();
}

int ad_ioloop_run(pthread_cond_t *app_cv)
{
    poll_set ps = { 0 };
    L.sigfd = ad_worker_take_signals();
    if (L.sigfd < 0)
        die("worker setup failed");
    L.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (L.timer_fd < 0)
        die("timerfd_create");
    ad_worker_set_loop_thread(1);
    int tick;
    pthread_mutex_lock(&W.mu);
    L.app_cv = app_cv;
    for (;;) {
        if (L.who != LEAD_MAIN) {
            park_locked();
            continue;
        }
        tick = L.result != AD_TICK_SERVE ? L.result : turn_locked(&ps, app_cv);
        if (tick != AD_TICK_SERVE)
            break;
    }
    ad_worker_unlock();
    ad_worker_report_closes();
    free(ps.pfd);
    free(ps.conn);
    return tick == AD_TICK_DONE;
}

/* One turn as the leader (mu held on entry and exit). */
static void lead_turn_locked(void)
{
    L.who = LEAD_APP;
    L.holder = &me;
    L.busy = 0;
    L.running = 0;
    ad_worker_set_loop_thread(1);
    int tick = turn_locked(&app_set, NULL);
    if (tick != AD_TICK_SERVE) {
        /* The connections are closed: the main thread ends the loop. */
        L.result = tick;
        give_back_locked();
        ad_worker_unlock(); /* the tick's deferred wakes */
        pthread_mutex_lock(&W.mu);
    }
    ad_worker_set_loop_thread(0);
}

void ad_ioloop_idle_locked(pthread_cond_t *cv)
{
    int stopping = ad_sched_stopping(&W.sched) || L.result != AD_TICK_SERVE;
    if (stopping && leads())
        give_back_locked(); /* the drain runs on the main thread */
    /* A leader that runs a stream does not read the sockets: take over. */
    if (!stopping &&
        (L.who == LEAD_FREE || (L.who == LEAD_APP && (L.holder == &me || L.busy)))) {
        lead_turn_locked();
        return;
    }
    if (L.who == LEAD_MAIN && !stopping)
        ad_worker_wake_locked(); /* so it gives the lead away */
    L.idle++;
    pthread_cond_wait(cv, &W.mu);
    L.idle--;
}

void ad_ioloop_running_locked(uint64_t to_come)
{
    if (!leads())
        return;
    if (to_come > AD_IOLOOP_BODY_KEEP) {
        /* The main thread reads the rest of the body while the app runs:
         * reading it on this thread between the app's reads costs fewer
         * wake-ups (1.0 a 64 KiB POST, against 2-4) but serialises a sync
         * worker, whose 64 KiB POST throughput then fell by a quarter.  A
         * body that came whole has no rest: its stream keeps the lead. */
        give_back_locked();
        return;
    }
    L.busy = 1;
    L.busy_since = ad_now_ms();
    if (!L.running) {
        L.running = 1;
        L.run_since = L.busy_since;
    }
    L.started++;
    if (!L.timer_armed)
        arm_tick_locked();
}

int ad_ioloop_wait_locked(void)
{
    if (!leads())
        return 0;
    if (ad_sched_stopping(&W.sched) || L.result != AD_TICK_SERVE) {
        give_back_locked(); /* the drain runs on the main thread */
        return 0;
    }
    L.waiting = 1;
    hand_out_queued_locked();
    lead_turn_locked();
    L.waiting = 0;
    if (leads())
        ad_ioloop_running_locked(0); /* back to its stream */
    return 1;
}

int ad_ioloop_hold_output_locked(void)
{
    return leads() && L.busy && !L.waiting && ad_sched_queued(&W.sched) > 0;
}

int ad_ioloop_leader_takes_next(void) { return L.who == LEAD_APP && !L.waiting; }

void ad_ioloop_thread_exit(void)
{
    free(app_set.pfd);
    free(app_set.conn);
    app_set = (poll_set){ 0 };
}

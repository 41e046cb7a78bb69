/* ad_ioloop.c: the epoll loop over the signal pipe, the wake eventfd, the
 * master's control socket and the proxy connections, with the worker's tick
 * once per turn, and the hand-over of that loop (the lead) between the main
 * thread and idle app threads (see ad_ioloop.h).  epoll, not poll: poll
 * re-registered every descriptor on each call, about a tenth of a sync
 * worker's CPU at one poll per request; a connection's interest changes
 * only when its output backs up (ad_conn.wc_watch). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ad_conn.h"
#include "ad_exit.h"
#include "ad_ioloop.h"
#include "ad_scoreboard.h"
#include "ad_worker.h"
#include "tc_log.h"

#define EVENTS_PER_TURN 16

/* epoll_data of the worker's own descriptors: their addresses tell them
 * apart from connections (whose data is the ad_conn). */
static char tag_signals, tag_wake, tag_ctl;

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
    int epfd;            /* every descriptor the leader waits on */
} L = { .timer_fd = -1, .sigfd = -1, .epfd = -1 };

static __thread char me; /* its address names the calling thread */

static void die(const char *what)
{
    tc_crit("%s: %s", what, strerror(errno));
    _exit(AD_EXIT_BOOT);
}

static void watch_fd(int fd, void *tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };
    if (fd >= 0 && epoll_ctl(L.epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        die("epoll_ctl ADD");
}

/* A connection's interest follows its output (ad_worker_watch_changes):
 * write readiness only while bytes wait for the socket; a closing one
 * leaves the set in ad_ioloop_forget_locked (mu held). */
static void sync_conns_locked(void)
{
    ad_watch_change ch[EVENTS_PER_TURN];
    int n;
    while ((n = ad_worker_watch_changes_locked(ch, EVENTS_PER_TURN)) > 0) {
        for (int i = 0; i < n; i++) {
            struct epoll_event ev = {
                .events = EPOLLIN | (ch[i].want & AD_WATCH_WRITE ? EPOLLOUT : 0),
                .data.ptr = ch[i].conn
            };
            int op = ch[i].had ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
            if (epoll_ctl(L.epfd, op, ch[i].fd, &ev) != 0) {
                tc_crit("proxy connection %u (fd %d): epoll_ctl: %s", ch[i].conn->id, ch[i].fd,
                        strerror(errno));
                _exit(AD_EXIT_BOOT);
            }
        }
    }
}

void ad_ioloop_forget_locked(ad_conn *c)
{
    /* close(2) takes a descriptor out of an epoll set only with the last
     * reference to its socket, and others may hold one: the master until it
     * closes its copy after the hand-over, a child the app forked.  The set
     * would go on reporting the proxy's hang-up with c, freed, as its data. */
    if (c->wc_watch == 0 || L.epfd < 0)
        return;
    if (epoll_ctl(L.epfd, EPOLL_CTL_DEL, c->fd, NULL) != 0) {
        tc_crit("proxy connection %u (fd %d): epoll_ctl DEL: %s", c->id, c->fd, strerror(errno));
        _exit(AD_EXIT_BOOT);
    }
    c->wc_watch = 0;
}

static void on_conn(ad_conn *c, uint32_t ev)
{
    if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (ad_conn_on_readable(c) != 0) {
            pthread_mutex_lock(&W.mu);
            ad_worker_close_conn_locked(c, "closed by the proxy or a protocol error");
            ad_worker_unlock();
            return;
        }
    }
    if (ev & EPOLLOUT) {
        pthread_mutex_lock(&W.mu);
        ad_conn_flush_locked(c);
        ad_worker_unlock();
    }
}

/* Signals, wake-ups and the master's messages before the connections, as
 * they come in no particular order. */
static void dispatch(const struct epoll_event *ev, int n)
{
    for (int i = 0; i < n; i++) {
        if (ev[i].data.ptr == &tag_signals)
            ad_worker_on_signals();
        else if (ev[i].data.ptr == &tag_wake)
            ad_worker_on_wake();
        else if (ev[i].data.ptr == &tag_ctl && ad_worker_ctl_fd() >= 0)
            ad_worker_on_ctl();
    }
    for (int i = 0; i < n; i++) {
        void *p = ev[i].data.ptr;
        if (p != &tag_signals && p != &tag_wake && p != &tag_ctl)
            on_conn(p, ev[i].events);
    }
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
static int turn_locked(pthread_cond_t *app_cv)
{
    int tick = ad_worker_tick_locked(ad_now_ms());
    if (tick != AD_TICK_SERVE || give_away_locked(app_cv))
        return tick;
    sync_conns_locked();
    ad_worker_unlock();
    ad_worker_report_closes();
    struct epoll_event ev[EVENTS_PER_TURN];
    int rc = epoll_wait(L.epfd, ev, EVENTS_PER_TURN, ad_worker_tick_interval());
    if (rc < 0 && errno != EINTR)
        die("epoll_wait");
    if (rc > 0)
        dispatch(ev, rc);
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
    L.sigfd = ad_worker_take_signals();
    if (L.sigfd < 0)
        die("worker setup failed");
    L.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (L.timer_fd < 0)
        die("timerfd_create");
    L.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (L.epfd < 0)
        die("epoll_create1");
    watch_fd(L.sigfd, &tag_signals);
    watch_fd(W.wakefd, &tag_wake);
    watch_fd(ad_worker_ctl_fd(), &tag_ctl);
    ad_worker_set_loop_thread(1);
    int tick;
    pthread_mutex_lock(&W.mu);
    L.app_cv = app_cv;
    for (;;) {
        if (L.who != LEAD_MAIN) {
            park_locked();
            continue;
        }
        tick = L.result != AD_TICK_SERVE ? L.result : turn_locked(app_cv);
        if (tick != AD_TICK_SERVE)
            break;
    }
    ad_worker_unlock();
    ad_worker_report_closes();
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
    int tick = turn_locked(NULL);
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

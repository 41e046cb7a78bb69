/* ad_ioloop.c: the I/O thread's loop: poll(2) over the signal pipe, the
 * wake eventfd, the master's control socket and the proxy connections,
 * with the worker's tick once per turn (see ad_ioloop.h).  poll, not epoll:
 * a worker holds a handful of connections (about one per proxy thread). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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
static void build_locked(poll_set *ps, int sigfd)
{
    size_t need = 3;
    for (ad_conn *c = W.conns; c; c = c->next)
        need++;
    reserve(ps, need);
    ps->n = 0;
    add(ps, sigfd, POLLIN, NULL);
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

int ad_ioloop_run(void)
{
    poll_set ps = { 0 };
    int sigfd = ad_worker_take_signals();
    if (sigfd < 0)
        die("worker setup failed");
    ad_worker_set_loop_thread();
    int tick;
    for (;;) {
        uint64_t now = ad_now_ms();
        pthread_mutex_lock(&W.mu);
        tick = ad_worker_tick_locked(now);
        if (tick != AD_TICK_SERVE) {
            ad_worker_unlock();
            break;
        }
        build_locked(&ps, sigfd);
        ad_worker_unlock();

        ad_worker_report_closes();
        int rc = poll(ps.pfd, ps.n, ad_worker_tick_interval());
        if (rc < 0 && errno != EINTR)
            die("poll");
        if (rc > 0)
            dispatch(&ps);
    }
    ad_worker_report_closes();
    free(ps.pfd);
    free(ps.conn);
    return tick == AD_TICK_DONE;
}

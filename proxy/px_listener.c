/* px_listener.c: listening sockets (px_listener.h), accepted from by every
 * thread's loop: accept4 non-blocking until EAGAIN, which is normal when
 * another thread won the race. */
#include "config.h"
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/event.h>
#include "px_listener.h"
#include "px_admit.h"
#include "px_conn.h"
#include "px_thread.h"
#include "tc_log.h"
#include "tc_sdlisten.h"

static px_listener *listeners;
static size_t nlisteners;

size_t px_listener_count(void) { return nlisteners; }

const px_listener *px_listener_at(size_t i) { return &listeners[i]; }

/* What every connection accepted on a listener inherits from cfg. */
static void listener_setup(px_listener *l, const px_settings *cfg, SSL_CTX *ssl_ctx)
{
    l->ssl_ctx = ssl_ctx;
    l->h2c_mode = px_h2c_mode(cfg);
    /* A TLS client that negotiates no ALPN speaks HTTP/1.1 when enabled. */
    l->no_alpn_proto = cfg->h1 ? PX_PROTO_H1 : PX_PROTO_H2;
    /* Cleartext starts as HTTP/1.x; trusted peers may switch to h2c. */
    l->cleartext_proto = PX_PROTO_H1;
    px_limits_from_settings(&l->limits, cfg);
}

int px_listeners_open(const px_settings *cfg, SSL_CTX *ssl_ctx, char *err, size_t errlen)
{
    px_admit_init(cfg->max_connections, cfg->max_connections_per_ip);
    listeners = calloc(cfg->bind.n, sizeof *listeners);
    if (!listeners) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Sockets systemd passed (socket activation) serve the --bind addresses
     * they are bound to; the others are bound here. */
    static tc_sdlisten inherited;
    if (tc_sdlisten_take(&inherited, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < cfg->bind.n; i++) {
        char e[512];
        if (tc_addr_parse(cfg->bind.items[i], 8000, &listeners[i].addr, e, sizeof e) < 0) {
            snprintf(err, errlen, "--bind %s", e);
            return -1;
        }
        tc_sdlisten_use(&inherited, &listeners[i].addr);
    }
    if (tc_sdlisten_unclaimed(&inherited, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < cfg->bind.n; i++) {
        px_listener *l = &listeners[i];
        char e[512];
        /* Gunicorn binds a Unix socket under its umask setting. */
        mode_t old = umask((mode_t)cfg->umask);
        l->fd = tc_listen_reuse(&l->addr, (int)cfg->backlog, cfg->reuse_port, e, sizeof e);
        umask(old);
        if (l->fd < 0) {
            /* tc_listen says "cannot listen on ADDRESS: cause". */
            snprintf(err, errlen, "%s", e);
            return -1;
        }
        nlisteners = i + 1;
        l->index = i;
        listener_setup(l, cfg, ssl_ctx);
        static const char *const h2c[] = { "", ", h2c prior knowledge for trusted peers",
                                           ", h2c upgrade for trusted peers",
                                           ", h2c for trusted peers" };
        static const char *const pp[] = { "", ", PROXY protocol v1", ", PROXY protocol v2",
                                          ", PROXY protocol v1 or v2" };
        tc_info("Listening at: %s (%s%s%s)", l->addr.text, cfg->tls ? "TLS" : "cleartext HTTP/1.1",
                h2c[l->h2c_mode], pp[l->limits.proxy_protocol]);
    }
    return 0;
}

/* ---- per thread ---- */

typedef struct {
    px_thread *th;
    size_t index;
    struct event *ev;
} acceptor;

struct px_accepting {
    acceptor *acc;
    size_t n;
    struct event *resume_ev; /* out of fds: accepting pauses until this fires */
    struct event *limit_ev;  /* at max_connections: looks again while paused */
    int limit_paused;
};

/* Out of descriptors or memory, the pending connection stays in the
 * backlog and the level-triggered listener would wake us at once, forever:
 * stop accepting on this thread for a moment instead (as nginx does), so
 * the loop serves its connections and frees descriptors meanwhile. */
#define ACCEPT_PAUSE_MS 100

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    px_thread *th = arg;
    struct px_accepting *a = th->accepting;
    if (a->limit_paused)
        return; /* limit_check_cb resumes */
    for (size_t i = 0; i < a->n && !th->stopping; i++)
        if (a->acc[i].ev)
            event_add(a->acc[i].ev, NULL);
}

static void accept_pause(px_thread *th, int err)
{
    struct px_accepting *a = th->accepting;
    if (!a->resume_ev || evtimer_pending(a->resume_ev, NULL))
        return;
    tc_error("accept: %s: not accepting for %d ms", strerror(err), ACCEPT_PAUSE_MS);
    for (size_t i = 0; i < a->n; i++)
        if (a->acc[i].ev)
            event_del(a->acc[i].ev);
    struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
    evtimer_add(a->resume_ev, &tv);
}

/* At max_connections the pending connections wait in the listen backlog
 * (the kernel holds them, or refuses past --backlog) instead of being
 * accepted and closed.  A thread resumes when one of its own connections
 * closes (px_listener_conn_closed) or, as another thread's may have,
 * when its check timer finds room. */
#define LIMIT_CHECK_MS 100

static void set_accepting(px_thread *th, int on)
{
    struct px_accepting *a = th->accepting;
    for (size_t i = 0; i < a->n; i++)
        if (a->acc[i].ev) {
            if (on && !th->stopping)
                event_add(a->acc[i].ev, NULL);
            else
                event_del(a->acc[i].ev);
        }
}

static void limit_check_cb(evutil_socket_t fd, short what, void *arg)
{
    px_thread *th = arg;
    struct px_accepting *a = th->accepting;
    if (!a->limit_paused)
        return;
    if (px_admit_open()) {
        a->limit_paused = 0;
        set_accepting(th, 1);
        return;
    }
    struct timeval tv = { 0, LIMIT_CHECK_MS * 1000 };
    evtimer_add(a->limit_ev, &tv);
}

static void limit_pause(px_thread *th)
{
    struct px_accepting *a = th->accepting;
    a->limit_paused = 1;
    set_accepting(th, 0);
    if (!evtimer_pending(a->limit_ev, NULL)) {
        struct timeval tv = { 0, LIMIT_CHECK_MS * 1000 };
        evtimer_add(a->limit_ev, &tv);
    }
}

void px_listener_conn_closed(px_thread *th, px_admit_ip *ip)
{
    px_admit_release(ip);
    struct px_accepting *a = th->accepting;
    if (a && a->acc && a->limit_paused && px_admit_open()) {
        a->limit_paused = 0;
        evtimer_del(a->limit_ev);
        set_accepting(th, 1);
    }
}

/* One accept within the limits: 1 when a connection was taken (or
 * refused for its address), 0 when there is nothing more to take now. */
static int accept_one(acceptor *a, int lfd)
{
    px_thread *th = a->th;
    if (!px_admit_reserve()) {
        limit_pause(th);
        return 0;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        px_admit_unreserve();
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
            accept_pause(th, err);
        else if (!(err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED))
            tc_warn("accept: %s", strerror(err));
        return 0;
    }
    px_admit_ip *ip = NULL;
    if (px_admit_address((struct sockaddr *)&ss, &ip) < 0) {
        /* Over its address's limit: a reset, not a polite close, costs the
         * client's own resources the least of ours. */
        struct linger lg = { 1, 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
        px_admit_unreserve();
        return 1;
    }
    px_conn_accept(th, fd, a->index, ip);
    return 1;
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    acceptor *a = arg;
    px_thread *th = a->th;
    /* Bounded batch per wake-up so one busy listener cannot starve the
     * connections this loop already serves. */
    for (int i = 0; i < 64 && !th->stopping; i++)
        if (!accept_one(a, lfd))
            return;
}

int px_listener_attach(px_thread *th)
{
    struct px_accepting *a = calloc(1, sizeof *a);
    th->accepting = a;
    th->limits = calloc(nlisteners ? nlisteners : 1, sizeof *th->limits);
    th->tls = calloc(nlisteners ? nlisteners : 1, sizeof *th->tls);
    if (!a || !th->limits || !th->tls)
        return -1;
    a->n = nlisteners;
    a->acc = calloc(nlisteners ? nlisteners : 1, sizeof *a->acc);
    a->resume_ev = evtimer_new(th->base, accept_resume_cb, th);
    a->limit_ev = evtimer_new(th->base, limit_check_cb, th);
    if (!a->acc || !a->resume_ev || !a->limit_ev)
        return -1;
    for (size_t i = 0; i < nlisteners; i++) {
        th->limits[i] = listeners[i].limits;
        if (px_limits_bind(&th->limits[i], th->base) < 0)
            return -1;
        if (listeners[i].ssl_ctx) {
            if (SSL_CTX_up_ref(listeners[i].ssl_ctx) != 1)
                return -1;
            th->tls[i] = listeners[i].ssl_ctx;
        }
        a->acc[i] = (acceptor){ th, i, NULL };
        a->acc[i].ev =
            event_new(th->base, listeners[i].fd, EV_READ | EV_PERSIST, accept_cb, &a->acc[i]);
        if (!a->acc[i].ev || event_add(a->acc[i].ev, NULL) < 0)
            return -1;
    }
    return 0;
}

static atomic_int detached;

/* The last thread to stop accepting closes the sockets, so new clients are
 * refused at once instead of waiting in the backlog. */
static void close_listeners(void)
{
    for (size_t i = 0; i < nlisteners; i++) {
        close(listeners[i].fd);
        const tc_addr *addr = &listeners[i].addr;
        if (addr->ss.ss_family == AF_UNIX && addr->fd < 0) {
            const struct sockaddr_un *un = (const void *)&addr->ss;
            if (un->sun_path[0])
                unlink(un->sun_path);
        }
    }
}

void px_listener_detach(px_thread *th)
{
    struct px_accepting *a = th->accepting;
    if (!a || !a->acc)
        return;
    if (a->resume_ev) {
        event_free(a->resume_ev);
        a->resume_ev = NULL;
    }
    if (a->limit_ev) {
        event_free(a->limit_ev);
        a->limit_ev = NULL;
    }
    a->limit_paused = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->acc[i].ev)
            event_free(a->acc[i].ev);
    free(a->acc);
    a->acc = NULL;
    if (atomic_fetch_add(&detached, 1) + 1 == px_thread_count())
        close_listeners();
}

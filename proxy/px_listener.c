/* px_listener.c: listening sockets, bound once at startup (so a port in use
 * is an error, hence no SO_REUSEPORT), and accepted from by every thread's
 * loop: accept4 non-blocking until EAGAIN, which is normal when another
 * thread won the race. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "px.h"
#include "tc_log.h"

int px_listen_all(px_settings *cfg, char *err, size_t errlen)
{
    px_g.nlisten = (int)cfg->bind.n;
    px_g.lfds = calloc(cfg->bind.n, sizeof(int));
    px_g.laddrs = calloc(cfg->bind.n, sizeof(tc_addr));
    if (!px_g.lfds || !px_g.laddrs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->bind.n; i++) {
        char e[512];
        if (tc_addr_parse(cfg->bind.items[i], 8000, &px_g.laddrs[i], e, sizeof e) < 0) {
            snprintf(err, errlen, "--bind %s", e);
            return -1;
        }
        int fd = tc_listen(&px_g.laddrs[i], (int)cfg->backlog, e, sizeof e);
        if (fd < 0) {
            /* tc_listen says "cannot listen on ADDRESS: cause". */
            snprintf(err, errlen, "%s", e);
            return -1;
        }
        px_g.lfds[i] = fd;
        static const char *const h2c[] = { "", ", h2c prior knowledge for trusted peers",
                                           ", h2c upgrade for trusted peers",
                                           ", h2c for trusted peers" };
        tc_info("Listening at: %s (%s%s)", px_g.laddrs[i].text,
                cfg->tls ? "TLS" : "cleartext HTTP/1.1", h2c[px_h2c_mode(cfg)]);
    }
    return 0;
}

/* Out of descriptors or memory, the pending connection stays in the
 * backlog and the level-triggered listener would wake us at once, forever:
 * stop accepting on this thread for a moment instead (as nginx does), so
 * the loop serves its connections and frees descriptors meanwhile. */
#define ACCEPT_PAUSE_MS 100

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    px_thread *th = arg;
    for (int i = 0; i < th->naccept && !th->stopping; i++)
        if (th->accept_ev[i])
            event_add(th->accept_ev[i], NULL);
}

static void accept_pause(px_thread *th, int err)
{
    if (!th->accept_resume_ev || evtimer_pending(th->accept_resume_ev, NULL))
        return;
    tc_error("accept: %s: not accepting for %d ms", strerror(err), ACCEPT_PAUSE_MS);
    for (int i = 0; i < th->naccept; i++)
        if (th->accept_ev[i])
            event_del(th->accept_ev[i]);
    struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
    evtimer_add(th->accept_resume_ev, &tv);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    px_thread *th = arg;
    /* Bounded batch per wake-up so one busy listener cannot starve the
     * connections this loop already serves. */
    for (int i = 0; i < 64 && !th->stopping; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED)
                return;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                accept_pause(th, errno);
                return;
            }
            tc_warn("accept: %s", strerror(errno));
            return;
        }
        px_conn_accept(th, fd);
    }
}

int px_listener_attach(px_thread *th)
{
    th->naccept = px_g.nlisten;
    th->accept_ev = calloc((size_t)px_g.nlisten, sizeof(struct event *));
    th->accept_resume_ev = evtimer_new(th->base, accept_resume_cb, th);
    if (!th->accept_ev || !th->accept_resume_ev)
        return -1;
    for (int i = 0; i < px_g.nlisten; i++) {
        th->accept_ev[i] = event_new(th->base, px_g.lfds[i], EV_READ | EV_PERSIST, accept_cb, th);
        if (!th->accept_ev[i] || event_add(th->accept_ev[i], NULL) < 0)
            return -1;
    }
    return 0;
}

static atomic_int detached;

void px_listener_detach(px_thread *th)
{
    if (!th->accept_ev)
        return;
    if (th->accept_resume_ev) {
        event_free(th->accept_resume_ev);
        th->accept_resume_ev = NULL;
    }
    for (int i = 0; i < th->naccept; i++)
        if (th->accept_ev[i])
            event_free(th->accept_ev[i]);
    free(th->accept_ev);
    th->accept_ev = NULL;
    /* The last thread to stop accepting closes the sockets, so new clients
     * are refused at once instead of waiting in the backlog. */
    if (atomic_fetch_add(&detached, 1) + 1 == px_g.nthreads) {
        for (int i = 0; i < px_g.nlisten; i++) {
            close(px_g.lfds[i]);
            if (px_g.laddrs[i].ss.ss_family == AF_UNIX && px_g.laddrs[i].fd < 0) {
                const struct sockaddr_un *un = (const void *)&px_g.laddrs[i].ss;
                if (un->sun_path[0])
                    unlink(un->sun_path);
            }
        }
    }
}

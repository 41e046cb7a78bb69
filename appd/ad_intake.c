/* ad_intake.c: accepted proxy connections wait for their HELLO so each goes
 * to the worker its proxy asks for.  Handing every connection to the least
 * connected worker left a proxy thread stuck on a subset of workers: two
 * threads dialling in turn each got the same worker back on every dial
 * (ties go to the lowest index), 14 connections in 0.3 s and no second
 * worker (see ad_intake.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ad_intake.h"
#include "ad_procs.h"
#include "tc_log.h"
#include "tp.h"

typedef struct {
    int fd;
    uint64_t since_ms; /* accepted at */
    int heard;         /* the HELLO is read (or unreadable): it goes when a worker can take it */
    uint32_t want;     /* the worker index it asks for, 0 any */
} waiting_conn;

static waiting_conn waiting[AD_INTAKE_MAX];
static unsigned nwaiting;

enum { PEEK_WAIT, PEEK_HEARD, PEEK_GONE };

/* Looks at the connection's first bytes without taking them.  A HELLO
 * that does not decode still counts as heard: its worker will say why. */
static int peek_hello(waiting_conn *w)
{
    uint8_t b[TP_HEADER_SIZE + TP_HELLO_SIZE];
    ssize_t n;
    do {
        n = recv(w->fd, b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return PEEK_GONE;
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? PEEK_WAIT : PEEK_GONE;
    tp_frame_header fh;
    int rc = tp_frame_header_decode(b, (size_t)n, TP_MAX_PAYLOAD, &fh);
    if (rc == TP_E_AGAIN)
        return PEEK_WAIT;
    w->heard = 1;
    if (rc != TP_OK || fh.type != TP_FRAME_HELLO || fh.length != TP_HELLO_SIZE)
        return PEEK_HEARD;
    if ((size_t)n < sizeof b) {
        w->heard = 0;
        return PEEK_WAIT;
    }
    tp_hello h;
    if (tp_decode_hello(b + TP_HEADER_SIZE, TP_HELLO_SIZE, &h) == TP_OK &&
        h.role == TP_ROLE_PROXY)
        w->want = h.worker_index;
    return PEEK_HEARD;
}

static void forget(unsigned i)
{
    waiting[i] = waiting[--nwaiting];
}

/* 1 when the connection left the intake (handed or dropped). */
static int try_hand(waiting_conn *w, uint64_t now)
{
    if (!w->heard) {
        int st = peek_hello(w);
        if (st == PEEK_GONE) {
            close(w->fd);
            return 1;
        }
        if (st == PEEK_WAIT) {
            if (now < w->since_ms + AD_INTAKE_WAIT_MS)
                return 0;
            w->heard = 1; /* silent too long: any worker, and no more polling it */
        }
    }
    ad_proc *p = ad_procs_pick(w->want);
    if (p == NULL)
        return 0; /* no worker is ready: it waits for one */
    ad_procs_hand(p, w->fd, w->want);
    return 1;
}

int ad_intake_wants_accept(void) { return nwaiting < AD_INTAKE_MAX && ad_procs_can_accept(); }

void ad_intake_accept(int listen_fd, uint64_t now)
{
    while (nwaiting < AD_INTAKE_MAX) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                tc_error("accept: %s", strerror(errno));
            return;
        }
        waiting_conn *w = &waiting[nwaiting++];
        *w = (waiting_conn){ .fd = fd, .since_ms = now };
        if (try_hand(w, now))
            forget(nwaiting - 1);
    }
}

unsigned ad_intake_poll_set(struct pollfd *pfd, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nwaiting && n < max; i++)
        if (!waiting[i].heard) /* a heard one stays readable: polling it would spin */
            pfd[n++] = (struct pollfd){ waiting[i].fd, POLLIN, 0 };
    return n;
}

void ad_intake_serve(uint64_t now)
{
    for (unsigned i = 0; i < nwaiting;) {
        if (try_hand(&waiting[i], now))
            forget(i);
        else
            i++;
    }
}

int ad_intake_wait_ms(uint64_t now, int max)
{
    int timeout = max;
    for (unsigned i = 0; i < nwaiting; i++) {
        const waiting_conn *w = &waiting[i];
        if (w->heard)
            continue;
        uint64_t due = w->since_ms + AD_INTAKE_WAIT_MS;
        int left = due > now ? (int)(due - now) : 0;
        if (left < timeout)
            timeout = left;
    }
    return timeout;
}

void ad_intake_close_all(void)
{
    while (nwaiting)
        close(waiting[--nwaiting].fd);
}

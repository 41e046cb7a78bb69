/* px_conn_pp.c: a connection's PROXY protocol header (proxy_protocol), read
 * before TLS or HTTP.  The bytes are peeked (MSG_PEEK, woken edge-triggered
 * as more arrive) and only the header's own are taken from the socket, so
 * what follows it (a ClientHello, a request) is still there for the
 * I/O px_conn_start_io sets up on the socket.  Its source becomes the
 * connection's peer (REMOTE_ADDR, logs); trust (forwarded_allow_ips) stays
 * with the address that connected. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/event.h>
#include "px_conn.h"
#include "px_listener.h"
#include "px_proxyproto.h"
#include "px_thread.h"
#include "px_trust.h"
#include "tc_log.h"

/* One buffer per thread, for the largest header: a peek copies into it. */
static _Thread_local uint8_t *peek_buf;

static void pp_noop(px_conn *c) { (void)c; }

static void pp_stop(px_conn *c)
{
    if (c->pp_ev) {
        event_free(c->pp_ev);
        c->pp_ev = NULL;
    }
}

static void pp_give_up(px_conn *c)
{
    tc_debug("conn %u: no complete PROXY header from %s in time: closed", c->id, c->peer_ip);
    px_conn_close(c, PX_CLOSE_NOW);
}

static void pp_close(px_conn *c) { px_conn_close(c, PX_CLOSE_NOW); }

static const px_conn_ops pp_ops = {
    .name = "PROXY header",
    .start = pp_noop,
    .on_read = pp_noop, /* reads are pp_read_cb's: the socket's I/O is not set up yet */
    .on_write = pp_noop,
    .on_timeout = pp_give_up,
    .shutdown = pp_close,
    .flush = pp_noop,
    .detach = pp_noop,
    .release = pp_stop,
};

/* The header's word taken: the client it names is the connection's peer. */
static void adopt(px_conn *c, const px_pp_header *h)
{
    c->pp_proto = h->proto;
    if (!h->has_addr)
        return; /* LOCAL, UNKNOWN...: the connection's own endpoints stand */
    tc_debug("conn %u: PROXY %s from %s: client %s port %u", c->id, h->proto, c->peer_ip, h->src,
             h->src_port);
    memcpy(c->peer_ip, h->src, sizeof h->src);
    c->peer_port = h->src_port;
    memcpy(c->pp_dst, h->dst, sizeof h->dst);
    c->pp_dst_port = h->dst_port;
}

/* Takes exactly the header's bytes off the socket (they were peeked, so
 * they are all there). */
static int consume(px_conn *c, size_t len)
{
    ssize_t n;
    do
        n = recv(c->fd, peek_buf, len, 0);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)len ? 0 : -1;
}

static void refuse(px_conn *c, const char *what, const char *why)
{
    tc_warn("conn %u: %s from %s%s%s: connection closed", c->id, what, c->peer_ip, why ? ": " : "",
            why ? why : "");
    px_conn_close(c, PX_CLOSE_NOW);
}

/* The peeked bytes say it all (DONE, NONE, BAD): on with the connection,
 * or closed. */
static void decided(px_conn *c, int rc, const px_pp_header *h, const char *why)
{
    if (rc == PX_PP_BAD && c->pp_allowed) {
        refuse(c, "bad PROXY header", why);
        return;
    }
    if ((rc == PX_PP_DONE || rc == PX_PP_BAD) && !c->pp_allowed) {
        refuse(c, "PROXY header (not in proxy_allow_ips)", NULL);
        return;
    }
    pp_stop(c);
    if (rc == PX_PP_DONE) {
        if (consume(c, h->len) < 0) {
            refuse(c, "PROXY header", "cannot read it");
            return;
        }
        adopt(c, h);
    }
    px_conn_start_io(c);
}

static void pp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    px_conn *c = arg;
    (void)what;
    if (!peek_buf && !(peek_buf = malloc(PX_PP_V2_MAX))) {
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    ssize_t n = recv(fd, peek_buf, PX_PP_V2_MAX, MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        px_conn_close(c, PX_CLOSE_NOW); /* gone before it said anything useful */
        return;
    }
    px_pp_header h;
    const char *why;
    int rc = px_pp_parse(peek_buf, (size_t)n, c->limits->proxy_protocol, &h, &why);
    if (rc != PX_PP_AGAIN)
        decided(c, rc, &h, why);
    /* PX_PP_AGAIN: the next bytes wake us (edge-triggered: what is
     * buffered already does not), or the timer gives up. */
}

int px_conn_pp_start(px_conn *c)
{
    c->ops = &pp_ops;
    c->pp_ev = event_new(c->th->base, c->fd, EV_READ | EV_ET | EV_PERSIST, pp_read_cb, c);
    if (!c->pp_ev || event_add(c->pp_ev, NULL) < 0) {
        px_conn_close(c, PX_CLOSE_NOW);
        return -1;
    }
    return 0;
}

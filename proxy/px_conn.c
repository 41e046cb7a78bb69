/* px_conn.c: a client connection (px_conn.h): accept, the TLS handshake and
 * the protocol chosen by ALPN, I/O callbacks handed to the protocol's
 * table, timers, and closing (flush, then a lingering close so a response
 * is not lost to a TCP reset). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "px_conn.h"
#include "px_limits.h"
#include "px_listener.h"
#include "px_counters.h"
#include "px_proto.h"
#include "px_proxyproto.h"
#include "px_thread.h"
#include "px_tls_client.h"
#include "px_trust.h"
#include "tc_log.h"

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);

/* ---- before a protocol: the TLS handshake ---- */

static void choose_protocol(px_conn *c)
{
    const unsigned char *p = NULL;
    unsigned len = 0;
    SSL_get0_alpn_selected(c->ssl, &p, &len);
    c->sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
    const px_conn_ops *ops = len ? px_proto_by_alpn(p, len, &c->alpn) : NULL;
    /* No ALPN: what such clients speak (HTTP/1.1 when enabled).  The
     * selection callback only ever picks what we offer. */
    px_conn_switch(c, ops ? ops : px_proto_conn_ops(c->lis->no_alpn_proto));
}

/* Bytes before the handshake finished cannot reach a protocol. */
static void handshake_read(px_conn *c) { (void)c; }

void px_conn_handshake_done(px_conn *c)
{
    if (!c->closing)
        choose_protocol(c);
}

static void handshake_noop(px_conn *c) { (void)c; }

static void handshake_give_up(px_conn *c) { px_conn_close(c, PX_CLOSE_NOW); }

static const px_conn_ops handshake_ops = {
    .name = "TLS handshake",
    .start = handshake_noop,
    .on_read = handshake_read,
    .on_write = handshake_noop,
    .on_timeout = handshake_give_up, /* handshake too slow */
    .shutdown = handshake_give_up,
    .flush = handshake_noop,
    .detach = handshake_noop,
    .release = handshake_noop,
};

/* ---- life ---- */

static px_conn *conn_alloc(px_thread *th)
{
    size_t size = px_proto_conn_size();
    px_conn *c = th->free_conns;
    if (c) {
        th->free_conns = c->next;
        memset(c, 0, size);
        return c;
    }
    return calloc(1, size);
}

static void conn_unalloc(px_conn *c)
{
    c->next = c->th->free_conns;
    c->th->free_conns = c;
}

void px_conn_set_timer(px_conn *c, const struct timeval *tv)
{
    if (tv)
        evtimer_add(&c->timer, tv);
    else
        evtimer_del(&c->timer);
}

/* Peer and local addresses, TCP_NODELAY, and whether the peer is trusted. */
static void conn_addresses(px_conn *c)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    unsigned port = 0;
    if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0) {
        tc_sockaddr_text((struct sockaddr *)&ss, c->peer_ip, sizeof c->peer_ip, &port);
        c->peer_port = (uint16_t)port;
        if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
            /* h2 and pipelined h1 write small frames we want out now. */
            int one = 1;
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        /* Decided once, by the address that connected: only trusted peers
         * may turn the connection into h2c, or send a PROXY header. */
        c->trusted = (uint8_t)px_trust_match(c->limits->trust, (struct sockaddr *)&ss);
        c->pp_allowed = (uint8_t)px_trust_match(c->limits->proxy_trust, (struct sockaddr *)&ss);
    }
    sl = sizeof ss;
    if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0) {
        tc_sockaddr_text((struct sockaddr *)&ss, c->local_ip, sizeof c->local_ip, &port);
        c->local_port = (uint16_t)port;
    }
}

/* The connection owns its fd and SSL; the I/O owns its buffers and
 * events (px_conn_io.c). */
static int conn_open_io(px_conn *c)
{
    if (c->lis->ssl_ctx) {
        /* The thread's context: the certificate of the last reload. */
        c->ssl = SSL_new(c->th->tls[c->lis->index]);
        if (!c->ssl)
            return -1;
        c->tls = 1;
    }
    return px_conn_io_open(c);
}

void px_conn_accept(px_thread *th, int fd, size_t li, px_admit_ip *ip)
{
    px_conn *c = conn_alloc(th);
    if (!c) {
        close(fd);
        px_listener_conn_closed(th, ip);
        return;
    }
    c->admit_ip = ip;
    c->th = th;
    c->fd = fd;
    c->lis = px_listener_at(li);
    c->limits = &th->limits[li];
    c->id = ++th->conn_seq * (uint32_t)px_thread_count() + (uint32_t)th->index;
    conn_addresses(c);
    c->alpn = "";
    c->ops = &handshake_ops;
    evtimer_assign(&c->timer, th->base, conn_timer_cb, c);
    c->next = th->conns;
    if (th->conns)
        th->conns->prev = c;
    th->conns = c;
    th->nconns++;
    px_counters_conn_open(th);
    /* A PROXY header, the handshake and the first request must each come
     * within --timeout. */
    px_conn_set_timer(c, c->limits->tv_timeout ? c->limits->tv_timeout : c->limits->tv_keepalive);
    if (c->limits->proxy_protocol != PX_PP_OFF)
        px_conn_pp_start(c);
    else
        px_conn_start_io(c);
}

void px_conn_start_io(px_conn *c)
{
    if (conn_open_io(c) < 0) {
        tc_warn("conn %u: out of memory for its TLS or buffers: dropped", c->id);
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    c->ops = &handshake_ops;
    px_conn_set_timer(c, c->limits->tv_timeout ? c->limits->tv_timeout : c->limits->tv_keepalive);
    if (!c->tls)
        px_conn_switch(c, px_proto_conn_ops(c->lis->cleartext_proto));
}

void px_conn_handover(px_conn *c, const px_conn_ops *ops)
{
    c->ops->release(c);
    /* The protocol area (everything past the generic part) starts zeroed. */
    memset((char *)c + sizeof *c, 0, px_proto_conn_size() - sizeof *c);
    c->ops = ops;
}

void px_conn_switch(px_conn *c, const px_conn_ops *ops)
{
    px_conn_handover(c, ops);
    ops->start(c);
}

static void linger_start(px_conn *c)
{
    /* Output is flushed: say goodbye (close_notify, FIN), then read and drop
     * what the client still sends for a moment, so our response is not
     * destroyed by the reset a close with unread input would cause. */
    c->closing = PX_CLOSE_LINGER;
    px_conn_io_linger(c);
    px_conn_set_timer(c, c->limits->tv_linger);
}

void px_conn_io_drained(px_conn *c)
{
    if (c->closing == PX_CLOSE_FLUSH)
        linger_start(c);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    px_conn *c = arg;
    if (c->closing || px_conn_io_wake(c) < 0)
        px_conn_close(c, PX_CLOSE_NOW);
    else
        c->ops->on_timeout(c);
}

void px_conn_pause_read(px_conn *c, int pause)
{
    if (!pause == !c->read_paused)
        return;
    c->read_paused = (uint8_t)!!pause;
    px_conn_io_update_read(c);
    /* Records OpenSSL read ahead while paused wake no socket event. */
    if (!pause && c->ssl && SSL_has_pending(c->ssl))
        px_conn_io_read_later(c);
}

void px_conn_mark_dirty(px_conn *c)
{
    if (c->dirty || c->closing == PX_CLOSE_NOW)
        return;
    c->dirty = 1;
    c->dirty_next = c->th->dirty;
    c->th->dirty = c;
    px_thread_schedule_flush(c->th);
}

void px_conn_flush(px_conn *c)
{
    if (c->closing == PX_CLOSE_NOW || c->reaped)
        return;
    /* What the protocol writes now goes out just below: no second mark. */
    c->io.flushing = 1;
    c->ops->flush(c);
    c->io.flushing = 0;
    px_conn_io_send(c);
}

void px_conn_shutdown(px_conn *c)
{
    if (c->closing)
        return;
    if (px_conn_io_wake(c) < 0)
        px_conn_close(c, PX_CLOSE_NOW);
    else
        c->ops->shutdown(c);
}

void px_conn_close(px_conn *c, int how)
{
    if (c->closing == PX_CLOSE_NOW)
        return;
    if (!c->io.open)
        how = PX_CLOSE_NOW; /* still reading a PROXY header: nothing to flush */
    if (how == PX_CLOSE_FLUSH) {
        if (c->closing)
            return;
        c->closing = PX_CLOSE_FLUSH;
        px_conn_io_update_read(c);
        evtimer_del(&c->timer);
        /* Nothing more will be written for the streams; the client's
         * responses are complete or abandoned. */
        c->ops->detach(c);
        if (c->closing != PX_CLOSE_FLUSH)
            return;
        if (px_conn_io_pending(c) == 0) {
            linger_start(c);
            return;
        }
        /* Bound the flush too: a client that never reads is dropped. */
        px_conn_set_timer(c, c->limits->tv_timeout ? c->limits->tv_timeout : c->limits->tv_linger);
        px_conn_mark_dirty(c);
        return;
    }
    c->closing = PX_CLOSE_NOW;
    evtimer_del(&c->timer);
    px_conn_io_close_events(c);
    c->ops->detach(c);
    /* Off the live list; freed at the end of this turn, after any callback
     * still on the stack has returned. */
    px_thread *th = c->th;
    if (c->prev)
        c->prev->next = c->next;
    else if (th->conns == c)
        th->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = th->reap_conns;
    th->reap_conns = c;
    c->reaped = 1;
    px_thread_schedule_flush(th);
}

void px_conn_free_reaped(px_conn *c)
{
    px_thread *th = c->th;
    if (c->dirty) {
        for (px_conn **pp = &th->dirty; *pp; pp = &(*pp)->dirty_next)
            if (*pp == c) {
                *pp = c->dirty_next;
                break;
            }
        c->dirty = 0;
    }
    c->ops->release(c);
    free(c->client);
    c->client = NULL;
    px_conn_io_close(c); /* its events first: then the SSL and fd they watch */
    if (c->ssl)
        SSL_free(c->ssl);
    close(c->fd);
    c->ssl = NULL;
    th->nconns--;
    px_counters_conn_close(th);
    px_listener_conn_closed(th, c->admit_ip);
    c->admit_ip = NULL;
    px_queue_flow_free(&c->flow); /* detach took every stream out of the queue */
    conn_unalloc(c);
}

/* ---- the path to the client ---- */

struct evbuffer *px_conn_in(px_conn *c) { return c->io.in; }

struct evbuffer *px_conn_out(px_conn *c) { return c->io.out; }

size_t px_conn_out_len(px_conn *c) { return px_conn_io_pending(c); }

void px_conn_set_read_high(px_conn *c, size_t high) { px_conn_io_set_read_high(c, high); }

void px_conn_read_later(px_conn *c) { px_conn_io_read_later(c); }

static tp_str cstr(const char *s)
{
    return s ? (tp_str){ (const uint8_t *)s, (uint32_t)strlen(s) }
             : (tp_str){ (const uint8_t *)"", 0 };
}

void px_conn_fill_head(px_conn *c, tp_request_head *h)
{
    if (c->tls)
        h->flags |= TP_REQ_TLS;
    h->peer_port = c->peer_port;
    h->local_port = c->local_port;
    h->conn_id = c->id;
    h->peer_addr = cstr(c->peer_ip);
    h->local_addr = cstr(c->local_ip);
    h->tls_version = cstr(c->ssl ? SSL_get_version(c->ssl) : "");
    h->tls_cipher = cstr(c->ssl ? SSL_get_cipher_name(c->ssl) : "");
    h->alpn = cstr(c->alpn);
    h->sni = cstr(c->sni);
    if (c->ssl && !c->client)
        c->client = px_tls_client_new(c->ssl);
    px_tls_client_fill(c->client, h);
    h->proxy_protocol = cstr(c->pp_proto);
    h->proxy_addr = cstr(c->pp_dst);
    h->proxy_port = c->pp_dst_port;
}

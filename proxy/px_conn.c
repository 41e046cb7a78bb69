/* px_conn.c: a client connection: accept, TLS handshake, protocol choice by
 * ALPN, I/O callbacks handed to the h1 or h2 side, timers, and closing
 * (flush, then lingering close so a response is not lost to a TCP reset). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include "px.h"
#include "tc_log.h"

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);
static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);

static px_conn *conn_alloc(px_thread *th)
{
    px_conn *c = th->free_conns;
    if (c) {
        th->free_conns = c->next;
        /* Keep the header array: it is the part worth reusing. */
        tp_header *h = c->h1_hdrs;
        uint32_t cap = c->h1_hdr_cap;
        memset(c, 0, sizeof *c);
        c->h1_hdrs = h;
        c->h1_hdr_cap = cap;
    } else {
        c = calloc(1, sizeof *c);
    }
    return c;
}

void px_conn_set_timer(px_conn *c, const struct timeval *tv)
{
    if (tv)
        evtimer_add(&c->timer, tv);
    else
        evtimer_del(&c->timer);
}

void px_conn_accept(px_thread *th, int fd)
{
    px_conn *c = conn_alloc(th);
    if (!c) {
        close(fd);
        return;
    }
    c->th = th;
    c->fd = fd;
    c->id = ++th->conn_seq * (uint32_t)px_g.nthreads + (uint32_t)th->index;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    unsigned port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        tc_sockaddr_text((struct sockaddr *)&ss, c->peer_ip, sizeof c->peer_ip, &port);
        c->peer_port = (uint16_t)port;
        if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
            /* h2 and pipelined h1 write small frames we want out now. */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        /* Decided once: only trusted peers may turn the connection into h2c. */
        c->trusted = (uint8_t)px_trust_match(&px_g.cfg->trust, (struct sockaddr *)&ss);
    }
    sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        tc_sockaddr_text((struct sockaddr *)&ss, c->local_ip, sizeof c->local_ip, &port);
        c->local_port = (uint16_t)port;
    }
    if (px_g.ssl_ctx) {
        c->ssl = SSL_new(px_g.ssl_ctx);
        if (!c->ssl) {
            close(fd);
            c->next = th->free_conns;
            th->free_conns = c;
            return;
        }
        c->tls = 1;
        c->bev = bufferevent_openssl_socket_new(th->base, fd, c->ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE);
        if (c->bev)
            bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    } else {
        c->bev = bufferevent_socket_new(th->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!c->bev) {
        if (c->ssl)
            SSL_free(c->ssl);
        close(fd);
        c->next = th->free_conns;
        th->free_conns = c;
        return;
    }
    c->alpn = "";
    evtimer_assign(&c->timer, th->base, conn_timer_cb, c);
    bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
    /* Reads take what the socket has, in large chunks. */
    bufferevent_set_max_single_read(c->bev, 64 * 1024);
    bufferevent_set_max_single_write(c->bev, 256 * 1024);
    bufferevent_setwatermark(c->bev, EV_WRITE, PX_OUT_LOW, 0);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->next = th->conns;
    if (th->conns)
        th->conns->prev = c;
    th->conns = c;
    th->nconns++;
    /* Handshake and first request must come within --timeout. */
    px_conn_set_timer(c, th->tv_timeout ? th->tv_timeout : th->tv_keepalive);
    if (!c->tls) {
        c->proto = PX_PROTO_H1;
        px_h1_start(c);
    }
}

static void choose_protocol(px_conn *c)
{
    const unsigned char *p = NULL;
    unsigned len = 0;
    SSL_get0_alpn_selected(c->ssl, &p, &len);
    c->sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
    if (len == 2 && memcmp(p, "h2", 2) == 0) {
        c->proto = PX_PROTO_H2;
        c->alpn = "h2";
    } else if (len) {
        c->proto = PX_PROTO_H1;
        c->alpn = "http/1.1";
    } else {
        /* No ALPN: HTTP/1.1 when enabled (what such clients speak). */
        c->proto = px_g.cfg->h1 ? PX_PROTO_H1 : PX_PROTO_H2;
    }
    if (c->proto == PX_PROTO_H2) {
        if (px_h2_start(c) < 0)
            px_conn_close(c, PX_CLOSE_NOW);
    } else {
        px_h1_start(c);
    }
}

static void linger_start(px_conn *c)
{
    /* Output is flushed: say goodbye (close_notify, FIN), then read and drop
     * what the client still sends for a moment, so our response is not
     * destroyed by the reset a close with unread input would cause. */
    if (c->ssl) {
        SSL_set_quiet_shutdown(c->ssl, 0);
        (void)SSL_shutdown(c->ssl);
        ERR_clear_error();
    }
    shutdown(c->fd, SHUT_WR);
    c->closing = PX_CLOSE_LINGER;
    bufferevent_enable(c->bev, EV_READ);
    evbuffer_drain(bufferevent_get_input(c->bev), evbuffer_get_length(bufferevent_get_input(c->bev)));
    px_conn_set_timer(c, c->th->tv_linger);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    px_conn *c = arg;
    if (c->closing) {
        struct evbuffer *in = bufferevent_get_input(bev);
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    if (c->proto == PX_PROTO_NONE)
        choose_protocol(c);
    if (c->closing)
        return;
    if (c->proto == PX_PROTO_H2)
        px_h2_on_read(c);
    else
        px_h1_on_read(c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    px_conn *c = arg;
    if (c->closing == PX_CLOSE_FLUSH) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            linger_start(c);
        return;
    }
    if (c->closing)
        return;
    if (c->proto == PX_PROTO_H2)
        px_h2_on_write(c);
    else if (c->proto == PX_PROTO_H1)
        px_h1_on_write(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    px_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        if (c->proto == PX_PROTO_NONE && !c->closing)
            choose_protocol(c);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        if (c->closing == PX_CLOSE_NONE && (what & BEV_EVENT_ERROR) && c->proto == PX_PROTO_NONE) {
            unsigned long e = bufferevent_get_openssl_error(bev);
            if (e) {
                char buf[256];
                ERR_error_string_n(e, buf, sizeof buf);
                tc_debug("conn %u: TLS handshake failed: %s", c->id, buf);
            }
        }
        /* EOF means the client left (as nginx reads it): a half-closed
         * HTTP/1 client is not told apart, and its request is cancelled so
         * the worker is free at once. */
        px_conn_close(c, PX_CLOSE_NOW);
    }
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    px_conn *c = arg;
    if (c->closing) {
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    if (c->proto == PX_PROTO_H2)
        px_h2_on_timeout(c);
    else if (c->proto == PX_PROTO_H1)
        px_h1_on_timeout(c);
    else
        px_conn_close(c, PX_CLOSE_NOW); /* handshake too slow */
}

void px_conn_pause_read(px_conn *c, int pause)
{
    if (pause && !c->read_paused) {
        c->read_paused = 1;
        bufferevent_disable(c->bev, EV_READ);
    } else if (!pause && c->read_paused) {
        c->read_paused = 0;
        bufferevent_enable(c->bev, EV_READ);
    }
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
    if (c->proto == PX_PROTO_H2)
        px_h2_flush(c);
}

void px_conn_shutdown(px_conn *c)
{
    if (c->closing)
        return;
    if (c->proto == PX_PROTO_H2)
        px_h2_shutdown(c);
    else if (c->proto == PX_PROTO_H1)
        px_h1_shutdown(c);
    else
        px_conn_close(c, PX_CLOSE_NOW);
}

static void detach_streams(px_conn *c)
{
    if (c->cur) {
        px_stream *s = c->cur;
        c->cur = NULL;
        px_stream_client_gone(s);
    }
    while (c->streams) {
        px_stream *s = c->streams;
        c->streams = s->next;
        s->next = s->prev = NULL;
        px_stream_client_gone(s);
    }
    c->nstreams = 0;
}

void px_conn_close(px_conn *c, int how)
{
    if (c->closing == PX_CLOSE_NOW)
        return;
    if (how == PX_CLOSE_FLUSH) {
        if (c->closing)
            return;
        c->closing = PX_CLOSE_FLUSH;
        bufferevent_disable(c->bev, EV_READ);
        bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
        evtimer_del(&c->timer);
        /* Nothing more will be written for the streams; the client's
         * responses are complete or abandoned. */
        detach_streams(c);
        if (c->closing != PX_CLOSE_FLUSH)
            return;
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
            linger_start(c);
        else
            /* Bound the flush too: a client that never reads is dropped. */
            px_conn_set_timer(c, c->th->tv_timeout ? c->th->tv_timeout : c->th->tv_linger);
        return;
    }
    c->closing = PX_CLOSE_NOW;
    evtimer_del(&c->timer);
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    detach_streams(c);
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
    if (c->h2)
        px_h2_free(c);
    if (c->bev)
        bufferevent_free(c->bev); /* frees the SSL and closes the fd */
    c->bev = NULL;
    c->ssl = NULL;
    th->nconns--;
    c->next = th->free_conns;
    th->free_conns = c;
}

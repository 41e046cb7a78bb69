/* px_listener.h: the listening sockets and what a connection accepted on
 * one inherits: TLS context, protocols, limits (with the trusted peers).  Sockets are
 * bound once at startup (a port in use is an error, hence no SO_REUSEPORT)
 * and every thread's loop accepts from each of them. */
#ifndef TANDEM_PX_LISTENER_H
#define TANDEM_PX_LISTENER_H

#include <stddef.h>
#include <openssl/ssl.h>
#include "tc_addr.h"
#include "px_forwarded.h"
#include "px_limits.h"
#include "px_settings.h"
#include "px_trust.h"

typedef struct px_thread px_thread;

typedef struct px_listener {
    size_t index; /* in the listeners' array: the thread's tls[] and limits[] */
    int fd;
    tc_addr addr;
    SSL_CTX *ssl_ctx;      /* NULL: cleartext HTTP/1.x (and h2c for trusted peers) */
    int h2c_mode;                /* PX_H2C_* allowed to trusted peers */
    uint8_t no_alpn_proto;       /* PX_PROTO_* for a TLS client that negotiates no ALPN */
    uint8_t cleartext_proto;     /* PX_PROTO_* a cleartext connection starts with */
    px_limits limits;            /* template: each thread keeps a copy with its own timers */
} px_listener;

/* Binds every --bind address of cfg, or takes the socket systemd passed for
 * it (tc_sdlisten.h).  ssl_ctx (borrowed, may be NULL) is used by each.  0,
 * or -1 with "cannot listen on ADDRESS: cause" or the LISTEN_FDS error in err. */
int px_listeners_open(const px_settings *cfg, SSL_CTX *ssl_ctx, char *err, size_t errlen);
size_t px_listener_count(void);
const px_listener *px_listener_at(size_t i);

/* Gives th its accept events, its copies of the listeners' limits and a
 * reference to each one's TLS context (th->tls, which a reload replaces).
 * 0, or -1 (out of memory or libevent failure). */
int px_listener_attach(px_thread *th);
/* A connection accepted by th is gone: its place (px_admit.h) is given
 * back, and th accepts again if it had paused at max_connections. */
typedef struct px_admit_ip px_admit_ip;
void px_listener_conn_closed(px_thread *th, px_admit_ip *ip);
/* th stops accepting; the last thread to stop closes the sockets. */
void px_listener_detach(px_thread *th);

#endif

/* px_reload.h: SIGHUP in tandem-proxy.  The settings are read again from
 * every source, as at start-up; what can change without binding again (the
 * certificate and key, the TLS options (cert_reqs, ca_certs, ciphers,
 * tls_ciphersuites, tls_min_version, suppress_ragged_eofs), timeouts,
 * request limits (limit_request_body too), HTTP/2 settings, the wait queue,
 * the trusted peers (forwarded_allow_ips, secure_scheme_headers,
 * proxy_protocol, proxy_allow_ips), graceful_timeout, loglevel) goes to
 * each thread, which takes it at
 * its next wake-up for the connections it accepts from then on; the
 * access log, syslog and statsd (px_stream_log.h) change for every
 * request that ends from each thread's next loop turn.  Open
 * connections keep the certificate (their TLS session) and the limits they
 * started with, so none is dropped.  max_connections and
 * max_connections_per_ip apply at once to the next accept.  Settings that
 * cannot change keep their value, with a warning naming them. */
#ifndef TANDEM_PX_RELOAD_H
#define TANDEM_PX_RELOAD_H

#include "px_limits.h"
#include "px_settings.h"

typedef struct px_thread px_thread;

/* What the threads will take: per listener, the limits and a reference to
 * the TLS context (NULL for cleartext listeners). */
typedef struct px_reload_set {
    px_limits *limits;
    struct ssl_ctx_st **tls;
} px_reload_set;

/* Remembers the command line and the running settings (which must outlive
 * the threads: the ALPN choice and the first limits' trusted networks are
 * read from them).  0, or -1 when out of memory. */
int px_reload_init(int argc, char **argv, const px_settings *running);

/* The main thread, on SIGHUP.  A source or a certificate that fails
 * changes nothing (logged). */
void px_reload(void);

/* A thread takes what px_reload published for it, if anything. */
void px_reload_take(px_thread *th);
/* A thread that has ended frees its references and old limits. */
void px_reload_release(px_thread *th);

#endif

/* px_settings.h: tandem-proxy's settings (Gunicorn names) and the pure
 * helpers that check them: protocol list, ALPN wire list and selection. */
#ifndef TANDEM_PX_SETTINGS_H
#define TANDEM_PX_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include "tc_logsinks.h"
#include "tc_opt.h"
#include "px_trust.h"

/* PX_PROTO_WS, the WebSocket tunnel an HTTP/1.1 connection becomes after a
 * 101, is never chosen by ALPN or listed in http_protocols. */
enum px_proto { PX_PROTO_NONE = 0, PX_PROTO_H1 = 1, PX_PROTO_H2 = 2, PX_PROTO_WS = 3 };

/* tls_min_version, in its choices' order. */
enum { PX_TLS_MIN_12 = 0, PX_TLS_MIN_13 = 1 };

/* http2_cleartext: how a trusted peer may start HTTP/2 without TLS (bits). */
enum px_h2c { PX_H2C_OFF = 0, PX_H2C_PRIOR = 1, PX_H2C_UPGRADE = 2, PX_H2C_BOTH = 3 };

/* Settings given explicitly (command line), one bit each: an HTTP/2
 * setting that cannot take effect is worth a warning only then. */
enum {
    PX_SET_H2_STREAMS = 1 << 0,
    PX_SET_H2_WINDOW = 1 << 1,
    PX_SET_H2_FRAME = 1 << 2,
    PX_SET_H2_HEADER_LIST = 1 << 3,
    PX_SET_H2_CLEARTEXT = 1 << 4,
    /* Given field limits raise the head bound to Gunicorn's product (px_limits). */
    PX_SET_LIMIT_FIELDS = 1 << 5,
    PX_SET_LIMIT_FIELD_SIZE = 1 << 6,
};
#define PX_SET_LIMITS (PX_SET_LIMIT_FIELDS | PX_SET_LIMIT_FIELD_SIZE)

typedef struct {
    tc_strlist bind;
    char *upstream;
    char *certfile;
    char *keyfile;
    char *ca_certs;
    long long cert_reqs; /* Python's ssl.CERT_*: 0 none, 1 optional, 2 required */
    char *ciphers;       /* TLS 1.2 cipher list (OpenSSL syntax) */
    char *tls_ciphersuites;
    int tls_min_version; /* PX_TLS_MIN_* */
    int suppress_ragged_eofs;
    int do_handshake_on_connect;
    tc_strlist http_protocols;
    long long threads;
    long long keepalive;
    long long timeout;
    long long graceful_timeout;
    long long backlog;
    long long limit_request_line;
    long long limit_request_fields;
    long long limit_request_field_size;
    long long limit_request_body;
    long long http2_max_concurrent_streams;
    long long http2_initial_window_size;
    long long http2_max_frame_size;
    long long http2_max_header_list_size;
    int http2_cleartext; /* PX_H2C_* */
    tc_strlist forwarded_allow_ips;
    tc_strlist secure_scheme_headers; /* a dict: NAME, VALUE pairs (tc_opt.h) */
    int proxy_protocol;               /* enum px_pp_mode */
    tc_strlist proxy_allow_ips;
    long long max_queue;
    long long queue_timeout;
    long long websocket_max_message_size;
    long long websocket_ping_interval;
    long long websocket_ping_timeout;
    char *loglevel;
    char *errorlog;
    char *accesslog;
    char *access_log_format;
    int disable_redirect_access_to_syslog;
    int syslog;
    tc_logsinks_settings sinks;
    char *pidfile;
    char *config; /* -c: the file these came from (command line only) */
    int check_config;
    int print_config;
    long long max_connections;        /* client connections held at once, all threads */
    long long max_connections_per_ip; /* ...from one client address */
    long long http2_idle_timeout; /* an h2 connection with no stream stays open */
    char *control_socket; /* tandemctl's socket; NULL: derived from upstream */
    long long control_socket_mode;
    int control_socket_disable;
    char *admin_bind; /* the admin listener (px_admin.c); NULL: none */
    int admin_allow_remote;
    char *user;      /* after binding, the proxy runs as this user (name or uid) */
    char *group;     /* ... and group (name or gid) */
    long long umask; /* for Unix listening sockets */
    int initgroups;  /* keep the user's supplementary groups */
    int daemon;      /* detach from the terminal */
    int reuse_port;  /* SO_REUSEPORT on the listeners */
    long long header_timeout; /* a request head must arrive whole within it */
    long long request_buffer_size; /* bodies up to it are collected before a worker is taken */
    long long body_timeout;        /* ...within it; larger bodies keep pace */
    long long response_buffer_size; /* response bytes held per stream to free the worker */
    long long connection_buffer_size; /* response bytes held per client connection */

    /* Derived by px_settings_validate. */
    uint8_t protos[2]; /* PX_PROTO_* in server preference order */
    int nprotos;
    int h1, h2;    /* enabled; h2 without TLS only as h2c */
    int h2_listed; /* "h2" is in http_protocols */
    int tls;
    px_trust trust;        /* forwarded_allow_ips, parsed */
    px_trust proxy_trust;  /* proxy_allow_ips, parsed */
    unsigned explicit_set; /* PX_SET_* bits; cleared by px_settings_defaults */
    int log_level;
    int nthreads; /* threads resolved (0 -> CPUs) */
    /* The logs, once the log configuration (logconfig...) has had its say: */
    char error_path[4096];    /* the error log ("-": standard error) */
    char access_path[4096];   /* the access log ("-": standard output; "": none) */
    int error_syslog;         /* the error log goes to syslog too */
    int access_syslog;        /* the access log goes to syslog too */
    char logconfig_note[512]; /* what the log configuration asks that is not applied */
} px_settings;

extern const tc_opt px_settings_table[];

/* The h2c modes in force (PX_H2C_*): none with TLS or without h2 listed. */
static inline int px_h2c_mode(const px_settings *s)
{
    return !s->tls && s->h2 ? s->http2_cleartext : PX_H2C_OFF;
}

/* The syslog and statsd settings, for tc_logsinks (after px_settings_validate). */
static inline tc_logsinks_conf px_settings_logsinks(const px_settings *s)
{
    return tc_logsinks_conf_of(s->syslog, &s->sinks);
}

/* tc_opt_defaults and Gunicorn's defaults from the environment (bind
 * 0.0.0.0:$PORT when PORT is set, $FORWARDED_ALLOW_IPS), then forgets that
 * the defaults were "set". */
int px_settings_defaults(px_settings *s, char *err, size_t errlen);

/* Cross-field checks and derived values, after the table has been applied.
 * 0 or -1 with one line in err. */
int px_settings_validate(px_settings *s, char *err, size_t errlen);

/* The checks px_settings_validate makes of key's value alone (protocol
 * names, trusted networks, log level), for a config file's line; 0 for a
 * key without such checks. */
int px_settings_check_key(const void *settings, const char *key, char *err, size_t errlen);

/* After px_settings_validate: one line saying which explicitly given HTTP/2
 * settings can have no effect (no listener can negotiate h2, or h2c asked
 * for on TLS listeners), for a warning in the log; 0 when all is well. */
int px_settings_h2_unused(const px_settings *s, char *msg, size_t len);

/* "h2", "h1" (also "http/1.1"; items may be comma lists with blanks) -> protos in order.
 * Unknown or repeated token is an error naming it. */
int px_protocols_parse(const tc_strlist *l, uint8_t protos[2], int *n, char *err, size_t errlen);

/* ALPN selection honouring the server order: the first of protos that the
 * client offers.  Returns the chosen PX_PROTO_* or PX_PROTO_NONE, and the
 * client's bytes naming it in *out and *outlen (as OpenSSL wants). */
int px_alpn_select(const uint8_t *protos, int nprotos, const unsigned char *in, unsigned inlen,
                   const unsigned char **out, unsigned char *outlen);

#endif

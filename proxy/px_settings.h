/* px_settings.h: tandem-proxy's settings (Gunicorn names) and the pure
 * helpers that check them: protocol list, ALPN wire list and selection. */
#ifndef TANDEM_PX_SETTINGS_H
#define TANDEM_PX_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include "tc_opt.h"

enum px_proto { PX_PROTO_NONE = 0, PX_PROTO_H1 = 1, PX_PROTO_H2 = 2 };

typedef struct {
    tc_strlist bind;
    char *upstream;
    char *certfile;
    char *keyfile;
    tc_strlist http_protocols;
    long long threads;
    long long keepalive;
    long long timeout;
    long long graceful_timeout;
    long long backlog;
    long long limit_request_line;
    long long limit_request_fields;
    long long limit_request_field_size;
    long long http2_max_concurrent_streams;
    long long http2_initial_window_size;
    long long http2_max_frame_size;
    long long http2_max_header_list_size;
    long long max_queue;
    long long queue_timeout;
    char *loglevel;
    char *errorlog;
    char *pidfile;

    /* Derived by px_settings_validate. */
    uint8_t protos[2];        /* PX_PROTO_* in server preference order */
    int nprotos;
    int h1, h2;               /* enabled (h2 only with TLS) */
    int tls;
    int log_level;
    int nthreads;             /* threads resolved (0 -> CPUs) */
} px_settings;

extern const tc_opt px_settings_table[];

/* Cross-field checks and derived values, after the table has been applied.
 * 0 or -1 with one line in err. */
int px_settings_validate(px_settings *s, char *err, size_t errlen);

/* "h2", "h1" (also "http/1.1"; items may be comma lists with blanks) -> protos in order.
 * Unknown or repeated token is an error naming it. */
int px_protocols_parse(const tc_strlist *l, uint8_t protos[2], int *n, char *err, size_t errlen);

/* ALPN selection honouring the server order: the first of protos that the
 * client offers.  Returns the chosen PX_PROTO_* or PX_PROTO_NONE, and the
 * client's bytes naming it in *out and *outlen (as OpenSSL wants). */
int px_alpn_select(const uint8_t *protos, int nprotos, const unsigned char *in, unsigned inlen,
                   const unsigned char **out, unsigned char *outlen);

#endif

/* px_tls_client.h: what a TLS client's certificate says, as the request
 * head carries it (tandem-protocol(7), mod_ssl's SSL_CLIENT_* for the app):
 * worked out once per connection, on its first request. */
#ifndef TANDEM_PX_TLS_CLIENT_H
#define TANDEM_PX_TLS_CLIENT_H

#include <openssl/ssl.h>
#include "tp.h"

typedef struct px_tls_client {
    tp_str verify;  /* "SUCCESS", "NONE" (no certificate), "FAILED:reason" */
    tp_str cert;    /* PEM */
    tp_str s_dn;    /* subject, RFC 2253 */
    tp_str i_dn;    /* issuer, RFC 2253 */
    tp_str serial;  /* upper-case hex */
    tp_str v_start; /* notBefore, "Jan  1 00:00:00 2025 GMT" */
    tp_str v_end;   /* notAfter */
} px_tls_client;

/* The facts of ssl's client, the strings in the same heap block (one
 * free()); NULL when the server did not ask for a certificate (cert_reqs
 * 0) or memory ran out. */
px_tls_client *px_tls_client_new(SSL *ssl);

/* Points h's client_* strings at cc's (NULL: leaves them empty). */
void px_tls_client_fill(const px_tls_client *cc, tp_request_head *h);

#endif

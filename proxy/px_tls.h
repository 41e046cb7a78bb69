/* px_tls.h: the TLS context every listener and thread shares, made from
 * the settings in one call (so a reload can make a new one), and what a
 * connection's client certificate says, for the request head. */
#ifndef TANDEM_PX_TLS_H
#define TANDEM_PX_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>
#include "px_settings.h"

/* Certificate chain and key from cfg (checked to match), the least TLS
 * version (tls_min_version, 1.2 or 1.3), ciphers and TLS 1.3 suites, client
 * certificates (cert_reqs, checked against ca_certs), ragged EOFs
 * (suppress_ragged_eofs), ALPN in cfg's protocol order.  cfg must outlive
 * the context.  NULL with one line in err naming the setting or file and
 * the cause. */
SSL_CTX *px_tls_ctx_new(const px_settings *cfg, char *err, size_t errlen);
/* A reload's: the same from next (certificate, key and every TLS option),
 * but ALPN in running's protocol order (http_protocols cannot change while
 * the proxy runs).  running must outlive the context; next may be freed
 * once it returns. */
SSL_CTX *px_tls_ctx_reload(const px_settings *running, const px_settings *next, char *err,
                           size_t errlen);

#endif

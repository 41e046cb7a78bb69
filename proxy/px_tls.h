/* px_tls.h: the TLS context every listener and thread shares. */
#ifndef TANDEM_PX_TLS_H
#define TANDEM_PX_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>
#include "px_settings.h"

/* Certificate chain and key from cfg (checked to match), TLS >= 1.2, ALPN
 * in cfg's protocol order.  cfg must outlive the context.  NULL with one
 * line in err naming the file and the cause. */
SSL_CTX *px_tls_ctx_new(const px_settings *cfg, char *err, size_t errlen);
/* The same with files' certificate and key, and cfg's ALPN (a reload:
 * files may be freed once it returns). */
SSL_CTX *px_tls_ctx_reload(const px_settings *cfg, const px_settings *files, char *err,
                           size_t errlen);

#endif

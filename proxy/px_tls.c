/* px_tls.c: the one SSL_CTX every thread shares: certificate chain and key
 * (checked to match), TLS >= 1.2, and ALPN chosen in --http-protocols order. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "px_tls.h"

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    const px_settings *cfg = arg;
    if (px_alpn_select(cfg->protos, cfg->nprotos, in, inlen, out, outlen) != PX_PROTO_NONE)
        return SSL_TLSEXT_ERR_OK;
    /* Nothing in common.  With h1 enabled, go on without ALPN: the client
     * may still speak HTTP/1.1 (RFC 7301 allows either choice). */
    return cfg->h1 ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void openssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (e) {
        const char *r = ERR_reason_error_string(e);
        snprintf(buf, len, "%s", r ? r : "unknown OpenSSL error");
    } else
        snprintf(buf, len, "unknown OpenSSL error");
    ERR_clear_error();
}

static int readable(const char *flag, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s %s: %s", flag, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

static SSL_CTX *ctx_new(const px_settings *cfg, const px_settings *files, char *err, size_t errlen)
{
    char why[256];
    if (readable("--certfile", files->certfile, err, errlen) < 0 ||
        readable("--keyfile", files->keyfile, err, errlen) < 0)
        return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        openssl_reason(why, sizeof why);
        snprintf(err, errlen, "cannot create TLS context: %s", why);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No renegotiation (h2 forbids it; h1 does not need it); server picks the
     * cipher; compression off (CRIME). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    /* No SSL_MODE_ENABLE_PARTIAL_WRITE: libevent 2.1's bufferevent_openssl goes on to the
     * next chunk after a partial SSL_write, so the rest of a chunk larger than one TLS
     * record would be skipped (and the stream corrupted).  A whole write per chunk, resumed
     * on WANT_WRITE with the same chunk, is what it handles. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, files->certfile) != 1) {
        openssl_reason(why, sizeof why);
        snprintf(err, errlen, "--certfile %s: %s", files->certfile, why);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, files->keyfile, SSL_FILETYPE_PEM) != 1) {
        unsigned long e = ERR_peek_last_error();
        ERR_clear_error();
        if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, errlen, "--keyfile %s does not match --certfile %s", files->keyfile,
                     files->certfile);
        else {
            snprintf(err, errlen, "--keyfile %s: %s", files->keyfile,
                     ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "cannot load key");
        }
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "--keyfile %s does not match --certfile %s", files->keyfile,
                 files->certfile);
        goto fail;
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, (void *)cfg);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *px_tls_ctx_new(const px_settings *cfg, char *err, size_t errlen)
{
    return ctx_new(cfg, cfg, err, errlen);
}

SSL_CTX *px_tls_ctx_reload(const px_settings *cfg, const px_settings *files, char *err,
                           size_t errlen)
{
    return ctx_new(cfg, files, err, errlen);
}

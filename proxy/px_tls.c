/* px_tls.c: the SSL_CTX every thread shares (until a reload makes the next
 * one): certificate chain and key (checked to match), TLS >= 1.2 (or 1.3),
 * ciphers, client certificates, and ALPN chosen in --http-protocols order. */
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

/* OpenSSL's TLS 1.3 suites with AES-128-GCM first, as Mozilla's
 * recommended configurations order them: the server chooses, and
 * AES-128-GCM costs about 5% fewer proxy instructions per byte than
 * OpenSSL's first choice, AES-256-GCM. */
#define PX_TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/* ciphers and tls_ciphersuites: OpenSSL refuses a list that names nothing
 * it knows. */
static int set_ciphers(SSL_CTX *ctx, const px_settings *cfg, char *err, size_t errlen)
{
    int own_suites = cfg->tls_ciphersuites && *cfg->tls_ciphersuites;
    if (!own_suites && SSL_CTX_set_ciphersuites(ctx, PX_TLS13_SUITES) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "cannot set the default TLS 1.3 suites %s", PX_TLS13_SUITES);
        return -1;
    }
    if (cfg->ciphers && *cfg->ciphers && SSL_CTX_set_cipher_list(ctx, cfg->ciphers) != 1) {
        ERR_clear_error();
        snprintf(err, errlen,
                 "ciphers (--ciphers): '%s' names no cipher OpenSSL knows (an OpenSSL cipher "
                 "list, such as ECDHE+AESGCM:ECDHE+CHACHA20)",
                 cfg->ciphers);
        return -1;
    }
    if (own_suites && SSL_CTX_set_ciphersuites(ctx, cfg->tls_ciphersuites) != 1) {
        ERR_clear_error();
        snprintf(err, errlen,
                 "tls_ciphersuites (--tls-ciphersuites): '%s' is not a list of TLS 1.3 suites "
                 "(such as TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256)",
                 cfg->tls_ciphersuites);
        return -1;
    }
    return 0;
}

/* cert_reqs 1 asks for a client certificate, 2 requires one; either way a
 * certificate sent must chain to ca_certs, or the handshake fails, as
 * Python's ssl module does for Gunicorn. */
static int set_client_certs(SSL_CTX *ctx, const px_settings *cfg, char *err, size_t errlen)
{
    char why[256];
    if (!cfg->cert_reqs)
        return 0;
    if (readable("--ca-certs", cfg->ca_certs, err, errlen) < 0)
        return -1;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_certs);
    if (SSL_CTX_load_verify_locations(ctx, cfg->ca_certs, NULL) != 1 || !names) {
        openssl_reason(why, sizeof why);
        snprintf(err, errlen, "--ca-certs %s: %s", cfg->ca_certs,
                 names ? why : "no CA certificate in it");
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return -1;
    }
    SSL_CTX_set_client_CA_list(ctx, names); /* the CAs the client is told to pick from */
    SSL_CTX_set_verify(
        ctx, SSL_VERIFY_PEER | (cfg->cert_reqs == 2 ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    /* Sessions resumed must keep their certificate: OpenSSL needs an id. */
    static const unsigned char sid_ctx[] = "tandem";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    return 0;
}

/* Everything from cfg but the ALPN choice, which alpn's protocols make
 * (the running settings: http_protocols cannot change by a reload). */
static SSL_CTX *ctx_new(const px_settings *cfg, const px_settings *alpn, char *err, size_t errlen)
{
    char why[256];
    if (readable("--certfile", cfg->certfile, err, errlen) < 0 ||
        readable("--keyfile", cfg->keyfile, err, errlen) < 0)
        return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        openssl_reason(why, sizeof why);
        snprintf(err, errlen, "cannot create TLS context: %s", why);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, cfg->tls_min_version == PX_TLS_MIN_13 ? TLS1_3_VERSION
                                                                             : TLS1_2_VERSION);
    /* No renegotiation (h2 forbids it; h1 does not need it); server picks the
     * cipher; compression off (CRIME). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    /* suppress_ragged_eofs (Gunicorn's default): a close without
     * close_notify ends the connection like one with it; off, OpenSSL
     * reports it as an error (logged). */
    if (cfg->suppress_ragged_eofs)
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (set_ciphers(ctx, cfg, err, errlen) < 0 || set_client_certs(ctx, cfg, err, errlen) < 0)
        goto fail;
    /* No SSL_MODE_ENABLE_PARTIAL_WRITE: px_conn_io.c seals into memory, where a
     * write is never partial. */
    /* An idle connection gives its record buffers (about 34 KiB) back to
     * the allocator; they come back with the next record. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->certfile) != 1) {
        openssl_reason(why, sizeof why);
        snprintf(err, errlen, "--certfile %s: %s", cfg->certfile, why);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->keyfile, SSL_FILETYPE_PEM) != 1) {
        unsigned long e = ERR_peek_last_error();
        ERR_clear_error();
        if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, errlen, "--keyfile %s does not match --certfile %s", cfg->keyfile,
                     cfg->certfile);
        else {
            snprintf(err, errlen, "--keyfile %s: %s", cfg->keyfile,
                     ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "cannot load key");
        }
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "--keyfile %s does not match --certfile %s", cfg->keyfile,
                 cfg->certfile);
        goto fail;
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, (void *)alpn);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *px_tls_ctx_new(const px_settings *cfg, char *err, size_t errlen)
{
    return ctx_new(cfg, cfg, err, errlen);
}

SSL_CTX *px_tls_ctx_reload(const px_settings *running, const px_settings *next, char *err,
                           size_t errlen)
{
    return ctx_new(next, running, err, errlen);
}

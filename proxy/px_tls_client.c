/* px_tls_client.c: a TLS client certificate's facts (px_tls_client.h),
 * written by OpenSSL into one memory BIO, then copied into one block. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "px_tls_client.h"

enum { F_VERIFY, F_CERT, F_S_DN, F_I_DN, F_SERIAL, F_V_START, F_V_END, F_COUNT };

static int write_serial(BIO *b, X509 *cert)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    int ok = hex && BIO_puts(b, hex) >= 0;
    OPENSSL_free(hex);
    BN_free(bn);
    return ok;
}

/* Each field into b, its end offset in ends[]; 1, or 0 on failure. */
static int write_fields(BIO *b, SSL *ssl, X509 *cert, size_t ends[F_COUNT])
{
    long result = SSL_get_verify_result(ssl);
    int ok;
    if (!cert)
        ok = BIO_puts(b, "NONE") >= 0;
    else if (result == X509_V_OK)
        ok = BIO_puts(b, "SUCCESS") >= 0;
    else
        ok = BIO_printf(b, "FAILED:%s", X509_verify_cert_error_string(result)) >= 0;
    ends[F_VERIFY] = BIO_number_written(b);
    if (!cert) {
        for (int f = F_CERT; f < F_COUNT; f++)
            ends[f] = ends[F_VERIFY];
        return ok;
    }
    ok = ok && PEM_write_bio_X509(b, cert);
    ends[F_CERT] = BIO_number_written(b);
    ok = ok && X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0;
    ends[F_S_DN] = BIO_number_written(b);
    ok = ok && X509_NAME_print_ex(b, X509_get_issuer_name(cert), 0, XN_FLAG_RFC2253) >= 0;
    ends[F_I_DN] = BIO_number_written(b);
    ok = ok && write_serial(b, cert);
    ends[F_SERIAL] = BIO_number_written(b);
    ok = ok && ASN1_TIME_print(b, X509_get0_notBefore(cert));
    ends[F_V_START] = BIO_number_written(b);
    ok = ok && ASN1_TIME_print(b, X509_get0_notAfter(cert));
    ends[F_V_END] = BIO_number_written(b);
    return ok;
}

/* The struct, then the bytes its strings point into. */
static px_tls_client *block(const char *data, const size_t ends[F_COUNT])
{
    px_tls_client *cc = malloc(sizeof *cc + ends[F_COUNT - 1]);
    if (!cc)
        return NULL;
    uint8_t *bytes = (uint8_t *)(cc + 1);
    memcpy(bytes, data, ends[F_COUNT - 1]);
    tp_str *fields[F_COUNT] = { &cc->verify, &cc->cert,    &cc->s_dn, &cc->i_dn,
                                &cc->serial, &cc->v_start, &cc->v_end };
    size_t start = 0;
    for (int f = 0; f < F_COUNT; f++) {
        *fields[f] = (tp_str){ bytes + start, (uint32_t)(ends[f] - start) };
        start = ends[f];
    }
    return cc;
}

px_tls_client *px_tls_client_new(SSL *ssl)
{
    if (!(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER))
        return NULL;
    X509 *cert = SSL_get1_peer_certificate(ssl);
    BIO *b = BIO_new(BIO_s_mem());
    size_t ends[F_COUNT];
    px_tls_client *cc = NULL;
    if (b && write_fields(b, ssl, cert, ends)) {
        char *data;
        long len = BIO_get_mem_data(b, &data);
        if (len >= 0 && (size_t)len == ends[F_COUNT - 1])
            cc = block(data, ends);
    }
    ERR_clear_error();
    BIO_free(b);
    X509_free(cert);
    return cc;
}

void px_tls_client_fill(const px_tls_client *cc, tp_request_head *h)
{
    if (!cc)
        return;
    h->client_verify = cc->verify;
    h->client_cert = cc->cert;
    h->client_s_dn = cc->s_dn;
    h->client_i_dn = cc->i_dn;
    h->client_serial = cc->serial;
    h->client_v_start = cc->v_start;
    h->client_v_end = cc->v_end;
}

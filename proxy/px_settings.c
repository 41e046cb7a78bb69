/* px_settings.c: the tc_opt table of tandem-proxy (one row per Gunicorn-named
 * setting) and the checks that need more than one row. */
#include "config.h"
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <unistd.h>
#include "px_settings.h"
#include "tc_log.h"

#define OFF(f) offsetof(px_settings, f)
#define INT_ROW(key, flag, sh, f, lo, hi, def, help) \
    { key, flag, sh, TC_OPT_INT, OFF(f), lo, hi, def, "INT", help, NULL }
#define STR_ROW(key, flag, sh, f, def, mv, help) \
    { key, flag, sh, TC_OPT_STR, OFF(f), 0, 0, def, mv, help, NULL }

const tc_opt px_settings_table[] = {
    { "bind", "--bind", 'b', TC_OPT_LIST, OFF(bind), 0, 0, "127.0.0.1:8000", "ADDRESS",
      "address to listen on (HOST:PORT, [V6]:PORT, :PORT, unix:PATH); repeatable", NULL },
    STR_ROW("upstream", "--upstream", 0, upstream, "unix:/run/tandem/app.sock", "ADDRESS",
            "tandem-appd's socket"),
    STR_ROW("certfile", "--certfile", 0, certfile, NULL, "FILE", "TLS certificate chain (PEM)"),
    STR_ROW("keyfile", "--keyfile", 0, keyfile, NULL, "FILE", "TLS private key (PEM)"),
    { "http_protocols", "--http-protocols", 0, TC_OPT_LIST, OFF(http_protocols), 0, 0, "h2,h1",
      "LIST", "protocols offered with ALPN, server preference first (h2, h1)", NULL },
    INT_ROW("threads", "--threads", 0, threads, 0, 1024, "0",
            "event-loop threads; 0 = one per CPU"),
    INT_ROW("keepalive", "--keepalive", 0, keepalive, 0, 86400, "2",
            "seconds an idle keep-alive connection (or an h2 one with no stream) stays open"),
    INT_ROW("timeout", "--timeout", 't', timeout, 0, 86400, "30",
            "seconds a stream may make no progress (upstream response, request body); 0 = off"),
    INT_ROW("graceful_timeout", "--graceful-timeout", 0, graceful_timeout, 0, 86400, "30",
            "seconds to finish in-flight requests after SIGTERM"),
    INT_ROW("backlog", "--backlog", 0, backlog, 1, 65535, "2048", "listen(2) backlog"),
    INT_ROW("limit_request_line", "--limit-request-line", 0, limit_request_line, 0, 8190, "4094",
            "longest HTTP/1 request line; 0 = unlimited"),
    INT_ROW("limit_request_fields", "--limit-request-fields", 0, limit_request_fields, 0, 32768,
            "100", "most header fields in a request"),
    INT_ROW("limit_request_field_size", "--limit-request-field-size", 0, limit_request_field_size,
            0, 1048576, "8190", "longest header field (name: value); 0 = unlimited"),
    INT_ROW("http2_max_concurrent_streams", "--http2-max-concurrent-streams", 0,
            http2_max_concurrent_streams, 1, 2147483647LL, "100",
            "SETTINGS_MAX_CONCURRENT_STREAMS"),
    INT_ROW("http2_initial_window_size", "--http2-initial-window-size", 0,
            http2_initial_window_size, 0, 2147483647LL, "65535", "SETTINGS_INITIAL_WINDOW_SIZE"),
    INT_ROW("http2_max_frame_size", "--http2-max-frame-size", 0, http2_max_frame_size, 16384,
            16777215, "16384", "SETTINGS_MAX_FRAME_SIZE"),
    INT_ROW("http2_max_header_list_size", "--http2-max-header-list-size", 0,
            http2_max_header_list_size, 1, 4294967295LL, "65536",
            "SETTINGS_MAX_HEADER_LIST_SIZE"),
    INT_ROW("max_queue", "--max-queue", 0, max_queue, 0, 1000000, "1024",
            "requests that may wait for a free worker before 503"),
    INT_ROW("queue_timeout", "--queue-timeout", 0, queue_timeout, 0, 86400, "30",
            "seconds a request may wait for a free worker before 503; 0 = no limit"),
    STR_ROW("loglevel", "--log-level", 0, loglevel, "info", "LEVEL",
            "debug, info, warning, error, critical"),
    STR_ROW("errorlog", "--error-logfile", 0, errorlog, "-", "FILE",
            "error log file ('-' = stderr); also --log-file"),
    STR_ROW("pidfile", "--pid", 'p', pidfile, NULL, "FILE", "write the process id to FILE"),
    TC_OPT_END
};

static int tok_eq(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

int px_protocols_parse(const tc_strlist *l, uint8_t protos[2], int *n, char *err, size_t errlen)
{
    *n = 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->items[i];
        /* Items may themselves be comma lists ("h2,h1" as one value). */
        while (*p) {
            while (*p == ' ' || *p == '\t' || *p == ',')
                p++;
            if (!*p)
                break;
            const char *t = p;
            while (*p && *p != ',')
                p++;
            size_t len = (size_t)(p - t);
            while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
                len--;
            uint8_t pr;
            if (tok_eq(t, len, "h2"))
                pr = PX_PROTO_H2;
            else if (tok_eq(t, len, "h1") || tok_eq(t, len, "http/1.1"))
                pr = PX_PROTO_H1;
            else {
                snprintf(err, errlen, "http_protocols: unknown protocol '%.*s' (allowed: h2, h1)",
                         (int)len, t);
                return -1;
            }
            for (int k = 0; k < *n; k++)
                if (protos[k] == pr) {
                    snprintf(err, errlen, "http_protocols: '%.*s' listed twice", (int)len, t);
                    return -1;
                }
            protos[(*n)++] = pr;
        }
    }
    if (*n == 0) {
        snprintf(err, errlen, "http_protocols: empty list (allowed: h2, h1)");
        return -1;
    }
    return 0;
}

int px_alpn_select(const uint8_t *protos, int nprotos, const unsigned char *in, unsigned inlen,
                   const unsigned char **out, unsigned char *outlen)
{
    /* Server preference: walk our list, and for each look for it in the
     * client's (a well-formed sequence of length-prefixed names). */
    for (int k = 0; k < nprotos; k++) {
        const char *want = protos[k] == PX_PROTO_H2 ? "h2" : "http/1.1";
        size_t wl = strlen(want);
        for (unsigned i = 0; i < inlen;) {
            unsigned l = in[i];
            if (l == 0 || i + 1 + l > inlen)
                break; /* malformed: stop at what was valid */
            if (l == wl && memcmp(in + i + 1, want, wl) == 0) {
                *out = in + i + 1;
                *outlen = (unsigned char)l;
                return protos[k];
            }
            i += 1 + l;
        }
    }
    return PX_PROTO_NONE;
}

int px_settings_validate(px_settings *s, char *err, size_t errlen)
{
    if (px_protocols_parse(&s->http_protocols, s->protos, &s->nprotos, err, errlen) < 0)
        return -1;
    s->h1 = s->h2 = 0;
    for (int i = 0; i < s->nprotos; i++) {
        if (s->protos[i] == PX_PROTO_H1)
            s->h1 = 1;
        else
            s->h2 = 1;
    }
    int has_cert = s->certfile && *s->certfile, has_key = s->keyfile && *s->keyfile;
    if (has_cert != has_key) {
        snprintf(err, errlen, "%s needs %s too", has_cert ? "--certfile" : "--keyfile",
                 has_cert ? "--keyfile" : "--certfile");
        return -1;
    }
    s->tls = has_cert;
    if (!s->tls) {
        /* Cleartext serves HTTP/1.1 only (h2c comes with trusted-proxy support). */
        if (!s->h1) {
            snprintf(err, errlen, "http_protocols: h2 needs TLS (--certfile/--keyfile); "
                                  "without TLS only h1 is served");
            return -1;
        }
        s->h2 = 0;
        s->protos[0] = PX_PROTO_H1;
        s->nprotos = 1;
    }
    if (s->bind.n == 0) {
        snprintf(err, errlen, "bind: no address");
        return -1;
    }
    s->log_level = tc_log_level_parse(s->loglevel ? s->loglevel : "info");
    if (s->log_level < 0) {
        snprintf(err, errlen, "loglevel: '%s' is not one of debug, info, warning, error, critical",
                 s->loglevel);
        return -1;
    }
    if (!s->upstream || !*s->upstream) {
        snprintf(err, errlen, "upstream: empty address");
        return -1;
    }
    s->nthreads = (int)s->threads;
    if (s->nthreads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->nthreads = n > 0 ? (int)(n > 1024 ? 1024 : n) : 1;
    }
    return 0;
}

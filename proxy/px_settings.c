/* px_settings.c: the tc_opt table of tandem-proxy (one row per Gunicorn-named
 * setting) and the checks that need more than one row. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <unistd.h>
#include "px_logfmt.h"
#include "px_settings.h"
#include "tc_http.h"
#include "tc_log.h"
#include "tc_logconf.h"
#include "tc_logsinks.h"
#include "tc_privs.h"

#define OFF(f) offsetof(px_settings, f)
/* One row per setting, laid out by hand. */
/* clang-format off */
#define INT_ROW(...) TC_OPT_INT_ROW(px_settings, __VA_ARGS__)
#define STR_ROW(...) TC_OPT_STR_ROW(px_settings, __VA_ARGS__)
#define LIST_ROW(...) TC_OPT_LIST_ROW(px_settings, __VA_ARGS__)
/* An integer row that also records that it was given (see explicit_set);
 * parse_h2 does the same for the field limits' rows. */
#define H2_ROW(k, fl, f, lo, hi, d, h) \
    { .key = k, .flag = fl, .type = TC_OPT_INT, .offset = OFF(f), .min = lo, .max = hi, \
      .def = d, .metavar = "INT", .help = h, .parse = parse_h2 }
/* clang-format on */

static const struct {
    const char *key;
    unsigned bit;
} h2_keys[] = {
    { "http2_max_concurrent_streams", PX_SET_H2_STREAMS },
    { "http2_initial_window_size", PX_SET_H2_WINDOW },
    { "http2_max_frame_size", PX_SET_H2_FRAME },
    { "http2_max_header_list_size", PX_SET_H2_HEADER_LIST },
    { "http2_cleartext", PX_SET_H2_CLEARTEXT },
};

/* The settings struct a row's field belongs to. */
static px_settings *owner(const tc_opt *opt, void *field)
{
    return (px_settings *)(void *)((char *)field - opt->offset);
}

/* The field limits: given, they size the head bound (px_limits.c). */
static const struct {
    const char *key;
    unsigned bit;
} limit_keys[] = {
    { "limit_request_fields", PX_SET_LIMIT_FIELDS },
    { "limit_request_field_size", PX_SET_LIMIT_FIELD_SIZE },
};

static void mark_set(const tc_opt *opt, void *field)
{
    for (size_t i = 0; i < sizeof h2_keys / sizeof h2_keys[0]; i++)
        if (!strcmp(opt->key, h2_keys[i].key))
            owner(opt, field)->explicit_set |= h2_keys[i].bit;
    for (size_t i = 0; i < sizeof limit_keys / sizeof limit_keys[0]; i++)
        if (!strcmp(opt->key, limit_keys[i].key))
            owner(opt, field)->explicit_set |= limit_keys[i].bit;
}

/* The row's own rule (range, or choice) checks the value and says what is
 * allowed; then the setting is recorded as given. */
static int parse_h2(const tc_opt *opt, void *field, const char *value, char *err, size_t errlen)
{
    tc_opt row = *opt;
    row.parse = NULL;
    if (tc_opt_set(&row, owner(opt, field), value, err, errlen) < 0)
        return -1;
    mark_set(opt, field);
    return 0;
}

/* The access log's format is compiled here once to be checked, so that a
 * bad atom is an error naming it (and its config file line) at start-up. */
static int parse_access_format(const tc_opt *opt, void *field, const char *value, char *err,
                               size_t errlen)
{
    px_logfmt *f;
    if (px_logfmt_compile(value, &f, err, errlen) < 0)
        return -1;
    px_logfmt_free(f);
    return tc_opt_set_str(field, value, err, errlen);
}

/* enum px_pp_mode in order (Gunicorn's values). */
static const char *const pp_modes[] = { "off", "v1", "v2", "auto", NULL };

/* PX_TLS_MIN_* in order. */
static const char *const tls_versions[] = { "1.2", "1.3", NULL };

/* PX_H2C_* in order. */
static const char *const h2c_modes[] = { "off", "prior-knowledge", "upgrade", "both", NULL };

/* One row per setting, laid out by hand. */
/* clang-format off */
const tc_opt px_settings_table[] = {
    LIST_ROW("bind", "--bind", 'b', bind, "127.0.0.1:8000", "ADDRESS",
             "address to listen on (HOST:PORT, [V6]:PORT, :PORT, unix:PATH); repeatable"),
    STR_ROW("upstream", "--upstream", 0, upstream, "unix:/run/tandem/app.sock", "ADDRESS",
            "tandem-appd's socket"),
    STR_ROW("certfile", "--certfile", 0, certfile, NULL, "FILE", "TLS certificate chain (PEM)"),
    STR_ROW("keyfile", "--keyfile", 0, keyfile, NULL, "FILE", "TLS private key (PEM)"),
    STR_ROW("ca_certs", "--ca-certs", 0, ca_certs, NULL, "FILE",
            "CA certificates (PEM) that client certificates must chain to (see cert_reqs)"),
    INT_ROW("cert_reqs", "--cert-reqs", 0, cert_reqs, 0, 2, "0",
            "client certificates: 0 not asked for, 1 optional, 2 required (Python's ssl.CERT_*)"),
    STR_ROW("ciphers", "--ciphers", 0, ciphers, NULL, "LIST",
            "TLS 1.2 ciphers, an OpenSSL cipher list; default OpenSSL's"),
    STR_ROW("tls_ciphersuites", "--tls-ciphersuites", 0, tls_ciphersuites, NULL, "LIST",
            "TLS 1.3 cipher suites, colon-separated; default OpenSSL's"),
    { .key = "tls_min_version", .flag = "--tls-min-version", .type = TC_OPT_CHOICE,
      .offset = OFF(tls_min_version), .def = "1.2", .metavar = "VERSION",
      .help = "the least TLS version a client may use: 1.2 or 1.3", .choices = tls_versions },
    { .key = "suppress_ragged_eofs", .flag = "--suppress-ragged-eofs", .type = TC_OPT_BOOL,
      .offset = OFF(suppress_ragged_eofs), .def = "true",
      .help = "a TLS client closing without close_notify is an end, not an error" },
    { .key = "do_handshake_on_connect", .flag = "--do-handshake-on-connect", .type = TC_OPT_BOOL,
      .offset = OFF(do_handshake_on_connect), .def = "false",
      .help = "Gunicorn's; the handshake always starts at accept, without blocking" },
    LIST_ROW("http_protocols", "--http-protocols", 0, http_protocols, "h2,h1", "LIST",
             "protocols offered with ALPN, server preference first (h2, h1)"),
    /* Gunicorn's --threads and "threads" are the workers' (tandem-appd's). */
    { .key = "proxy_threads", .flag = "--threads", .type = TC_OPT_INT, .offset = OFF(threads),
      .min = 0, .max = 1024, .def = "0", .metavar = "INT",
      .help = "event-loop threads; 0 = one per CPU", .aliases = "--proxy-threads",
      .flags = TC_OPT_OWN_FLAG },
    { .key = "keepalive", .flag = "--keep-alive", .type = TC_OPT_INT, .offset = OFF(keepalive),
      .min = 0, .max = 86400, .def = "2", .metavar = "INT",
      .help = "seconds an idle HTTP/1 keep-alive connection stays open",
      .aliases = "--keepalive" },
    INT_ROW("timeout", "--timeout", 't', timeout, 0, 86400, "30",
            "seconds a stream may make no progress (upstream response, request body); 0 = off"),
    INT_ROW("graceful_timeout", "--graceful-timeout", 0, graceful_timeout, 0, 86400, "30",
            "seconds to finish in-flight requests after SIGTERM"),
    INT_ROW("backlog", "--backlog", 0, backlog, 1, 65535, "2048", "listen(2) backlog"),
    INT_ROW("limit_request_line", "--limit-request-line", 0, limit_request_line, 0, 8190, "4094",
            "longest HTTP/1 request line; 0 = unlimited"),
    { .key = "limit_request_fields", .flag = "--limit-request-fields", .type = TC_OPT_INT,
      .offset = OFF(limit_request_fields), .min = 0, .max = 32768, .def = "100",
      .metavar = "INT", .help = "most header fields in a request; 0 = 32768",
      .parse = parse_h2 },
    { .key = "limit_request_field_size", .flag = "--limit-request-field_size",
      .type = TC_OPT_INT, .offset = OFF(limit_request_field_size), .min = 0, .max = 1048576,
      .def = "8190", .metavar = "INT",
      .help = "longest header field line with its CRLF (name: value CRLF); 0 = unlimited",
      .aliases = "--limit-request-field-size", .parse = parse_h2 },
    INT_ROW("limit_request_body", "--limit-request-body", 0, limit_request_body, 0,
            9223372036854775807LL, "0",
            "largest request body in bytes, answered 413 past it; 0 = unlimited"),
    H2_ROW("http2_max_concurrent_streams", "--http2-max-concurrent-streams",
           http2_max_concurrent_streams, 1, 2147483647LL, "100",
           "SETTINGS_MAX_CONCURRENT_STREAMS; a client opening more is refused"),
    H2_ROW("http2_initial_window_size", "--http2-initial-window-size", http2_initial_window_size,
           0, 2147483647LL, "65536",
           "SETTINGS_INITIAL_WINDOW_SIZE: request body a client may send per stream unasked"),
    H2_ROW("http2_max_frame_size", "--http2-max-frame-size", http2_max_frame_size, 16384,
           16777215, "16384", "SETTINGS_MAX_FRAME_SIZE"),
    H2_ROW("http2_max_header_list_size", "--http2-max-header-list-size",
           http2_max_header_list_size, 1, 4294967295LL, "65536",
           "SETTINGS_MAX_HEADER_LIST_SIZE; a larger request head is answered 431"),
    { .key = "http2_cleartext", .flag = "--http2-cleartext", .type = TC_OPT_CHOICE,
      .offset = OFF(http2_cleartext), .def = "off", .metavar = "MODE",
      .help = "h2c without TLS for trusted peers: off, prior-knowledge, upgrade, both",
      .parse = parse_h2, .choices = h2c_modes },
    LIST_ROW("forwarded_allow_ips", "--forwarded-allow-ips", 0, forwarded_allow_ips,
             "127.0.0.1,::1", "LIST",
             "front proxies (IPs, CIDR networks, or *) believed on secure_scheme_headers and "
             "X-Forwarded-For, and allowed h2c; Unix-socket peers always are"),
    /* Gunicorn's default dict; a config file's only. */
    { .key = "secure_scheme_headers", .type = TC_OPT_DICT, .offset = OFF(secure_scheme_headers),
      .def = "X-FORWARDED-PROTOCOL=ssl,X-FORWARDED-PROTO=https,X-FORWARDED-SSL=on",
      .help = "fields a trusted front sets to say the client used https, with the value that "
              "says so" },
    { .key = "proxy_protocol", .flag = "--proxy-protocol", .type = TC_OPT_CHOICE,
      .offset = OFF(proxy_protocol), .def = "off", .metavar = "MODE",
      .help = "read a PROXY protocol header first from allowed peers: off, v1, v2, auto (the "
              "flag alone)", .choices = pp_modes, .bare = "auto" },
    { .key = "proxy_allow_ips", .flag = "--proxy-allow-from", .type = TC_OPT_LIST,
      .offset = OFF(proxy_allow_ips), .def = "127.0.0.1,::1", .metavar = "LIST",
      .help = "peers (IPs, CIDR networks, or *) allowed to send a PROXY header; Unix-socket "
              "peers always are" },
    INT_ROW("max_queue", "--max-queue", 0, max_queue, 0, 1000000, "1024",
            "requests that may wait for a free worker before 503"),
    INT_ROW("queue_timeout", "--queue-timeout", 0, queue_timeout, 0, 86400, "30",
            "seconds a request may wait for a free worker before 503; 0 = no limit"),
    INT_ROW("websocket_max_message_size", "--websocket-max-message-size", 0,
            websocket_max_message_size, 1, 2147483647LL, "16777216",
            "largest WebSocket message a client may send, in bytes (more closes with 1009)"),
    INT_ROW("websocket_ping_interval", "--websocket-ping-interval", 0, websocket_ping_interval, 0,
            86400, "20", "seconds a WebSocket client may stay silent before a ping; 0 = off"),
    INT_ROW("websocket_ping_timeout", "--websocket-ping-timeout", 0, websocket_ping_timeout, 1,
            86400, "20",
            "seconds a WebSocket client has to answer a ping or a Close before it is dropped"),
    STR_ROW("loglevel", "--log-level", 0, loglevel, "info", "LEVEL",
            "debug, info, warning, error, critical"),
    { .key = "errorlog", .flag = "--error-logfile", .type = TC_OPT_STR, .offset = OFF(errorlog),
      .def = "-", .metavar = "FILE", .help = "error log file ('-' = stderr)",
      .aliases = "--log-file" },
    STR_ROW("accesslog", "--access-logfile", 0, accesslog, NULL, "FILE",
            "access log file ('-' = stdout); one line per request, the proxy's own answers "
            "included"),
    { .key = "access_log_format", .flag = "--access-logformat", .type = TC_OPT_STR,
      .offset = OFF(access_log_format), .def = PX_LOGFMT_DEFAULT, .metavar = "STRING",
      .help = "access log line: Gunicorn's atoms, and tandem's {stream_id}t {worker_pid}t "
              "{connection}t", .parse = parse_access_format },
    { .key = "disable_redirect_access_to_syslog", .flag = "--disable-redirect-access-to-syslog",
      .type = TC_OPT_BOOL, .offset = OFF(disable_redirect_access_to_syslog), .def = "false",
      .help = "with --log-syslog, keep access lines out of syslog" },
    { .key = "syslog", .flag = "--log-syslog", .type = TC_OPT_BOOL, .offset = OFF(syslog),
      .def = "false", .help = "send the error log (and the access log) to syslog too" },
    TC_LOGSINKS_ROWS(px_settings),
    /* A config file's pidfile, and GUNICORN_CMD_ARGS' --pid, are tandem-appd's. */
    { .key = "pidfile", .flag = "--pid", .short_flag = 'p', .type = TC_OPT_STR,
      .offset = OFF(pidfile), .metavar = "FILE", .help = "write the process id to FILE",
      .flags = TC_OPT_OWN_KEY | TC_OPT_OWN_FLAG },
    { .key = "config", .flag = "--config", .short_flag = 'c', .type = TC_OPT_STR,
      .offset = OFF(config), .metavar = "FILE",
      .help = "read settings from FILE's literal assignments (a gunicorn.conf.py; default "
              "./gunicorn.conf.py when it exists)", .flags = TC_OPT_CLI_ONLY },
    { .key = "check_config", .flag = "--check-config", .type = TC_OPT_BOOL,
      .offset = OFF(check_config), .def = "false",
      .help = "check the settings, certificate and key, then exit", .flags = TC_OPT_CLI_ONLY },
    { .key = "print_config", .flag = "--print-config", .type = TC_OPT_BOOL,
      .offset = OFF(print_config), .def = "false", .help = "print the settings, then exit",
      .flags = TC_OPT_CLI_ONLY },
    INT_ROW("max_connections", "--max-connections", 0, max_connections, 0, 10000000, "10000",
            "client connections held at once; at the limit accepting pauses; 0 = no limit"),
    INT_ROW("max_connections_per_ip", "--max-connections-per-ip", 0, max_connections_per_ip, 0,
            10000000, "0",
            "client connections from one IP address at once; more are closed; 0 = no limit"),
    /* nginx's keepalive_timeout for h2 (75 s), its old http2_idle_timeout (180 s). */
    INT_ROW("http2_idle_timeout", "--http2-idle-timeout", 0, http2_idle_timeout, 0, 86400, "180",
            "seconds an HTTP/2 connection with no open stream stays open; 0 = no limit"),
    STR_ROW("proxy_control_socket", "--proxy-control-socket", 0, control_socket, NULL, "PATH",
            "the control socket tandemctl(1) talks to; default: tandem-appd's socket path "
            "with .proxy.ctl appended (none when it is TCP)"),
    INT_ROW("proxy_control_socket_mode", "--proxy-control-socket-mode", 0, control_socket_mode, 0,
            0777, "384", "permissions of the control socket (384 = 0600: the daemon's user only)"),
    { .key = "proxy_control_socket_disable", .flag = "--no-proxy-control-socket",
      .type = TC_OPT_BOOL, .offset = OFF(control_socket_disable), .def = "false",
      .help = "serve no control socket" },
    STR_ROW("admin_bind", "--admin-bind", 0, admin_bind, NULL, "ADDRESS",
            "serve /metrics (Prometheus), /status (JSON), /healthz, /readyz and a status page "
            "at / on ADDRESS (loopback only unless --admin-allow-remote); default: none"),
    { .key = "admin_allow_remote", .flag = "--admin-allow-remote", .type = TC_OPT_BOOL,
      .offset = OFF(admin_allow_remote), .def = "false",
      .help = "let --admin-bind be a non-loopback address (anyone who reaches it reads the "
              "counters)" },
    STR_ROW("user", "--user", 'u', user, "", "USER",
            "after binding and loading the certificate, run as USER (name or uid)"),
    STR_ROW("group", "--group", 'g', group, "", "GROUP",
            "after binding, run as GROUP (name or gid)"),
    { .key = "umask", .flag = "--umask", .short_flag = 'm', .type = TC_OPT_INT,
      .offset = OFF(umask), .min = 0, .max = 0777, .def = "0", .metavar = "INT",
      .help = "umask for Unix listening sockets (18, 0o22, 022)", .parse = tc_privs_parse_umask },
    { .key = "initgroups", .flag = "--initgroups", .type = TC_OPT_BOOL, .offset = OFF(initgroups),
      .def = "false", .help = "keep USER's supplementary groups (else none)" },
    { .key = "daemon", .flag = "--daemon", .short_flag = 'D', .type = TC_OPT_BOOL,
      .offset = OFF(daemon), .def = "false",
      .help = "detach from the terminal and run in the background" },
    { .key = "reuse_port", .flag = "--reuse-port", .type = TC_OPT_BOOL, .offset = OFF(reuse_port),
      .def = "false", .help = "set SO_REUSEPORT on the listeners (several proxies on one port)" },
    INT_ROW("header_timeout", "--header-timeout", 0, header_timeout, 1, 86400, "30",
            "seconds a request head may take to arrive whole, from its first byte (HTTP/1: "
            "from the connection's start for its first request; HTTP/2: HEADERS to END_HEADERS)"),
    INT_ROW("request_buffer_size", "--request-buffer-size", 0, request_buffer_size, 0, 16777216,
            "65536",
            "request bodies up to this many bytes are collected whole before a worker is taken "
            "(a slow uploader costs a buffer, not a worker); 0 = off"),
    INT_ROW("body_timeout", "--body-timeout", 0, body_timeout, 1, 86400, "30",
            "seconds a collected request body may take to arrive; a longer body must bring "
            "request_buffer_size bytes every body_timeout seconds it is waited for"),
    INT_ROW("response_buffer_size", "--response-buffer-size", 0, response_buffer_size, 0,
            268435456, "1048576",
            "response bytes held per stream for a slow reader, so the worker finishes and is "
            "free; beyond them the client paces the worker; 0 = off"),
    INT_ROW("connection_buffer_size", "--connection-buffer-size", 0, connection_buffer_size, 0,
            1073741824, "4194304",
            "response bytes held for one client connection, all its streams together; past "
            "them workers are credited only as the client reads; 0 = no bound"),
    TC_OPT_END
};
/* clang-format on */

static int tok_eq(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

int px_protocols_parse(const tc_strlist *l, uint8_t protos[2], int *n, char *err, size_t errlen)
{
    *n = 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->items[i], *t;
        size_t len;
        /* Items may themselves be comma lists ("h2,h1" as one value). */
        while (tc_csv_next(&p, &t, &len)) {
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

/* Gunicorn reads these defaults from the environment; a config file, the
 * variables and the command line all override them. */
static int environment_defaults(px_settings *s, char *err, size_t errlen)
{
    const char *port = getenv("PORT"), *trusted = getenv("FORWARDED_ALLOW_IPS");
    if (port && *port) {
        char bind[128];
        snprintf(bind, sizeof bind, "0.0.0.0:%s", port);
        tc_strlist_free(&s->bind);
        if (tc_opt_set(tc_opt_find_key(px_settings_table, "bind"), s, bind, err, errlen) < 0)
            return -1;
    }
    if (trusted && *trusted) {
        tc_strlist_free(&s->forwarded_allow_ips);
        if (tc_opt_set(tc_opt_find_key(px_settings_table, "forwarded_allow_ips"), s, trusted, err,
                       errlen) < 0)
            return -1;
    }
    tc_opt_lists_replaceable(px_settings_table, s);
    return 0;
}

int px_settings_defaults(px_settings *s, char *err, size_t errlen)
{
    int rc = tc_opt_defaults(px_settings_table, s, err, errlen);
    s->explicit_set = 0;
    if (rc == 0)
        rc = environment_defaults(s, err, errlen);
    /* GUNICORN_CMD_ARGS' field limits count as given; its h2 settings are
     * not worth the "ignored" warning. */
    s->explicit_set &= PX_SET_LIMITS;
    return rc;
}

int px_settings_h2_unused(const px_settings *s, char *msg, size_t len)
{
    unsigned set = s->explicit_set;
    if (!s->h2 && set) {
        char keys[256];
        size_t k = 0;
        keys[0] = '\0';
        for (size_t i = 0; i < sizeof h2_keys / sizeof h2_keys[0]; i++)
            if (set & h2_keys[i].bit)
                k += (size_t)snprintf(keys + k, sizeof keys - k, "%s%s", k ? ", " : "",
                                      h2_keys[i].key);
        snprintf(msg, len, "%s set, but no listener can negotiate HTTP/2 (%s): ignored", keys,
                 !s->h2_listed ? "http_protocols does not include h2"
                               : "no TLS (--certfile/--keyfile) and http2_cleartext is off");
        return 1;
    }
    if (s->tls && (set & PX_SET_H2_CLEARTEXT) && s->http2_cleartext != PX_H2C_OFF) {
        snprintf(msg, len,
                 "http2_cleartext set, but every listener uses TLS, where h2 is "
                 "negotiated with ALPN: ignored");
        return 1;
    }
    return 0;
}

/* A field name that is no token could never match a request's field. */
static int check_secure_headers(const tc_strlist *d, char *err, size_t errlen)
{
    for (size_t i = 0; i + 1 < d->n; i += 2) {
        const char *name = d->items[i];
        size_t n = strlen(name), k = 0;
        while (k < n && tc_http_is_tchar((uint8_t)name[k]))
            k++;
        if (n == 0 || k < n) {
            snprintf(err, errlen, "secure_scheme_headers: '%.80s' is not a header field name",
                     name);
            return -1;
        }
    }
    return 0;
}

static int is_set(const char *s) { return s && *s; }

/* The TLS options need TLS, and client certificates a CA to check them by;
 * what OpenSSL thinks of the values is px_tls.c's to say. */
static int check_tls_options(const px_settings *s, char *err, size_t errlen)
{
    const char *needs_tls = is_set(s->ca_certs)           ? "ca_certs (--ca-certs)"
                            : s->cert_reqs                ? "cert_reqs (--cert-reqs)"
                            : is_set(s->ciphers)          ? "ciphers (--ciphers)"
                            : is_set(s->tls_ciphersuites) ? "tls_ciphersuites (--tls-ciphersuites)"
                            : s->tls_min_version != PX_TLS_MIN_12
                                ? "tls_min_version (--tls-min-version)"
                                : NULL;
    if (!s->tls && needs_tls) {
        snprintf(err, errlen, "%s needs TLS (--certfile and --keyfile)", needs_tls);
        return -1;
    }
    if (s->cert_reqs && !is_set(s->ca_certs)) {
        snprintf(err, errlen,
                 "cert_reqs (--cert-reqs) %lld needs ca_certs (--ca-certs): the CA certificates "
                 "that client certificates must chain to",
                 s->cert_reqs);
        return -1;
    }
    return 0;
}

static int check_loglevel(const char *level, char *err, size_t errlen)
{
    if (tc_log_level_parse(level ? level : "info") >= 0)
        return 0;
    snprintf(err, errlen, "loglevel: '%s' is not one of debug, info, warning, error, critical",
             level);
    return -1;
}

int px_settings_check_key(const void *settings, const char *key, char *err, size_t errlen)
{
    const px_settings *s = settings;
    if (strcmp(key, "http_protocols") == 0) {
        uint8_t protos[2];
        int n;
        return px_protocols_parse(&s->http_protocols, protos, &n, err, errlen);
    }
    if (strcmp(key, "forwarded_allow_ips") == 0 || strcmp(key, "proxy_allow_ips") == 0) {
        static __thread px_trust trust; /* 2 KiB: not on the stack */
        return px_trust_parse_named(key,
                                    key[0] == 'f' ? &s->forwarded_allow_ips : &s->proxy_allow_ips,
                                    &trust, err, errlen);
    }
    if (strcmp(key, "loglevel") == 0)
        return check_loglevel(s->loglevel, err, errlen);
    if (strcmp(key, "secure_scheme_headers") == 0)
        return check_secure_headers(&s->secure_scheme_headers, err, errlen);
    return 0;
}

static int set_path(char *dst, size_t cap, const char *path, const char *key, char *err,
                    size_t errlen)
{
    if (snprintf(dst, cap, "%s", path ? path : "") < (int)cap)
        return 0;
    snprintf(err, errlen, "%s: the path is too long", key);
    return -1;
}

/* logconfig_dict, logconfig_json or logconfig, as Gunicorn applies them,
 * over the error log, the access log and their syslog copies. */
static int apply_logconfig(px_settings *s, char *err, size_t errlen)
{
    tc_logconf lc;
    if (tc_logconf_load(s->sinks.logconfig_dict, s->sinks.logconfig_json, s->sinks.logconfig, &lc,
                        err, errlen) < 0)
        return -1;
    tc_logconf_effect e = { s->errorlog, s->log_level, s->syslog, s->accesslog,
                            s->syslog && !s->disable_redirect_access_to_syslog };
    tc_logconf_apply(&lc, &e);
    int rc = set_path(s->error_path, sizeof s->error_path, e.errorlog ? e.errorlog : "-",
                      "errorlog", err, errlen);
    if (rc == 0)
        rc = set_path(s->access_path, sizeof s->access_path, e.accesslog, "accesslog", err, errlen);
    s->log_level = e.level;
    s->error_syslog = e.error_syslog;
    s->access_syslog = e.access_syslog;
    snprintf(s->logconfig_note, sizeof s->logconfig_note, "%s", lc.note);
    tc_logconf_free(&lc);
    return rc;
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
    if (check_tls_options(s, err, errlen) < 0)
        return -1;
    s->h2_listed = s->h2;
    if (!s->tls) {
        /* Cleartext listeners serve HTTP/1.x to everyone, and h2c to the
         * trusted peers only when http2_cleartext allows it. */
        if (!s->h1) {
            snprintf(err, errlen,
                     "http_protocols: h2 alone needs TLS (--certfile/--keyfile); "
                     "without TLS h1 must be listed (h2c is for trusted peers "
                     "only, see --http2-cleartext)");
            return -1;
        }
        s->h2 = s->h2_listed && s->http2_cleartext != PX_H2C_OFF;
        s->protos[0] = PX_PROTO_H1;
        s->nprotos = 1;
    }
    if (px_trust_parse(&s->forwarded_allow_ips, &s->trust, err, errlen) < 0 ||
        px_trust_parse_named("proxy_allow_ips", &s->proxy_allow_ips, &s->proxy_trust, err, errlen) <
            0 ||
        check_secure_headers(&s->secure_scheme_headers, err, errlen) < 0)
        return -1;
    if (s->bind.n == 0) {
        snprintf(err, errlen, "bind: no address");
        return -1;
    }
    if (check_loglevel(s->loglevel, err, errlen) < 0)
        return -1;
    s->log_level = tc_log_level_parse(s->loglevel ? s->loglevel : "info");
    if (apply_logconfig(s, err, errlen) < 0)
        return -1;
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

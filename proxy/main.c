/* main.c: tandem-proxy's entry: settings, log, TLS context, listening
 * sockets (every startup error is one line on stderr), then the threads. */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "px.h"
#include "px_server.h"
#include "tc_log.h"

static const char usage[] =
    "usage: tandem-proxy [OPTIONS]\n"
    "Terminates TLS, HTTP/2 and HTTP/1.1 and forwards requests to tandem-appd.";

static void write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "error: --pid %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
}

/* A Unix socket path that does not exist at start-up is most likely a typo
 * or appd not started: say so now.  Once running, appd going away is a 502
 * per request and the pool dials again. */
static int upstream_missing(const tc_addr *a)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
    struct stat st;
    if (a->ss.ss_family != AF_UNIX || a->fd >= 0 || stat(sun->sun_path, &st) == 0)
        return 0;
    fprintf(stderr, "error: --upstream %s: %s (is tandem-appd running?)\n", a->text,
            strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    static px_settings cfg;
    char err[1024];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            tc_opt_usage(stdout, usage, px_settings_table);
            return 0;
        }
        if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--version")) {
            printf("tandem-proxy %s\n", PACKAGE_VERSION);
            return 0;
        }
        /* Gunicorn spells the error log flag two ways. */
        if (!strcmp(argv[i], "--log-file"))
            argv[i] = "--error-logfile";
        else if (!strncmp(argv[i], "--log-file=", 11)) {
            static char buf[4096];
            snprintf(buf, sizeof buf, "--error-logfile=%s", argv[i] + 11);
            argv[i] = buf;
        }
    }

    memset(&cfg, 0, sizeof cfg);
    if (px_settings_defaults(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    char *pos[1];
    int npos = 0;
    if (tc_opt_parse_argv(px_settings_table, &cfg, argc, argv, pos, 0, &npos, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    if (px_settings_validate(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    px_g.cfg = &cfg;

    if (tc_addr_parse(cfg.upstream, 0, &px_g.upstream, err, sizeof err) < 0) {
        fprintf(stderr, "error: --upstream %s\n", err);
        return 2;
    }
    px_g.h1_limits.max_request_line = (uint32_t)cfg.limit_request_line;
    px_g.h1_limits.max_fields = (uint32_t)cfg.limit_request_fields;
    px_g.h1_limits.max_field_size = (uint32_t)cfg.limit_request_field_size;
    {
        /* The whole head: the line and every field at their limits, but never
         * more than 1 MiB per connection, whatever the limits say. */
        uint64_t line = cfg.limit_request_line ? (uint64_t)cfg.limit_request_line : 8192;
        uint64_t fsz = cfg.limit_request_field_size ? (uint64_t)cfg.limit_request_field_size : 8192;
        uint64_t head = line + 2 + (uint64_t)cfg.limit_request_fields * (fsz + 2) + 2;
        if (head > 1024 * 1024)
            head = 1024 * 1024;
        if (head < 8192)
            head = 8192;
        px_g.h1_limits.max_head = (uint32_t)head;
        px_g.h1_read_high = (size_t)head + 64 * 1024;
    }
    px_g.h1_max_hdrs = (uint32_t)cfg.limit_request_fields;
    if (px_g.h1_max_hdrs == 0) /* 0 = no limit: the array still needs a bound */
        px_g.h1_max_hdrs = 32768;

    if (tc_log_open(cfg.errorlog, cfg.log_level) < 0) {
        fprintf(stderr, "error: --error-logfile %s: %s\n", cfg.errorlog, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (px_settings_h2_unused(&cfg, err, sizeof err))
        tc_warn("%s", err);

    if (cfg.tls) {
        px_g.ssl_ctx = px_tls_ctx_new(&cfg, err, sizeof err);
        if (!px_g.ssl_ctx) {
            fprintf(stderr, "error: %s\n", err);
            return 1;
        }
    }
    px_g.nthreads = cfg.nthreads;
    if (px_listen_all(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (upstream_missing(&px_g.upstream))
        return 1;
    if (cfg.pidfile && *cfg.pidfile)
        write_pidfile(cfg.pidfile);

    int rc = px_server_run();
    if (cfg.pidfile && *cfg.pidfile)
        unlink(cfg.pidfile);
    if (px_g.ssl_ctx)
        SSL_CTX_free(px_g.ssl_ctx);
    tc_opt_free(px_settings_table, &cfg);
    return rc == 0 ? 0 : 1;
}

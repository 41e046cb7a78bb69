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
#include "px_listener.h"
#include "px_server.h"
#include "px_tls.h"
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
    static tc_addr upstream;
    if (tc_addr_parse(cfg.upstream, 0, &upstream, err, sizeof err) < 0) {
        fprintf(stderr, "error: --upstream %s\n", err);
        return 2;
    }

    if (tc_log_open(cfg.errorlog, cfg.log_level) < 0) {
        fprintf(stderr, "error: --error-logfile %s: %s\n", cfg.errorlog, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (px_settings_h2_unused(&cfg, err, sizeof err))
        tc_warn("%s", err);

    SSL_CTX *ssl_ctx = NULL;
    if (cfg.tls) {
        ssl_ctx = px_tls_ctx_new(&cfg, err, sizeof err);
        if (!ssl_ctx) {
            fprintf(stderr, "error: %s\n", err);
            return 1;
        }
    }
    if (px_listeners_open(&cfg, ssl_ctx, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (upstream_missing(&upstream))
        return 1;
    if (cfg.pidfile && *cfg.pidfile)
        write_pidfile(cfg.pidfile);

    int rc = px_server_run(&cfg, &upstream);
    if (cfg.pidfile && *cfg.pidfile)
        unlink(cfg.pidfile);
    if (ssl_ctx)
        SSL_CTX_free(ssl_ctx);
    tc_opt_free(px_settings_table, &cfg);
    return rc == 0 ? 0 : 1;
}

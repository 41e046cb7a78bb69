/* main.c: tandem-proxy's entry: settings (px_config.c), log, TLS context,
 * listening sockets (every startup error is one line on stderr), then the
 * threads. */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "px_accesslog.h"
#include "px_config.h"
#include "px_admin.h"
#include "px_control.h"
#include "px_listener.h"
#include "px_reload.h"
#include "px_server.h"
#include "px_stream_log.h"
#include "px_tls.h"
#include "tc_daemon.h"
#include "tc_log.h"
#include "tc_logsinks.h"
#include "tc_notify.h"
#include "tc_pidfile.h"
#include "tc_privs.h"

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

/* --check-config: what start-up would check, short of listening and
 * connecting: addresses, certificate and key. */
static int check_config(const px_settings *cfg, char *err, size_t errlen)
{
    tc_addr a;
    for (size_t i = 0; i < cfg->bind.n; i++)
        if (tc_addr_parse(cfg->bind.items[i], 8000, &a, err, errlen) < 0)
            return -1;
    if (cfg->tls) {
        SSL_CTX *ctx = px_tls_ctx_new(cfg, err, errlen);
        if (!ctx)
            return -1;
        SSL_CTX_free(ctx);
    }
    return 0;
}

/* The Unix sockets this process bound go to the user and group, as
 * Gunicorn's do, so the proxy can still remove them once it is that user. */
static int give_listeners(const tc_privs *privs, char *err, size_t errlen)
{
    for (size_t i = 0; i < px_listener_count(); i++) {
        const tc_addr *a = &px_listener_at(i)->addr;
        const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
        if (a->ss.ss_family == AF_UNIX && a->fd < 0 && sun->sun_path[0] &&
            tc_privs_chown(privs, sun->sun_path, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* After binding, loading the certificate and opening the logs as root:
 * detach (-D), write the pid file, keep the readiness socket, and become
 * the user.  1 on failure (the message printed). */
static int become_daemon_user(const px_settings *cfg, const tc_privs *privs)
{
    char err[1024];
    if (give_listeners(privs, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (cfg->daemon && tc_daemon_start(err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (cfg->pidfile && *cfg->pidfile && tc_pidfile_write(cfg->pidfile, err, sizeof err) != 0) {
        fprintf(stderr, "error: --pid %s\n", err);
        return 1;
    }
    if (privs->active && tc_notify_connect() != 0)
        tc_warn("NOTIFY_SOCKET %s: %s", getenv("NOTIFY_SOCKET"), strerror(errno));
    if (tc_privs_drop(privs, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (privs->active)
        tc_info("Running as uid %u, gid %u", (unsigned)getuid(), (unsigned)getgid());
    return 0;
}

static void remove_pidfile(const px_settings *cfg)
{
    if (cfg->pidfile && *cfg->pidfile)
        tc_pidfile_remove(cfg->pidfile);
}

int main(int argc, char **argv)
{
    static px_settings cfg;
    char err[1024];

    int loaded = px_config_load(&cfg, argc, argv, stdout, err, sizeof err);
    if (loaded == PX_LOAD_EXIT)
        return 0;
    if (loaded == PX_LOAD_ERROR || px_settings_validate(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    if (cfg.print_config) {
        tc_opt_print(stdout, px_settings_table, &cfg);
        return 0;
    }
    static tc_privs privs;
    if (tc_privs_resolve(cfg.user, cfg.group, cfg.initgroups, &privs, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    static tc_addr upstream;
    if (tc_addr_parse(cfg.upstream, 0, &upstream, err, sizeof err) < 0) {
        fprintf(stderr, "error: --upstream %s\n", err);
        return 2;
    }
    if (cfg.check_config) {
        if (check_config(&cfg, err, sizeof err) < 0) {
            fprintf(stderr, "error: %s\n", err);
            return 1;
        }
        printf("tandem-proxy: OK\n");
        return 0;
    }

    if (tc_log_open(cfg.error_path, cfg.log_level) < 0) {
        fprintf(stderr, "error: --error-logfile %s: %s\n", cfg.error_path, strerror(errno));
        return 1;
    }
    if (px_stream_logs_open(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (px_settings_h2_unused(&cfg, err, sizeof err))
        tc_warn("%s", err);
    if (cfg.logconfig_note[0])
        tc_warn("log config: %s", cfg.logconfig_note);

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
    /* The admin listener binds with the others, before the user changes;
     * the control socket is made by the user it answers to (tandemctl run
     * as that user). */
    if (px_admin_open(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (become_daemon_user(&cfg, &privs)) {
        px_admin_close();
        return 1;
    }
    if (px_control_open(&cfg, &upstream, err, sizeof err) != 0) {
        fprintf(stderr, "error: --proxy-control-socket %s\n", err);
        px_admin_close();
        remove_pidfile(&cfg);
        return 1;
    }

    if (px_reload_init(argc, argv, &cfg) != 0)
        tc_warn("out of memory: SIGHUP will not reload");
    int rc = px_server_run(&cfg, &upstream);
    px_control_close();
    px_accesslog_close();
    tc_logsinks_close();
    remove_pidfile(&cfg);
    if (ssl_ctx)
        SSL_CTX_free(ssl_ctx);
    tc_opt_free(px_settings_table, &cfg);
    return rc == 0 ? 0 : 1;
}

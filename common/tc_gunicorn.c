/* tc_gunicorn.c: every setting of Gunicorn 26.1 (its config key and its
 * command-line flags) and its server hooks, from gunicorn/config.py.  Only
 * names: tandem's own tables say what it supports; this one tells "a
 * Gunicorn setting tandem does not support yet" from a name nobody knows. */
#include "tc_gunicorn.h"

#include <string.h>

const tc_gunicorn_setting tc_gunicorn_settings[] = {
    { "config", "-c --config", 0 },
    { "wsgi_app", NULL, 0 },
    { "bind", "-b --bind", 0 },
    { "backlog", "--backlog", 0 },
    { "workers", "-w --workers", 0 },
    { "worker_class", "-k --worker-class", 0 },
    { "threads", "--threads", 0 },
    { "worker_connections", "--worker-connections", 0 },
    { "max_requests", "--max-requests", 0 },
    { "max_requests_jitter", "--max-requests-jitter", 0 },
    { "timeout", "-t --timeout", 0 },
    { "graceful_timeout", "--graceful-timeout", 0 },
    { "keepalive", "--keep-alive", 0 },
    { "limit_request_line", "--limit-request-line", 0 },
    { "limit_request_fields", "--limit-request-fields", 0 },
    { "limit_request_field_size", "--limit-request-field_size", 0 },
    { "reload", "--reload", 0 },
    { "reload_engine", "--reload-engine", 0 },
    { "reload_extra_files", "--reload-extra-file", 0 },
    { "spew", "--spew", 0 },
    { "check_config", "--check-config", 0 },
    { "print_config", "--print-config", 0 },
    { "preload_app", "--preload", 0 },
    { "sendfile", "--no-sendfile", 0 },
    { "reuse_port", "--reuse-port", 0 },
    { "chdir", "--chdir", 0 },
    { "daemon", "-D --daemon", 0 },
    { "raw_env", "-e --env", 0 },
    { "pidfile", "-p --pid", 0 },
    { "worker_tmp_dir", "--worker-tmp-dir", 0 },
    { "user", "-u --user", 0 },
    { "group", "-g --group", 0 },
    { "umask", "-m --umask", 0 },
    { "initgroups", "--initgroups", 0 },
    { "tmp_upload_dir", NULL, 0 },
    { "secure_scheme_headers", NULL, 0 },
    { "forwarded_allow_ips", "--forwarded-allow-ips", 0 },
    { "accesslog", "--access-logfile", 0 },
    { "disable_redirect_access_to_syslog", "--disable-redirect-access-to-syslog", 0 },
    { "access_log_format", "--access-logformat", 0 },
    { "errorlog", "--error-logfile --log-file", 0 },
    { "loglevel", "--log-level", 0 },
    { "capture_output", "--capture-output", 0 },
    { "logger_class", "--logger-class", 0 },
    { "logconfig", "--log-config", 0 },
    { "logconfig_dict", NULL, 0 },
    { "logconfig_json", "--log-config-json", 0 },
    { "syslog_addr", "--log-syslog-to", 0 },
    { "syslog", "--log-syslog", 0 },
    { "syslog_prefix", "--log-syslog-prefix", 0 },
    { "syslog_facility", "--log-syslog-facility", 0 },
    { "enable_stdio_inheritance", "-R --enable-stdio-inheritance", 0 },
    { "statsd_host", "--statsd-host", 0 },
    { "dogstatsd_tags", "--dogstatsd-tags", 0 },
    { "statsd_prefix", "--statsd-prefix", 0 },
    { "enable_backlog_metric", "--enable-backlog-metric", 0 },
    { "proc_name", "-n --name", 0 },
    { "default_proc_name", NULL, 0 },
    { "pythonpath", "--pythonpath", 0 },
    { "paste", "--paste --paster", 0 },
    { "on_starting", NULL, 1 },
    { "on_reload", NULL, 1 },
    { "when_ready", NULL, 1 },
    { "pre_fork", NULL, 1 },
    { "post_fork", NULL, 1 },
    { "post_worker_init", NULL, 1 },
    { "worker_int", NULL, 1 },
    { "worker_abort", NULL, 1 },
    { "pre_exec", NULL, 1 },
    { "pre_request", NULL, 1 },
    { "post_request", NULL, 1 },
    { "child_exit", NULL, 1 },
    { "worker_exit", NULL, 1 },
    { "nworkers_changed", NULL, 1 },
    { "on_exit", NULL, 1 },
    { "ssl_context", NULL, 1 },
    { "proxy_protocol", "--proxy-protocol", 0 },
    { "proxy_allow_ips", "--proxy-allow-from", 0 },
    { "protocol", "--protocol", 0 },
    { "uwsgi_allow_ips", "--uwsgi-allow-from", 0 },
    { "keyfile", "--keyfile", 0 },
    { "certfile", "--certfile", 0 },
    { "ssl_version", "--ssl-version", 0 },
    { "cert_reqs", "--cert-reqs", 0 },
    { "ca_certs", "--ca-certs", 0 },
    { "suppress_ragged_eofs", "--suppress-ragged-eofs", 0 },
    { "do_handshake_on_connect", "--do-handshake-on-connect", 0 },
    { "ciphers", "--ciphers", 0 },
    { "http_protocols", "--http-protocols", 0 },
    { "http2_cleartext", "--http2-cleartext", 0 },
    { "http2_max_concurrent_streams", "--http2-max-concurrent-streams", 0 },
    { "http2_initial_window_size", "--http2-initial-window-size", 0 },
    { "http2_max_frame_size", "--http2-max-frame-size", 0 },
    { "http2_max_header_list_size", "--http2-max-header-list-size", 0 },
    { "raw_paste_global_conf", "--paste-global", 0 },
    { "permit_obsolete_folding", "--permit-obsolete-folding", 0 },
    { "strip_header_spaces", "--strip-header-spaces", 0 },
    { "permit_unconventional_http_method", "--permit-unconventional-http-method", 0 },
    { "permit_unconventional_http_version", "--permit-unconventional-http-version", 0 },
    { "casefold_http_method", "--casefold-http-method", 0 },
    { "forwarder_headers", "--forwarder-headers", 0 },
    { "header_map", "--header-map", 0 },
    { "asgi_loop", "--asgi-loop", 0 },
    { "asgi_lifespan", "--asgi-lifespan", 0 },
    { "asgi_disconnect_grace_period", "--asgi-disconnect-grace-period", 0 },
    { "http_parser", "--http-parser", 0 },
    { "root_path", "--root-path", 0 },
    { "dirty_apps", "--dirty-app", 0 },
    { "dirty_workers", "--dirty-workers", 0 },
    { "dirty_timeout", "--dirty-timeout", 0 },
    { "dirty_threads", "--dirty-threads", 0 },
    { "dirty_graceful_timeout", "--dirty-graceful-timeout", 0 },
    { "on_dirty_starting", NULL, 0 },
    { "dirty_post_fork", NULL, 0 },
    { "dirty_worker_init", NULL, 0 },
    { "dirty_worker_exit", NULL, 0 },
    { "control_socket", "--control-socket", 0 },
    { "control_socket_mode", "--control-socket-mode", 0 },
    { "control_socket_disable", "--no-control-socket", 0 },
    { NULL, NULL, 0 },
};

const tc_gunicorn_setting *tc_gunicorn_find_key(const char *key)
{
    for (const tc_gunicorn_setting *g = tc_gunicorn_settings; g->key; g++)
        if (strcmp(g->key, key) == 0)
            return g;
    return NULL;
}

/* Whether the space-separated list has arg's flag: "--x" or "--x=v" for a
 * long one, "-x" or "-xVALUE" for a letter. */
static int has_flag(const char *list, const char *arg)
{
    size_t want = arg[1] == '-' ? strcspn(arg, "=") : 2;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == want && strncmp(p, arg, n) == 0)
            return 1;
        p += n;
        while (*p == ' ')
            p++;
    }
    return 0;
}

const tc_gunicorn_setting *tc_gunicorn_find_flag(const char *arg)
{
    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    for (const tc_gunicorn_setting *g = tc_gunicorn_settings; g->key; g++)
        if (g->flags && has_flag(g->flags, arg))
            return g;
    return NULL;
}

/* Settings tandem will never take: why, and what to use instead. */
static const struct {
    const char *key, *why;
} refusals[] = {
    { "ssl_version",
      "is deprecated by Gunicorn (ignored since 21.0) and not taken by tandem: set the least TLS "
      "version with tls_min_version (--tls-min-version 1.2 or 1.3)" },
};

const char *tc_gunicorn_refusal(const tc_gunicorn_setting *g)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(g->key, refusals[i].key) == 0)
            return refusals[i].why;
    return "is a Gunicorn setting tandem does not support yet";
}

int tc_gunicorn_is_hook(const char *name)
{
    const tc_gunicorn_setting *g = tc_gunicorn_find_key(name);
    return g && g->hook;
}

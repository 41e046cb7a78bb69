/* px_reload.c: SIGHUP (px_reload.h).  Nothing a thread uses is changed in
 * place: the main thread builds a set for each thread (limits to bind to
 * its base, a reference to the new TLS context) and hands it over through
 * an atomic pointer; the thread swaps it in on its own loop.  Connections
 * hold their SSL (which holds its context) and point at the limits they
 * were accepted with, which the thread keeps until it ends. */
#include "config.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include "px_admit.h"
#include "px_config.h"
#include "px_listener.h"
#include "px_reload.h"
#include "px_server.h"
#include "px_stream_log.h"
#include "px_thread.h"
#include "px_tls.h"
#include "tc_log.h"

/* Limits arrays older connections may still point at. */
typedef struct px_retired {
    px_limits *limits;
    struct px_retired *next;
} px_retired;

static int saved_argc;
static char **saved_argv;
static const px_settings *running;

/* What needs a new socket, a new thread, or is fixed in the listeners'
 * set-up (the protocols).  The TLS options all go into the new context;
 * the limits, trusted peers, forwarded fields and PROXY protocol mode into
 * the threads' limits; the connection caps into px_admit. */
static const char *const fixed_keys[] = {
    "bind",
    "upstream",
    "proxy_threads",
    "backlog",
    "http_protocols",
    "http2_cleartext",
    "errorlog",
    "pidfile",
    "user",
    "group",
    "umask",
    "initgroups",
    "daemon",
    "reuse_port",
    NULL,
};

int px_reload_init(int argc, char **argv, const px_settings *cfg)
{
    running = cfg;
    saved_argv = calloc((size_t)argc + 1, sizeof *saved_argv);
    if (saved_argv == NULL)
        return -1;
    for (int i = 0; i < argc; i++)
        if ((saved_argv[i] = strdup(argv[i])) == NULL)
            return -1;
    saved_argc = argc;
    return 0;
}

/* ---- the main thread ---- */

static int read_again(px_settings *ns, char *err, size_t errlen)
{
    int rc = px_config_load(ns, saved_argc, saved_argv, stdout, err, errlen) == PX_LOAD_OK &&
                     px_settings_validate(ns, err, errlen) == 0
                 ? 0
                 : -1;
    if (rc != 0)
        tc_opt_free(px_settings_table, ns);
    return rc;
}

static void add_name(char *list, size_t size, const char *name)
{
    size_t n = strlen(list);
    snprintf(list + n, size - n, "%s%s", n ? ", " : "", name);
}

/* A warning naming what the sources changed but cannot change now. */
static void warn_fixed(const px_settings *ns)
{
    char changed[512] = "";
    for (const char *const *k = fixed_keys; *k; k++) {
        const tc_opt *o = tc_opt_find_key(px_settings_table, *k);
        if (o == NULL)
            continue;
        char *was = tc_opt_value_text(o, running), *now = tc_opt_value_text(o, ns);
        if (was && now && strcmp(was, now) != 0)
            add_name(changed, sizeof changed, *k);
        free(was);
        free(now);
    }
    if (ns->tls != running->tls)
        add_name(changed, sizeof changed, "certfile and keyfile (TLS on or off)");
    if (changed[0])
        tc_warn("Reload: %s cannot change while tandem-proxy runs; restart it to apply them",
                changed);
}

static void set_free(px_reload_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; set->tls && i < px_listener_count(); i++)
        if (set->tls[i])
            SSL_CTX_free(set->tls[i]);
    free(set->tls);
    free(set->limits);
    free(set);
}

/* One thread's set: ns's limits for every listener, ctx for the TLS ones
 * (none: the thread keeps its certificate). */
static px_reload_set *set_new(const px_settings *ns, SSL_CTX *ctx)
{
    size_t n = px_listener_count();
    px_reload_set *set = calloc(1, sizeof *set);
    if (set == NULL)
        return NULL;
    set->limits = calloc(n ? n : 1, sizeof *set->limits);
    set->tls = calloc(n ? n : 1, sizeof *set->tls);
    if (!set->limits || !set->tls) {
        set_free(set);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        px_limits_from_settings(&set->limits[i], ns);
        if (!ctx || !px_listener_at(i)->ssl_ctx)
            continue;
        if (SSL_CTX_up_ref(ctx) != 1) {
            set_free(set);
            return NULL;
        }
        set->tls[i] = ctx;
    }
    return set;
}

/* Every thread gets its set, or none does. */
static int publish(const px_settings *ns, SSL_CTX *ctx)
{
    int n = px_thread_count();
    px_reload_set **sets = calloc((size_t)n, sizeof *sets);
    int ok = sets != NULL;
    for (int i = 0; ok && i < n; i++)
        ok = (sets[i] = set_new(ns, ctx)) != NULL;
    for (int i = 0; sets && i < n; i++) {
        if (!ok) {
            set_free(sets[i]);
            continue;
        }
        px_thread *th = px_thread_at(i);
        set_free(atomic_exchange(&th->reload, sets[i])); /* one it had not taken yet */
        px_thread_wake(th);
    }
    free(sets);
    return ok ? 0 : -1;
}

/* Settings of past reloads: the limits the threads took point into them
 * (trusted peers, forwarded fields), and connections keep those limits
 * for as long as they live.  A few KiB per reload, kept until exit. */
typedef struct px_kept_settings {
    px_settings s;
    struct px_kept_settings *next;
} px_kept_settings;

static px_kept_settings *kept;

static void apply(px_kept_settings *ks, SSL_CTX *ctx)
{
    const px_settings *ns = &ks->s;
    char err[1024];
    warn_fixed(ns);
    /* Before the threads wake to take their sets: they take the log too. */
    if (px_stream_logs_open(ns, err, sizeof err) != 0)
        tc_error("Reload: the logs stay as they were: %s", err);
    if (publish(ns, ctx) != 0) {
        tc_error("Reload failed, the running settings stay: out of memory");
        tc_opt_free(px_settings_table, &ks->s);
        free(ks);
        return;
    }
    ks->next = kept;
    kept = ks;
    px_admit_init(ns->max_connections, ns->max_connections_per_ip);
    px_server_set_graceful_timeout(ns->graceful_timeout);
    tc_log_set_level(ns->log_level);
    if (ctx)
        tc_info("Reloaded: certificate %s, key %s; new connections get the new settings",
                ns->certfile, ns->keyfile);
    else
        tc_info("Reloaded: new connections get the new settings");
}

void px_reload(void)
{
    char err[1024];
    px_kept_settings *ks = calloc(1, sizeof *ks);
    if (ks == NULL) {
        tc_error("Reload failed, the running settings stay: out of memory");
        return;
    }
    if (read_again(&ks->s, err, sizeof err) != 0) {
        tc_error("Reload failed, the running settings stay: %s", err);
        free(ks);
        return;
    }
    SSL_CTX *ctx = NULL;
    if (running->tls && ks->s.tls &&
        (ctx = px_tls_ctx_reload(running, &ks->s, err, sizeof err)) == NULL) {
        tc_error("Reload failed, the running settings stay: %s", err);
        tc_opt_free(px_settings_table, &ks->s);
        free(ks);
        return;
    }
    apply(ks, ctx);
    if (ctx)
        SSL_CTX_free(ctx);
}

/* ---- the threads ---- */

void px_reload_take(px_thread *th)
{
    px_reload_set *set = atomic_exchange(&th->reload, NULL);
    if (set == NULL)
        return;
    px_retired *old = malloc(sizeof *old);
    if (old == NULL) {
        tc_error("thread %d: cannot keep its old limits: out of memory; reload not applied",
                 th->index);
        set_free(set);
        return;
    }
    size_t n = px_listener_count();
    for (size_t i = 0; i < n; i++)
        px_limits_bind(&set->limits[i], th->base);
    *old = (px_retired){ th->limits, th->retired };
    th->retired = old;
    th->limits = set->limits;
    for (size_t i = 0; i < n; i++) {
        if (set->tls[i] == NULL)
            continue;
        SSL_CTX_free(th->tls[i]);
        th->tls[i] = set->tls[i];
    }
    free(set->tls);
    free(set);
}

void px_reload_release(px_thread *th)
{
    set_free(atomic_exchange(&th->reload, NULL));
    for (px_retired *r = th->retired, *next; r; r = next) {
        next = r->next;
        free(r->limits);
        free(r);
    }
    th->retired = NULL;
    for (size_t i = 0; th->tls && i < px_listener_count(); i++)
        if (th->tls[i])
            SSL_CTX_free(th->tls[i]);
    free(th->tls);
    th->tls = NULL;
}

/* ad_settings.c: the tc_opt table of tandem-appd (one row per Gunicorn-named
 * setting) and the checks that need more than one row or the environment. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ad_settings.h"
#include "px_settings.h"
#include "tc_log.h"
#include "tc_logconf.h"
#include "tc_privs.h"
#include "tp.h"

#define OFF(f) offsetof(ad_settings, f)
/* One row per setting, laid out by hand. */
/* clang-format off */
#define INT_ROW(...) TC_OPT_INT_ROW(ad_settings, __VA_ARGS__)
#define STR_ROW(...) TC_OPT_STR_ROW(ad_settings, __VA_ARGS__)
#define BOOL_ROW(...) TC_OPT_BOOL_ROW(ad_settings, __VA_ARGS__)
/* clang-format on */

/* Gunicorn's names, its dotted class paths, and Uvicorn's workers (which
 * users name in Gunicorn command lines), so existing command lines work. */
static const struct {
    const char *name;
    const char *canon;
    int wclass;          /* TP_CLASS_*, or 0 when refused */
    const char *instead; /* why refused, and what to use instead */
} worker_classes[] = {
    { "sync", "sync", TP_CLASS_SYNC, NULL },
    { "gthread", "gthread", TP_CLASS_GTHREAD, NULL },
    { "asgi", "asgi", TP_CLASS_ASGI, NULL },
    { "gevent", "gevent", TP_CLASS_GEVENT, NULL },
    { "gunicorn.workers.sync.SyncWorker", "sync", TP_CLASS_SYNC, NULL },
    { "gunicorn.workers.gthread.ThreadWorker", "gthread", TP_CLASS_GTHREAD, NULL },
    { "gunicorn.workers.ggevent.GeventWorker", "gevent", TP_CLASS_GEVENT, NULL },
    { "gunicorn.workers.gasgi.ASGIWorker", "asgi", TP_CLASS_ASGI, NULL },
    { "uvicorn.workers.UvicornWorker", "asgi", TP_CLASS_ASGI, NULL },
    { "uvicorn.workers.UvicornH11Worker", "asgi", TP_CLASS_ASGI, NULL },
    { "uvicorn_worker.UvicornWorker", "asgi", TP_CLASS_ASGI, NULL },
    { "uvicorn_worker.UvicornH11Worker", "asgi", TP_CLASS_ASGI, NULL },
    { "eventlet", NULL, 0,
      "Gunicorn 26 dropped eventlet: use gevent for green-thread WSGI apps, "
      "or asgi for asyncio ones" },
    { "gunicorn.workers.geventlet.EventletWorker", NULL, 0,
      "Gunicorn 26 dropped eventlet: use gevent for green-thread WSGI apps, or asgi for "
      "asyncio ones" },
    { "tornado", NULL, 0,
      "tandem runs no Tornado IOLoop: serve Tornado's WSGI adapter with "
      "gthread, or an asyncio app with asgi" },
    { "gunicorn.workers.gtornado.TornadoWorker", NULL, 0,
      "tandem runs no Tornado IOLoop: serve Tornado's WSGI adapter with gthread, or an asyncio "
      "app with asgi" },
};

/* Stores the canonical name of v into field (a char *), and in wclass_alias
 * the name as given when it is another server's. */
static int parse_worker_class(const tc_opt *o, void *field, const char *v, char *err, size_t errlen)
{
    ad_settings *s = (ad_settings *)((char *)field - offsetof(ad_settings, worker_class));
    for (size_t i = 0; i < sizeof worker_classes / sizeof worker_classes[0]; i++) {
        if (strcasecmp(v, worker_classes[i].name) != 0)
            continue;
        if (worker_classes[i].wclass == 0) {
            snprintf(err, errlen, "worker_class (--worker-class): '%s' is not supported (%s)", v,
                     worker_classes[i].instead);
            return -1;
        }
        char *copy = strdup(worker_classes[i].canon);
        char *alias = strncmp(v, "uvicorn", 7) == 0 ? strdup(v) : NULL;
        if (copy == NULL || (alias == NULL && strncmp(v, "uvicorn", 7) == 0)) {
            free(copy);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        free(*(char **)field);
        *(char **)field = copy;
        free(s->wclass_alias);
        s->wclass_alias = alias;
        return 0;
    }
    snprintf(err, errlen,
             "worker_class (--worker-class): '%s' is not a worker class "
             "(choose from sync, gthread, asgi, gevent)",
             v);
    return -1;
}

static const char *const loop_names[] = { "auto", "asyncio", "uvloop", NULL };
static const char *const lifespan_names[] = { "auto", "on", "off", NULL };
static const char *const reload_engines[] = { "auto", "poll", "inotify", NULL };

/* One raw_env item: values may contain commas ("-e LIST=a,b"), so no
 * splitting at commas as lists have. */
static int parse_raw_env(const tc_opt *o, void *field, const char *v, char *err, size_t errlen)
{
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq == v) {
        snprintf(err, errlen, "raw_env (-e/--env): '%s' is not KEY=VALUE", v);
        return -1;
    }
    if (tc_strlist_add(field, v) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* One row per setting, laid out by hand. */
/* clang-format off */
const tc_opt ad_settings_table[] = {
    /* A config file's bind, and GUNICORN_CMD_ARGS' --bind, are the public
     * listener's (tandem-proxy's): this socket is given on the command line. */
    { .key = "bind", .flag = "--bind", .short_flag = 'b', .type = TC_OPT_STR, .offset = OFF(bind),
      .def = "unix:/run/tandem/app.sock", .metavar = "ADDRESS",
      .help = "socket tandem-proxy connects to (unix:PATH, HOST:PORT)",
      .flags = TC_OPT_OWN_KEY | TC_OPT_OWN_FLAG },
    INT_ROW("workers", "--workers", 'w', workers, 1, AD_MAX_WORKERS, "1",
            "worker processes (default also from $WEB_CONCURRENCY)"),
    { .key = "worker_class", .flag = "--worker-class", .short_flag = 'k', .type = TC_OPT_STR,
      .offset = OFF(worker_class), .def = "sync", .metavar = "CLASS",
      .help = "sync, gthread, asgi (asyncio apps) or gevent", .parse = parse_worker_class },
    INT_ROW("threads", "--threads", 0, threads, 1, 1024, "1",
            "application threads per worker; > 1 makes a sync worker gthread"),
    INT_ROW("timeout", "--timeout", 't', timeout, 0, 2147483, "30",
            "kill a worker whose request runs this many seconds without waiting on the client; "
            "0 = off"),
    INT_ROW("graceful_timeout", "--graceful-timeout", 0, graceful_timeout, 0, 2147483, "30",
            "seconds workers get to finish in-flight requests after SIGTERM"),
    STR_ROW("chdir", "--chdir", 0, chdir, NULL, "DIR", "change to DIR before loading the app"),
    { .key = "pythonpath", .flag = "--pythonpath", .type = TC_OPT_LIST, .offset = OFF(pythonpath),
      .def = "", .metavar = "DIRS", .help = "comma-separated directories prepended to sys.path" },
    BOOL_ROW("preload_app", "--preload", preload_app,
             "import the app in the master before forking the workers"),
    /* The public listen queue is the proxy's; this one is given on the command line. */
    { .key = "backlog", .flag = "--backlog", .type = TC_OPT_INT, .offset = OFF(backlog),
      .min = 1, .max = 65535, .def = "2048", .metavar = "INT", .help = "listen(2) backlog",
      .flags = TC_OPT_OWN_KEY | TC_OPT_OWN_FLAG },
    STR_ROW("loglevel", "--log-level", 0, loglevel, "info", "LEVEL",
            "debug, info, warning, error, critical"),
    { .key = "errorlog", .flag = "--error-logfile", .type = TC_OPT_STR, .offset = OFF(errorlog),
      .def = "-", .metavar = "FILE", .help = "error log file ('-' = stderr)",
      .aliases = "--log-file" },
    BOOL_ROW("capture_output", "--capture-output", capture_output,
             "the workers' standard output and error go to the error log file too"),
    BOOL_ROW("syslog", "--log-syslog", syslog, "send the error log to syslog too"),
    TC_LOGSINKS_ROWS(ad_settings),
    STR_ROW("pidfile", "--pid", 'p', pidfile, NULL, "FILE", "write the master's pid to FILE"),
    { .key = "raw_env", .flag = "--env", .short_flag = 'e', .type = TC_OPT_LIST,
      .offset = OFF(raw_env), .metavar = "KEY=VALUE",
      .help = "set an environment variable for the app; repeatable", .parse = parse_raw_env },
    STR_ROW("proc_name", "--name", 'n', proc_name, NULL, "NAME",
            "name shown in ps/top (process title)"),
    INT_ROW("max_requests", "--max-requests", 0, max_requests, 0, 2147483647LL, "0",
            "restart a worker after this many requests; 0 = never"),
    INT_ROW("max_requests_jitter", "--max-requests-jitter", 0, max_requests_jitter, 0,
            2147483647LL, "0", "add a random 0..N to max_requests per worker"),
    { .key = "check_config", .flag = "--check-config", .type = TC_OPT_BOOL,
      .offset = OFF(check_config), .def = "false",
      .help = "check the settings and import the app, then exit", .flags = TC_OPT_CLI_ONLY },
    { .key = "print_config", .flag = "--print-config", .type = TC_OPT_BOOL,
      .offset = OFF(print_config), .def = "false", .help = "print the settings, then exit",
      .flags = TC_OPT_CLI_ONLY },
    { .key = "config", .flag = "--config", .short_flag = 'c', .type = TC_OPT_STR,
      .offset = OFF(config), .metavar = "CONFIG",
      .help = "run CONFIG (a gunicorn.conf.py, or python:MODULE) for settings and server hooks; "
              "default ./gunicorn.conf.py when it exists", .flags = TC_OPT_CLI_ONLY },
    { .key = "export_proxy_config", .flag = "--export-proxy-config", .type = TC_OPT_STR,
      .offset = OFF(export_proxy_config), .metavar = "FILE",
      .help = "write tandem-proxy's settings from CONFIG, evaluated, to FILE as literals "
              "('-': to standard output, then exit)", .flags = TC_OPT_CLI_ONLY },
    INT_ROW("worker_connections", "--worker-connections", 0, worker_connections, 1, 1000000,
            "1000", "asgi and gevent: streams one worker runs at once (its capacity)"),
    { .key = "asgi_loop", .flag = "--asgi-loop", .type = TC_OPT_CHOICE, .offset = OFF(asgi_loop),
      .def = "auto", .metavar = "LOOP", .choices = loop_names,
      .help = "asgi: the event loop: auto (uvloop when installed), asyncio, uvloop" },
    { .key = "asgi_lifespan", .flag = "--asgi-lifespan", .type = TC_OPT_CHOICE,
      .offset = OFF(asgi_lifespan), .def = "auto", .metavar = "MODE", .choices = lifespan_names,
      .help = "asgi: the lifespan protocol: auto (if the app speaks it), on, off" },
    INT_ROW("asgi_disconnect_grace_period", "--asgi-disconnect-grace-period", 0,
            asgi_disconnect_grace_period, 0, 3600, "3",
            "asgi: seconds a request's task may run on after its client left, then it is "
            "cancelled"),
    STR_ROW("root_path", "--root-path", 0, root_path, "", "PATH",
            "asgi: the scope's root_path (the prefix a front proxy mounts the app at)"),
    /* Gunicorn's: the app a config file names, for a command line without one. */
    { .key = "wsgi_app", .type = TC_OPT_STR, .offset = OFF(wsgi_app), .metavar = "APP",
      .help = "the app (MODULE:CALLABLE) when the command line names none" },
    STR_ROW("control_socket", "--control-socket", 0, control_socket, NULL, "PATH",
            "the control socket tandemctl(1) talks to; default: the --bind socket's path "
            "with .ctl appended (none for a TCP --bind)"),
    INT_ROW("control_socket_mode", "--control-socket-mode", 0, control_socket_mode, 0, 0777,
            "384", "permissions of the control socket (384 = 0600: the daemon's user only)"),
    BOOL_ROW("control_socket_disable", "--no-control-socket", control_socket_disable,
             "serve no control socket"),
    STR_ROW("user", "--user", 'u', user, "", "USER",
            "run the workers as USER (name or uid); the socket is given to USER"),
    STR_ROW("group", "--group", 'g', group, "", "GROUP",
            "run the workers as GROUP (name or gid); the socket is given to GROUP"),
    { .key = "umask", .flag = "--umask", .short_flag = 'm', .type = TC_OPT_INT,
      .offset = OFF(umask), .min = 0, .max = 0777, .def = "0", .metavar = "INT",
      .help = "umask for the socket and the workers' files (18, 0o22, 022)",
      .parse = tc_privs_parse_umask },
    BOOL_ROW("initgroups", "--initgroups", initgroups,
             "workers keep USER's supplementary groups (else none)"),
    { .key = "daemon", .flag = "--daemon", .short_flag = 'D', .type = TC_OPT_BOOL,
      .offset = OFF(daemon), .def = "false", .help = "detach from the terminal and run in the "
      "background" },
    STR_ROW("worker_tmp_dir", "--worker-tmp-dir", 0, worker_tmp_dir, NULL, "DIR",
            "directory of the workers' heartbeat files (must exist, writable by USER)"),
    BOOL_ROW("reload", "--reload", reload,
             "restart the workers when a module file of the app changes (development)"),
    { .key = "reload_engine", .flag = "--reload-engine", .type = TC_OPT_CHOICE,
      .offset = OFF(reload_engine), .def = "auto", .metavar = "ENGINE",
      .choices = reload_engines,
      .help = "how --reload notices changes: auto (inotify when it works), poll, inotify" },
    { .key = "reload_extra_files", .flag = "--reload-extra-file", .type = TC_OPT_LIST,
      .offset = OFF(reload_extra_files), .def = "", .metavar = "FILES",
      .help = "more files --reload watches; repeatable" },
    TC_OPT_END
};
/* clang-format on */

static int check_loglevel(const char *level, char *err, size_t errlen)
{
    if (tc_log_level_parse(level) >= 0)
        return 0;
    snprintf(err, errlen,
             "loglevel (--log-level): '%s' is not a level "
             "(allowed: debug, info, warning, error, critical)",
             level);
    return -1;
}

/* The log level, checked as a config file sets it, for the error's line. */
static int check_key(const void *settings, const char *key, char *err, size_t errlen)
{
    const ad_settings *s = settings;
    return strcmp(key, "loglevel") == 0 ? check_loglevel(s->loglevel, err, errlen) : 0;
}

const tc_conf_space ad_conf_space = {
    .prog = "tandem-appd",
    .table = ad_settings_table,
    .other_prog = "tandem-proxy",
    .other = px_settings_table,
    .runs_hooks = 1,
    .check = check_key,
};

const char *ad_worker_class_name(int wclass)
{
    switch (wclass) {
    case TP_CLASS_GTHREAD: return "gthread";
    case TP_CLASS_ASGI: return "asgi";
    case TP_CLASS_GEVENT: return "gevent";
    default: return "sync";
    }
}

static const char usage_line[] = "usage: tandem-appd [options] module:callable";

/* Gunicorn reads $WEB_CONCURRENCY as the default for --workers. */
static int environment_defaults(ad_settings *s, char *err, size_t errlen)
{
    const char *wc = getenv("WEB_CONCURRENCY");
    if (wc == NULL || *wc == '\0')
        return 0;
    char e2[256];
    if (tc_opt_set(tc_opt_find_key(ad_settings_table, "workers"), s, wc, e2, sizeof e2) == 0)
        return 0;
    snprintf(err, errlen, "WEB_CONCURRENCY: %s", e2);
    return -1;
}

/* Every source, lowest first; the positionals of the command line in pos. */
static int load_sources(ad_settings *s, int argc, char **argv, ad_config_loader load, void *ctx,
                        tc_conf_args args[3], char **pos, int *npos, char *err, size_t errlen)
{
    if (tc_conf_collect_cli(&ad_conf_space, argc, argv, &args[2], pos, 2, npos, err, errlen) ||
        tc_conf_collect_env(&ad_conf_space, "GUNICORN_CMD_ARGS", &args[0], err, errlen) ||
        tc_conf_collect_env(&ad_conf_space, "TANDEM_CMD_ARGS", &args[1], err, errlen))
        return -1;
    if (tc_opt_defaults(ad_settings_table, s, err, errlen) || environment_defaults(s, err, errlen))
        return -1;
    const char *location = tc_conf_location(&args[2], &args[0], &args[1]);
    if (location && load && load(location, s, ctx, err, errlen))
        return -1;
    /* --print-config names the file even when it was found by default. */
    if (location && load &&
        tc_opt_set(tc_opt_find_key(ad_settings_table, "config"), s, location, err, errlen))
        return -1;
    for (int i = 0; i < 3; i++)
        if (tc_conf_args_apply(&args[i], ad_settings_table, s, err, errlen))
            return -1;
    return 0;
}

static int derive(ad_settings *s, char **pos, int npos, char *err, size_t errlen);

int ad_settings_load(ad_settings *s, int argc, char **argv, FILE *out, ad_config_loader load,
                     void *ctx, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (tc_opt_asks(argc, argv, "-h", "--help")) {
        tc_opt_usage(out, usage_line, ad_settings_table);
        fprintf(out, "\nThe app is MODULE:CALLABLE (CALLABLE defaults to 'application';\n"
                     "'MODULE:factory()' calls a factory).  See tandem-appd(8).\n");
        return AD_PARSE_EXIT;
    }
    if (tc_opt_asks(argc, argv, "-v", "--version")) {
        fprintf(out, "tandem-appd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return AD_PARSE_EXIT;
    }
    tc_conf_args args[3] = { { 0 } };
    char *pos[2];
    int npos = 0;
    int rc = load_sources(s, argc, argv, load, ctx, args, pos, &npos, err, errlen);
    if (rc == 0)
        rc = derive(s, pos, npos, err, errlen);
    for (int i = 0; i < 3; i++)
        tc_conf_args_free(&args[i]);
    return rc ? AD_PARSE_ERROR : AD_PARSE_OK;
}

int ad_settings_parse(ad_settings *s, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
    return ad_settings_load(s, argc, argv, out, NULL, NULL, err, errlen);
}

/* Values made from the settings, and the app to run. */
/* logconfig_dict, logconfig_json or logconfig, as Gunicorn applies them,
 * over the error log and its syslog copy (Python's logging gets them too:
 * ad_logging.c). */
static int apply_logconfig(ad_settings *s, char *err, size_t errlen)
{
    tc_logconf lc;
    if (tc_logconf_load(s->sinks.logconfig_dict, s->sinks.logconfig_json, s->sinks.logconfig, &lc,
                        err, errlen) < 0)
        return -1;
    tc_logconf_effect e = { s->errorlog, s->log_level, s->syslog, NULL, 0 };
    tc_logconf_apply(&lc, &e);
    int n = snprintf(s->error_path, sizeof s->error_path, "%s", e.errorlog ? e.errorlog : "-");
    s->log_level = e.level;
    s->error_syslog = e.error_syslog;
    snprintf(s->logconfig_note, sizeof s->logconfig_note, "%s", lc.note);
    tc_logconf_free(&lc);
    if (n < (int)sizeof s->error_path)
        return 0;
    snprintf(err, errlen, "errorlog: the path is too long");
    return -1;
}

static int derive(ad_settings *s, char **pos, int npos, char *err, size_t errlen)
{
    if (check_loglevel(s->loglevel, err, errlen))
        return -1;
    s->log_level = tc_log_level_parse(s->loglevel);
    if (apply_logconfig(s, err, errlen))
        return -1;
    if (strcmp(s->worker_class, "asgi") == 0)
        s->wclass = TP_CLASS_ASGI;
    else if (strcmp(s->worker_class, "gevent") == 0)
        s->wclass = TP_CLASS_GEVENT;
    else if (strcmp(s->worker_class, "gthread") == 0 || s->threads > 1)
        s->wclass = TP_CLASS_GTHREAD; /* Gunicorn: sync with --threads > 1 is gthread */
    else
        s->wclass = TP_CLASS_SYNC;

    if (npos > 1) {
        snprintf(err, errlen, "unexpected argument '%s' (one application only)", pos[1]);
        return -1;
    }
    /* The command line's app wins over the config file's wsgi_app. */
    const char *app = npos ? pos[0] : s->wsgi_app;
    if (app == NULL) {
        int exporting = s->export_proxy_config && strcmp(s->export_proxy_config, "-") == 0;
        if (s->print_config || exporting)
            return 0;
        snprintf(err, errlen, "no application given (%s)", usage_line);
        return -1;
    }
    const char *colon = strchr(app, ':');
    if (app[0] == '\0' || colon == app) {
        snprintf(err, errlen, "'%s': no module name (expected module:callable)", app);
        return -1;
    }
    if (colon && colon[1] == '\0') {
        snprintf(err, errlen, "'%s': no callable after ':' (expected module:callable)", app);
        return -1;
    }
    if ((s->app_spec = strdup(app)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void ad_settings_free(ad_settings *s)
{
    tc_opt_free(ad_settings_table, s);
    free(s->app_spec);
    free(s->wclass_alias);
    memset(s, 0, sizeof *s);
}

/* ad_settings.h: tandem-appd's settings (Gunicorn's names and flags) and
 * their loading from all sources in Gunicorn's order (tc_conf.h): defaults,
 * $WEB_CONCURRENCY, the config file (run as Python by a loader the caller
 * gives: ad_config.c), GUNICORN_CMD_ARGS, TANDEM_CMD_ARGS, the command line.
 * Pure C, unit-tested without Python. */
#ifndef TANDEM_AD_SETTINGS_H
#define TANDEM_AD_SETTINGS_H

#include <stddef.h>

#include "tc_conf.h"
#include "tc_logsinks.h"
#include "tc_opt.h"

#define AD_MAX_WORKERS 1024

typedef struct {
    /* rows of ad_settings_table */
    char *bind;
    long long workers;
    char *worker_class;
    long long threads;
    long long timeout;
    long long graceful_timeout;
    char *chdir;
    tc_strlist pythonpath;
    int preload_app;
    long long backlog;
    char *loglevel;
    char *errorlog;
    int capture_output;
    int syslog;
    tc_logsinks_settings sinks;
    char *pidfile;
    tc_strlist raw_env;
    char *proc_name;
    long long max_requests;
    long long max_requests_jitter;
    int check_config;
    int print_config;
    char *config;                 /* -c: FILE or python:MODULE (command line only) */
    char *export_proxy_config;    /* where the proxy's settings from the file go */
    char *wsgi_app;               /* the app when the command line names none (file only) */
    long long worker_connections; /* asgi, gevent: streams one worker runs at once */
    int asgi_loop;                /* AD_LOOP_* */
    int asgi_lifespan;            /* AD_LIFESPAN_* */
    long long asgi_disconnect_grace_period; /* seconds a cancelled request's task may finish */
    char *root_path;                        /* ASGI root_path */
    char *control_socket;                   /* tandemctl's socket; NULL: derived from bind */
    long long control_socket_mode;
    int control_socket_disable;
    char *user;                             /* workers run as this user (name or uid) */
    char *group;                            /* ... and group (name or gid) */
    long long umask;                        /* for the socket and worker files */
    int initgroups;                         /* workers keep the user's supplementary groups */
    int daemon;                             /* detach from the terminal */
    char *worker_tmp_dir;                   /* where each worker keeps its heartbeat file */
    int reload;                             /* restart workers when a module file changes */
    int reload_engine;                      /* AD_RELOAD_* */
    tc_strlist reload_extra_files;          /* more files --reload watches */

    /* derived by ad_settings_load */
    int wclass;               /* TP_CLASS_SYNC, _GTHREAD, _ASGI or _GEVENT */
    char *wclass_alias;       /* another server's class name the user gave (uvicorn's), or NULL */
    int log_level;            /* TC_LOG_*, once the log configuration has had its say */
    char *app_spec;           /* "module:callable" (heap) */
    char error_path[4096];    /* the error log ("-": standard error), likewise */
    int error_syslog;         /* the error log goes to syslog too */
    char logconfig_note[512]; /* what the log configuration asks that is not applied */
} ad_settings;

/* --asgi-loop and --asgi-lifespan values (their choices' order). */
enum { AD_LOOP_AUTO = 0, AD_LOOP_ASYNCIO, AD_LOOP_UVLOOP };
enum { AD_LIFESPAN_AUTO = 0, AD_LIFESPAN_ON, AD_LIFESPAN_OFF };
/* --reload-engine values (its choices' order). */
enum { AD_RELOAD_AUTO = 0, AD_RELOAD_POLL, AD_RELOAD_INOTIFY };

extern const tc_opt ad_settings_table[];
/* tandem-appd among the names of both daemons: it runs the server hooks. */
extern const tc_conf_space ad_conf_space;

enum {
    AD_PARSE_OK = 0,     /* run */
    AD_PARSE_EXIT = 1,   /* --help / --version printed: exit 0 */
    AD_PARSE_ERROR = -1, /* err holds one line: print "error: ..." and exit 2 */
};

/* Reads the config file at location (a path, or python:MODULE) into s;
 * 0, or -1 with one line in err. */
typedef int (*ad_config_loader)(const char *location, ad_settings *s, void *ctx, char *err,
                                size_t errlen);

/* Fills s (zeroed here) from every source; load (with ctx) reads the config
 * file when there is one, and a NULL load reads none.  out receives --help
 * and --version text.  Returns AD_PARSE_*. */
int ad_settings_load(ad_settings *s, int argc, char **argv, FILE *out, ad_config_loader load,
                     void *ctx, char *err, size_t errlen);
/* ad_settings_load without a config file. */
int ad_settings_parse(ad_settings *s, int argc, char **argv, FILE *out, char *err, size_t errlen);
void ad_settings_free(ad_settings *s);

/* The syslog and statsd settings, for tc_logsinks. */
static inline tc_logsinks_conf ad_settings_logsinks(const ad_settings *s)
{
    return tc_logsinks_conf_of(s->syslog, &s->sinks);
}

/* "sync", "gthread", "asgi", "gevent" for TP_CLASS_*. */
const char *ad_worker_class_name(int wclass);

#endif

/* ad_settings.h: tandem-appd's settings (Gunicorn's names and flags) and the
 * command-line parser that fills them; pure C, unit-tested without Python. */
#ifndef TANDEM_AD_SETTINGS_H
#define TANDEM_AD_SETTINGS_H

#include <stddef.h>

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
    char *pidfile;
    tc_strlist raw_env;
    char *proc_name;
    long long max_requests;
    long long max_requests_jitter;
    int check_config;
    int print_config;

    /* derived by ad_settings_parse */
    int wclass;          /* TP_CLASS_SYNC or TP_CLASS_GTHREAD */
    int log_level;       /* TC_LOG_* */
    char *app_spec;      /* "module:callable" (heap) */
    int workers_set;     /* -w given (or WEB_CONCURRENCY) */
} ad_settings;

extern const tc_opt ad_settings_table[];

enum {
    AD_PARSE_OK = 0,     /* run */
    AD_PARSE_EXIT = 1,   /* --help / --version printed: exit 0 */
    AD_PARSE_ERROR = -1, /* err holds one line: print "error: ..." and exit 2 */
};

/* Fills s (zeroed here) from WEB_CONCURRENCY and argv.  out receives --help
 * and --version text.  Returns AD_PARSE_*. */
int ad_settings_parse(ad_settings *s, int argc, char **argv, FILE *out, char *err, size_t errlen);
void ad_settings_free(ad_settings *s);

/* "sync", "gthread" for TP_CLASS_*. */
const char *ad_worker_class_name(int wclass);

#endif

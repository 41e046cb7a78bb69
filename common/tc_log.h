/* tc_log.h: the one logging facility of each daemon (Gunicorn's error-log format).
 * Lines look like "[2026-11-28 17:30:00 +0000] [1234] [INFO] message".
 * Not thread-safe to (re)open or to configure (syslog, counter, capture:
 * before the threads start); tc_log() itself may be called from any thread
 * (one write(2) per line, so lines never interleave). */
#ifndef TANDEM_TC_LOG_H
#define TANDEM_TC_LOG_H

#include <stdarg.h>

enum tc_log_level {
    TC_LOG_DEBUG = 10,
    TC_LOG_INFO = 20,
    TC_LOG_WARNING = 30,
    TC_LOG_ERROR = 40,
    TC_LOG_CRITICAL = 50,
};

/* path NULL, "-" or /dev/stderr means stderr, /dev/stdout stdout (neither
 * is reopened).  Returns 0, or -1 with errno set when the file cannot be
 * opened (the caller prints the error and exits). */
int tc_log_open(const char *path, int level);
/* Reopens the same path (SIGUSR1, log rotation).  0 or -1/errno. */
int tc_log_reopen(void);
void tc_log_set_level(int level);
int tc_log_get_level(void);
/* "debug", "info", "warning", "error", "critical" (case-insensitive) -> level,
 * -1 when unknown. */
int tc_log_level_parse(const char *name);
/* The fd log lines go to (for wsgi.errors and children's stderr). */
int tc_log_fd(void);

struct tc_syslog;
/* Every line is also sent to sl (Gunicorn's --log-syslog) as "[pid]
 * message"; NULL stops it.  The caller keeps sl open while it is set. */
void tc_log_set_syslog(struct tc_syslog *sl);
/* fn(level) runs for each line at TC_LOG_WARNING or above that passes the
 * level (statsd's gunicorn.log.* counters); NULL stops it. */
void tc_log_set_counter(void (*fn)(int level));
/* Gunicorn's capture_output: standard output and error go to the log file
 * too, now and after each reopen (nothing when the log is stderr).  0 or
 * -1/errno. */
int tc_log_capture_stdio(void);

void tc_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tc_vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define tc_debug(...)                           \
    do {                                        \
        if (tc_log_get_level() <= TC_LOG_DEBUG) \
            tc_log(TC_LOG_DEBUG, __VA_ARGS__);  \
    } while (0)
#define tc_info(...) tc_log(TC_LOG_INFO, __VA_ARGS__)
#define tc_warn(...) tc_log(TC_LOG_WARNING, __VA_ARGS__)
#define tc_error(...) tc_log(TC_LOG_ERROR, __VA_ARGS__)
#define tc_crit(...) tc_log(TC_LOG_CRITICAL, __VA_ARGS__)

#endif

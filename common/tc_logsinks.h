/* tc_logsinks.h: where a daemon's logs go besides its error log file,
 * from Gunicorn's settings both daemons take: syslog (--log-syslog,
 * --log-syslog-to, --log-syslog-prefix, --log-syslog-facility) and statsd
 * (--statsd-host, --statsd-prefix, --dogstatsd-tags).  Opened once at
 * start-up, before any thread or worker exists, and kept for the
 * process's life (workers inherit them across fork).
 *
 * Syslog tags are "tandem.PREFIX.error" and "tandem.PREFIX.access" (as
 * Gunicorn's "gunicorn.PREFIX.error"), PREFIX being --log-syslog-prefix or
 * by default the daemon ("proxy", "appd").  With statsd, every error-log
 * line at warning or above counts as gunicorn.log.warning, .error or
 * .critical, as Gunicorn counts them.
 *
 * Errors: -1 (or NULL) with one line in err, naming the setting. */
#ifndef TANDEM_TC_LOGSINKS_H
#define TANDEM_TC_LOGSINKS_H

#include <stddef.h>

#include "tc_opt.h"
#include "tc_statsd.h"
#include "tc_syslog.h"

typedef struct {
    int syslog;
    const char *syslog_addr, *syslog_prefix, *syslog_facility;
    const char *statsd_host, *statsd_prefix, *dogstatsd_tags;
} tc_logsinks_conf;

/* The settings of the sinks and of the logging configuration, kept as
 * given, which each daemon's settings struct holds as its member sinks
 * (filled by TC_LOGSINKS_ROWS; freed with the daemon's table). */
typedef struct {
    char *syslog_addr, *syslog_prefix, *syslog_facility;
    char *statsd_host, *statsd_prefix, *dogstatsd_tags;
    char *logconfig, *logconfig_dict, *logconfig_json;
} tc_logsinks_settings;

/* What tc_logsinks_open takes from them and --log-syslog (syslog). */
static inline tc_logsinks_conf tc_logsinks_conf_of(int syslog, const tc_logsinks_settings *s)
{
    tc_logsinks_conf c = { .syslog = syslog,
                           .syslog_addr = s->syslog_addr,
                           .syslog_prefix = s->syslog_prefix,
                           .syslog_facility = s->syslog_facility,
                           .statsd_host = s->statsd_host,
                           .statsd_prefix = s->statsd_prefix,
                           .dogstatsd_tags = s->dogstatsd_tags };
    return c;
}

/* The settings rows of the sinks and of the logging configuration, the same
 * in both daemons' tables: T is the settings struct, whose member sinks
 * (a tc_logsinks_settings) they fill. */
/* clang-format off */
#define TC_LOGSINKS_ROWS(T) \
    { .key = "syslog_addr", .flag = "--log-syslog-to", .type = TC_OPT_STR, \
      .offset = offsetof(T, sinks.syslog_addr), .def = TC_SYSLOG_DEFAULT_ADDR, \
      .metavar = "SYSLOG_ADDR", \
      .help = "udp://HOST:PORT, tcp://HOST:PORT or unix://PATH[#dgram|#stream]", \
      .parse = tc_logsinks_parse_syslog_addr }, \
    TC_OPT_STR_ROW(T, "syslog_prefix", "--log-syslog-prefix", 0, sinks.syslog_prefix, NULL, \
                   "SYSLOG_PREFIX", "syslog tags are tandem.PREFIX.error and .access " \
                   "(default PREFIX: the daemon)"), \
    { .key = "syslog_facility", .flag = "--log-syslog-facility", .type = TC_OPT_STR, \
      .offset = offsetof(T, sinks.syslog_facility), .def = "user", \
      .metavar = "SYSLOG_FACILITY", .help = "syslog facility name", \
      .parse = tc_logsinks_parse_facility }, \
    { .key = "statsd_host", .flag = "--statsd-host", .type = TC_OPT_STR, \
      .offset = offsetof(T, sinks.statsd_host), .metavar = "STATSD_ADDR", \
      .help = "send Gunicorn's metrics to statsd at HOST:PORT (UDP) or unix://PATH", \
      .parse = tc_logsinks_parse_statsd_host }, \
    TC_OPT_STR_ROW(T, "statsd_prefix", "--statsd-prefix", 0, sinks.statsd_prefix, "", \
                   "STATSD_PREFIX", "prefix of every metric's name (a '.' is added)"), \
    TC_OPT_STR_ROW(T, "dogstatsd_tags", "--dogstatsd-tags", 0, sinks.dogstatsd_tags, "", \
                   "DOGSTATSD_TAGS", \
                   "dogstatsd tags for every metric (comma-separated key:value)"), \
    TC_OPT_STR_ROW(T, "logconfig", "--log-config", 0, sinks.logconfig, NULL, "FILE", \
                   "logging.fileConfig INI file; its gunicorn.error and gunicorn.access loggers " \
                   "direct tandem's lines"), \
    { .key = "logconfig_dict", .type = TC_OPT_PYDICT, \
      .offset = offsetof(T, sinks.logconfig_dict), .def = "{}", \
      .help = "logging.dictConfig dict (over Gunicorn's defaults)" }, \
    TC_OPT_STR_ROW(T, "logconfig_json", "--log-config-json", 0, sinks.logconfig_json, NULL, \
                   "FILE", "logging.dictConfig JSON file (over Gunicorn's defaults)")
/* clang-format on */

/* tc_opt parse functions for the rows: the value is checked, then kept as
 * the string it is. */
int tc_logsinks_parse_facility(const tc_opt *o, void *field, const char *v, char *err,
                               size_t errlen);
int tc_logsinks_parse_syslog_addr(const tc_opt *o, void *field, const char *v, char *err,
                                  size_t errlen);
int tc_logsinks_parse_statsd_host(const tc_opt *o, void *field, const char *v, char *err,
                                  size_t errlen);

/* Opens what c asks for: the error log's copy to syslog and the statsd
 * client (with the gunicorn.log.* counters).  daemon is "proxy" or "appd". */
int tc_logsinks_open(const tc_logsinks_conf *c, const char *daemon, char *err, size_t errlen);
/* A reload (SIGHUP): the clients whose settings changed are opened anew
 * and replace the running ones, which stay open (a thread may be sending
 * through one) until tc_logsinks_close.  -1 with err and nothing changed
 * when one cannot be opened. */
int tc_logsinks_reload(const tc_logsinks_conf *c, const char *daemon, char *err, size_t errlen);
/* The statsd client, NULL when statsd_host is unset. */
tc_statsd *tc_logsinks_statsd(void);
/* A syslog client for another of the daemon's logs (log: "access"); NULL
 * with err.  The caller closes it. */
tc_syslog *tc_logsinks_syslog(const tc_logsinks_conf *c, const char *daemon, const char *log,
                              char *err, size_t errlen);
void tc_logsinks_close(void);

#endif

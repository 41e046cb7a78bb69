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

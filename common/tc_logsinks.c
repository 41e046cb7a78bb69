/* tc_logsinks.c: a daemon's syslog and statsd destinations from Gunicorn's
 * settings (tc_logsinks.h): the values checked as they are set, the
 * clients opened once, the error log hooked to both. */
#include "tc_logsinks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc_log.h"

static tc_syslog *error_syslog;
static tc_statsd *statsd;

static int keep(void *field, const char *v, char *err, size_t errlen)
{
    char *copy = strdup(v);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(*(char **)field);
    *(char **)field = copy;
    return 0;
}

int tc_logsinks_parse_facility(const tc_opt *o, void *field, const char *v, char *err,
                               size_t errlen)
{
    if (tc_syslog_facility(v) < 0) {
        snprintf(err, errlen,
                 "%s (%s): '%s' is not a syslog facility (allowed: auth, authpriv, cron, daemon, "
                 "ftp, kern, lpr, mail, news, security, syslog, user, uucp, local0..local7)",
                 o->key, o->flag, v);
        return -1;
    }
    return keep(field, v, err, errlen);
}

int tc_logsinks_parse_syslog_addr(const tc_opt *o, void *field, const char *v, char *err,
                                  size_t errlen)
{
    return tc_syslog_check_addr(v, err, errlen) < 0 ? -1 : keep(field, v, err, errlen);
}

int tc_logsinks_parse_statsd_host(const tc_opt *o, void *field, const char *v, char *err,
                                  size_t errlen)
{
    return tc_statsd_check_host(v, err, errlen) < 0 ? -1 : keep(field, v, err, errlen);
}

/* Gunicorn's Statsd logger counts its warnings, errors and criticals. */
static void count_line(int level)
{
    tc_statsd_batch b;
    b.len = 0;
    const char *name = level >= TC_LOG_CRITICAL ? "gunicorn.log.critical"
                       : level >= TC_LOG_ERROR  ? "gunicorn.log.error"
                                                : "gunicorn.log.warning";
    tc_statsd_count(statsd, &b, name, 1);
    tc_statsd_flush(statsd, &b);
}

tc_syslog *tc_logsinks_syslog(const tc_logsinks_conf *c, const char *daemon, const char *log,
                              char *err, size_t errlen)
{
    char tag[128];
    const char *prefix = c->syslog_prefix && *c->syslog_prefix ? c->syslog_prefix : daemon;
    snprintf(tag, sizeof tag, "tandem.%s.%s", prefix, log);
    int facility = tc_syslog_facility(c->syslog_facility ? c->syslog_facility : "user");
    return tc_syslog_open(c->syslog_addr ? c->syslog_addr : TC_SYSLOG_DEFAULT_ADDR,
                          facility < 0 ? 1 : facility, tag, err, errlen);
}

int tc_logsinks_open(const tc_logsinks_conf *c, const char *daemon, char *err, size_t errlen)
{
    if (c->syslog) {
        if ((error_syslog = tc_logsinks_syslog(c, daemon, "error", err, errlen)) == NULL)
            return -1;
        tc_log_set_syslog(error_syslog);
    }
    if (c->statsd_host && *c->statsd_host) {
        statsd = tc_statsd_open(c->statsd_host, c->statsd_prefix, c->dogstatsd_tags, err, errlen);
        if (statsd == NULL)
            return -1;
        tc_log_set_counter(count_line);
    }
    return 0;
}

tc_statsd *tc_logsinks_statsd(void) { return statsd; }

void tc_logsinks_close(void)
{
    tc_log_set_syslog(NULL);
    tc_log_set_counter(NULL);
    tc_syslog_close(error_syslog);
    tc_statsd_close(statsd);
    error_syslog = NULL;
    statsd = NULL;
}

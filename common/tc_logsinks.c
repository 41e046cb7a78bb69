/* tc_logsinks.c: a daemon's syslog and statsd destinations from Gunicorn's
 * settings (tc_logsinks.h): the values checked as they are set, the
 * clients opened at start-up and again when a reload changes them, the
 * error log hooked to both. */
#include "tc_logsinks.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc_log.h"

static tc_syslog *error_syslog;
static tc_statsd *_Atomic statsd;
/* The settings each client was opened from, to reopen only what changed. */
static char *syslog_key, *statsd_key;

/* Clients a reload replaced.  A thread may be sending through one at that
 * moment, so they stay open until tc_logsinks_close. */
typedef struct retired {
    tc_syslog *sl;
    tc_statsd *sd;
    struct retired *next;
} retired;
static retired *replaced;

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
    return tc_opt_set_str(field, v, err, errlen);
}

int tc_logsinks_parse_syslog_addr(const tc_opt *o, void *field, const char *v, char *err,
                                  size_t errlen)
{
    return tc_syslog_check_addr(v, err, errlen) < 0 ? -1 : tc_opt_set_str(field, v, err, errlen);
}

int tc_logsinks_parse_statsd_host(const tc_opt *o, void *field, const char *v, char *err,
                                  size_t errlen)
{
    return tc_statsd_check_host(v, err, errlen) < 0 ? -1 : tc_opt_set_str(field, v, err, errlen);
}

/* Gunicorn's Statsd logger counts its warnings, errors and criticals. */
static void count_line(int level)
{
    tc_statsd_batch b;
    b.len = 0;
    const char *name = level >= TC_LOG_CRITICAL ? "gunicorn.log.critical"
                       : level >= TC_LOG_ERROR  ? "gunicorn.log.error"
                                                : "gunicorn.log.warning";
    tc_statsd *sd = atomic_load(&statsd);
    if (sd == NULL)
        return;
    tc_statsd_count(sd, &b, name, 1);
    tc_statsd_flush(sd, &b);
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

static const char *or_empty(const char *s) { return s ? s : ""; }

/* "A\nB\nC" (heap; "" when out of memory, which only costs a reopen). */
static char *key3(const char *a, const char *b, const char *c)
{
    char *key;
    if (asprintf(&key, "%s\n%s\n%s", or_empty(a), or_empty(b), or_empty(c)) < 0)
        return strdup("");
    return key;
}

/* What c's syslog client is opened from; NULL for none. */
static char *syslog_key_of(const tc_logsinks_conf *c)
{
    return c->syslog ? key3(c->syslog_addr, c->syslog_prefix, c->syslog_facility) : NULL;
}

/* What c's statsd client is opened from; NULL for none. */
static char *statsd_key_of(const tc_logsinks_conf *c)
{
    if (c->statsd_host == NULL || *c->statsd_host == '\0')
        return NULL;
    return key3(c->statsd_host, c->statsd_prefix, c->dogstatsd_tags);
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && *a && strcmp(a, b) == 0);
}

static int retire(tc_syslog *sl, tc_statsd *sd)
{
    if (sl == NULL && sd == NULL)
        return 0;
    retired *r = malloc(sizeof *r);
    if (r == NULL)
        return -1;
    *r = (retired){ sl, sd, replaced };
    replaced = r;
    return 0;
}

/* A reload's new clients, before anything running changes. */
typedef struct {
    char *syslog_key, *statsd_key;
    int new_syslog, new_statsd; /* the settings changed: sl, sd replace the running ones */
    tc_syslog *sl;
    tc_statsd *sd;
} next_sinks;

static void next_free(next_sinks *n)
{
    tc_syslog_close(n->sl);
    tc_statsd_close(n->sd);
    free(n->syslog_key);
    free(n->statsd_key);
}

static int open_changed(const tc_logsinks_conf *c, const char *daemon, next_sinks *n, char *err,
                        size_t errlen)
{
    *n = (next_sinks){ syslog_key_of(c), statsd_key_of(c), 0, 0, NULL, NULL };
    n->new_syslog = !same(n->syslog_key, syslog_key);
    n->new_statsd = !same(n->statsd_key, statsd_key);
    if (n->new_syslog && n->syslog_key &&
        (n->sl = tc_logsinks_syslog(c, daemon, "error", err, errlen)) == NULL)
        return -1;
    if (n->new_statsd && n->statsd_key &&
        (n->sd = tc_statsd_open(c->statsd_host, c->statsd_prefix, c->dogstatsd_tags, err,
                                errlen)) == NULL)
        return -1;
    return 0;
}

int tc_logsinks_reload(const tc_logsinks_conf *c, const char *daemon, char *err, size_t errlen)
{
    next_sinks n;
    int rc = open_changed(c, daemon, &n, err, errlen);
    if (rc == 0 && retire(n.new_syslog ? error_syslog : NULL,
                          n.new_statsd ? atomic_load(&statsd) : NULL) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc < 0) {
        next_free(&n);
        return -1;
    }
    if (n.new_syslog) {
        error_syslog = n.sl;
        tc_log_set_syslog(n.sl);
        free(syslog_key);
        syslog_key = n.syslog_key;
        n.sl = NULL;
        n.syslog_key = NULL;
    }
    if (n.new_statsd) {
        atomic_store(&statsd, n.sd);
        tc_log_set_counter(n.sd ? count_line : NULL);
        free(statsd_key);
        statsd_key = n.statsd_key;
        n.sd = NULL;
        n.statsd_key = NULL;
    }
    next_free(&n);
    return 0;
}

int tc_logsinks_open(const tc_logsinks_conf *c, const char *daemon, char *err, size_t errlen)
{
    return tc_logsinks_reload(c, daemon, err, errlen);
}

tc_statsd *tc_logsinks_statsd(void) { return atomic_load(&statsd); }

void tc_logsinks_close(void)
{
    tc_log_set_syslog(NULL);
    tc_log_set_counter(NULL);
    tc_syslog_close(error_syslog);
    tc_statsd_close(atomic_exchange(&statsd, NULL));
    error_syslog = NULL;
    for (retired *r = replaced, *next; r; r = next) {
        next = r->next;
        tc_syslog_close(r->sl);
        tc_statsd_close(r->sd);
        free(r);
    }
    replaced = NULL;
    free(syslog_key);
    free(statsd_key);
    syslog_key = statsd_key = NULL;
}

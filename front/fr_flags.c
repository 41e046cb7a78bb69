/* fr_flags.c: finds the owner(s) of each flag tandem accepts by asking the
 * daemons' settings tables, so a flag exists, and is described, once. */
#include "fr_flags.h"

#include <string.h>

#include "ad_settings.h"
#include "px_settings.h"

/* tandem's own flags, looked up before the daemons' tables.  The rows only
 * describe: tandem keeps no settings struct, so offsets are unused. */
/* A settings table laid out by hand. */
/* clang-format off */
static const tc_opt own_table[] = {
    /* The pid to signal is tandem's: it forwards signals to its children. */
    { .key = "pidfile", .flag = "--pid", .short_flag = 'p', .type = TC_OPT_STR, .metavar = "FILE",
      .help = "write tandem's own pid to FILE (removed on exit)" },
    /* tandem-appd runs the file; the proxy is given what it evaluated to. */
    { .key = "config", .flag = "--config", .short_flag = 'c', .type = TC_OPT_STR,
      .metavar = "CONFIG",
      .help = "gunicorn.conf.py (or python:MODULE) for both daemons, evaluated once by "
              "tandem-appd; default ./gunicorn.conf.py when it exists" },
    /* tandem detaches itself and keeps both daemons as its children. */
    { .key = "daemon", .flag = "--daemon", .short_flag = 'D', .type = TC_OPT_BOOL,
      .help = "detach tandem (and with it both daemons) from the terminal; the command "
              "returns once both serve" },
    /* Each daemon checks or prints its own part, labelled. */
    { .key = "check_config", .flag = "--check-config", .type = TC_OPT_BOOL,
      .help = "check both daemons' settings and import the app, then exit 0, or 1" },
    { .key = "print_config", .flag = "--print-config", .type = TC_OPT_BOOL,
      .help = "print both daemons' settings, then exit" },
    TC_OPT_END
};
/* clang-format on */

typedef struct {
    const char *flag;     /* tandem's spelling */
    const char *to_proxy; /* the flag tandem-proxy gets; NULL = not sent */
    const char *to_appd;  /* the flag tandem-appd gets; NULL = not sent */
    int help_from;        /* FR_TO_PROXY or FR_TO_APPD: that daemon's row describes it */
    const char *refused;  /* why tandem refuses it; NULL = accepted */
} fr_decision;

/* The flags both daemons' tables know, or that tandem spells its own way,
 * each decided by what a Gunicorn user means by it.  A flag both tables know
 * that is missing here would go to both: the unit tests insist on a row. */
static const fr_decision decisions[] = {
    /* The public listener is the proxy's; tandem gives appd a private socket. */
    { "--bind", "--bind", NULL, FR_TO_PROXY, NULL },
    /* So is the public listen queue; appd's private one keeps its default. */
    { "--backlog", "--backlog", NULL, FR_TO_PROXY, NULL },
    /* Gunicorn's --threads is threads per worker: appd's. */
    { "--threads", NULL, "--threads", FR_TO_APPD, NULL },
    /* The proxy's event-loop threads, under a name that cannot clash. */
    { "--proxy-threads", "--threads", NULL, FR_TO_PROXY, NULL },
    /* Gunicorn's worker timeout; the proxy's stream timeout takes the same
     * value, so it does not give up on a request the worker may still run. */
    { "--timeout", "--timeout", "--timeout", FR_TO_APPD, NULL },
    /* Stopping and logging concern both daemons. */
    { "--graceful-timeout", "--graceful-timeout", "--graceful-timeout", FR_TO_APPD, NULL },
    { "--log-level", "--log-level", "--log-level", FR_TO_APPD, NULL },
    { "--error-logfile", "--error-logfile", "--error-logfile", FR_TO_APPD, NULL },
    /* Each daemon's error log goes to syslog, and each counts to statsd (the
     * proxy its requests, appd its workers); the proxy's rows also say what
     * happens to its access log. */
    { "--log-syslog", "--log-syslog", "--log-syslog", FR_TO_PROXY, NULL },
    { "--log-syslog-to", "--log-syslog-to", "--log-syslog-to", FR_TO_PROXY, NULL },
    { "--log-syslog-prefix", "--log-syslog-prefix", "--log-syslog-prefix", FR_TO_PROXY, NULL },
    { "--log-syslog-facility", "--log-syslog-facility", "--log-syslog-facility", FR_TO_PROXY,
      NULL },
    { "--statsd-host", "--statsd-host", "--statsd-host", FR_TO_PROXY, NULL },
    { "--statsd-prefix", "--statsd-prefix", "--statsd-prefix", FR_TO_PROXY, NULL },
    { "--dogstatsd-tags", "--dogstatsd-tags", "--dogstatsd-tags", FR_TO_PROXY, NULL },
    /* A log configuration directs both daemons' own lines (appd's Python
     * logging too). */
    { "--log-config", "--log-config", "--log-config", FR_TO_PROXY, NULL },
    { "--log-config-json", "--log-config-json", "--log-config-json", FR_TO_PROXY, NULL },
    /* Both daemons take the user's identity: the proxy after binding, appd's
     * workers after post_fork; each binds its Unix sockets under the umask. */
    { "--user", "--user", "--user", FR_TO_APPD, NULL },
    { "--group", "--group", "--group", FR_TO_APPD, NULL },
    { "--umask", "--umask", "--umask", FR_TO_APPD, NULL },
    { "--initgroups", "--initgroups", "--initgroups", FR_TO_APPD, NULL },
    /* tandem connects the two daemons itself. */
    { "--upstream", NULL, NULL, FR_TO_PROXY,
      "is set by tandem (the private socket to tandem-appd)" },
    /* tandem hands the proxy what appd evaluated itself. */
    { "--export-proxy-config", NULL, NULL, FR_TO_APPD,
      "is set by tandem (it hands tandem-proxy the config file's values itself)" },
};

#define N_DECISIONS (sizeof decisions / sizeof decisions[0])

/* Whether arg ("--flag" or "--flag=value") spells flag. */
static int spells(const char *arg, const char *flag)
{
    size_t n = strcspn(arg, "=");
    return strlen(flag) == n && strncmp(flag, arg, n) == 0;
}

/* The long flag arg spells: arg itself, or for "-x..." the flag of the row
 * with that letter (the front's, then the daemons'); NULL for none. */
static const char *long_spelling(const char *arg)
{
    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    if (arg[1] == '-')
        return arg;
    const tc_opt *tables[] = { own_table, px_settings_table, ad_settings_table };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const tc_opt *o = tc_opt_find_flag(tables[i], arg);
        if (o)
            return o->flag;
    }
    return NULL;
}

static const fr_decision *find_decision(const char *name)
{
    for (size_t i = 0; i < N_DECISIONS; i++)
        if (spells(name, decisions[i].flag))
            return &decisions[i];
    return NULL;
}

/* The row describing a decided flag: help_from's row of tandem's spelling,
 * or of the flag that daemon is sent when it has no row of that name. */
static const tc_opt *decision_row(const fr_decision *d)
{
    int appd = d->help_from == FR_TO_APPD;
    const tc_opt *table = appd ? ad_settings_table : px_settings_table;
    const char *sent = appd ? d->to_appd : d->to_proxy;
    const tc_opt *row = tc_opt_find_flag(table, d->flag);
    return row || sent == NULL ? row : tc_opt_find_flag(table, sent);
}

static void describe(fr_flag *f, const char *flag, const tc_opt *row)
{
    f->flag = flag;
    f->row = row;
    f->short_flag = strcmp(row->flag, flag) == 0 ? row->short_flag : 0;
}

static int from_decision(const fr_decision *d, fr_flag *f)
{
    const tc_opt *row = decision_row(d);
    memset(f, 0, sizeof *f);
    if (row == NULL)
        return -1; /* a daemon's row went away: the unit tests say which */
    describe(f, d->flag, row);
    f->to_proxy = d->to_proxy;
    f->to_appd = d->to_appd;
    f->decided = 1;
    f->refused = d->refused;
    return 0;
}

/* A flag no decision names: it goes to whichever daemon knows it, under the
 * row's own spelling (an alias such as --log-file arrives as --error-logfile).
 * appd's row describes one both know, as Gunicorn's flags are the app server's. */
static int from_tables(const char *name, fr_flag *f)
{
    const tc_opt *p = tc_opt_find_flag(px_settings_table, name);
    const tc_opt *a = tc_opt_find_flag(ad_settings_table, name);
    if (p == NULL && a == NULL)
        return -1;
    describe(f, a ? a->flag : p->flag, a ? a : p);
    f->to_proxy = p ? p->flag : NULL;
    f->to_appd = a ? a->flag : NULL;
    return 0;
}

int fr_flag_find(const char *arg, fr_flag *f)
{
    memset(f, 0, sizeof *f);
    const char *name = long_spelling(arg);
    if (name == NULL)
        return -1;
    const tc_opt *own = tc_opt_find_flag(own_table, name);
    if (own) {
        describe(f, own->flag, own);
        f->front = 1;
        return 0;
    }
    const fr_decision *d = find_decision(name);
    return d ? from_decision(d, f) : from_tables(name, f);
}

int fr_flag_dest(const fr_flag *f)
{
    if (f->front)
        return FR_TO_FRONT;
    return (f->to_proxy ? FR_TO_PROXY : 0) | (f->to_appd ? FR_TO_APPD : 0);
}

/* Whether a row's flag is listed at another place: a decision's, tandem's
 * own, or one of appd's rows that the proxy's table (walked first) has. */
static int listed_elsewhere(const tc_opt *table, const char *flag)
{
    if (find_decision(flag))
        return 1;
    if (table != own_table && tc_opt_find_flag(own_table, flag))
        return 1;
    return table == ad_settings_table && tc_opt_find_flag(px_settings_table, flag);
}

/* Lists a table's flags in its order: at each row, the accepted decisions
 * it describes, then the row's own flag unless listed elsewhere. */
static void visit_table(const tc_opt *table, void (*fn)(const fr_flag *f, void *ctx), void *ctx)
{
    fr_flag f;
    for (const tc_opt *row = table; row->key; row++) {
        for (size_t i = 0; i < N_DECISIONS; i++)
            if (!decisions[i].refused && decision_row(&decisions[i]) == row &&
                from_decision(&decisions[i], &f) == 0)
                fn(&f, ctx);
        if (row->flag && !listed_elsewhere(table, row->flag) && fr_flag_find(row->flag, &f) == 0)
            fn(&f, ctx);
    }
}

void fr_flag_each(void (*fn)(const fr_flag *f, void *ctx), void *ctx)
{
    visit_table(px_settings_table, fn, ctx);
    visit_table(ad_settings_table, fn, ctx);
    visit_table(own_table, fn, ctx);
}

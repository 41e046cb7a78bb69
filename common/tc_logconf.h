/* tc_logconf.h: Gunicorn's logging configuration as it concerns tandem's
 * own lines.  Gunicorn hands logconfig_dict (merged over its
 * CONFIG_DEFAULTS), else --log-config-json (the same), else the
 * --log-config INI file (fileConfig) to Python's logging; its own lines go
 * through the loggers "gunicorn.error" and "gunicorn.access".  tandem
 * writes those lines in C, so it reads the same configuration and honours,
 * for those two loggers only:
 *
 *   - the logger's level (NOTSET: its parent's, "gunicorn" then the root),
 *     raised by its handler's level;
 *   - one handler among logging.StreamHandler (sys.stdout or sys.stderr),
 *     logging.FileHandler and logging.handlers.WatchedFileHandler (mode
 *     'a'; a file reopened on USR1), or logging.NullHandler (nothing).
 *
 * Anything else on those loggers (another handler class, two handlers, a
 * file opened 'w', "incremental") is an error naming it; a formatter other
 * than Gunicorn's own is reported in note (tandem keeps its line formats);
 * propagation to ancestors' handlers is not followed.  A logger the
 * configuration leaves alone stays as the daemon's settings made it.
 * (tandem-appd also hands the configuration to Python's logging, for the
 * application's loggers: ad_logging.c.)
 *
 * Errors: -1 with one line in err naming the setting.  Ownership: a
 * tc_logconf owns its paths (tc_logconf_free). */
#ifndef TANDEM_TC_LOGCONF_H
#define TANDEM_TC_LOGCONF_H

#include <stddef.h>

#include "tc_pyval.h"

enum tc_logdest_kind {
    TC_LOGDEST_UNSET = 0, /* the configuration leaves the logger alone */
    TC_LOGDEST_NONE,      /* no handler, or a NullHandler: the lines go nowhere */
    TC_LOGDEST_STDOUT,
    TC_LOGDEST_STDERR,
    TC_LOGDEST_FILE,
};

typedef struct {
    int kind;          /* enum tc_logdest_kind */
    char *path;        /* TC_LOGDEST_FILE */
    int level;         /* the logger's TC_LOG_* threshold; 0: the daemon's setting */
    int handler_level; /* its handler's, which raises it; 0: none */
} tc_logdest;

typedef struct {
    tc_logdest error, access;
    char note[512]; /* what tandem does not apply, for a warning; "" when nothing */
} tc_logconf;

/* Reads what Gunicorn would apply: dict_text (logconfig_dict's literal,
 * "{}" or NULL for none), else the JSON file, else the INI file (each NULL
 * for none).  0, or -1 with err. */
int tc_logconf_load(const char *dict_text, const char *json_path, const char *ini_path,
                    tc_logconf *out, char *err, size_t errlen);
/* The same from a dict already read (the keys as dictConfig's). */
int tc_logconf_from_dict(const tc_pyval *dict, tc_logconf *out, char *err, size_t errlen);
/* The same from an INI file's text; path names it in messages and gives
 * %(here)s and %(__file__)s. */
int tc_logconf_from_ini(const char *text, size_t len, const char *path, tc_logconf *out, char *err,
                        size_t errlen);
void tc_logconf_free(tc_logconf *c);

/* A daemon's logs before and after a configuration: in, the settings';
 * out, what c makes of them (the strings then point into c). */
typedef struct {
    const char *errorlog;  /* "-": standard error */
    int level;             /* the error log's TC_LOG_* threshold */
    int error_syslog;      /* the error log's copy to syslog */
    const char *accesslog; /* "-": standard output; NULL: no access log */
    int access_syslog;     /* the access log's copy to syslog */
} tc_logconf_effect;

/* As Gunicorn's dictConfig/fileConfig would: a logger the configuration
 * takes over loses the handlers the settings gave it (file, syslog), and
 * an access logger above INFO, or with no handler, writes nothing. */
void tc_logconf_apply(const tc_logconf *c, tc_logconf_effect *e);

/* The file name form of d for a log opened by path: "-" for the log's usual
 * stream (stderr_is_usual: the error log's), "/dev/stdout", "/dev/stderr",
 * "/dev/null" or the path. */
const char *tc_logdest_path(const tc_logdest *d, int stderr_is_usual);

#endif

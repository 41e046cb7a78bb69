/* tc_conf.h: one daemon's settings from all their sources, in Gunicorn's
 * order: defaults (some from the environment) < config file <
 * GUNICORN_CMD_ARGS < TANDEM_CMD_ARGS < command line.  Each source replaces
 * what the one before set, lists included.
 *
 * The config file and the two variables are shared by both daemons and
 * speak tandem's (Gunicorn's) names: a daemon takes its own, silently
 * leaves the other daemon's to it, and reports anything else: a setting
 * only the command line takes, a Gunicorn setting tandem does not support
 * yet, or an unknown name with the nearest known one.
 *
 * Errors: -1 and one line in err, ready for "error: %s" and exit 2.
 * Ownership: tc_conf_args own copies of their values (tc_conf_args_free). */
#ifndef TANDEM_TC_CONF_H
#define TANDEM_TC_CONF_H

#include <stddef.h>

#include "tc_opt.h"
#include "tc_pyconf.h"

/* What one daemon knows of the names around it. */
typedef struct {
    const char *prog;       /* "tandem-proxy", for messages */
    const tc_opt *table;    /* its settings */
    const char *other_prog; /* "tandem-appd" */
    const tc_opt *other;    /* the other daemon's settings, left to it */
    int runs_hooks;         /* Gunicorn's server hooks are this daemon's (tandem-appd) */
    /* Optional: the checks the daemon makes of one key's value alone at
     * start-up, made as the file sets it so that the error has its line. */
    int (*check)(const void *settings, const char *key, char *err, size_t errlen);
} tc_conf_space;

/* What a config key is to a daemon: bits. */
enum {
    TC_KEY_MINE = 1,        /* one of its rows (or a server hook: row NULL) */
    TC_KEY_OTHERS = 2,      /* the other daemon's (both bits: each takes it) */
    TC_KEY_CLI_ONLY = 4,    /* a command-line setting: not for a file */
    TC_KEY_UNSUPPORTED = 8, /* a Gunicorn setting tandem does not support yet */
    TC_KEY_UNKNOWN = 16,
};

/* TC_KEY_* for key; *row is this daemon's row when it is TC_KEY_MINE. */
int tc_conf_key(const tc_conf_space *sp, const char *key, const tc_opt **row);
/* The message for a key kind that is an error ("unknown setting 'wokers'
 * (did you mean 'workers'?)..."). */
void tc_conf_key_error(const tc_conf_space *sp, const char *key, int kind, char *err,
                       size_t errlen);

/* Sets row from a config file's value: the row's type decides what it takes
 * (a str for any; an int for INT; True/False for BOOL; a list or tuple of
 * str, or one str with commas, for LIST; None unsets a STR or LIST). */
int tc_conf_set_value(const tc_opt *row, void *settings, const tc_pyval *v, char *err,
                      size_t errlen);

/* Applies a file read by tc_pyconf: each name's deciding assignment, in the
 * order of its line.  Names starting with '_' are the file's own; a lambda
 * under an unknown name is a helper.  A key of this daemon's whose value is
 * computed is an error that ends with hint (how to have it evaluated).
 * Errors read "PATH:LINE: ...". */
int tc_conf_apply_file(const tc_conf_space *sp, void *settings, const char *path,
                       const tc_pyconf *c, const char *hint, char *err, size_t errlen);

typedef struct {
    const tc_opt *row;
    char *value;
} tc_conf_arg;

typedef struct {
    tc_conf_arg *v;
    size_t n;
    const char *source; /* "GUNICORN_CMD_ARGS" for messages; NULL: the command line */
} tc_conf_args;

/* This daemon's own command line, argv[1..argc): its flags and aliases;
 * the other daemon's flags and unsupported Gunicorn ones are errors that
 * say so.  Positionals as tc_opt_parse_argv. */
int tc_conf_collect_cli(const tc_conf_space *sp, int argc, char **argv, tc_conf_args *out,
                        char **positionals, int max_pos, int *npos, char *err, size_t errlen);
/* The words of environment variable var (unset or empty: none), read as
 * tandem's command line: this daemon's flags in their shared spelling (see
 * TC_OPT_OWN_FLAG); the other daemon's are skipped with their values. */
int tc_conf_collect_env(const tc_conf_space *sp, const char *var, tc_conf_args *out, char *err,
                        size_t errlen);
/* Sets each collected value in order, after making the lists replaceable. */
int tc_conf_args_apply(const tc_conf_args *a, const tc_opt *table, void *settings, char *err,
                       size_t errlen);
/* The last value given for key, or NULL. */
const char *tc_conf_args_get(const tc_conf_args *a, const char *key);
void tc_conf_args_free(tc_conf_args *a);

/* The config file: -c/--config from the command line, else from
 * TANDEM_CMD_ARGS, else GUNICORN_CMD_ARGS, else ./gunicorn.conf.py when it
 * exists (Gunicorn's default); NULL for none.  Points into the args. */
const char *tc_conf_location(const tc_conf_args *cli, const tc_conf_args *gunicorn_env,
                             const tc_conf_args *tandem_env);
#define TC_CONF_DEFAULT_FILE "gunicorn.conf.py"
/* Whether location names a module ("python:pkg.conf") rather than a file. */
int tc_conf_is_module(const char *location);

#endif

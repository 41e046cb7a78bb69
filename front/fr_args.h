/* fr_args.h: splits Gunicorn's command line between tandem-proxy and tandem-appd.
 * The daemons validate values; this only routes each flag to its owner(s).
 * Ownership: the argv arrays hold pointers into the caller's argv (not copies)
 * plus static strings; free them with fr_args_free.  Errors: -1 and a message
 * in err naming the flag. */
#ifndef TANDEM_FR_ARGS_H
#define TANDEM_FR_ARGS_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    char **v;
    int n, cap;
} fr_argv;

typedef struct {
    fr_argv proxy; /* flags for tandem-proxy, without argv[0] */
    fr_argv appd;  /* flags and the app spec for tandem-appd */
    const char *pidfile;
    const char *config; /* -c: the config file or python:MODULE */
    int check_config, print_config;
    int daemon; /* -D: tandem detaches (its daemons are its children) */
    int help, version, has_app;
} fr_args;

int fr_args_split(int argc, char **argv, fr_args *out, char *err, size_t errlen);
/* Checks GUNICORN_CMD_ARGS and TANDEM_CMD_ARGS as tandem's command line
 * (the daemons read them themselves, each its part), so that a mistake in
 * them stops tandem before anything starts; takes from them what tandem
 * acts on: -c (when a has none), --check-config, --print-config.  The
 * words stay allocated until exit.  0, or -1 with err naming the variable. */
int fr_args_env(fr_args *a, char *err, size_t errlen);
int fr_argv_push(fr_argv *a, char *s);
void fr_args_free(fr_args *a);
/* tandem --help: the daemons' flags from their settings tables, and tandem's. */
void fr_usage(FILE *out);

#endif

/* px_config.h: tandem-proxy's settings from all their sources, in
 * Gunicorn's order (tc_conf.h): defaults, $PORT and $FORWARDED_ALLOW_IPS,
 * the config file (its literal assignments: the proxy never runs Python),
 * GUNICORN_CMD_ARGS, TANDEM_CMD_ARGS, the command line.  Pure C. */
#ifndef TANDEM_PX_CONFIG_H
#define TANDEM_PX_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "px_settings.h"
#include "tc_conf.h"

/* The proxy among the names of both daemons. */
extern const tc_conf_space px_conf_space;

enum {
    PX_LOAD_OK = 0,     /* settings loaded: validate them next */
    PX_LOAD_EXIT = 1,   /* --help or --version printed to out: exit 0 */
    PX_LOAD_ERROR = -1, /* err holds one line: print "error: ..." and exit 2 */
};

/* Fills s (zeroed here; free with tc_opt_free).  Returns PX_LOAD_*. */
int px_config_load(px_settings *s, int argc, char **argv, FILE *out, char *err, size_t errlen);

#endif

/* ad_config.h: tandem-appd's config file, run as Gunicorn runs it: a
 * gunicorn.conf.py executed as Python in a fresh namespace with __file__
 * set, or python:MODULE imported, so computed values work.  Its settings go
 * into ad_settings; the server hooks it defines (post_fork...) are kept for
 * the master to call; tandem-proxy's settings are kept, evaluated, for
 * --export-proxy-config.
 * Errors: -1 with one line in err, "FILE:LINE: ..." when a line is known.
 * Ownership: the kept hooks and values live until the process exits, or
 * until a reload that succeeds replaces them. */
#ifndef TANDEM_AD_CONFIG_H
#define TANDEM_AD_CONFIG_H

#include <Python.h>

#include "ad_settings.h"

/* What ad_config_load needs to start Python: the process's argv (sys.argv). */
typedef struct {
    int argc;
    char **argv;
} ad_config_argv;

/* An ad_config_loader (ad_settings.h): starts Python, runs location and
 * sets s from it; ctx is an ad_config_argv. */
int ad_config_load(const char *location, ad_settings *s, void *ctx, char *err, size_t errlen);

/* The server hook the config file defined under name (borrowed), or NULL. */
PyObject *ad_config_hook(const char *name);
/* dict[key] = value for each of tandem-proxy's settings the file assigned,
 * as the file left them.  0, or -1 with a Python exception. */
int ad_config_proxy_values(PyObject *dict);

/* A reload (HUP) runs the file again through ad_config_load between these:
 * begin sets the current file's values aside; end(1) drops them for the
 * new ones, end(0) (the new file failed) brings them back. */
void ad_config_reload_begin(void);
void ad_config_reload_end(int keep);

/* Checks tandem-proxy's settings from the config file against the proxy's
 * table, as it will when it starts, so that an error names the file's line
 * before anything starts (only when exporting: otherwise they are the
 * proxy's alone).  0, or -1 with "FILE:LINE: ..." in err. */
int ad_config_check_proxy(char *err, size_t errlen);

/* Writes tandem-proxy's settings from the config file, as "key = literal"
 * lines that tandem-proxy -c reads, to path ("-": standard output); with no
 * config file, a file with none.  Replaces path whole (written aside, then
 * renamed).  0, or -1 with err. */
int ad_config_export(const char *path, char *err, size_t errlen);

#endif

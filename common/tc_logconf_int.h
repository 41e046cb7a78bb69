/* tc_logconf_int.h: what the logging configuration's files share: Gunicorn's
 * error-line format, dict look-ups, and the handler arguments read in both
 * dictConfig's keys (stream, filename, mode) and fileConfig's (args,
 * kwargs).  Not part of the public API. */
#ifndef TANDEM_TC_LOGCONF_INT_H
#define TANDEM_TC_LOGCONF_INT_H

#include <stddef.h>

#include "tc_logconf.h"
#include "tc_pyval.h"

/* Gunicorn's error-log formatter, which tandem's error lines follow. */
#define TC_LOGCONF_ERROR_FORMAT "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
#define TC_LOGCONF_ERROR_DATEFMT "[%Y-%m-%d %H:%M:%S %z]"

/* The value of a Python literal (an INI args= or kwargs=, a dict's text),
 * or NULL when text is none or out of memory.  The caller frees it. */
tc_pyval *tc_logconf_literal(const char *text);
/* d[key] of a dict with str keys, or NULL. */
const tc_pyval *tc_logconf_get(const tc_pyval *d, const char *key);
/* A StreamHandler's stream, a FileHandler's file: 0 with d set, or -1 with err. */
int tc_logconf_stream(const tc_pyval *handler, tc_logdest *d, char *err, size_t errlen);
int tc_logconf_file(const tc_pyval *handler, tc_logdest *d, char *err, size_t errlen);
/* tc_logconf_from_dict for the dict an INI file became: no defaults merged. */
int tc_logconf_from_ini_dict(const tc_pyval *dict, tc_logconf *out, char *err, size_t errlen);

#endif

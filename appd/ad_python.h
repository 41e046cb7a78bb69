/* ad_python.h: the embedded interpreter: start-up (sys.path, sys.argv), the
 * application import with one-line errors, and tracebacks into the error log. */
#ifndef TANDEM_AD_PYTHON_H
#define TANDEM_AD_PYTHON_H

#include <Python.h>

#include "ad_settings.h"

/* Py_InitializeFromConfig without Python's signal handlers, then sys.path:
 * --pythonpath entries first, then the working directory (Gunicorn's order).
 * 0, or -1 with a one-line message in err. */
int ad_python_init(const ad_settings *s, int argc, char **argv, char *err, size_t errlen);

/* Imports spec ("module", "module:name", "module:a.b", "module:factory()").
 * New reference, or NULL with a one-line cause in line (the traceback, when
 * it says more than the line, went to the error log). */
PyObject *ad_python_load_app(const char *spec, char *line, size_t len);

/* Logs msg at level, then the pending exception's traceback; clears it. */
void ad_python_log_exception(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "Type: message" of the pending exception, which stays pending. */
void ad_python_exc_line(char *buf, size_t len);
/* Writes text as-is to the error log (multi-line tracebacks, wsgi.errors). */
void ad_python_log_raw(const char *text, size_t n);

#endif

/* ad_python.h: the embedded interpreter: start-up (sys.path, sys.argv), the
 * application import with one-line errors, tracebacks into the error log,
 * and a worker's Python life (its app, faulthandler, finalization).  The
 * header needs no Python.h (objects are struct _object, which is PyObject),
 * so the worker's Python-free core can call it. */
#ifndef TANDEM_AD_PYTHON_H
#define TANDEM_AD_PYTHON_H

#include <stddef.h>

#include "ad_settings.h"

/* Py_InitializeFromConfig without Python's signal handlers, once (a config
 * file may have started it already).  0, or -1 with a one-line message. */
int ad_python_start(int argc, char **argv, char *err, size_t errlen);
/* Puts the working directory first on sys.path.  0, or -1. */
int ad_python_path_cwd(char *err, size_t errlen);
/* ad_python_start, then sys.path: --pythonpath entries first, then the
 * working directory (Gunicorn's order); and --env values in os.environ.
 * 0, or -1 with a one-line message in err. */
int ad_python_init(const ad_settings *s, int argc, char **argv, char *err, size_t errlen);

/* Imports spec ("module", "module:name", "module:a.b", "module:factory()").
 * New reference, or NULL with a one-line cause in line (the traceback, when
 * it says more than the line, went to the error log). */
struct _object *ad_python_load_app(const char *spec, char *line, size_t len);

/* Logs msg at level, then the pending exception's traceback; clears it. */
void ad_python_log_exception(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "Type: message" of the pending exception, which stays pending. */
void ad_python_exc_line(char *buf, size_t len);
/* Writes text as-is to the error log (multi-line tracebacks, wsgi.errors). */
void ad_python_log_raw(const char *text, size_t n);

/* A worker's app: a new reference to the preloaded one, else spec imported
 * as by ad_python_load_app (NULL with the line set).  GIL held. */
struct _object *ad_python_worker_app(const char *spec, struct _object *preloaded, char *line,
                                     size_t len);
/* faulthandler.enable(fd, all_threads=True): on SIGABRT (the master's
 * timeout kill) and crashes every thread's Python stack goes to fd.  A
 * failure is ignored.  GIL held. */
void ad_python_enable_faulthandler(int fd);
/* Dies of SIGABRT with faulthandler armed, so every thread's Python stack
 * goes to fd first: what the master's timeout kill does to a worker whose
 * loop caught the signal (for worker_abort).  Takes the GIL. */
void ad_python_abort(int fd) __attribute__((noreturn));
/* Drops app and finalizes the interpreter (atexit handlers run).  GIL held. */
void ad_python_finalize(struct _object *app);

#endif

/* tc_pidfile.h: the pid files of tandem-proxy, tandem-appd and tandem
 * (Gunicorn's --pid): written atomically, refused when they name another
 * live process, removed only while they still hold our own pid.
 * Errors: tc_pidfile_write returns -1 with "PATH: cause" in err, for the
 * caller to prefix with its own name for the setting. */
#ifndef TANDEM_TC_PIDFILE_H
#define TANDEM_TC_PIDFILE_H

#include <stddef.h>

/* Writes this process's pid to path (a temporary file renamed over it, so
 * a reader never sees half a number).  Refuses when path already names
 * another process that is alive ("already running on PID N").  0 or -1. */
int tc_pidfile_write(const char *path, char *err, size_t errlen);
/* Removes path if it still holds this process's pid (a successor may have
 * taken the name since). */
void tc_pidfile_remove(const char *path);

#endif

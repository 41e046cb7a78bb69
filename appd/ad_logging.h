/* ad_logging.h: tandem-appd's logs beyond its error log file: the copy to
 * syslog and the statsd client (tc_logsinks.h), Gunicorn's capture_output
 * (the workers' standard output and error into the error log file), the
 * gunicorn.workers gauge the master sends when the count changes, and the
 * log configuration (logconfig, logconfig_dict, logconfig_json) handed to
 * Python's logging for the application's loggers, as Gunicorn hands it
 * (tandem's own lines follow what tc_logconf.h reads of it).  Request
 * metrics are tandem-proxy's, which sees every request.
 *
 * Called by the master before it forks, and again on SIGHUP before the new
 * workers fork: the workers inherit all of it.
 * Errors: -1 with one line in err. */
#ifndef TANDEM_AD_LOGGING_H
#define TANDEM_AD_LOGGING_H

#include <stddef.h>

#include "ad_settings.h"

/* After the error log is open: syslog, statsd, capture_output. */
int ad_logging_open(const ad_settings *s, char *err, size_t errlen);
/* Once Python runs: with capture_output, print() reaches the file line by
 * line (Python buffers a file in blocks otherwise); the log configuration
 * goes to Python's logging (an exception there is an error).  Holds the GIL. */
int ad_logging_python(const ad_settings *s, char *err, size_t errlen);
/* SIGHUP, in the master: the reloaded settings' syslog and statsd (those
 * whose settings changed are opened anew), capture_output turned on, and
 * the log configuration handed to Python's logging again, for the next
 * workers.  -1 with err (what is open stays open). */
int ad_logging_reload(const ad_settings *s, char *err, size_t errlen);
/* USR1: the error log, and the files of Python's logging handlers, opened
 * again under their names.  From any thread (takes the GIL when needed). */
void ad_logging_reopen(void);
/* The master's count of workers (not told to stop): gunicorn.workers, sent
 * when it changes, as Gunicorn's arbiter sends it. */
void ad_logging_workers(unsigned n);
void ad_logging_close(void);

#endif

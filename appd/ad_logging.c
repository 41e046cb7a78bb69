/* ad_logging.c: tandem-appd's syslog, statsd and capture_output
 * (ad_logging.h), set up once by the master. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ad_logging.h"
#include "tc_log.h"
#include "tc_logsinks.h"

static unsigned last_workers;

int ad_logging_open(const ad_settings *s, char *err, size_t errlen)
{
    tc_logsinks_conf sinks = ad_settings_logsinks(s);
    if (tc_logsinks_open(&sinks, "appd", err, errlen) < 0)
        return -1;
    if (s->capture_output && tc_log_capture_stdio() < 0) {
        snprintf(err, errlen, "capture_output (--capture-output): %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int line_buffered(const char *stream)
{
    PyObject *f = PySys_GetObject(stream); /* borrowed */
    PyObject *r =
        f ? PyObject_CallMethod(f, "reconfigure", "{s:O}", "line_buffering", Py_True) : NULL;
    if (r == NULL) {
        /* No reconfigure (a stream the app replaced): buffering stays Python's. */
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(r);
    return 0;
}

int ad_logging_python(const ad_settings *s, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!s->capture_output)
        return 0;
    return line_buffered("stdout") || line_buffered("stderr") ? -1 : 0;
}

void ad_logging_workers(unsigned n)
{
    tc_statsd *sd = tc_logsinks_statsd();
    if (sd == NULL || n == last_workers)
        return;
    last_workers = n;
    if (n == 0)
        return; /* Gunicorn sends no gauge of 0 */
    tc_statsd_batch b;
    b.len = 0;
    tc_statsd_gauge(sd, &b, "gunicorn.workers", (long long)n);
    tc_statsd_flush(sd, &b);
}

void ad_logging_close(void) { tc_logsinks_close(); }

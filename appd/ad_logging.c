/* ad_logging.c: tandem-appd's syslog, statsd and capture_output, and the
 * log configuration handed to Python's logging (ad_logging.h), set up once
 * by the master. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ad_logging.h"
#include "ad_python.h"
#include "tc_log.h"
#include "tc_logsinks.h"

static unsigned last_workers;
static PyObject *reopen_fn; /* set when Python's logging was configured */
static int capturing;       /* capture_output took standard output and error */

/* What Gunicorn's Logger.setup does with the log configuration (dict over
 * CONFIG_DEFAULTS, else JSON over them, else fileConfig), and what its
 * reopen_files does on USR1 for every logging.FileHandler. */
static const char logging_source[] =
    "import ast, json, logging, logging.config, os\n"
    "DEFAULTS = dict(version=1, disable_existing_loggers=False,\n"
    "    root={'level': 'INFO', 'handlers': ['console']},\n"
    "    loggers={'gunicorn.error': {'level': 'INFO', 'handlers': ['error_console'],\n"
    "                                'propagate': True, 'qualname': 'gunicorn.error'},\n"
    "             'gunicorn.access': {'level': 'INFO', 'handlers': ['console'],\n"
    "                                 'propagate': True, 'qualname': 'gunicorn.access'}},\n"
    "    handlers={'console': {'class': 'logging.StreamHandler', 'formatter': 'generic',\n"
    "                          'stream': 'ext://sys.stdout'},\n"
    "              'error_console': {'class': 'logging.StreamHandler',\n"
    "                                'formatter': 'generic', 'stream': 'ext://sys.stderr'}},\n"
    "    formatters={'generic': {'format': '%(asctime)s [%(process)d] [%(levelname)s] "
    "%(message)s',\n"
    "                            'datefmt': '[%Y-%m-%d %H:%M:%S %z]',\n"
    "                            'class': 'logging.Formatter'}})\n"
    "def configure(dict_text, json_path, ini_path):\n"
    "    if dict_text and dict_text != '{}':\n"
    "        config = dict(DEFAULTS)\n"
    "        config.update(ast.literal_eval(dict_text))\n"
    "        logging.config.dictConfig(config)\n"
    "    elif json_path:\n"
    "        with open(json_path) as f:\n"
    "            loaded = json.load(f)\n"
    "        config = dict(DEFAULTS)\n"
    "        config.update(loaded)\n"
    "        logging.config.dictConfig(config)\n"
    "    else:\n"
    "        logging.config.fileConfig(ini_path, defaults={'__file__': ini_path,\n"
    "                                  'here': os.path.dirname(ini_path)},\n"
    "                                  disable_existing_loggers=False)\n"
    "def reopen():\n"
    "    names = list(logging.root.manager.loggerDict)\n"
    "    for log in [logging.root] + [logging.getLogger(n) for n in names]:\n"
    "        for h in getattr(log, 'handlers', []):\n"
    "            if isinstance(h, logging.FileHandler) and h.stream:\n"
    "                with h.lock:\n"
    "                    h.close()\n"
    "                    h.stream = h._open()\n";

int ad_logging_open(const ad_settings *s, char *err, size_t errlen)
{
    tc_logsinks_conf sinks = ad_settings_logsinks(s);
    if (tc_logsinks_reload(&sinks, "appd", err, errlen) < 0)
        return -1;
    if (s->capture_output && !capturing) {
        if (tc_log_capture_stdio() < 0) {
            snprintf(err, errlen, "capture_output (--capture-output): %s", strerror(errno));
            return -1;
        }
        capturing = 1;
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

static PyObject *str_or_none(const char *s)
{
    return s && *s ? PyUnicode_DecodeFSDefault(s) : Py_NewRef(Py_None);
}

/* The application's loggers get the configuration, as under Gunicorn. */
static int configure_python(const ad_settings *s, char *err, size_t errlen)
{
    PyObject *g = PyDict_New(), *r = NULL, *fn = NULL;
    if (g && PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) == 0)
        r = PyRun_String(logging_source, Py_file_input, g, g);
    if (r)
        fn = PyDict_GetItemString(g, "configure"); /* borrowed */
    PyObject *done = fn ? PyObject_CallFunction(fn, "NNN", str_or_none(s->sinks.logconfig_dict),
                                                str_or_none(s->sinks.logconfig_json),
                                                str_or_none(s->sinks.logconfig))
                        : NULL;
    if (done) {
        Py_XDECREF(reopen_fn); /* a reload's configuration replaces the last one */
        reopen_fn = PyDict_GetItemString(g, "reopen");
        Py_XINCREF(reopen_fn);
    } else {
        char what[768];
        ad_python_exc_line(what, sizeof what);
        PyErr_Clear();
        snprintf(err, errlen, "log config: Python's logging refused it: %s", what);
    }
    Py_XDECREF(done);
    Py_XDECREF(r);
    Py_XDECREF(g);
    return done ? 0 : -1;
}

static int has_logconfig(const ad_settings *s)
{
    return (s->sinks.logconfig_dict && strcmp(s->sinks.logconfig_dict, "{}") != 0) ||
           (s->sinks.logconfig_json && *s->sinks.logconfig_json) ||
           (s->sinks.logconfig && *s->sinks.logconfig);
}

int ad_logging_python(const ad_settings *s, char *err, size_t errlen)
{
    if (s->capture_output && (line_buffered("stdout") || line_buffered("stderr")))
        return -1;
    if (has_logconfig(s) && configure_python(s, err, errlen) < 0)
        return -1;
    if (s->logconfig_note[0])
        tc_warn("log config: %s", s->logconfig_note);
    return 0;
}

int ad_logging_reload(const ad_settings *s, char *err, size_t errlen)
{
    if (ad_logging_open(s, err, errlen) < 0)
        return -1;
    if (!s->capture_output && capturing)
        tc_warn("Reload: capture_output cannot be turned off while tandem-appd runs; restart "
                "it to apply it");
    return ad_logging_python(s, err, errlen);
}

void ad_logging_reopen(void)
{
    if (tc_log_reopen() < 0)
        tc_error("cannot reopen the error log: %s", strerror(errno));
    if (reopen_fn == NULL)
        return;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *r = PyObject_CallNoArgs(reopen_fn);
    if (r == NULL)
        ad_python_log_exception(TC_LOG_ERROR, "cannot reopen Python's log files");
    Py_XDECREF(r);
    PyGILState_Release(gil);
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

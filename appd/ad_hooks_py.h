/* ad_hooks_py.h: the Python objects the server hooks receive, as Gunicorn's
 * hooks know them: Config (settings by attribute), Log (the error log),
 * Server, Worker, Request and Response, and the private module behind
 * them.  Only ad_hooks.c uses it; GIL held throughout.  Functions that
 * return an object return a new reference, or NULL with an exception set. */
#ifndef TANDEM_AD_HOOKS_PY_H
#define TANDEM_AD_HOOKS_PY_H

#include <Python.h>

#include "ad_hooks.h"
#include "ad_settings.h"
#include "tp.h"

/* Defines the classes (once per process).  0, or -1 with an exception. */
int ad_hooks_py_init(void);

/* Config: every row of tandem-appd's settings by its key, then the
 * proxy's settings the config file assigned (so cfg.bind is the public
 * bind when the file sets one, else a list holding appd's socket). */
PyObject *ad_hooks_py_config(const ad_settings *s);
/* Server(cfg, pid, proc_name, bind). */
PyObject *ad_hooks_py_server(PyObject *cfg, const ad_settings *s, const char *bind);
/* Worker(server, index, age): pid None until ad_hooks_forked. */
PyObject *ad_hooks_py_worker(PyObject *server, uint32_t index, uint64_t age);
/* Marks worker as the Worker of this process (alive and nr read the
 * worker's own state from then on). */
int ad_hooks_py_worker_here(PyObject *worker);
/* Request(...) from a request head. */
PyObject *ad_hooks_py_request(const tp_request_head *h);
/* Response(...), or None when r->status is 0. */
PyObject *ad_hooks_py_response(const ad_hooks_resp *r);

#endif

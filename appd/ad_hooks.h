/* ad_hooks.h: Gunicorn's server hooks, the functions a config file defines
 * under Gunicorn's names, called at Gunicorn's moments with Gunicorn's
 * arguments: a `server` object (the master), a `worker` object per worker,
 * and for pre_request/post_request a `req` and a `resp` (ad_hooks_py.c
 * makes them).  Every worker class calls the same entry points.
 *
 * Errors: a hook that raises has its traceback logged here.  Where
 * Gunicorn treats the failure as fatal the function returns -1 with one
 * line in err ("on_starting hook: ValueError: ...") and the caller stops
 * (the master) or fails to boot (a worker); the other hooks return nothing.
 * An undefined hook costs a pointer test: no Python call, no object.
 *
 * GIL: held by the caller for every function, except worker_int and
 * worker_abort, which a worker's loop thread calls without it (they take
 * it).  The header needs no Python.h (objects are struct _object). */
#ifndef TANDEM_AD_HOOKS_H
#define TANDEM_AD_HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ad_settings.h"
#include "tp.h"

struct _object;

/* ---- the master ---- */

/* Takes the hooks the config file defined and makes the server object
 * from s (the master's pid, num_workers unset yet).  Again after a reload
 * (HUP), with the new settings and hooks.  0, or -1 with err. */
int ad_hooks_setup(const ad_settings *s, const char *bind, char *err, size_t errlen);
/* Whether the config file defined the hook called name. */
int ad_hooks_defined(const char *name);

/* Fatal when they raise: 0, or -1 with err. */
int ad_hooks_on_starting(char *err, size_t errlen);
int ad_hooks_when_ready(char *err, size_t errlen);
int ad_hooks_on_reload(char *err, size_t errlen);
/* Sets server.num_workers to now and calls nworkers_changed(server, now,
 * before); before 0 is Gunicorn's None (the first time). */
int ad_hooks_nworkers_changed(uint32_t now, uint32_t before, char *err, size_t errlen);
/* A new Worker object for the worker about to be forked (index 1..N, age:
 * Gunicorn's count of workers spawned), or NULL when no hook needs one. */
struct _object *ad_hooks_worker_new(uint32_t index, uint64_t age);
int ad_hooks_pre_fork(struct _object *worker, char *err, size_t errlen);
/* The fork made pid: worker.pid, server.WORKERS[pid]. */
void ad_hooks_forked(struct _object *worker, pid_t pid);
/* The worker exited: child_exit(server, worker), then the object is
 * dropped (worker may be NULL: nothing to do). */
int ad_hooks_child_exit(struct _object *worker, char *err, size_t errlen);
/* server.reexec_pid and server.master_pid: the master SIGUSR2 started,
 * and the one that started this master (0 when none). */
void ad_hooks_server_pids(pid_t reexec_pid, pid_t master_pid);
/* Logged when they raise. */
void ad_hooks_pre_exec(void);
void ad_hooks_on_exit(void);

/* ---- a worker ---- */

/* In the child after the fork: worker becomes this process's Worker
 * (borrowed from the master's reference, which the child inherited). */
void ad_hooks_worker_begin(struct _object *worker);
/* post_fork(server, worker), before the app is loaded; -1 with err. */
int ad_hooks_post_fork(char *err, size_t errlen);
/* worker.wsgi = app, then post_worker_init(worker); -1 with err. */
int ad_hooks_post_worker_init(struct _object *app, char *err, size_t errlen);
/* INT or QUIT, then SIGABRT (the master's timeout): called from the loop
 * thread, GIL not held (taken here: an app thread holding it past its
 * switch interval makes these wait, as Gunicorn's handlers would). */
void ad_hooks_worker_int(void);
void ad_hooks_worker_abort(void);
/* worker_exit(server, worker), as the worker process ends. */
void ad_hooks_worker_exit(void);

/* ---- requests ---- */

/* Whether pre_request or post_request is defined: when not, a class
 * builds no request object and calls nothing below. */
int ad_hooks_want_request(void);
/* The req object of a request head (Gunicorn's Request: method, uri,
 * path, query, version, headers...), then pre_request(worker, req).
 * Returns a new reference to req, kept for post_request.  *failed = 1 when
 * the hook raised (the exception is left set, for the class's 500). */
struct _object *ad_hooks_pre_request(const tp_request_head *h, int *failed);

/* What post_request's resp shows: the final head and the body bytes sent. */
typedef struct {
    unsigned status; /* 0: no response (pre_request raised): resp is None */
    const tp_header *fields;
    uint32_t nfields;
    uint64_t sent;
} ad_hooks_resp;
/* post_request(worker, req, environ, resp); drops req.  environ may be
 * NULL (an empty dict is passed, as Gunicorn does before it has one). */
void ad_hooks_post_request(struct _object *req, struct _object *environ, const ad_hooks_resp *resp);

#endif

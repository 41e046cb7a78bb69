/* ad_procs.h: the master's table of worker processes and the state the
 * master's files share (M): forking a worker, the messages it sends on its
 * control socket, reaping and respawning, replacing a reloaded generation,
 * the --timeout watchdog, and which worker takes the next proxy connection.
 * The master is one thread: nothing here locks. */
#ifndef TANDEM_AD_PROCS_H
#define TANDEM_AD_PROCS_H

#include <stdint.h>
#include <sys/types.h>

#include "ad_scoreboard.h"
#include "ad_settings.h"

struct _object;

/* A worker process as the master sees it.  ad_procs[] is indexed like the
 * scoreboard; a worker index (1..workers) maps to at most one non-retiring
 * proc of the current generation at a time (and, during a reload, to the
 * older one it replaces). */
typedef struct {
    pid_t pid;      /* 0: free entry */
    uint32_t index; /* HELLO worker_index */
    uint32_t gen;   /* the reload generation it was started in */
    int ctl;        /* master's end of the control socketpair */
    int ready;      /* app loaded, serving */
    int retiring;   /* told to stop (TERM) or stopping by itself */
    int conns;      /* proxy connections handed and not yet closed */
    uint64_t spawned_ms;
    uint64_t abort_ms;    /* timeout: SIGABRT sent at */
    int killed;           /* SIGKILL sent */
    struct _object *hook; /* its Worker object for the server hooks, or NULL */
    char *loaderr;        /* AD_MSG_LOADERR text (owned), or NULL */
} ad_proc;

/* The longest AD_MSG_LOADERR message, its type byte included. */
#define AD_LOADERR_MAX 1024

/* Every entry is written at start (ctl = -1), so every page of the table is
 * resident in the master and in each worker forked from it: an entry stays
 * small (its load error text is on the heap), not 1 KiB x AD_BOARD_SLOTS. */
extern ad_proc ad_procs[AD_BOARD_SLOTS];

/* What the master decided, which the table follows. */
typedef struct {
    ad_settings *s;
    int listen_fd;             /* -1 once closed (stopping) */
    int control_fd;            /* the control socket (ad_control.c), -1 when none */
    struct _object *preloaded; /* --preload: the app, inherited by each fork */
    uint32_t nworkers;         /* the target (--workers, TTIN, TTOU) */
    uint64_t age;              /* workers spawned so far (Gunicorn's worker.age) */
    uint32_t generation;       /* bumped by each reload (HUP) */
    uint64_t requests_of_exited; /* completed by workers reaped so far (tandemctl) */
    int stopping;              /* 0 running, 1 graceful, 2 fast */
    uint64_t stop_deadline;    /* stopping workers are killed from then on */
    int halt_code;             /* non-zero: stopping because of it (ad_exit.h) */
    char halt_line[1024];      /* ...and the line saying why */
    const int *master_signals; /* reset to their defaults in each child */
} ad_master_state;

extern ad_master_state M;

/* Frees every entry (before the first fork). */
void ad_procs_init(void);
/* Live processes, retiring ones included. */
int ad_procs_live(void);
/* Tells p to stop with sig and stops counting it as serving. */
void ad_procs_retire(ad_proc *p, int sig);
/* Stops everything fast (TERM to every worker) and makes code the exit
 * status, line the reason printed; the first call wins. */
void ad_procs_halt(int code, const char *line);

/* Reaps every exited worker: logs how it ended, halts on boot and load
 * failures, and calls child_exit (halting when it raises). */
void ad_procs_reap(void);
/* Reads what p's worker said on its control socket. */
void ad_procs_on_ctl(ad_proc *p);
/* A new target number of workers (TTIN, TTOU, reload), then
 * nworkers_changed, which halts when it raises, as in Gunicorn. */
void ad_procs_resize(uint32_t n);
/* Starts a worker for each index without one (pre_fork first: halts when
 * it raises), retires those above the target, and says READY=1
 * (sd_notify) once they all serve. */
void ad_procs_manage(uint64_t now);
/* --timeout and the stop deadline: SIGABRT to hung workers, SIGKILL to
 * those that did not go. */
void ad_procs_murder(uint64_t now);
/* Milliseconds the master may sleep before a respawn is due (at most max). */
int ad_procs_wait_ms(uint64_t now, int max);
/* A reload (HUP): a new generation of workers starts.  Each older worker
 * keeps serving until the new one with its index is ready, then drains;
 * older ones still booting stop now.  READY=1 (sd_notify) follows once the
 * new generation serves. */
void ad_procs_new_generation(void);

/* Whether a worker is ready for a connection. */
int ad_procs_can_accept(void);
/* The worker for a proxy connection that asks for worker index want (0:
 * any): that one when it is ready, else the ready one with the fewest
 * connections; NULL when none is ready. */
ad_proc *ad_procs_pick(uint32_t want);
/* Passes fd to p's worker and closes the master's copy (on failure the
 * connection is dropped, logged; the proxy redials). */
void ad_procs_hand(ad_proc *p, int fd, uint32_t want);

#endif

/* ad_ioloop.h: the poll(2) loop that serves a worker's proxy connections,
 * for the classes that run WSGI on a pool of app threads (sync, gthread).
 * Event-loop classes use their own loop over the same descriptors and
 * handlers instead.
 *
 * Who reads the sockets (the "lead"): the process's main thread (the I/O
 * thread, which never takes the GIL) or, while one is idle, an app thread.
 * An idle app thread that leads runs the stream whose head it read itself,
 * so a request costs one thread wake-up, not two (I/O thread, then app
 * thread).  Exactly one thread leads at a time; the handover rules, all
 * under W.mu:
 *   - the main thread gives the lead away when an app thread is idle and no
 *     stream waits for one (ad_ioloop_idle_locked asks it to);
 *   - a leading app thread that starts a stream keeps the lead; the main
 *     thread takes it back when that stream runs longer than
 *     AD_IOLOOP_STEAL_MS (a timerfd wakes it, so nothing waits on a busy
 *     app for credit, resets, pings, heartbeats or signals);
 *   - a leading app thread that must block on the client (body, credit,
 *     socket room) first hands the lead back (ad_ioloop_yield_locked), and
 *     so does one that sees the worker stopping: the graceful drain and the
 *     final tick always run on the main thread. */
#ifndef TANDEM_AD_IOLOOP_H
#define TANDEM_AD_IOLOOP_H

#include <pthread.h>

/* How long a leading app thread may run one stream before the main thread
 * reads the sockets again. */
#define AD_IOLOOP_STEAL_MS 10

/* Main thread: runs until the worker stops: 1 when every stream finished, 0
 * when the graceful timeout abandoned some (ad_wclass run's contract).
 * app_cv: where idle app threads sleep (signalled when the lead is given
 * away), or NULL to keep the lead on the main thread.  Exits the process
 * on a failure of poll(2), timerfd or memory. */
int ad_ioloop_run(pthread_cond_t *app_cv);

/* An app thread with nothing to run (W.mu held on entry and on return):
 * leads for one poll turn when it may, else sleeps on cv until signalled.
 * The caller looks for work again afterwards. */
void ad_ioloop_idle_locked(pthread_cond_t *cv);
/* An app thread starts running a stream (W.mu held): if it leads, the main
 * thread's timer starts. */
void ad_ioloop_running_locked(void);
/* The calling thread is about to block on the client (W.mu held): if it
 * leads, the main thread takes the lead now.  A no-op on other threads. */
void ad_ioloop_yield_locked(void);
/* Whether an app thread leads (W.mu held): it will run the first queued
 * stream itself, so only the ones after it need another thread. */
int ad_ioloop_app_leads(void);
/* An app thread ends: frees what it used to lead. */
void ad_ioloop_thread_exit(void);

#endif

/* ad_ioloop.h: the epoll(7) loop that serves a worker's proxy connections,
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
 *   - a leading app thread runs the streams it read one after the other
 *     and wakes no other thread for them; they get idle threads when it
 *     stops leading or waits for the client, or at the main thread's tick
 *     once it has run streams for AD_IOLOOP_HANDOUT_MS without reading
 *     (a request queued behind a slow one waits at most about
 *     AD_IOLOOP_TICK_MS + AD_IOLOOP_HANDOUT_MS for a thread; short ones,
 *     the common case, never wake one);
 *   - a leading app thread that starts a stream keeps the lead; the main
 *     thread takes it back when that stream runs longer than
 *     AD_IOLOOP_STEAL_MS (a periodic timerfd wakes it every
 *     AD_IOLOOP_TICK_MS while leaders run streams, so nothing waits on a
 *     busy app for credit, resets, pings, heartbeats or signals);
 *   - a leading app thread that starts a stream with a large body still to
 *     come hands the lead back at once, so the main thread reads bodies
 *     while the app runs (ad_ioloop_running_locked); a body that came whole
 *     with its head (the proxy collects small ones) leaves nothing to read;
 *   - a leading app thread whose stream waits for the client anyway
 *     (credit, socket room) keeps reading the sockets itself meanwhile
 *     (ad_ioloop_wait_locked): what it waits for comes through them;
 *   - a leading app thread that sees the worker stopping hands the lead
 *     back: the graceful drain and the final tick always run on the main
 *     thread. */
#ifndef TANDEM_AD_IOLOOP_H
#define TANDEM_AD_IOLOOP_H

#include <pthread.h>
#include <stdint.h>

typedef struct ad_conn ad_conn;

/* How long a leading app thread may run one stream before the main thread
 * reads the sockets again. */
#define AD_IOLOOP_STEAL_MS 10
/* How often the main thread looks at a leader while leaders run streams: a
 * stream is taken over between AD_IOLOOP_STEAL_MS and that plus this. */
#define AD_IOLOOP_TICK_MS 5
/* How long a leader runs streams without reading the sockets before the
 * streams queued behind go to idle threads (at the next tick). */
#define AD_IOLOOP_HANDOUT_MS 1

/* Main thread: runs until the worker stops: 1 when every stream finished, 0
 * when the graceful timeout abandoned some (ad_wclass run's contract).
 * app_cv: where idle app threads sleep (signalled when the lead is given
 * away), or NULL to keep the lead on the main thread.  Exits the process
 * on a failure of epoll, timerfd or memory. */
int ad_ioloop_run(pthread_cond_t *app_cv);

/* An app thread with nothing to run (W.mu held on entry and on return):
 * leads for one poll turn when it may, else sleeps on cv until signalled.
 * The caller looks for work again afterwards. */
void ad_ioloop_idle_locked(pthread_cond_t *cv);
/* A leader keeps the lead through a stream with at most this many request
 * body bytes still to come; with more the main thread takes the lead, to
 * read (this body's rest, the next streams' bodies) while the app runs. */
#define AD_IOLOOP_BODY_KEEP (16u * 1024u)

/* An app thread starts running a stream (W.mu held): if it leads, the main
 * thread's timer starts, or, when more than AD_IOLOOP_BODY_KEEP bytes of the
 * request's body are still to come (to_come; UINT64_MAX: unknown), the main
 * thread takes the lead now. */
void ad_ioloop_running_locked(uint64_t to_come);
/* The calling thread's stream must wait for the client (W.mu held, GIL
 * not): a leading app thread reads the sockets for one turn instead of
 * sleeping and returns 1 (the caller looks again; a stopping worker's
 * leader hands the lead back and gets 0).  0 on other threads: they sleep
 * as usual and are woken by whoever leads. */
int ad_ioloop_wait_locked(void);
/* Whether an app thread leads between streams (W.mu held): it will run the
 * queued streams itself, so none needs another thread yet. */
int ad_ioloop_leader_takes_next(void);
/* Whether the calling thread leads, runs a stream and has more queued to
 * run after it (W.mu held): its response may wait for the next one's
 * (ad_wclass hold_output).  Its next poll turn writes what is left; a
 * leader whose stream runs long loses the lead to the main thread, whose
 * turn writes it. */
int ad_ioloop_hold_output_locked(void);

/* c's descriptor is about to be closed (W.mu held, on the leading thread):
 * it leaves the epoll set now.  Exits the process when epoll refuses. */
void ad_ioloop_forget_locked(ad_conn *c);

#endif

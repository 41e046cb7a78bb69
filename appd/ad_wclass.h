/* ad_wclass.h: worker classes (--worker-class) as tables of entry points,
 * and how a stream flows through a worker:
 *
 *   proxy socket
 *     |  ad_conn: frame reader (HELLO, REQUEST_HEAD/DATA, CREDIT, RESET...)
 *     v
 *   ad_sched: admission, then the work queue         --> class on_queued()
 *     |  REQUEST_DATA, CREDIT, RESET for a known stream --> on_data(),
 *     |                                                     on_writable(),
 *     |                                                     on_reset()
 *     v
 *   worker class: takes the stream (ad_sched_next) and runs the app through
 *     |  its interface (wsgi_handle), which reads the body (ad_stream_body_*)
 *     v
 *   ad_response: the rules every response obeys; encodes head, trailers...
 *     |
 *     v
 *   ad_stream send steps -> ad_conn writer (writev to the proxy socket),
 *   then the class retires the stream (ad_stream_done_locked).
 *
 * What a class must provide: every entry below (none may be NULL but
 * hold_output).  What it
 * may assume: the worker process is set up (W, its scheduler and settings),
 * the application is loaded, and the generic parts (connections, streams,
 * scheduler, response rules, heartbeats, signals, the master's control
 * socket, graceful stop) are there to call.  How the proxy sockets are read
 * is the class's choice: sync and gthread run the epoll loop of
 * ad_ioloop.c on the main thread, or on an idle app thread that then runs
 * what it read (ad_ioloop.h); an event-loop
 * class (asgi) registers the same descriptors with its own loop and calls
 * the same handlers (ad_conn_on_readable, ad_worker_tick_locked, ...).
 * Nothing here assumes app threads, an I/O thread, or that the GIL is ever
 * released. */
#ifndef TANDEM_AD_WCLASS_H
#define TANDEM_AD_WCLASS_H

#include <stdint.h>

#include "ad_settings.h"

typedef struct ad_stream ad_stream;
typedef struct ad_conn ad_conn;
struct _object;

typedef struct ad_wclass {
    const char *name;   /* as --worker-class names it */
    uint8_t wire_class; /* TP_CLASS_*, announced in HELLO */

    /* Streams one worker runs at once: the HELLO capacity. */
    uint32_t (*capacity)(const ad_settings *s);

    /* Once per worker, after the fork, before the app is imported (GIL
     * held): a green class patches the standard library here, as
     * Gunicorn's gevent worker does.  0, or -1 after logging why. */
    int (*prepare)(const ad_settings *s);

    /* Once per worker, after the fork, with the GIL held and app loaded:
     * set up the interface and whatever threads the class runs.  0, or -1
     * after logging why (the worker then exits as failing to boot). */
    int (*init)(const ad_settings *s, struct _object *app);

    /* Serves until the worker stops, owning the worker's main thread (GIL
     * held on entry).  Calls ad_worker_ready() once it serves.  Returns 1
     * when the stop was clean (every stream finished), 0 when the graceful
     * timeout abandoned streams: the worker then exits at once, without
     * touching Python. */
    int (*run)(void);

    /* After a clean run: end the class's threads and return with the GIL
     * held by the calling thread, so the interpreter can be finalized. */
    void (*shutdown)(void);

    /* Events, called with W.mu held on the thread that reads the proxy
     * sockets (on_writable also on any thread that flushed a connection).
     * They must not block, take the GIL or release W.mu; work they start
     * runs later, elsewhere. */
    void (*on_queued)(ad_stream *s);   /* s waits in the scheduler: run it */
    void (*on_data)(ad_stream *s);     /* request body bytes or its end arrived */
    void (*on_writable)(ad_stream *s); /* credit or socket room: a blocked send may go on */
    void (*on_reset)(ad_stream *s);    /* s was cancelled: the proxy reset it, or its
                                         * connection or flow control failed */
    /* c's descriptor is about to be closed (mu held, on the loop thread):
     * a loop that registered it lets go now, before the number can be
     * reused.  The only event that may call into the loop's own code. */
    void (*on_conn_closing)(ad_conn *c);

    /* Optional, W.mu held, on a thread writing a response: 1 when that
     * thread runs another stream right away and reads the sockets soon
     * after, so this response's small frames may wait in the connection's
     * buffer and leave with the next response in one writev (one wake-up of
     * the proxy, not one per response).  It must be 0 unless the held bytes
     * are surely written: by that thread's next write or flush, or by the
     * loop's next turn (which watches POLLOUT for pending output). */
    int (*hold_output)(void);
} ad_wclass;

/* The class for a --worker-class name (canonical: "sync", "gthread"), or
 * NULL when there is none. */
const ad_wclass *ad_wclass_find(const char *name);

/* ad_wclass_threads.c: the thread-pool classes. */
extern const ad_wclass ad_wclass_sync, ad_wclass_gthread;
/* ad_wclass_asgi.c: asyncio apps on the worker's event loop. */
extern const ad_wclass ad_wclass_asgi;
/* ad_wclass_gevent.c: WSGI apps written for gevent, a greenlet per stream. */
extern const ad_wclass ad_wclass_gevent;

#endif

/* asgi.h: the ASGI 3 interface (HTTP scope, receive/send awaitables,
 * lifespan), as the asgi worker class (ad_wclass_asgi.c) sees it.  One
 * event loop on the worker's main thread runs everything here, with the GIL
 * held: the loop's reader callbacks decode frames in C, and what they mean
 * for a request (body bytes, credit, a reset) completes its awaitables. */
#ifndef TANDEM_ASGI_H
#define TANDEM_ASGI_H

#include "ad_settings.h"

typedef struct ad_stream ad_stream;
struct _object;

/* Once per worker, after the fork (GIL held): the event loop
 * (--asgi-loop), the types, the app (an ASGI 2 double callable is wrapped)
 * and lifespan startup (--asgi-lifespan), run to its end on the loop.  0;
 * -1 after logging why (the worker fails to boot); a startup the app
 * reports failed ends the worker through ad_worker_fail_app. */
int asgi_init(const ad_settings *s, struct _object *app);
/* The loop object (borrowed). */
struct _object *asgi_loop(void);
/* Lifespan shutdown, after a clean stop (GIL held). */
void asgi_shutdown(void);

/* Events from the connection reader (W.mu held, loop thread): s has news
 * (body bytes, credit or room, a reset).  Only recorded here; asgi_settle
 * acts on them. */
void asgi_event(ad_stream *s);
/* A stream waits in the scheduler (W.mu held): asgi_settle starts it. */
void asgi_queued(void);
/* After every callback of the loop's (W.mu not held): starts queued streams
 * up to capacity and completes the awaitables the recorded events
 * unblocked. */
void asgi_settle(void);
/* Streams still running (their tasks), for the stop. */
unsigned asgi_running(void);
/* ad_wclass_asgi.c: what every entry from the loop into C ends with:
 * asgi_settle, then the descriptors the loop watches brought up to date
 * (a connection with output waiting is watched for writing). */
void asgi_loop_after(void);

#endif

/* wsgi.h: the WSGI (PEP 3333) layer, as the worker classes that run it see
 * it: set up once per worker, then run one stream at a time per request
 * object.  Everything here runs with the GIL held.  The files behind it
 * share wsgi_req.h. */
#ifndef TANDEM_WSGI_H
#define TANDEM_WSGI_H

#include <stdint.h>

#include "ad_settings.h"
#include "ad_stream.h"

typedef struct wsgi_req wsgi_req;
typedef struct ad_stream ad_stream;
struct _object;

/* Types, interned keys and the environ template; once per worker, after the
 * fork.  0, or -1 with a Python exception set. */
int wsgi_init(const ad_settings *s);

/* Per-thread request state, reused request after request.  wsgi_req_new
 * needs no GIL; NULL when out of memory.  wsgi_req_free drops the Python
 * objects it caches (GIL held) and frees r. */
wsgi_req *wsgi_req_new(void);
void wsgi_req_free(wsgi_req *r);

/* How a request waits for its client (body bytes, credit, socket room),
 * GIL held on entry and exit.  The default, for app threads, releases the
 * GIL around ad_stream's blocking waits; a green class (gevent) switches
 * to its hub instead, and then file bodies are sent with the GIL held. */
typedef struct {
    void (*body_wait)(ad_stream *s, uint32_t gen);      /* as ad_stream_body_wait */
    void (*send_wait)(ad_stream *s, const ad_send *op); /* as ad_stream_send_wait */
    int green; /* the waits switch greenlets: never release the GIL */
} wsgi_waits;
/* Replaces the waits (once, before serving); s must outlive the worker. */
void wsgi_set_waits(const wsgi_waits *w);
extern const wsgi_waits *wsgi_wait;

/* Runs app for stream s and sends its response; never raises.  The stream's
 * final frame has gone out when it returns (END_STREAM, TRAILERS or RESET). */
void wsgi_handle(wsgi_req *r, ad_stream *s, struct _object *app);

#endif

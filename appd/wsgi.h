/* wsgi.h: the WSGI (PEP 3333) layer, as the worker classes that run it see
 * it: set up once per worker, then run one stream at a time per request
 * object.  Everything here runs with the GIL held.  The files behind it
 * share wsgi_req.h. */
#ifndef TANDEM_WSGI_H
#define TANDEM_WSGI_H

#include "ad_settings.h"

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

/* Runs app for stream s and sends its response; never raises.  The stream's
 * final frame has gone out when it returns (END_STREAM, TRAILERS or RESET). */
void wsgi_handle(wsgi_req *r, ad_stream *s, struct _object *app);

#endif

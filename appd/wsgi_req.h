/* wsgi_req.h: what the wsgi_*.c files share: the per-request state of one
 * app thread and each file's entry points.  Everything here runs on an app
 * thread with the GIL held. */
#ifndef TANDEM_WSGI_REQ_H
#define TANDEM_WSGI_REQ_H

#include <Python.h>

#include "ad_response.h"
#include "ad_settings.h"
#include "ad_stream.h"
#include "tp.h"
#include "wsgi.h"

#define WSGI_NO_LENGTH AD_RESP_NO_LENGTH

/* The exception raised into the app when the client went away. */
#define WSGI_CLIENT_GONE PyExc_ConnectionResetError

/* One per app thread, reused request after request. */
struct wsgi_req {
    ad_stream *s;
    ad_resp resp;           /* the response rules' state: head, length, progress */
    int started;            /* start_response called */
    int answered_500;       /* an app error was answered with the server's 500 */
    PyObject *headers;      /* validated list of (name, value) str tuples... */
    tp_header *head_fields; /* ...and their bytes, as resp's head fields */
    uint32_t head_cap;
    PyObject *trailers;        /* queued trailer (name, value) tuples, or NULL... */
    tp_header *trailer_fields; /* ...and their bytes, as resp's trailers */
    uint32_t trailer_cap;
    tp_header *hint_fields; /* wsgi.early_hints' fields while encoding */
    uint32_t hint_cap;
    uint8_t *filebuf;   /* wsgi.file_wrapper reads */
    PyObject *held;     /* bytes completing the body, held back while resp.hold_end */
    PyObject *sr;       /* reusable start_response object... */
    PyObject *hints_fn; /* ...and the environ callables bound to it */
    PyObject *trailers_fn;
    PyObject *input; /* reusable wsgi.input object */
    /* App threads may call write() or early_hints on one response at once,
     * and a send drops the GIL while it waits: each send (rules, encoding,
     * writing) holds this lock whole (wsgi_send_lock). */
    PyThread_type_lock send_lock;
};

/* wsgi_environ.c */
int wsgi_environ_init(const ad_settings *s);
PyObject *wsgi_environ_build(wsgi_req *r);

/* wsgi_input.c: wsgi.input */
int wsgi_input_init(void);
/* Binds a (possibly recycled) Input object to r's stream: new reference. */
PyObject *wsgi_input_for(wsgi_req *r);
void wsgi_input_unbind(PyObject *input);

/* wsgi_errors.c: wsgi.errors */
PyObject *wsgi_errors_new(void);

/* wsgi_fields.c.  What a field list is for: the rules differ. */
enum { WSGI_FIELDS_FINAL, WSGI_FIELDS_HINTS, WSGI_FIELDS_TRAILERS };
/* A str's latin-1 bytes, without copying: 0, -1 not a str, -2 not latin-1. */
int wsgi_fields_latin1(PyObject *o, const uint8_t **p, size_t *n);
/* Checks an app's field list; *out gets a new list of (name, value) str
 * tuples, *clen its Content-Length or WSGI_NO_LENGTH.  0, or -1 with a
 * ValueError or TypeError naming the field. */
int wsgi_fields_check(PyObject *headers, int kind, PyObject **out, uint64_t *clen);
int wsgi_fields_fill(PyObject *list, tp_header **arr, uint32_t *cap, uint32_t spare);

/* wsgi_start.c: start_response (and the write() it returns), with
 * r->hints_fn and r->trailers_fn bound to it (all recycled when the app
 * kept none).  Borrowed reference. */
int wsgi_start_init(void);
PyObject *wsgi_start_for(wsgi_req *r);
void wsgi_start_unbind(PyObject *sr);
wsgi_req *wsgi_start_req(PyObject *sr); /* NULL once its request finished */

/* wsgi_response.c: the result iterable and what it sends. */
int wsgi_response_init(void);
/* Serialises the sends of one response across app threads; waits for the
 * lock without the GIL.  Not reentrant: wsgi_response_send takes it. */
void wsgi_send_lock(wsgi_req *r);
void wsgi_send_unlock(wsgi_req *r);
/* Writes op, dropping the GIL only while blocked: 0, -1 client gone. */
int wsgi_response_write(wsgi_req *r, ad_send *op);
/* Sends body bytes through the response rules: 0, -1 client gone. */
int wsgi_response_send(wsgi_req *r, const uint8_t *p, size_t n, int end);
/* A buffer view of a body chunk; str is refused.  0, or -1 with TypeError. */
int wsgi_response_body_view(PyObject *data, Py_buffer *view);
/* Runs the result iterable to its end and closes it. */
void wsgi_response_run(wsgi_req *r, PyObject *result);
/* The app raised (exception pending): a 500, or a reset after the head. */
void wsgi_response_error(wsgi_req *r, const char *what);

/* wsgi_ext.c: environ callables beyond PEP 3333, under Gunicorn's names:
 * wsgi.early_hints and gunicorn.http2.send_trailers. */
int wsgi_ext_init(void);
PyObject *wsgi_ext_hints_new(PyObject *sr); /* new references, bound to sr */
PyObject *wsgi_ext_trailers_new(PyObject *sr);
int wsgi_ext_set(wsgi_req *r, PyObject *env); /* puts r's callables into env */

/* wsgi_file.c: wsgi.file_wrapper */
extern PyTypeObject wsgi_FileWrapperType;
int wsgi_file_init(void);
/* 1 = not a regular file (iterate it instead), 0 = sent, -2 = client gone */
int wsgi_file_send(wsgi_req *r, PyObject *wrapper);

#endif

/* wsgi.h: the WSGI (PEP 3333) layer of a worker: per-request state shared by
 * the environ builder, wsgi.input, start_response/write and the response
 * loop.  Everything here runs on an app thread with the GIL held. */
#ifndef TANDEM_WSGI_H
#define TANDEM_WSGI_H

#include <Python.h>

#include "ad_settings.h"
#include "ad_stream.h"
#include "tp.h"

#define AD_NO_LENGTH UINT64_MAX

/* One per app thread, reused request after request. */
typedef struct ad_req {
    ad_stream *s;
    int started;               /* start_response called */
    int head_sent;             /* RESPONSE_HEAD written */
    int done;                  /* END_STREAM or RESET written */
    int is_head;               /* HEAD request: body bytes are not sent */
    int truncated_logged;
    int trailers_ok;           /* the client can receive trailers (h2, or HTTP/1.1 + TE: trailers) */
    int hold_end;              /* app code may still queue trailers: END_STREAM waits */
    int finishing;             /* the iterable is exhausted: too late for trailers */
    unsigned status;
    PyObject *headers;         /* validated list of (name, value) str tuples */
    uint64_t content_length;   /* from the app's headers, AD_NO_LENGTH if none */
    uint64_t auto_length;      /* computed by tandem (list results, files), or AD_NO_LENGTH */
    uint64_t sent;             /* body bytes accepted from the app */
    tp_buf scratch;            /* encoded head frame */
    tp_header *th;             /* encode array */
    uint32_t th_cap;
    uint8_t *filebuf;          /* wsgi.file_wrapper reads */
    PyObject *trailers;        /* queued trailer (name, value) tuples, or NULL */
    PyObject *held;            /* bytes completing the body, held back while hold_end */
    PyObject *sr;              /* reusable start_response object... */
    PyObject *hints_fn;        /* ...and the environ callables bound to it */
    PyObject *trailers_fn;
    PyObject *input;           /* reusable wsgi.input object */
} ad_req;

/* Types, interned keys and the environ template; once per worker, GIL held. */
int ad_wsgi_init(const ad_settings *s);
/* Runs the app for stream s and sends its response; never raises. */
void ad_wsgi_handle(ad_req *r, ad_stream *s, PyObject *app);
void ad_wsgi_req_free(ad_req *r);

/* wsgi_environ.c */
int ad_environ_init(const ad_settings *s);
PyObject *ad_environ_build(ad_req *r);

/* wsgi_input.c */
extern PyTypeObject ad_InputType;
int ad_input_ready(void);
/* Binds a (possibly recycled) Input object to stream s. */
PyObject *ad_input_for(ad_req *r);
void ad_input_unbind(PyObject *input);

/* wsgi_errors.c */
extern PyTypeObject ad_ErrorsType;
PyObject *ad_errors_new(void);

/* wsgi_response.c */
extern PyTypeObject ad_StartResponseType;
extern PyTypeObject ad_FileWrapperType;
int ad_response_types_ready(void);

/* The exception raised into the app when the client went away. */
PyObject *ad_client_gone(void);

/* Shared between the wsgi_*.c files (GIL held). */
int ad_latin1_view(PyObject *o, const uint8_t **p, size_t *n);   /* 0, -1 not str, -2 not latin-1 */
const char *ad_req_desc(ad_req *r, char *buf, size_t len);      /* "METHOD /path" for logs */
int ad_req_fill_headers(ad_req *r, PyObject *list, int with_length, char *lenbuf, size_t lenlen);
int ad_req_encode_head(ad_req *r, int end);   /* 0, 1 = replaced by a 500, -1 */
int ad_req_send(ad_req *r, const uint8_t *p, size_t n, int end);   /* 0, -1 client gone */
int ad_body_view(PyObject *data, Py_buffer *view);
/* What a header list is for: the rules differ (wsgi_start.c). */
enum { AD_HDRS_FINAL, AD_HDRS_HINTS, AD_HDRS_TRAILERS };
int ad_check_headers(PyObject *headers, int kind, PyObject **out, uint64_t *clen);
/* wsgi_start.c: a start_response bound to r, with r->hints_fn and
 * r->trailers_fn bound to it (all recycled when the app kept none). */
PyObject *ad_sr_for(ad_req *r);
void ad_sr_unbind(PyObject *sr);
ad_req *ad_sr_req(PyObject *sr);              /* NULL once its request finished */

/* wsgi_ext.c: environ callables beyond PEP 3333, under Gunicorn's names:
 * wsgi.early_hints and gunicorn.http2.send_trailers. */
int ad_ext_init(void);
PyObject *ad_ext_hints_new(PyObject *sr);     /* new references, bound to sr */
PyObject *ad_ext_trailers_new(PyObject *sr);
int ad_ext_set(ad_req *r, PyObject *env);     /* puts r's callables into env */
/* Appends a TRAILERS frame carrying r->trailers to r->scratch: TP_OK or TP_E_*. */
int ad_req_encode_trailers(ad_req *r);
/* Trailers queued and deliverable for this response. */
int ad_req_has_trailers(const ad_req *r);
/* wsgi_file.c */
int ad_file_init(void);
/* 1 = not a regular file (iterate it instead), 0 = sent, -2 = client gone */
int ad_send_file(ad_req *r, PyObject *wrapper);

#endif

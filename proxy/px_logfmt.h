/* px_logfmt.h: Gunicorn's access_log_format, compiled once at start-up into
 * a list of atoms, and one request's access-log line written from it into
 * the caller's buffer: no allocation and no I/O per line.
 *
 * The format is what Gunicorn passes to Python's "%" with a dict: "%(NAME)s"
 * is an atom, "%%" a '%', anything else literal.  A '-' flag, a width and a
 * precision work as in Python; 'd' works for the integer atoms (B T D M).
 * Atoms are Gunicorn's (h l u t r s m U q H b B f a T D M L p, {NAME}i,
 * {NAME}o, {NAME}e) and tandem's own, which Gunicorn lacks: {stream_id}t
 * (the HTTP/2 stream), {worker_pid}t (the bare pid of the worker that
 * answered) and {connection}t (the proxy's connection number, as its error
 * log names it).  Values are written as Gunicorn writes them, '"' as '\"',
 * except that bytes outside printable ASCII become \xHH: a log line never
 * carries a control character.
 *
 * Errors: px_logfmt_compile returns -1 with one line in err naming what it
 * refused (an unknown atom, an environ name the proxy cannot know, a
 * conversion other than s or d).  Ownership: the compiled format is the
 * caller's (px_logfmt_free); px_logreq only borrows. */
#ifndef TANDEM_PX_LOGFMT_H
#define TANDEM_PX_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include "tp.h"

/* Gunicorn's default access_log_format. */
#define PX_LOGFMT_DEFAULT "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" \"%(a)s\""

/* Distinct {NAME}o fields one format may name (their values are kept per
 * stream until the line is written). */
#define PX_LOGFMT_MAX_RESP 16

typedef struct px_logfmt px_logfmt;

/* One request as the proxy saw it. */
typedef struct {
    tp_str method, path, query; /* path raw (percent-encoded) and without '?query' */
    tp_str scheme, authority;   /* :scheme / http(s); :authority or Host */
    tp_str peer_addr, local_addr;
    uint16_t peer_port, local_port;
    uint8_t http_major, http_minor; /* 0.0: no request was understood (a 400 to garbage) */
    uint8_t tls;
    unsigned status;
    uint64_t content_length; /* the request body's, TP_LENGTH_UNKNOWN when not known */
    uint64_t sent;           /* response body bytes passed to the client */
    uint64_t usec;           /* request time: head complete to response done */
    const char *clf_time;    /* "[10/Oct/2000:13:55:36 -0700]" */
    uint32_t worker_pid;     /* 0: the proxy answered itself */
    uint32_t proxy_pid;
    uint32_t h2_stream;   /* 0 on HTTP/1 */
    uint32_t wire_stream; /* the stream's id on the wire to appd, 0 when it never had one */
    uint32_t conn_id;
    const tp_header *headers;
    uint32_t nheaders;
    /* Values of the format's {NAME}o fields by slot (px_logfmt_resp_slot);
     * ptr NULL: the response had none.  NULL: none at all. */
    const tp_str *resp;
} px_logreq;

/* Compiles fmt.  0 with *out, or -1 with err. */
int px_logfmt_compile(const char *fmt, px_logfmt **out, char *err, size_t errlen);
void px_logfmt_free(px_logfmt *f);

/* The number of distinct {NAME}o fields f names (slots 0..n-1). */
unsigned px_logfmt_resp_count(const px_logfmt *f);
/* The slot of response field name (any case), or -1 when f does not log it. */
int px_logfmt_resp_slot(const px_logfmt *f, const uint8_t *name, size_t len);

/* Writes r's line, newline included, into buf[0..cap) (cap >= 2); a line
 * longer than cap is cut, its newline kept.  Returns its length. */
size_t px_logfmt_line(const px_logfmt *f, const px_logreq *r, char *buf, size_t cap);

/* "[10/Oct/2000:13:55:36 -0700]" for t in local time (Gunicorn's %(t)s)
 * into buf (>= 32 bytes); returns its length. */
size_t px_logfmt_clf_time(int64_t t, char *buf, size_t cap);

#endif

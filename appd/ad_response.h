/* ad_response.h: the rules every response obeys, whichever interface made it
 * (WSGI now, ASGI next), over C values: the final head and its encoding into
 * a RESPONSE_HEAD frame (a bare 500 when the proxy could not take it),
 * Content-Length accounting (bytes beyond it are dropped and logged, a body
 * that stops short resets the stream, since the client would wait forever),
 * no body bytes for HEAD requests and 204/304 responses, which clients may
 * receive 103 hints and trailers, holding the end of the stream while
 * trailers may still come, and the 500 or RESET that answers an app error.
 *
 * No Python and no I/O: each step encodes frames into r->frames and fills an
 * ad_resp_out saying what to write; the caller writes it to the stream (with
 * ad_stream_send_step / ad_stream_send), resets the stream when it says so,
 * and reports with ad_resp_written.  Field arrays are borrowed: the caller
 * keeps them, and the bytes they point at, alive until the step that encodes
 * them.  Functions that can fail say how in their comment; the others cannot.
 *
 * The caller sets hold_end and finishing (when its app may still queue
 * trailers, and when it is done producing); every other field is the
 * module's, readable by all. */
#ifndef TANDEM_AD_RESPONSE_H
#define TANDEM_AD_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "tp.h"

#define AD_RESP_NO_LENGTH UINT64_MAX

typedef struct {
    /* the request (ad_resp_begin) */
    const tp_request_head *req; /* borrowed from the stream: rules and logs */
    uint32_t stream_id;
    uint32_t max_frame; /* the proxy's: no head or trailers frame beyond it */
    int is_head;        /* HEAD request: no body bytes */
    int trailers_ok;    /* the client takes trailers: h2, or HTTP/1.1 with TE: trailers */
    /* the final head (ad_resp_set_head) */
    unsigned status;         /* 0 until set */
    uint64_t content_length; /* the app's, or AD_RESP_NO_LENGTH */
    tp_header *fields;       /* the app's fields, with room for one more */
    uint32_t nfields;
    uint64_t auto_length; /* the body's size as the server knows it, or AD_RESP_NO_LENGTH */
    /* trailers queued so far (ad_resp_set_trailers) */
    const tp_header *trailers;
    uint32_t ntrailers;
    /* set by the caller */
    int hold_end;  /* app code may still queue trailers: the stream does
                                   * not end when the body reaches its length */
    int finishing; /* the app is done producing: too late for hints, trailers */
    /* progress */
    uint64_t sent; /* body bytes accepted from the app */
    int head_sent; /* the head (or the 500 replacing it) is out */
    int done;      /* the stream's final frame is out, or it was given up */
    int truncated_logged;
    tp_buf frames; /* the frames the current step encoded */
} ad_resp;

/* What a step asks the caller to do.  When write: write pre, then len bytes
 * of data as RESPONSE_DATA, then post (ad_send's layout), even when all are
 * empty (the write then only reports whether the client is still there);
 * end: the write ends the stream.  When reset (after a write that went
 * well, or alone): reset the stream with INTERNAL_ERROR. */
typedef struct {
    const uint8_t *pre;
    size_t prelen;
    const uint8_t *data;
    size_t len;
    int end;
    const uint8_t *post;
    size_t postlen;
    int write;
    int reset;
} ad_resp_out;

void ad_resp_init(ad_resp *r);
void ad_resp_free(ad_resp *r);

/* A new response for stream_id answering req (borrowed until the response is
 * done); max_frame: the proxy's.  Clears every other field but frames. */
void ad_resp_begin(ad_resp *r, const tp_request_head *req, uint32_t stream_id, uint32_t max_frame);

/* The final head: status 200..999, the Content-Length the fields carry (or
 * AD_RESP_NO_LENGTH), and the fields, in an array with room for nfields + 1
 * (the rules may add a Content-Length).  May be called again, with new
 * fields, until the head is out (PEP 3333's exc_info). */
void ad_resp_set_head(ad_resp *r, unsigned status, uint64_t content_length, tp_header *fields,
                      uint32_t nfields);

/* Whether body bytes go on the wire: not for HEAD, 1xx, 204 or 304. */
int ad_resp_has_body(const ad_resp *r);
/* The length the body must have: the app's Content-Length, else the one the
 * server announced, else AD_RESP_NO_LENGTH. */
uint64_t ad_resp_limit(const ad_resp *r);
/* Whether n more bytes reach (or pass) that length. */
int ad_resp_completes(const ad_resp *r, uint64_t n);
/* Whether the server may still announce a length: the app declared none,
 * the head is not out, and there is a body. */
int ad_resp_length_open(const ad_resp *r);
/* The rest of the body is known to be rest bytes (a list result, a file):
 * when ad_resp_length_open, the head will announce sent + rest. */
void ad_resp_known_rest(ad_resp *r, uint64_t rest);

/* "METHOD /path" of the request, for logs. */
const char *ad_resp_desc(const ad_resp *r, char *buf, size_t len);

/* Encodes the final head into r->frames (replacing what was there), with
 * END_STREAM when end.  0, or 1 when the codec or the proxy's max_frame
 * refused it: then it is logged, and a bare 500 that ends the stream was
 * encoded instead.  Does not mark the head sent (the step that writes it
 * does). */
int ad_resp_encode_head(ad_resp *r, int end);

/* Sends n body bytes from p (end: nothing follows).  The head goes with the
 * first non-empty step or the end.  Reaching the length ends the stream
 * unless hold_end; at the end, queued deliverable trailers leave in the same
 * write as a TRAILERS frame.  1 with *out filled, or 0: nothing to do. */
int ad_resp_body(ad_resp *r, const uint8_t *p, size_t n, int end, ad_resp_out *out);

/* The app is done producing (its iterable is exhausted): end the stream, or
 * reset it when the body stopped short of its length.  1 with *out, or 0
 * when the stream had ended already. */
int ad_resp_end(ad_resp *r, ad_resp_out *out);

/* The app failed: a small 500 page when no head is out, else a reset.  1
 * with *out, or 0 when the stream had ended (or the 500 cannot be encoded). */
int ad_resp_error(ad_resp *r, ad_resp_out *out);

/* Reports the caller's write of out: ok 0 means the client is gone.  Marks
 * the response done when it ended, was reset or failed. */
void ad_resp_written(ad_resp *r, const ad_resp_out *out, int ok);
/* The client is gone (a write the caller did itself failed): done. */
void ad_resp_abort(ad_resp *r);

/* What to do with interim (103) hints or trailers the app gives now. */
enum {
    AD_RESP_LATE = -1, /* too late: an error for the app */
    AD_RESP_SKIP = 0,  /* accepted but not sent: the client cannot take them, or none */
    AD_RESP_SEND = 1,
};
/* 103 hints go before the head, to clients that take 1xx. */
int ad_resp_hints_check(const ad_resp *r, uint32_t nfields);
/* Encodes a RESPONSE_INFO(103) frame into r->frames and points out->pre at
 * it (nothing else to write).  TP_OK, or TP_E_TOO_BIG when the proxy could
 * not take it (or another TP_E_* from the codec). */
int ad_resp_encode_hints(ad_resp *r, const tp_header *fields, uint32_t n, ad_resp_out *out);

/* Trailers are queued until the app is done, for clients that take them. */
int ad_resp_trailers_check(const ad_resp *r, uint32_t nfields);
/* Whether a TRAILERS frame carrying fields fits the proxy's max_frame;
 * *size gets its encoded payload size. */
int ad_resp_trailers_fit(const ad_resp *r, const tp_header *fields, uint32_t n, uint64_t *size);
/* Every trailer queued so far (replaces the previous array). */
void ad_resp_set_trailers(ad_resp *r, const tp_header *fields, uint32_t n);
/* Trailers queued and deliverable: the client takes them, and the response
 * has a body (not for HEAD, 204, 304). */
int ad_resp_has_trailers(const ad_resp *r);

/* A body the caller sends itself (a file, from C without the GIL): of size
 * bytes available, how many to send (0: none), announcing size as the
 * length when still open; *ends: they complete the body and end the stream.
 * Then the caller encodes the head if not out (ad_resp_encode_head), writes,
 * and reports with ad_resp_file_sent (or ad_resp_abort). */
uint64_t ad_resp_file_span(ad_resp *r, uint64_t size, int *ends);
void ad_resp_file_sent(ad_resp *r, uint64_t bytes, int head_out, int ended);

#endif

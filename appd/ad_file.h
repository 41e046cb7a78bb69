/* ad_file.h: a response body sent from a regular file by the worker, not
 * by Python: pread(2) into a buffer, then RESPONSE_DATA under flow control,
 * one step at a time so a blocking class (WSGI's file_wrapper, which waits
 * between steps without the GIL) and an event-loop class (ASGI's
 * http.response.pathsend, which waits for the loop's on_writable) share it.
 * pread, not sendfile: frame headers must interleave with the bytes and a
 * frame must go out whole, so one copy through a bounded buffer is the
 * simple choice.  No Python here.
 *
 * Ownership: the caller owns fd (open until the send is over) and buf
 * (AD_FILE_BUF bytes).  Errors: steps return the AD_SEND_* codes. */
#ifndef TANDEM_AD_FILE_H
#define TANDEM_AD_FILE_H

#include <stdint.h>
#include <sys/types.h>

#include "ad_response.h"
#include "ad_stream.h"

#define AD_FILE_BUF (256u * 1024u)

typedef struct {
    int fd;
    off_t off;      /* next byte to read */
    uint64_t left;  /* bytes still to read */
    uint64_t n;     /* bytes this send covers (ad_resp_file_span) */
    int ends;       /* the last byte ends the stream */
    int head_out;   /* the head went out with the first chunk */
    int short_read; /* the file shrank: the rules report the shortfall */
    uint8_t *buf;
    ad_send op; /* the chunk being written */
    int op_live;
} ad_file_send;

/* Sets up a send of the size bytes of fd from off, under r's rules (which
 * may announce size as the length and encode the head).  0: nothing to send
 * (the caller ends the response as usual); 1: ready to step; -1: the head
 * could not be encoded (r sends a 500 instead: the caller treats the body
 * as not applicable). */
int ad_file_begin(ad_file_send *f, ad_resp *r, int fd, off_t off, uint64_t size, uint8_t *buf);

/* Reads and writes what flow control and socket room allow now.
 * AD_SEND_DONE: every byte is out (or the file shrank); AD_SEND_BLOCKED:
 * wait (ad_stream_send_wait, or the class's on_writable) and step again;
 * AD_SEND_GONE: the client is gone. */
int ad_file_step(ad_file_send *f, ad_stream *s);

/* Reports the send to r's rules (ad_resp_file_sent), after DONE or GONE. */
void ad_file_end(ad_file_send *f, ad_resp *r, int gone);

#endif

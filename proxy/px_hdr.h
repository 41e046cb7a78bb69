/* px_hdr.h: pure helpers for header fields crossing protocols: a worker's
 * field made ready for a client, h2 name translation, status reasons, Date,
 * :path split, base64url.  The field rules themselves (tokens, values,
 * Content-Length, hop-by-hop and trailer fields) are common/tc_http.h.
 * No I/O, no allocation. */
#ifndef TANDEM_PX_HDR_H
#define TANDEM_PX_HDR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tp.h"

/* A worker's field as it may reach a client: *value is f's value without
 * the SP/HTAB around it (not part of a value, RFC 9110 §5.5); 1 when the
 * name is a token and that value is valid (tc_http_field_ok), 0 when the
 * field must be dropped: anything else could split or forge a field. */
int px_hdr_response_field(const tp_header *f, tp_str *value);

/* Lower-cases n bytes from src to dst (h2 wants lower-case names). */
void px_hdr_lower(uint8_t *dst, const uint8_t *src, size_t n);

/* "OK", "Not Found"...; "Unknown" for codes without a registered phrase. */
const char *px_status_reason(unsigned status);

/* The three digits of status (100..999, the wire's range; status % 1000
 * otherwise) into dst, without snprintf: a head is formatted per request. */
void px_status_digits(char dst[3], unsigned status);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into buf (>= 30 bytes);
 * returns 29. */
size_t px_http_date(time_t t, char *buf);

/* Splits an origin-form :path at the first '?'. */
void px_split_path(const uint8_t *p, size_t len, size_t *path_len, const uint8_t **query,
                   size_t *query_len);

/* One base64 digit's value (0..63), or -1: c62 and c63 name the alphabet's
 * last two digits ('+' '/' in base64, '-' '_' in base64url). */
int px_base64_digit(uint8_t c, uint8_t c62, uint8_t c63);
/* base64url (RFC 4648 §5, padding optional) into out[0..cap): the bytes
 * written, or -1 for a bad character, a bad length or too little room.
 * For the HTTP2-Settings field of an h2c upgrade. */
long px_base64url_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif

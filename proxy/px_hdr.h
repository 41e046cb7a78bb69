/* px_hdr.h: pure helpers for header fields crossing protocols: h2 name
 * translation, connection-specific and trailer-forbidden fields, status
 * reasons, Date, :path split, base64url.
 * No I/O, no allocation. */
#ifndef TANDEM_PX_HDR_H
#define TANDEM_PX_HDR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Case-insensitive compare of a field name with a lower-case literal. */
int px_hdr_is(const uint8_t *name, size_t len, const char *lower);

/* Connection-specific fields (RFC 9113 §8.2.2) that must not go out on h2:
 * connection, keep-alive, proxy-connection, transfer-encoding, upgrade. */
int px_hdr_conn_specific(const uint8_t *name, size_t len);

/* A response field the app may send: name is a token, value has no CR, LF
 * or NUL.  Anything else would let a field split the response. */
int px_hdr_valid_response_field(const uint8_t *name, size_t nlen, const uint8_t *value,
                                size_t vlen);

/* Lower-cases n bytes from src to dst (h2 wants lower-case names). */
void px_hdr_lower(uint8_t *dst, const uint8_t *src, size_t n);

/* Parses a Content-Length value (1*DIGIT, no sign, no overflow).  0 or -1. */
int px_parse_content_length(const uint8_t *v, size_t len, uint64_t *out);

/* "OK", "Not Found"...; "Unknown" for codes without a registered phrase. */
const char *px_status_reason(unsigned status);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into buf (>= 30 bytes);
 * returns 29. */
size_t px_http_date(time_t t, char *buf);

/* Splits an origin-form :path at the first '?'. */
void px_split_path(const uint8_t *p, size_t len, size_t *path_len, const uint8_t **query,
                   size_t *query_len);

/* Does a comma list field value (TE) contain token tok (case-insensitive)? */
int px_hdr_list_has(const uint8_t *v, size_t len, const char *tok);

/* Fields a trailer section must not carry (RFC 9110 §6.5.1, RFC 9113
 * §8.1): pseudo-headers, framing (content-length, transfer-encoding,
 * trailer), routing (host), te and the connection-specific ones.  A worker
 * that sends them is buggy; the proxy drops them so the client never sees
 * a malformed response. */
int px_hdr_forbidden_trailer(const uint8_t *name, size_t len);

/* base64url (RFC 4648 §5, padding optional) into out[0..cap): the bytes
 * written, or -1 for a bad character, a bad length or too little room.
 * For the HTTP2-Settings field of an h2c upgrade. */
long px_base64url_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif

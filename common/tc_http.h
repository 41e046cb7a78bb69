/* tc_http.h: the HTTP field rules both daemons apply, written once so that
 * tandem-proxy and tandem-appd cannot disagree (RFC 9110, 9112, 9113):
 * token and field-value characters, field names and values, Content-Length,
 * connection-specific fields, fields a trailer section must not carry, and
 * the two helpers those need (name compare, comma-list membership).
 *
 * Pure: byte ranges in, no allocation, no I/O, no locale, no state.
 * Predicates return 1 or 0.  Parsers return 0, or a negative TC_HTTP_CL_*
 * code and leave their outputs untouched.  Names are compared ASCII
 * case-insensitively with lower-case literals.  The one-byte predicates are
 * inline table lookups, so the HTTP/1 parser's loops pay nothing for them. */
#ifndef TANDEM_TC_HTTP_H
#define TANDEM_TC_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- Character classes: one bit each in tc_http_class[] ---------------- */

#define TC_HTTP_TCHAR 0x01 /* tchar (RFC 9110 §5.6.2): names, methods, codings */
#define TC_HTTP_VCHAR 0x02 /* field-vchar (RFC 9110 §5.5): VCHAR 0x21-0x7e, obs-text 0x80-0xff */
#define TC_HTTP_OWS 0x04   /* SP and HTAB (RFC 9110 §5.6.3) */
#define TC_HTTP_DIGIT 0x08 /* DIGIT */

/* The one definition of those classes.  NUL, CR, LF, every other CTL and
 * DEL are in none, so a loop that scans for a class stops on them. */
extern const uint8_t tc_http_class[256];

static inline int tc_http_is_tchar(uint8_t c) { return (tc_http_class[c] & TC_HTTP_TCHAR) != 0; }

static inline int tc_http_is_vchar(uint8_t c) { return (tc_http_class[c] & TC_HTTP_VCHAR) != 0; }

static inline int tc_http_is_ows(uint8_t c) { return (tc_http_class[c] & TC_HTTP_OWS) != 0; }

static inline int tc_http_is_digit(uint8_t c) { return (tc_http_class[c] & TC_HTTP_DIGIT) != 0; }

/* A byte that may appear inside a field value: field-vchar, SP or HTAB. */
static inline int tc_http_is_value_char(uint8_t c)
{
    return (tc_http_class[c] & (TC_HTTP_VCHAR | TC_HTTP_OWS)) != 0;
}

/* ---- Small helpers -------------------------------------------------------- */

/* Is p[0..n) the lower-case literal lower (of length lower_len), ignoring
 * ASCII case?  The length is compared first, so most misses cost nothing. */
static inline int tc_http_name_eq(const uint8_t *p, size_t n, const char *lower, size_t lower_len)
{
    if (n != lower_len)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if ((uint8_t)(c - 'A') < 26)
            c |= 0x20;
        if (c != (uint8_t)lower[i])
            return 0;
    }
    return 1;
}

/* The same with a NUL-terminated literal (strlen folds away when inlined). */
static inline int tc_http_name_is(const uint8_t *p, size_t n, const char *lower)
{
    return tc_http_name_eq(p, n, lower, strlen(lower));
}

/* Narrows [*p, *p + *n) to leave out leading and trailing SP/HTAB. */
static inline void tc_http_trim_ows(const uint8_t **p, size_t *n)
{
    while (*n > 0 && tc_http_is_ows((*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && tc_http_is_ows((*p)[*n - 1]))
        (*n)--;
}

/* Does the comma list v[0..n) (RFC 9110 §5.6.1: Connection, TE...) hold the
 * token tok (lower case), ignoring ASCII case, OWS around elements, empty
 * elements and ";" parameters?  "gzip, Trailers;q=1" holds "trailers";
 * "trailersx" does not. */
int tc_http_list_has(const uint8_t *v, size_t n, const char *tok);

/* ---- Field names and values (RFC 9110 §5.1, §5.5) ------------------------ */

/* field-name = token = 1*tchar.  Empty is not a name. */
int tc_http_name_ok(const uint8_t *p, size_t n);

/* field-value: field-vchar (VCHAR, obs-text) with SP or HTAB only between
 * them; empty is valid.  Refused: CR, LF, NUL, any other CTL and DEL,
 * anywhere (they would split or forge a field downstream), and leading or
 * trailing SP/HTAB, which are not part of a value (RFC 9110 §5.5) and make
 * an h2 message malformed (RFC 9113 §8.2.1).  Whoever receives a value
 * strips that whitespace first (tc_http_trim_ows): the HTTP/1 parser for a
 * client's, appd for the app's (as Gunicorn does), the proxy for a
 * worker's; then the value must pass this check as it is. */
int tc_http_value_ok(const uint8_t *p, size_t n);

/* Both checks, for one field. */
static inline int tc_http_field_ok(const uint8_t *name, size_t nlen, const uint8_t *value,
                                   size_t vlen)
{
    return tc_http_name_ok(name, nlen) && tc_http_value_ok(value, vlen);
}

/* ---- Content-Length (RFC 9110 §8.6) --------------------------------------- */

/* The largest length accepted: 2^63-1, what signed 64-bit peers (nghttp2,
 * curl, Python's int64 APIs) can hold.  Larger is refused, never wrapped. */
#define TC_HTTP_LENGTH_MAX UINT64_C(0x7fffffffffffffff)

#define TC_HTTP_CL_INVALID (-1)  /* not 1*DIGIT, empty, or above TC_HTTP_LENGTH_MAX */
#define TC_HTTP_CL_CONFLICT (-2) /* a list whose elements are not the same bytes */

/* One value: OWS around it is trimmed, then 1*DIGIT (leading zeros are
 * fine; no sign, no list, nothing else).  0 with *out set, or
 * TC_HTTP_CL_INVALID.  For what the app or a worker sets, and h2 requests
 * (where nghttp2 has already refused lists). */
int tc_http_content_length(const uint8_t *v, size_t n, uint64_t *out);

/* The list form a recipient may accept (RFC 9110 §8.6), "42, 42": every
 * element is parsed as above and must be byte-identical to the first
 * ("5, 05" is TC_HTTP_CL_CONFLICT, so no downstream can read two lengths
 * out of what we took as one); an empty element is TC_HTTP_CL_INVALID (the
 * §5.6.1 leniency for empty elements is not extended to framing).  On 0,
 * *out holds the value and, when elem is not NULL, *elem and *elem_len the
 * first element, so a caller that sees several field lines can hold them
 * to the same bytes.  For a client's request (HTTP/1). */
int tc_http_content_length_list(const uint8_t *v, size_t n, uint64_t *out, const uint8_t **elem,
                                size_t *elem_len);

/* ---- Connection-specific fields (RFC 9110 §7.6.1, RFC 9113 §8.2.2) ------- */

/* Connection, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade:
 * fields about one hop.  Neither daemon passes them on in a response: appd
 * drops them from the app's headers (PEP 3333 forbids them as well), the
 * proxy from a worker's response on h1 and h2 (the client connection and
 * its framing are the proxy's; on h2 they would make the response
 * malformed).  TE is a request field: a response never needs it. */
int tc_http_hop_by_hop(const uint8_t *name, size_t n);

/* What an HTTP/1 request loses when the proxy carries it on as an HTTP/2
 * stream (h2c upgrade): the hop-by-hop fields, except a TE that offers
 * "trailers", the one exception RFC 9113 §8.2.2 makes for requests. */
int tc_http_h2_request_drops(const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen);

/* ---- Trailer fields (RFC 9110 §6.5.1, RFC 9113 §8.1) ---------------------- */

/* Why a field may not be a trailer.  appd raises the category to the app
 * (tc_http_trailer_why); the proxy drops such a field from a worker's
 * trailers and logs the same words. */
enum tc_http_trailer_verdict {
    TC_HTTP_TRL_OK = 0,
    TC_HTTP_TRL_PSEUDO,     /* ":status", ":path"...: pseudo-headers only open a header block */
    TC_HTTP_TRL_SYNTAX,     /* empty, or not a token */
    TC_HTTP_TRL_FRAMING,    /* content-length, transfer-encoding, trailer, te */
    TC_HTTP_TRL_CONNECTION, /* connection, keep-alive, proxy-connection, upgrade */
    TC_HTTP_TRL_ROUTING,    /* host, max-forwards */
    TC_HTTP_TRL_AUTH,       /* authorization, www-authenticate, set-cookie, cookie... */
    TC_HTTP_TRL_CONTROL,    /* cache-control, expires, date, location, vary, range... */
    TC_HTTP_TRL_CONTENT,    /* content-type, content-encoding, content-range */
};

/* Classifies a trailer field name (any case): TC_HTTP_TRL_OK or why not. */
int tc_http_trailer_check(const uint8_t *name, size_t n);
/* A short reason for a verdict ("... are not allowed in trailers"); never NULL. */
const char *tc_http_trailer_why(int verdict);

#endif

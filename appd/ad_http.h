/* ad_http.h: the HTTP rules WSGI needs, as pure C over byte ranges: PATH_INFO
 * decoding, header name -> environ key, duplicate joining, status lines.
 * The field rules the proxy shares (names, values, Content-Length, hop-by-hop
 * and trailer fields) are in common/tc_http.h.  No Python here, so every
 * edge is unit-tested. */
#ifndef TANDEM_AD_HTTP_H
#define TANDEM_AD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "tp.h"

/* Percent-decodes n bytes of in into out (at most n bytes; out may equal in).
 * Malformed escapes ("%zz", "%4") stay as they are, like urllib.parse.unquote.
 * Returns the decoded length. */
size_t ad_pct_decode(const uint8_t *in, size_t n, uint8_t *out);

/* What a request header becomes in the environ. */
enum ad_hkind {
    AD_HK_DROP = 0,       /* name holds '_' or a non-token byte: dropped (anti-spoofing) */
    AD_HK_HTTP,           /* HTTP_<NAME> */
    AD_HK_CONTENT_TYPE,   /* CONTENT_TYPE, not HTTP_CONTENT_TYPE (CGI) */
    AD_HK_CONTENT_LENGTH, /* CONTENT_LENGTH */
    AD_HK_HOST,           /* HTTP_HOST, taken from the authority instead */
};

/* Classifies name and, for AD_HK_HTTP, writes "HTTP_" + upper-cased name with
 * '-' -> '_' into key (cap bytes, NUL-terminated) and its length into *keylen.
 * A name too long for key is AD_HK_DROP. */
int ad_env_key(const uint8_t *name, size_t n, char *key, size_t cap, size_t *keylen);

/* Duplicate joining.  Groups headers whose names are equal ignoring case:
 * group[i] is the index of the first header with header i's name (i itself
 * when it is the first).  */
void ad_hdr_group(const tp_header *h, uint32_t n, uint32_t *group);
/* The same grouping in linear time for any n, and each group's members
 * chained: next[i] is the next header of i's group (AD_HDR_NONE after the
 * last).  table is the caller's scratch of ad_hdr_table_size(n) entries. */
#define AD_HDR_NONE UINT32_MAX
uint32_t ad_hdr_table_size(uint32_t n);
void ad_hdr_group_linked(const tp_header *h, uint32_t n, uint32_t *group, uint32_t *next,
                         uint32_t *table);
/* ad_hdr_join over the chain from first: each member is visited once. */
size_t ad_hdr_join_linked(const tp_header *h, const uint32_t *next, uint32_t first, uint8_t *out,
                          size_t cap);
/* The separator for repeated values of a name: "; " for Cookie (RFC 9113
 * 8.2.3), "," otherwise (what Gunicorn does). */
const char *ad_hdr_join_sep(const uint8_t *name, size_t n);
/* Writes the values of all headers in first's group joined with their
 * separator into out (cap bytes).  Returns the full length needed (may be >
 * cap: call again with a bigger buffer). */
size_t ad_hdr_join(const tp_header *h, uint32_t n, const uint32_t *group, uint32_t first,
                   uint8_t *out, size_t cap);

/* Splits an authority ("host", "host:port", "[v6]:port", "[v6]") into host
 * and port ranges (port empty when absent).  -1 when malformed. */
int ad_split_authority(const uint8_t *a, size_t n, const uint8_t **host, size_t *hostlen,
                       const uint8_t **port, size_t *portlen);

/* A WSGI status line "NNN Reason": 3 digits, 100..999, a space, a reason
 * without control characters.  0 with *code set, or -1 with *why set. */
int ad_status_parse(const char *s, size_t n, unsigned *code, const char **why);

/* Status codes that never carry a body (1xx, 204, 304). */
int ad_status_has_body(unsigned code);

/* Writes v in decimal into dst (at least AD_DEC_MAX bytes, not
 * NUL-terminated); returns the number of digits.  snprintf cost ~700
 * instructions a request for REMOTE_PORT alone. */
#define AD_DEC_MAX 20
size_t ad_dec_u64(char *dst, uint64_t v);

#endif

/* tc_http.c: the HTTP field rules of tc_http.h: the character class table,
 * name/value checks, Content-Length, hop-by-hop and trailer field lists. */
#include "config.h"

#include "tc_http.h"

/* Row by row, 16 bytes each.  CT: CTL or DEL, in no class.  WS: SP/HTAB.
 * DL: a VCHAR that delimits (not a tchar).  TK: a tchar.  DG: a digit.
 * OB: obs-text, allowed in values only. */
#define CT 0
#define WS TC_HTTP_OWS
#define DL TC_HTTP_VCHAR
#define TK (TC_HTTP_VCHAR | TC_HTTP_TCHAR)
#define DG (TC_HTTP_VCHAR | TC_HTTP_TCHAR | TC_HTTP_DIGIT)
#define OB TC_HTTP_VCHAR
#define OB16 OB, OB, OB, OB, OB, OB, OB, OB, OB, OB, OB, OB, OB, OB, OB, OB

/* One class byte per character, sixteen to a line. */
/* clang-format off */
const uint8_t tc_http_class[256] = {
    /* 0x00      HT */
    CT, CT, CT, CT, CT, CT, CT, CT, CT, WS, CT, CT, CT, CT, CT, CT,
    /* 0x10 */
    CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT,
    /* 0x20 SP  !   "   #   $   %   &   '   (   )   *   +   ,   -   .   / */
    WS, TK, DL, TK, TK, TK, TK, TK, DL, DL, TK, TK, DL, TK, TK, DL,
    /* 0x30 0-9                                      :   ;   <   =   >   ? */
    DG, DG, DG, DG, DG, DG, DG, DG, DG, DG, DL, DL, DL, DL, DL, DL,
    /* 0x40 @   A-O */
    DL, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK,
    /* 0x50 P-Z                                      [   \   ]   ^   _ */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, DL, DL, DL, TK, TK,
    /* 0x60 `   a-o */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK,
    /* 0x70 p-z                                      {   |   }   ~   DEL */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, DL, TK, DL, TK, CT,
    /* 0x80-0xff */
    OB16, OB16, OB16, OB16, OB16, OB16, OB16, OB16,
};
/* clang-format on */

#undef CT
#undef WS
#undef DL
#undef TK
#undef DG
#undef OB
#undef OB16

int tc_http_name_ok(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!tc_http_is_tchar(p[i]))
            return 0;
    return 1;
}

int tc_http_value_ok(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 1;
    if (tc_http_is_ows(p[0]) || tc_http_is_ows(p[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!tc_http_is_value_char(p[i]))
            return 0;
    return 1;
}

int tc_http_list_has(const uint8_t *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok), i = 0;
    while (i < n) {
        while (i < n && (tc_http_is_ows(v[i]) || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ';')
            i++;
        size_t e = i;
        while (e > s && tc_http_is_ows(v[e - 1]))
            e--;
        if (tc_http_name_eq(v + s, e - s, tok, tl))
            return 1;
        while (i < n && v[i] != ',')
            i++; /* parameters */
    }
    return 0;
}

/* 1*DIGIT up to TC_HTTP_LENGTH_MAX; no trimming here. */
static int parse_digits(const uint8_t *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    if (n == 0)
        return TC_HTTP_CL_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (!tc_http_is_digit(v[i]))
            return TC_HTTP_CL_INVALID;
        unsigned d = (unsigned)(v[i] - '0');
        if (x > (TC_HTTP_LENGTH_MAX - d) / 10)
            return TC_HTTP_CL_INVALID;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

int tc_http_content_length(const uint8_t *v, size_t n, uint64_t *out)
{
    tc_http_trim_ows(&v, &n);
    return parse_digits(v, n, out);
}

int tc_http_content_length_list(const uint8_t *v, size_t n, uint64_t *out, const uint8_t **elem,
                                size_t *elem_len)
{
    const uint8_t *end = v + n, *first = NULL;
    size_t first_len = 0;
    uint64_t value = 0;
    if (n == 0)
        return TC_HTTP_CL_INVALID;
    for (;;) {
        const uint8_t *comma = memchr(v, ',', (size_t)(end - v));
        const uint8_t *e = v;
        size_t len = (size_t)((comma ? comma : end) - v);
        tc_http_trim_ows(&e, &len);
        if (first == NULL) {
            if (parse_digits(e, len, &value) < 0)
                return TC_HTTP_CL_INVALID;
            first = e;
            first_len = len;
        } else if (len == 0) {
            return TC_HTTP_CL_INVALID;
        } else if (len != first_len || memcmp(e, first, len) != 0) {
            uint64_t other;
            return parse_digits(e, len, &other) < 0 ? TC_HTTP_CL_INVALID : TC_HTTP_CL_CONFLICT;
        }
        if (comma == NULL)
            break;
        v = comma + 1;
    }
    *out = value;
    if (elem) {
        *elem = first;
        *elem_len = first_len;
    }
    return 0;
}

/* Dispatch on length first: most names match no case and cost one switch. */
int tc_http_hop_by_hop(const uint8_t *name, size_t n)
{
    switch (n) {
    case 2: return tc_http_name_eq(name, n, "te", 2);
    case 7: return tc_http_name_eq(name, n, "upgrade", 7);
    case 10:
        return tc_http_name_eq(name, n, "connection", 10) ||
               tc_http_name_eq(name, n, "keep-alive", 10);
    case 16: return tc_http_name_eq(name, n, "proxy-connection", 16);
    case 17: return tc_http_name_eq(name, n, "transfer-encoding", 17);
    default: return 0;
    }
}

int tc_http_h2_request_drops(const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen)
{
    if (tc_http_name_eq(name, nlen, "te", 2))
        return !tc_http_list_has(value, vlen, "trailers");
    return tc_http_hop_by_hop(name, nlen);
}

/* Fields a sender must not put in trailers because a recipient needs them
 * before the content or they would change how it is handled (RFC 9110
 * §6.5.1): framing, connection, routing, authentication and cookies,
 * response controls and content metadata.  Request-only fields (Expect,
 * Range...) are here too: a response never needs them and an intermediary
 * might act on them. */
#define TRL(lit, verdict)            \
    {                                \
        lit, sizeof lit - 1, verdict \
    }
static const struct {
    const char *name;
    size_t len;
    int verdict;
} trailer_refused[] = {
    TRL("content-length", TC_HTTP_TRL_FRAMING),
    TRL("transfer-encoding", TC_HTTP_TRL_FRAMING),
    TRL("trailer", TC_HTTP_TRL_FRAMING),
    TRL("te", TC_HTTP_TRL_FRAMING),
    TRL("connection", TC_HTTP_TRL_CONNECTION),
    TRL("keep-alive", TC_HTTP_TRL_CONNECTION),
    TRL("proxy-connection", TC_HTTP_TRL_CONNECTION),
    TRL("upgrade", TC_HTTP_TRL_CONNECTION),
    TRL("host", TC_HTTP_TRL_ROUTING),
    TRL("max-forwards", TC_HTTP_TRL_ROUTING),
    TRL("authorization", TC_HTTP_TRL_AUTH),
    TRL("proxy-authorization", TC_HTTP_TRL_AUTH),
    TRL("www-authenticate", TC_HTTP_TRL_AUTH),
    TRL("proxy-authenticate", TC_HTTP_TRL_AUTH),
    TRL("set-cookie", TC_HTTP_TRL_AUTH),
    TRL("cookie", TC_HTTP_TRL_AUTH),
    TRL("cache-control", TC_HTTP_TRL_CONTROL),
    TRL("expires", TC_HTTP_TRL_CONTROL),
    TRL("age", TC_HTTP_TRL_CONTROL),
    TRL("date", TC_HTTP_TRL_CONTROL),
    TRL("location", TC_HTTP_TRL_CONTROL),
    TRL("retry-after", TC_HTTP_TRL_CONTROL),
    TRL("vary", TC_HTTP_TRL_CONTROL),
    TRL("pragma", TC_HTTP_TRL_CONTROL),
    TRL("expect", TC_HTTP_TRL_CONTROL),
    TRL("range", TC_HTTP_TRL_CONTROL),
    TRL("content-type", TC_HTTP_TRL_CONTENT),
    TRL("content-encoding", TC_HTTP_TRL_CONTENT),
    TRL("content-range", TC_HTTP_TRL_CONTENT),
};
#undef TRL

int tc_http_trailer_check(const uint8_t *name, size_t n)
{
    if (n > 0 && name[0] == ':')
        return TC_HTTP_TRL_PSEUDO;
    if (!tc_http_name_ok(name, n))
        return TC_HTTP_TRL_SYNTAX;
    for (size_t i = 0; i < sizeof trailer_refused / sizeof trailer_refused[0]; i++)
        if (tc_http_name_eq(name, n, trailer_refused[i].name, trailer_refused[i].len))
            return trailer_refused[i].verdict;
    return TC_HTTP_TRL_OK;
}

const char *tc_http_trailer_why(int verdict)
{
    switch (verdict) {
    case TC_HTTP_TRL_OK: return "allowed";
    case TC_HTTP_TRL_PSEUDO: return "pseudo-header fields are not allowed in trailers";
    case TC_HTTP_TRL_SYNTAX: return "not a valid field name (must be an HTTP token)";
    case TC_HTTP_TRL_FRAMING: return "message framing fields are not allowed in trailers";
    case TC_HTTP_TRL_CONNECTION: return "connection-specific fields are not allowed in trailers";
    case TC_HTTP_TRL_ROUTING: return "routing fields are not allowed in trailers";
    case TC_HTTP_TRL_AUTH: return "authentication and cookie fields are not allowed in trailers";
    case TC_HTTP_TRL_CONTROL: return "response control fields are not allowed in trailers";
    case TC_HTTP_TRL_CONTENT: return "content metadata fields are not allowed in trailers";
    default: return "not allowed in trailers";
    }
}

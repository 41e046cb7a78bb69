/* ad_http.c: HTTP rules for the WSGI layer over plain byte ranges (see
 * ad_http.h); nothing here allocates, logs or knows about Python. */
#include "config.h"

#include <string.h>

#include "ad_http.h"

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t ad_pct_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '%' && i + 2 < n) {
            int hi = hexval(in[i + 1]), lo = hexval(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out[o++] = (uint8_t)(hi << 4 | lo);
                i += 2;
                continue;
            }
        }
        out[o++] = in[i];
    }
    return o;
}

/* RFC 9110 tchar. */
static const uint8_t tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int ad_hdr_name_is(const uint8_t *p, size_t n, const char *lc)
{
    size_t l = strlen(lc);
    if (l != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != (uint8_t)lc[i]) return 0;
    return 1;
}

int ad_env_key(const uint8_t *name, size_t n, char *key, size_t cap, size_t *keylen)
{
    if (n == 0) return AD_HK_DROP;
    for (size_t i = 0; i < n; i++)
        if (!tchar[name[i]] || name[i] == '_') return AD_HK_DROP;
    if (ad_hdr_name_is(name, n, "content-type")) return AD_HK_CONTENT_TYPE;
    if (ad_hdr_name_is(name, n, "content-length")) return AD_HK_CONTENT_LENGTH;
    if (ad_hdr_name_is(name, n, "host")) return AD_HK_HOST;
    if (n + 6 > cap) return AD_HK_DROP;
    memcpy(key, "HTTP_", 5);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = name[i];
        if (c >= 'a' && c <= 'z') c = (uint8_t)(c - 32);
        else if (c == '-') c = '_';
        key[5 + i] = (char)c;
    }
    key[5 + n] = '\0';
    *keylen = 5 + n;
    return AD_HK_HTTP;
}

static int name_eq(tp_str a, tp_str b)
{
    if (a.len != b.len) return 0;
    for (uint32_t i = 0; i < a.len; i++)
        if (lower(a.ptr[i]) != lower(b.ptr[i])) return 0;
    return 1;
}

/* Quadratic, but n is a request's header count (tens) and the common case
 * (no duplicates) touches each pair once with a length check first. */
void ad_hdr_group(const tp_header *h, uint32_t n, uint32_t *group)
{
    for (uint32_t i = 0; i < n; i++) {
        group[i] = i;
        for (uint32_t j = 0; j < i; j++) {
            if (group[j] == j && name_eq(h[i].name, h[j].name)) {
                group[i] = j;
                break;
            }
        }
    }
}

const char *ad_hdr_join_sep(const uint8_t *name, size_t n)
{
    return ad_hdr_name_is(name, n, "cookie") ? "; " : ",";
}

size_t ad_hdr_join(const tp_header *h, uint32_t n, const uint32_t *group, uint32_t first,
                   uint8_t *out, size_t cap)
{
    const char *sep = ad_hdr_join_sep(h[first].name.ptr, h[first].name.len);
    size_t seplen = strlen(sep), len = 0;
    int any = 0;
    for (uint32_t i = first; i < n; i++) {
        if (group[i] != first) continue;
        if (any) {
            if (len + seplen <= cap) memcpy(out + len, sep, seplen);
            len += seplen;
        }
        if (h[i].value.len && len + h[i].value.len <= cap)
            memcpy(out + len, h[i].value.ptr, h[i].value.len);
        len += h[i].value.len;
        any = 1;
    }
    return len;
}

int ad_split_authority(const uint8_t *a, size_t n, const uint8_t **host, size_t *hostlen,
                       const uint8_t **port, size_t *portlen)
{
    *port = a + n;
    *portlen = 0;
    if (n > 0 && a[0] == '[') {
        const uint8_t *close = memchr(a, ']', n);
        if (close == NULL) return -1;
        *host = a;
        *hostlen = (size_t)(close - a) + 1;
        size_t rest = n - *hostlen;
        if (rest == 0) return 0;
        if (close[1] != ':') return -1;
        *port = close + 2;
        *portlen = rest - 1;
    } else {
        const uint8_t *colon = n ? memchr(a, ':', n) : NULL;
        *host = a;
        *hostlen = colon ? (size_t)(colon - a) : n;
        if (colon) {
            *port = colon + 1;
            *portlen = n - *hostlen - 1;
        }
    }
    for (size_t i = 0; i < *portlen; i++)
        if ((*port)[i] < '0' || (*port)[i] > '9') return -1;
    return 0;
}

int ad_status_parse(const char *s, size_t n, unsigned *code, const char **why)
{
    if (n < 4 || s[3] != ' ') {
        *why = "must be 3 digits, a space and a reason, like '200 OK'";
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *why = "must start with a 3-digit code, like '200 OK'";
            return -1;
        }
    }
    unsigned c = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
    if (c < 100) {
        *why = "code must be 100..999";
        return -1;
    }
    for (size_t i = 4; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            *why = "reason must not contain control characters (CR, LF, NUL...)";
            return -1;
        }
    }
    *code = c;
    return 0;
}

int ad_hdr_name_ok(const uint8_t *p, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!tchar[p[i]]) return 0;
    return 1;
}

int ad_hdr_value_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return 0;
    }
    return 1;
}

int ad_hdr_hop_by_hop(const uint8_t *p, size_t n)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                        "transfer-encoding", "upgrade", "te"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ad_hdr_name_is(p, n, names[i])) return 1;
    return 0;
}

/* Fields a sender must not put in trailers because a recipient needs them
 * before the content (RFC 9110 6.5.1): the list Go's HTTP/2 server refuses,
 * plus the response controls and cookies RFC 9110 names.  Request-only
 * fields (Expect, Range...) are here too, since a response never needs them
 * and a proxy might act on them. */
static const struct {
    const char *name;
    int verdict;
} trailer_refused[] = {
    {"content-length", AD_TRL_FRAMING},       {"transfer-encoding", AD_TRL_FRAMING},
    {"trailer", AD_TRL_FRAMING},              {"te", AD_TRL_FRAMING},
    {"connection", AD_TRL_CONNECTION},        {"keep-alive", AD_TRL_CONNECTION},
    {"proxy-connection", AD_TRL_CONNECTION},  {"upgrade", AD_TRL_CONNECTION},
    {"host", AD_TRL_ROUTING},                 {"max-forwards", AD_TRL_ROUTING},
    {"authorization", AD_TRL_AUTH},           {"proxy-authorization", AD_TRL_AUTH},
    {"www-authenticate", AD_TRL_AUTH},        {"proxy-authenticate", AD_TRL_AUTH},
    {"set-cookie", AD_TRL_AUTH},              {"cookie", AD_TRL_AUTH},
    {"cache-control", AD_TRL_CONTROL},        {"expires", AD_TRL_CONTROL},
    {"age", AD_TRL_CONTROL},                  {"date", AD_TRL_CONTROL},
    {"location", AD_TRL_CONTROL},             {"retry-after", AD_TRL_CONTROL},
    {"vary", AD_TRL_CONTROL},                 {"pragma", AD_TRL_CONTROL},
    {"expect", AD_TRL_CONTROL},               {"range", AD_TRL_CONTROL},
    {"content-type", AD_TRL_CONTENT},         {"content-encoding", AD_TRL_CONTENT},
    {"content-range", AD_TRL_CONTENT},
};

int ad_trailer_name_check(const uint8_t *name, size_t n)
{
    if (n > 0 && name[0] == ':') return AD_TRL_PSEUDO;
    if (!ad_hdr_name_ok(name, n)) return AD_TRL_SYNTAX;
    for (size_t i = 0; i < sizeof trailer_refused / sizeof trailer_refused[0]; i++)
        if (ad_hdr_name_is(name, n, trailer_refused[i].name)) return trailer_refused[i].verdict;
    return AD_TRL_OK;
}

const char *ad_trailer_why(int verdict)
{
    switch (verdict) {
    case AD_TRL_OK: return "allowed";
    case AD_TRL_PSEUDO: return "pseudo-header fields are not allowed in trailers";
    case AD_TRL_SYNTAX: return "not a valid field name (must be an HTTP token)";
    case AD_TRL_FRAMING: return "message framing fields are not allowed in trailers";
    case AD_TRL_CONNECTION: return "connection-specific fields are not allowed in trailers";
    case AD_TRL_ROUTING: return "routing fields are not allowed in trailers";
    case AD_TRL_AUTH: return "authentication and cookie fields are not allowed in trailers";
    case AD_TRL_CONTROL: return "response control fields are not allowed in trailers";
    case AD_TRL_CONTENT: return "content metadata fields are not allowed in trailers";
    default: return "not allowed in trailers";
    }
}

int ad_parse_content_length(const uint8_t *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19) return -1;   /* 19 digits always fit in 64 bits */
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}

int ad_status_has_body(unsigned code)
{
    return !(code < 200 || code == 204 || code == 304);
}

/* ad_http.c: HTTP rules for the WSGI layer over plain byte ranges (see
 * ad_http.h); nothing here allocates, logs or knows about Python. */
#include "config.h"

#include <string.h>

#include "ad_http.h"
#include "tc_http.h"

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
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

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

int ad_env_key(const uint8_t *name, size_t n, char *key, size_t cap, size_t *keylen)
{
    if (n == 0)
        return AD_HK_DROP;
    for (size_t i = 0; i < n; i++)
        if (!tc_http_is_tchar(name[i]) || name[i] == '_')
            return AD_HK_DROP;
    if (tc_http_name_is(name, n, "content-type"))
        return AD_HK_CONTENT_TYPE;
    if (tc_http_name_is(name, n, "content-length"))
        return AD_HK_CONTENT_LENGTH;
    if (tc_http_name_is(name, n, "host"))
        return AD_HK_HOST;
    if (n + 6 > cap)
        return AD_HK_DROP;
    memcpy(key, "HTTP_", 5);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = name[i];
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 32);
        else if (c == '-')
            c = '_';
        key[5 + i] = (char)c;
    }
    key[5 + n] = '\0';
    *keylen = 5 + n;
    return AD_HK_HTTP;
}

static int name_eq(tp_str a, tp_str b)
{
    if (a.len != b.len)
        return 0;
    for (uint32_t i = 0; i < a.len; i++)
        if (lower(a.ptr[i]) != lower(b.ptr[i]))
            return 0;
    return 1;
}

/* Quadratic: for short lists and tests; requests use ad_hdr_group_linked. */
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

uint32_t ad_hdr_table_size(uint32_t n)
{
    uint32_t size = 16;
    while (size < 2 * (uint64_t)n)
        size *= 2;
    return size;
}

/* FNV-1a over the name folded to lower case: equal names ignoring case
 * hash alike. */
static uint32_t name_hash(tp_str name)
{
    uint32_t x = 2166136261u;
    for (uint32_t i = 0; i < name.len; i++)
        x = (x ^ lower(name.ptr[i])) * 16777619u;
    return x;
}

/* Open addressing, at most half full: each header costs O(1) probes on
 * average whatever the count, so 10,000 fields cost 10,000 steps, not
 * 50 million comparisons. */
static void group_hashed(const tp_header *h, uint32_t n, uint32_t *group, uint32_t *table,
                         uint32_t size)
{
    for (uint32_t k = 0; k < size; k++)
        table[k] = AD_HDR_NONE;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = name_hash(h[i].name) & (size - 1);
        while (table[k] != AD_HDR_NONE && !name_eq(h[table[k]].name, h[i].name))
            k = (k + 1) & (size - 1);
        if (table[k] == AD_HDR_NONE)
            table[k] = i;
        group[i] = table[k];
    }
}

void ad_hdr_group_linked(const tp_header *h, uint32_t n, uint32_t *group, uint32_t *next,
                         uint32_t *table)
{
    group_hashed(h, n, group, table, ad_hdr_table_size(n));
    /* The table again, as the last member seen of each group, going back. */
    for (uint32_t i = 0; i < n; i++)
        table[i] = AD_HDR_NONE;
    for (uint32_t i = n; i-- > 0;) {
        next[i] = table[group[i]];
        table[group[i]] = i;
    }
}

size_t ad_hdr_join_linked(const tp_header *h, const uint32_t *next, uint32_t first, uint8_t *out,
                          size_t cap)
{
    const char *sep = ad_hdr_join_sep(h[first].name.ptr, h[first].name.len);
    size_t seplen = strlen(sep), len = 0;
    for (uint32_t i = first; i != AD_HDR_NONE; i = next[i]) {
        if (i != first) {
            if (len + seplen <= cap)
                memcpy(out + len, sep, seplen);
            len += seplen;
        }
        if (h[i].value.len && len + h[i].value.len <= cap)
            memcpy(out + len, h[i].value.ptr, h[i].value.len);
        len += h[i].value.len;
    }
    return len;
}

const char *ad_hdr_join_sep(const uint8_t *name, size_t n)
{
    return tc_http_name_is(name, n, "cookie") ? "; " : ",";
}

size_t ad_hdr_join(const tp_header *h, uint32_t n, const uint32_t *group, uint32_t first,
                   uint8_t *out, size_t cap)
{
    const char *sep = ad_hdr_join_sep(h[first].name.ptr, h[first].name.len);
    size_t seplen = strlen(sep), len = 0;
    int any = 0;
    for (uint32_t i = first; i < n; i++) {
        if (group[i] != first)
            continue;
        if (any) {
            if (len + seplen <= cap)
                memcpy(out + len, sep, seplen);
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
        if (close == NULL)
            return -1;
        *host = a;
        *hostlen = (size_t)(close - a) + 1;
        size_t rest = n - *hostlen;
        if (rest == 0)
            return 0;
        if (close[1] != ':')
            return -1;
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
        if ((*port)[i] < '0' || (*port)[i] > '9')
            return -1;
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
    unsigned c =
        (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
    if (c < 100) {
        *why = "code must be 100..999";
        return -1;
    }
    for (size_t i = 4; i < n; i++) {
        /* reason-phrase: HTAB, SP, VCHAR, obs-text (RFC 9112 §4) */
        if (!tc_http_is_value_char((uint8_t)s[i])) {
            *why = "reason must not contain control characters (CR, LF, NUL...)";
            return -1;
        }
    }
    *code = c;
    return 0;
}

int ad_status_has_body(unsigned code) { return !(code < 200 || code == 204 || code == 304); }

size_t ad_dec_u64(char *dst, uint64_t v)
{
    char tmp[AD_DEC_MAX];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

/* px_forwarded.c: a trusted front's word on a request (px_forwarded.h): the
 * scheme from secure_scheme_headers, the client from X-Forwarded-For. */
#include "config.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include "px_forwarded.h"
#include "tc_http.h"

/* The dict's value for field name n (header names match in any case). */
static const char *secure_value(const tc_strlist *secure, tp_str n)
{
    for (size_t i = 0; i + 1 < secure->n; i += 2)
        if (strlen(secure->items[i]) == n.len &&
            strncasecmp(secure->items[i], (const char *)n.ptr, n.len) == 0)
            return secure->items[i + 1];
    return NULL;
}

/* 1 https, 0 http, -1 no secure field, -2 fields that disagree. */
static int secure_scheme(const tc_strlist *secure, const tp_request_head *h)
{
    int scheme = -1;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const char *want = secure_value(secure, h->headers[i].name);
        if (!want)
            continue;
        tp_str v = h->headers[i].value;
        int https = strlen(want) == v.len && memcmp(want, v.ptr, v.len) == 0;
        if (scheme >= 0 && scheme != https)
            return -2;
        scheme = https;
    }
    return scheme;
}

/* Whether p[0..n) is an IP address (no port, no brackets); its family and
 * bytes then. */
static int ip_of(const uint8_t *p, size_t n, int *family, uint8_t addr[16])
{
    char buf[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1)
        *family = AF_INET;
    else if (inet_pton(AF_INET6, buf, addr) == 1)
        *family = AF_INET6;
    else
        return 0;
    return 1;
}

/* The last comma-separated entry of v[0..*n), OWS trimmed; *n shrinks to
 * what is before it (its comma excluded).  0 when none is left. */
static int last_entry(const uint8_t *v, size_t *n, tp_str *entry)
{
    while (*n > 0 && (v[*n - 1] == ',' || tc_http_is_ows(v[*n - 1])))
        (*n)--;
    if (*n == 0)
        return 0;
    size_t end = *n;
    while (*n > 0 && v[*n - 1] != ',')
        (*n)--;
    const uint8_t *p = v + *n;
    size_t len = end - *n;
    tc_http_trim_ows(&p, &len);
    *entry = (tp_str){ p, (uint32_t)len };
    return 1;
}

/* Walks the X-Forwarded-For entries from the right (the last field's last
 * entry first): the first untrusted one is the client, else the leftmost.
 * 0 with *client set, -1 when an entry is not an address or there is none. */
static int forwarded_client(const px_trust *trust, const tp_request_head *h, tp_str *client)
{
    int found = 0;
    for (uint32_t i = h->nheaders; i-- > 0;) {
        if (!tc_http_name_is(h->headers[i].name.ptr, h->headers[i].name.len, "x-forwarded-for"))
            continue;
        const uint8_t *v = h->headers[i].value.ptr;
        size_t n = h->headers[i].value.len;
        tp_str e;
        while (last_entry(v, &n, &e)) {
            int family;
            uint8_t addr[16];
            if (!ip_of(e.ptr, e.len, &family, addr))
                return -1;
            *client = e;
            found = 1;
            if (!px_trust_match_ip(trust, family, addr))
                return 0;
        }
    }
    return found ? 0 : -1;
}

int px_forwarded_apply(const px_forwarded_cfg *cfg, tp_request_head *h)
{
    int scheme = secure_scheme(cfg->secure, h);
    if (scheme == -2)
        return -1;
    if (scheme >= 0)
        h->scheme = (tp_str){ (const uint8_t *)(scheme ? "https" : "http"), scheme ? 5u : 4u };
    tp_str client;
    if (forwarded_client(cfg->trust, h, &client) == 0) {
        h->peer_addr = client;
        h->peer_port = 0;
    }
    return 0;
}

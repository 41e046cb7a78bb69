/* px_trust.c: parsing and matching forwarded_allow_ips (addresses, CIDR
 * networks, "*").  Addresses are compared as bytes under a prefix mask. */
#include "config.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "px_trust.h"

static int parse_item(const char *key, const char *s, size_t len, px_trust *t, char *err,
                      size_t errlen)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (len == 1 && s[0] == '*') {
        t->any = 1;
        return 0;
    }
    if (len == 0 || len >= sizeof buf)
        goto bad;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        if (!slash[1] || slash[1] == '-' || slash[1] == '+')
            goto bad;
        prefix = strtol(slash + 1, &end, 10);
        if (*end)
            goto bad;
    }
    if (t->n >= PX_TRUST_MAX) {
        snprintf(err, errlen, "%s: more than %d entries", key, PX_TRUST_MAX);
        return -1;
    }
    px_trust_net *n = &t->nets[t->n];
    memset(n, 0, sizeof *n);
    if (inet_pton(AF_INET, buf, n->addr) == 1) {
        n->family = AF_INET;
        if (prefix > 32)
            goto bad;
        n->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
    } else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
        n->family = AF_INET6;
        if (prefix > 128)
            goto bad;
        n->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
    } else {
        goto bad;
    }
    t->n++;
    return 0;
bad:
    snprintf(err, errlen, "%s: '%.*s' is not an IP address, a CIDR network or '*'", key,
             (int)(len > 80 ? 80 : len), s);
    return -1;
}

int px_trust_parse_named(const char *key, const tc_strlist *l, px_trust *t, char *err,
                         size_t errlen)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->items[i], *s;
        size_t len;
        while (tc_csv_next(&p, &s, &len))
            if (parse_item(key, s, len, t, err, errlen) < 0)
                return -1;
    }
    return 0;
}

int px_trust_parse(const tc_strlist *l, px_trust *t, char *err, size_t errlen)
{
    return px_trust_parse_named("forwarded_allow_ips", l, t, err, errlen);
}

static int prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return 0;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int px_trust_match(const px_trust *t, const struct sockaddr *sa)
{
    const uint8_t *addr;
    int family = sa->sa_family;
    if (family == AF_UNIX)
        return 1;
    if (t->any)
        return 1;
    if (family == AF_INET) {
        addr = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (family == AF_INET6) {
        addr = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    } else {
        return 0;
    }
    return px_trust_match_ip(t, family, addr);
}

/* ::ffff:a.b.c.d, read byte by byte (addr need not be aligned). */
static int v4_mapped(const uint8_t *a)
{
    static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    return memcmp(a, prefix, sizeof prefix) == 0;
}

int px_trust_match_ip(const px_trust *t, int family, const uint8_t *addr)
{
    if (t->any)
        return 1;
    if (family == AF_INET6 && v4_mapped(addr)) {
        family = AF_INET;
        addr += 12;
    }
    for (int i = 0; i < t->n; i++) {
        const px_trust_net *n = &t->nets[i];
        if (n->family == family && prefix_eq(addr, n->addr, n->prefix))
            return 1;
    }
    return 0;
}

/* px_trust.c: parsing and matching forwarded_allow_ips (addresses, CIDR
 * networks, "*").  Addresses are compared as bytes under a prefix mask. */
#include "config.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "px_trust.h"

static int parse_item(const char *s, size_t len, px_trust *t, char *err, size_t errlen)
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
        snprintf(err, errlen, "forwarded_allow_ips: more than %d entries", PX_TRUST_MAX);
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
    snprintf(err, errlen, "forwarded_allow_ips: '%.*s' is not an IP address, a CIDR network or '*'",
             (int)(len > 80 ? 80 : len), s);
    return -1;
}

int px_trust_parse(const tc_strlist *l, px_trust *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->items[i], *s;
        size_t len;
        while (tc_csv_next(&p, &s, &len))
            if (parse_item(s, len, t, err, errlen) < 0)
                return -1;
    }
    return 0;
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
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        addr = a6->s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            addr += 12;
        }
    } else {
        return 0;
    }
    for (int i = 0; i < t->n; i++) {
        const px_trust_net *n = &t->nets[i];
        if (n->family == family && prefix_eq(addr, n->addr, n->prefix))
            return 1;
    }
    return 0;
}

/* tc_statsd.c: Gunicorn's statsd metrics (tc_statsd.h): its address forms,
 * prefix rule and line syntax, batched into datagrams sent without
 * blocking over UDP or a Unix datagram socket. */
#include "tc_statsd.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tc_decimal.h"

struct tc_statsd {
    int fd;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char prefix[256];
    char tags[512]; /* "|#a:b,c" or "" */
    size_t prefix_len, tags_len;
};

typedef struct {
    int unix_path;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char host[256], port[8];
} statsd_addr;

static int bad(const char *host, const char *why, char *err, size_t errlen)
{
    snprintf(err, errlen, "statsd_host (--statsd-host): '%s': %s", host, why);
    return -1;
}

/* As Gunicorn's util.parse_address with the default port 8125. */
static int parse(const char *host, statsd_addr *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (strncmp(host, "unix:", 5) == 0) {
        const char *p = host + 5 + (strncmp(host + 5, "//", 2) == 0 ? 2 : 0);
        if (!*p || strlen(p) >= sizeof a->path)
            return bad(host, "no socket path, or one too long", err, errlen);
        a->unix_path = 1;
        snprintf(a->path, sizeof a->path, "%s", p);
        return 0;
    }
    const char *h = strncmp(host, "tcp://", 6) == 0 ? host + 6 : host, *port = NULL;
    size_t hl;
    if (h[0] == '[' && strchr(h, ']')) {
        const char *close = strchr(h, ']');
        hl = (size_t)(close - h - 1);
        h++;
        port = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strchr(h, ':');
        hl = colon ? (size_t)(colon - h) : strlen(h);
        port = colon ? colon + 1 : NULL;
    }
    if (hl == 0 || hl >= sizeof a->host)
        return bad(host, "expected HOST:PORT, or unix://PATH", err, errlen);
    snprintf(a->host, sizeof a->host, "%.*s", (int)hl, h);
    const char *pt = port && *port ? port : "8125";
    if (strlen(pt) > 5 || strspn(pt, "0123456789") != strlen(pt) || atoi(pt) > 65535)
        return bad(host, "the port is not a number from 0 to 65535", err, errlen);
    snprintf(a->port, sizeof a->port, "%s", pt);
    return 0;
}

int tc_statsd_check_host(const char *host, char *err, size_t errlen)
{
    statsd_addr a;
    return parse(host, &a, err, errlen);
}

static int resolve(tc_statsd *sd, const statsd_addr *a, const char *host, char *err, size_t errlen)
{
    if (a->unix_path) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&sd->addr;
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, a->path, strlen(a->path) + 1);
        sd->addrlen = sizeof *sun;
        return 0;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *res;
    int rc = getaddrinfo(a->host, a->port, &hints, &res);
    if (rc != 0)
        return bad(host, gai_strerror(rc), err, errlen);
    memcpy(&sd->addr, res->ai_addr, res->ai_addrlen);
    sd->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Gunicorn's rule: one '.' ends a prefix that is not empty. */
static void set_prefix(tc_statsd *sd, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n && prefix[n - 1] == '.')
        n--;
    if (n >= sizeof sd->prefix - 1)
        n = sizeof sd->prefix - 2;
    if (n)
        snprintf(sd->prefix, sizeof sd->prefix, "%.*s.", (int)n, prefix);
    sd->prefix_len = strlen(sd->prefix);
}

tc_statsd *tc_statsd_open(const char *host, const char *prefix, const char *tags, char *err,
                          size_t errlen)
{
    statsd_addr a;
    if (parse(host, &a, err, errlen) < 0)
        return NULL;
    tc_statsd *sd = calloc(1, sizeof *sd);
    if (sd == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sd->fd = -1;
    if (resolve(sd, &a, host, err, errlen) < 0) {
        tc_statsd_close(sd);
        return NULL;
    }
    sd->fd = socket(sd->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sd->fd < 0) {
        snprintf(err, errlen, "statsd_host (--statsd-host): socket: %s", strerror(errno));
        tc_statsd_close(sd);
        return NULL;
    }
    set_prefix(sd, prefix ? prefix : "");
    if (tags && *tags)
        snprintf(sd->tags, sizeof sd->tags, "|#%s", tags);
    sd->tags_len = strlen(sd->tags);
    return sd;
}

void tc_statsd_close(tc_statsd *sd)
{
    if (sd == NULL)
        return;
    if (sd->fd >= 0)
        close(sd->fd);
    free(sd);
}

void tc_statsd_flush(tc_statsd *sd, tc_statsd_batch *b)
{
    if (b->len == 0)
        return;
    /* A full socket buffer or an absent agent loses this datagram only. */
    (void)sendto(sd->fd, b->buf, b->len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sd->addr,
                 sd->addrlen);
    b->len = 0;
}

/* Appends "PREFIX+NAME:VALUE|KIND" and the tags as one line (by hand: it
 * runs for every request). */
static void add(tc_statsd *sd, tc_statsd_batch *b, const char *name, const char *value, size_t vlen,
                const char *kind)
{
    size_t nl = strlen(name), kl = strlen(kind);
    size_t n = sd->prefix_len + nl + 1 + vlen + 1 + kl + sd->tags_len;
    if (n > sizeof b->buf)
        return;
    if (b->len + n + (b->len ? 1 : 0) > sizeof b->buf)
        tc_statsd_flush(sd, b);
    char *p = b->buf + b->len;
    if (b->len)
        *p++ = '\n';
    memcpy(p, sd->prefix, sd->prefix_len);
    p += sd->prefix_len;
    memcpy(p, name, nl);
    p += nl;
    *p++ = ':';
    memcpy(p, value, vlen);
    p += vlen;
    *p++ = '|';
    memcpy(p, kind, kl);
    p += kl;
    memcpy(p, sd->tags, sd->tags_len);
    p += sd->tags_len;
    b->len = (size_t)(p - b->buf);
}

/* value in decimal, a '-' first when negative. */
static size_t signed_decimal(long long value, char *v)
{
    size_t k = 0;
    if (value < 0)
        v[k++] = '-';
    return k + tc_decimal(value < 0 ? 0 - (uint64_t)value : (uint64_t)value, v + k);
}

void tc_statsd_count(tc_statsd *sd, tc_statsd_batch *b, const char *name, long long value)
{
    char v[TC_DECIMAL_MAX + 1];
    add(sd, b, name, v, signed_decimal(value, v), "c|@1.0");
}

void tc_statsd_gauge(tc_statsd *sd, tc_statsd_batch *b, const char *name, long long value)
{
    char v[TC_DECIMAL_MAX + 1];
    add(sd, b, name, v, signed_decimal(value, v), "g");
}

size_t tc_statsd_ms(uint64_t usec, char *buf, size_t cap)
{
    /* Python's repr of the float: the shortest digits, at least one after the point. */
    char tmp[TC_DECIMAL_MAX + 5];
    size_t n = tc_decimal(usec / 1000, tmp);
    unsigned frac = (unsigned)(usec % 1000);
    tmp[n++] = '.';
    tmp[n++] = (char)('0' + frac / 100);
    if (frac % 100) {
        tmp[n++] = (char)('0' + frac / 10 % 10);
        if (frac % 10)
            tmp[n++] = (char)('0' + frac % 10);
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

void tc_statsd_timing(tc_statsd *sd, tc_statsd_batch *b, const char *name, uint64_t usec)
{
    char v[32];
    add(sd, b, name, v, tc_statsd_ms(usec, v, sizeof v), "ms");
}

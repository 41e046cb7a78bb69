/* tc_addr.c: Gunicorn's bind syntax to sockets.  Listening sockets are bound
 * exactly once (SO_REUSEPORT only when asked: reuse_port) so that a port
 * already in use is an error. */
#include "tc_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tc_opt.h"

static int parse_unix(const char *path, tc_addr *out, char *err, size_t errlen)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof sun->sun_path) {
        snprintf(err, errlen, "unix:%s: socket path must be 1..%zu bytes", path,
                 sizeof sun->sun_path - 1);
        return -1;
    }
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, n + 1);
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    snprintf(out->text, sizeof out->text, "unix:%s", path);
    return 0;
}

static int parse_fd(const char *num, tc_addr *out, char *err, size_t errlen)
{
    long long fd;
    if (tc_parse_ll(num, &fd) != 0 || fd < 0 || fd > 65535) {
        snprintf(err, errlen, "fd://%s: not a file descriptor number", num);
        return -1;
    }
    out->fd = (int)fd;
    out->len = sizeof out->ss;
    if (getsockname(out->fd, (struct sockaddr *)&out->ss, &out->len) != 0) {
        snprintf(err, errlen, "fd://%s: %s", num, strerror(errno));
        return -1;
    }
    snprintf(out->text, sizeof out->text, "fd://%s", num);
    return 0;
}

/* Splits "host:port", "[v6]:port", ":port" or "port" into host and port. */
static int split_host_port(const char *spec, char *host, size_t hostlen, const char **port,
                           char *err, size_t errlen)
{
    const char *colon;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            snprintf(err, errlen, "%s: expected [IPv6]:PORT", spec);
            return -1;
        }
        snprintf(host, hostlen, "%.*s", (int)(close - spec - 1), spec + 1);
        *port = close[1] == ':' ? close + 2 : NULL;
        return 0;
    }
    colon = strrchr(spec, ':');
    if (colon == NULL) {
        long long n;
        if (tc_parse_ll(spec, &n) == 0) { /* "8000" alone is a port, like Gunicorn */
            snprintf(host, hostlen, "0.0.0.0");
            *port = spec;
        } else {
            snprintf(host, hostlen, "%s", spec);
            *port = NULL;
        }
        return 0;
    }
    if (strchr(spec, ':') != colon) {
        snprintf(err, errlen, "%s: write IPv6 addresses as [ADDRESS]:PORT", spec);
        return -1;
    }
    snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
    if (host[0] == '\0')
        snprintf(host, hostlen, "0.0.0.0");
    *port = colon + 1;
    return 0;
}

static int parse_inet(const char *spec, int default_port, tc_addr *out, char *err, size_t errlen)
{
    char host[256];
    const char *port_text;
    long long port = default_port;
    if (split_host_port(spec, host, sizeof host, &port_text, err, errlen) != 0)
        return -1;
    if (port_text && (tc_parse_ll(port_text, &port) != 0 || port < 0 || port > 65535)) {
        snprintf(err, errlen, "%s: port must be a number from 0 to 65535", spec);
        return -1;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
    struct addrinfo *res;
    char portbuf[8];
    snprintf(portbuf, sizeof portbuf, "%lld", port);
    int rc = getaddrinfo(host, portbuf, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot resolve '%s': %s", spec, host, gai_strerror(rc));
        return -1;
    }
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    char ip[INET6_ADDRSTRLEN];
    unsigned p;
    tc_sockaddr_text((struct sockaddr *)&out->ss, ip, sizeof ip, &p);
    snprintf(out->text, sizeof out->text, out->ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
             p);
    return 0;
}

int tc_addr_parse(const char *spec, int default_port, tc_addr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    if (strncmp(spec, "unix:", 5) == 0)
        return parse_unix(spec + 5, out, err, errlen);
    if (strncmp(spec, "unix://", 7) == 0)
        return parse_unix(spec + 7, out, err, errlen);
    if (strncmp(spec, "fd://", 5) == 0)
        return parse_fd(spec + 5, out, err, errlen);
    if (spec[0] == '/')
        return parse_unix(spec, out, err, errlen);
    return parse_inet(spec, default_port, out, err, errlen);
}

void tc_sockaddr_text(const struct sockaddr *sa, char *ip, size_t iplen, unsigned *port)
{
    *port = 0;
    if (iplen)
        ip[0] = '\0';
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)iplen);
        *port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)iplen);
        *port = ntohs(in6->sin6_port);
    }
}

/* A Unix socket file left by a dead process is removed; a live one is not. */
static int clear_stale_unix(const tc_addr *a, char *err, size_t errlen)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
    struct stat st;
    if (lstat(sun->sun_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "cannot listen on %s: file exists and is not a socket", a->text);
        return -1;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return 0;
    int live = connect(probe, (const struct sockaddr *)&a->ss, a->len) == 0;
    close(probe);
    if (live) {
        snprintf(err, errlen, "cannot listen on %s: Address already in use", a->text);
        return -1;
    }
    unlink(sun->sun_path);
    return 0;
}

int tc_listen(const tc_addr *a, int backlog, char *err, size_t errlen)
{
    return tc_listen_reuse(a, backlog, 0, err, errlen);
}

int tc_listen_reuse(const tc_addr *a, int backlog, int reuse_port, char *err, size_t errlen)
{
    if (a->fd >= 0) {
        int fl = fcntl(a->fd, F_GETFL);
        if (fl < 0 || fcntl(a->fd, F_SETFL, fl | O_NONBLOCK) < 0 || listen(a->fd, backlog) < 0) {
            snprintf(err, errlen, "cannot listen on %s: %s", a->text, strerror(errno));
            return -1;
        }
        return a->fd;
    }
    int family = a->ss.ss_family;
    if (family == AF_UNIX && clear_stale_unix(a, err, errlen) != 0)
        return -1;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s: socket: %s", a->text, strerror(errno));
        return -1;
    }
    int one = 1;
    if (family != AF_UNIX)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family != AF_UNIX && reuse_port &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        snprintf(err, errlen, "cannot listen on %s: SO_REUSEPORT: %s", a->text, strerror(errno));
        close(fd);
        return -1;
    }
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, backlog) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", a->text, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int tc_connect(const tc_addr *a, char *err, size_t errlen)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to %s: socket: %s", a->text, strerror(errno));
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "cannot connect to %s: %s", a->text, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* tc_sdlisten.c: systemd socket activation (tc_sdlisten.h): the protocol is
 * three environment variables and descriptors from 3 on, so no libsystemd. */
#include "tc_sdlisten.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tc_log.h"
#include "tc_opt.h"

int tc_sdlisten_count(const char *listen_pid, const char *listen_fds, pid_t pid, char *err,
                      size_t errlen)
{
    long long owner, n;
    if (listen_pid == NULL)
        return 0;
    if (tc_parse_ll(listen_pid, &owner) != 0 || owner <= 0) {
        snprintf(err, errlen, "LISTEN_PID=%s: not a process id", listen_pid);
        return -1;
    }
    if (owner != (long long)pid)
        return 0; /* meant for another process */
    if (listen_fds == NULL)
        return 0;
    if (tc_parse_ll(listen_fds, &n) != 0 || n < 0 || n > TC_SDLISTEN_MAX) {
        snprintf(err, errlen, "LISTEN_FDS=%s: not a number of sockets from 0 to %d", listen_fds,
                 TC_SDLISTEN_MAX);
        return -1;
    }
    return (int)n;
}

/* Describes an inherited socket for errors: "fd 3 (unix:/run/x.sock)". */
static void sock_text(const tc_sdsock *s, char *buf, size_t len)
{
    const struct sockaddr *sa = (const struct sockaddr *)&s->ss;
    if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
        size_t max = s->len > offsetof(struct sockaddr_un, sun_path)
                         ? s->len - offsetof(struct sockaddr_un, sun_path)
                         : 0;
        if (max == 0 || sun->sun_path[0] == '\0')
            snprintf(buf, len, "fd %d (an unnamed or abstract Unix socket)", s->fd);
        else
            snprintf(buf, len, "fd %d (unix:%.*s)", s->fd, (int)strnlen(sun->sun_path, max),
                     sun->sun_path);
        return;
    }
    char ip[64];
    unsigned port;
    tc_sockaddr_text(sa, ip, sizeof ip, &port);
    snprintf(buf, len, sa->sa_family == AF_INET6 ? "fd %d ([%s]:%u)" : "fd %d (%s:%u)", s->fd, ip,
             port);
}

static int adopt_one(tc_sdsock *s, int fd, char *err, size_t errlen)
{
    struct stat st;
    int type = 0;
    socklen_t tlen = sizeof type;
    memset(s, 0, sizeof *s);
    s->fd = fd;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "LISTEN_FDS: fd %d: %s", fd, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "LISTEN_FDS: fd %d is not a socket", fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM) {
        snprintf(err, errlen,
                 "LISTEN_FDS: fd %d is not a stream socket "
                 "(ListenStream= in the .socket unit)",
                 fd);
        return -1;
    }
    s->len = sizeof s->ss;
    if (getsockname(fd, (struct sockaddr *)&s->ss, &s->len) != 0) {
        snprintf(err, errlen, "LISTEN_FDS: fd %d: getsockname: %s", fd, strerror(errno));
        return -1;
    }
    if (s->ss.ss_family == AF_INET6) {
        int only = 0;
        socklen_t olen = sizeof only;
        if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, &olen) == 0)
            s->v6only = only;
    }
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) {
        snprintf(err, errlen, "LISTEN_FDS: fd %d: %s", fd, strerror(errno));
        return -1;
    }
    return 0;
}

int tc_sdlisten_adopt(tc_sdlisten *sd, int first, int n, char *err, size_t errlen)
{
    sd->n = 0;
    if (n < 0 || n > TC_SDLISTEN_MAX) {
        snprintf(err, errlen, "LISTEN_FDS=%d: not a number of sockets from 0 to %d", n,
                 TC_SDLISTEN_MAX);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (adopt_one(&sd->socks[i], first + i, err, errlen) != 0)
            return -1;
        sd->n = (size_t)i + 1;
    }
    return 0;
}

int tc_sdlisten_take(tc_sdlisten *sd, char *err, size_t errlen)
{
    sd->n = 0;
    int n = tc_sdlisten_count(getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getpid(), err, errlen);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (n < 0)
        return -1;
    return tc_sdlisten_adopt(sd, TC_SDLISTEN_FIRST_FD, n, err, errlen);
}

static int same_inet(const struct sockaddr *x, const tc_sdsock *s, const struct sockaddr *y)
{
    if (x->sa_family == AF_INET && y->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)x, *b = (const void *)y;
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (x->sa_family == AF_INET6 && y->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)x, *b = (const void *)y;
        return a->sin6_port == b->sin6_port &&
               memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
    }
    /* systemd's ListenStream=PORT is one [::]:PORT socket that takes IPv4 too
     * (BindIPv6Only=default): it serves a bind of 0.0.0.0:PORT. */
    if (x->sa_family == AF_INET6 && y->sa_family == AF_INET && !s->v6only) {
        const struct sockaddr_in6 *a = (const void *)x;
        const struct sockaddr_in *b = (const void *)y;
        return a->sin6_port == b->sin_port && IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) &&
               b->sin_addr.s_addr == htonl(INADDR_ANY);
    }
    return 0;
}

static int same_address(const tc_sdsock *s, const tc_addr *a)
{
    const struct sockaddr *x = (const struct sockaddr *)&s->ss;
    const struct sockaddr *y = (const struct sockaddr *)&a->ss;
    if (a->fd >= 0)
        return a->fd == s->fd;
    if (y->sa_family != AF_UNIX)
        return same_inet(x, s, y);
    if (x->sa_family != AF_UNIX)
        return 0;
    const struct sockaddr_un *u = (const void *)x, *v = (const void *)y;
    return u->sun_path[0] != '\0' && strncmp(u->sun_path, v->sun_path, sizeof u->sun_path) == 0;
}

int tc_sdlisten_claim(tc_sdlisten *sd, tc_addr *a)
{
    for (size_t i = 0; i < sd->n; i++) {
        tc_sdsock *s = &sd->socks[i];
        if (!s->claimed && same_address(s, a)) {
            s->claimed = 1;
            a->fd = s->fd;
            return 1;
        }
    }
    return 0;
}

int tc_sdlisten_use(tc_sdlisten *sd, tc_addr *a)
{
    if (!tc_sdlisten_claim(sd, a))
        return 0;
    tc_info("Using socket fd %d from the service manager for %s", a->fd, a->text);
    return 1;
}

int tc_sdlisten_unclaimed(const tc_sdlisten *sd, char *err, size_t errlen)
{
    for (size_t i = 0; i < sd->n; i++) {
        if (sd->socks[i].claimed)
            continue;
        char what[160];
        sock_text(&sd->socks[i], what, sizeof what);
        snprintf(err, errlen, "LISTEN_FDS: inherited socket %s matches no --bind address", what);
        return -1;
    }
    return 0;
}

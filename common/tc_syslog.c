/* tc_syslog.c: RFC 3164 messages to a syslog daemon over UDP, TCP or a Unix
 * socket (tc_syslog.h): Gunicorn's address forms and facility names, sends
 * that never block the caller, datagram batches in one sendmmsg. */
#include "tc_syslog.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tc_log.h"

struct tc_syslog {
    int fd;
    int family, type; /* type 0: a Unix socket of either type (datagram tried first) */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int facility;
    char tag[128];
    char host[64];        /* "" on a Unix socket */
    pthread_mutex_t lock; /* a stream's sends and every reconnection */
    time_t retry_at;
};

static const struct {
    const char *name;
    int code;
} facilities[] = {
    { "kern", 0 },     { "user", 1 },      { "mail", 2 },    { "daemon", 3 },  { "auth", 4 },
    { "security", 4 }, { "syslog", 5 },    { "lpr", 6 },     { "news", 7 },    { "uucp", 8 },
    { "cron", 9 },     { "authpriv", 10 }, { "ftp", 11 },    { "local0", 16 }, { "local1", 17 },
    { "local2", 18 },  { "local3", 19 },   { "local4", 20 }, { "local5", 21 }, { "local6", 22 },
    { "local7", 23 },
};

int tc_syslog_facility(const char *name)
{
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
        if (strcasecmp(name, facilities[i].name) == 0)
            return facilities[i].code;
    return -1;
}

/* ---- addresses ---- */

typedef struct {
    int family, type;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char host[256], port[8];
} parsed_addr;

static int bad_addr(const char *addr, const char *why, char *err, size_t errlen)
{
    snprintf(err, errlen, "syslog_addr (--log-syslog-to): '%s': %s", addr, why);
    return -1;
}

static int parse_unix(const char *addr, parsed_addr *p, char *err, size_t errlen)
{
    const char *path = addr + strlen("unix://"), *hash = strchr(path, '#');
    size_t n = hash ? (size_t)(hash - path) : strlen(path);
    p->family = AF_UNIX;
    if (hash && strcmp(hash, "#dgram") == 0)
        p->type = SOCK_DGRAM;
    else if (hash && strcmp(hash, "#stream") == 0)
        p->type = SOCK_STREAM;
    else if (hash)
        return bad_addr(addr, "the socket type after '#' is dgram or stream", err, errlen);
    if (n == 0 || n >= sizeof p->path)
        return bad_addr(addr, "no socket path, or one too long", err, errlen);
    memcpy(p->path, path, n);
    p->path[n] = '\0';
    return 0;
}

/* HOST:PORT, [V6]:PORT, HOST (port 514), or nothing (localhost:514). */
static int parse_inet(const char *addr, const char *rest, parsed_addr *p, char *err, size_t errlen)
{
    const char *host = rest, *port = NULL;
    size_t hl;
    if (rest[0] == '[') {
        const char *close = strchr(rest, ']');
        if (close == NULL)
            return bad_addr(addr, "an IPv6 address needs its ']'", err, errlen);
        host = rest + 1;
        hl = (size_t)(close - host);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return bad_addr(addr, "expected ':PORT' after ']'", err, errlen);
    } else {
        const char *colon = strchr(rest, ':');
        hl = colon ? (size_t)(colon - rest) : strlen(rest);
        port = colon ? colon + 1 : NULL;
    }
    if (hl >= sizeof p->host)
        return bad_addr(addr, "host name too long", err, errlen);
    if (hl)
        snprintf(p->host, sizeof p->host, "%.*s", (int)hl, host);
    else
        snprintf(p->host, sizeof p->host, "localhost");
    const char *pt = port ? port : "514";
    if (!*pt || strlen(pt) > 5 || strspn(pt, "0123456789") != strlen(pt) || atoi(pt) > 65535)
        return bad_addr(addr, "the port is not a number from 0 to 65535", err, errlen);
    snprintf(p->port, sizeof p->port, "%s", pt);
    return 0;
}

static int parse_addr(const char *addr, parsed_addr *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (strncmp(addr, "unix://", 7) == 0)
        return parse_unix(addr, p, err, errlen);
    if (strncmp(addr, "udp://", 6) == 0)
        p->type = SOCK_DGRAM;
    else if (strncmp(addr, "tcp://", 6) == 0)
        p->type = SOCK_STREAM;
    else
        return bad_addr(addr, "expected udp://HOST:PORT, tcp://HOST:PORT or unix://PATH", err,
                        errlen);
    p->family = AF_UNSPEC;
    return parse_inet(addr, addr + 6, p, err, errlen);
}

int tc_syslog_check_addr(const char *addr, char *err, size_t errlen)
{
    parsed_addr p;
    return parse_addr(addr, &p, err, errlen);
}

/* ---- the socket ---- */

static int dial(tc_syslog *sl)
{
    int types[2] = { sl->type ? sl->type : SOCK_DGRAM, sl->type ? 0 : SOCK_STREAM };
    for (int i = 0; i < 2 && types[i]; i++) {
        int fd = socket(sl->family, types[i] | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        /* A stream's connect waits at most this long, once a second at most. */
        struct timeval tv = { 0, 200000 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&sl->addr, sl->addrlen) == 0) {
            sl->fd = fd;
            sl->type = types[i];
            return 0;
        }
        int e = errno;
        close(fd);
        errno = e;
        if (e != EPROTOTYPE)
            break;
    }
    return -1;
}

static int resolve(tc_syslog *sl, const parsed_addr *p, char *err, size_t errlen)
{
    if (p->family == AF_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&sl->addr;
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, p->path, strlen(p->path) + 1);
        sl->addrlen = sizeof *sun;
        return 0;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = p->type }, *res;
    int rc = getaddrinfo(p->host, p->port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "syslog_addr (--log-syslog-to): %s: %s", p->host, gai_strerror(rc));
        return -1;
    }
    memcpy(&sl->addr, res->ai_addr, res->ai_addrlen);
    sl->addrlen = res->ai_addrlen;
    sl->family = res->ai_family;
    freeaddrinfo(res);
    return 0;
}

static void short_hostname(char *buf, size_t len)
{
    if (gethostname(buf, len) != 0)
        snprintf(buf, len, "localhost");
    buf[len - 1] = '\0';
    buf[strcspn(buf, ".")] = '\0';
}

tc_syslog *tc_syslog_open(const char *addr, int facility, const char *tag, char *err, size_t errlen)
{
    parsed_addr p;
    if (parse_addr(addr, &p, err, errlen) < 0)
        return NULL;
    tc_syslog *sl = calloc(1, sizeof *sl);
    if (sl == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sl->fd = -1;
    sl->family = p.family;
    sl->type = p.type;
    sl->facility = facility;
    snprintf(sl->tag, sizeof sl->tag, "%s", tag);
    pthread_mutex_init(&sl->lock, NULL);
    if (resolve(sl, &p, err, errlen) < 0) {
        tc_syslog_close(sl);
        return NULL;
    }
    if (p.family != AF_UNIX)
        short_hostname(sl->host, sizeof sl->host);
    /* A daemon not listening yet is no start-up error: dialled again later. */
    dial(sl);
    return sl;
}

void tc_syslog_close(tc_syslog *sl)
{
    if (sl == NULL)
        return;
    if (sl->fd >= 0)
        close(sl->fd);
    pthread_mutex_destroy(&sl->lock);
    free(sl);
}

/* The socket to send on, dialled again (at most once a second) when lost. */
static int usable_fd(tc_syslog *sl)
{
    if (sl->fd >= 0)
        return sl->fd;
    time_t now = time(NULL);
    if (now < sl->retry_at)
        return -1;
    sl->retry_at = now + 1;
    dial(sl);
    return sl->fd;
}

static void drop_stream(tc_syslog *sl)
{
    close(sl->fd);
    sl->fd = -1;
}

/* ---- messages ---- */

static int severity(int level)
{
    if (level >= TC_LOG_CRITICAL)
        return 2;
    if (level >= TC_LOG_ERROR)
        return 3;
    if (level >= TC_LOG_WARNING)
        return 4;
    if (level >= TC_LOG_INFO)
        return 6;
    return 7;
}

/* "<PRI>Mmm dd hh:mm:ss HOST TAG: [PID] " into buf. */
static size_t header(const tc_syslog *sl, int level, char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    char ts[32];
    localtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%b %e %H:%M:%S", &tm);
    int n = snprintf(buf, cap, "<%d>%s %s%s%s: [%ld] ", sl->facility * 8 + severity(level), ts,
                     sl->host, sl->host[0] ? " " : "", sl->tag, (long)getpid());
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* On a stream, whole messages each ending in '\n', or the connection goes:
 * a half-sent message would run into the next one. */
static void send_stream(tc_syslog *sl, struct iovec *iov, int niov)
{
    size_t total = 0;
    for (int i = 0; i < niov; i++)
        total += iov[i].iov_len;
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
    pthread_mutex_lock(&sl->lock);
    int fd = usable_fd(sl);
    if (fd >= 0) {
        ssize_t w = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            ; /* the daemon is behind: this message is dropped, the stream stays whole */
        else if (w != (ssize_t)total)
            drop_stream(sl);
    }
    pthread_mutex_unlock(&sl->lock);
}

/* A datagram socket is never closed once made (another thread may be
 * sending on it): a local daemon that restarted is connected to again. */
static int datagram_fd(tc_syslog *sl)
{
    pthread_mutex_lock(&sl->lock);
    int fd = usable_fd(sl);
    pthread_mutex_unlock(&sl->lock);
    return fd;
}

static void datagram_failed(tc_syslog *sl, int fd)
{
    if (sl->family != AF_UNIX || (errno != ECONNREFUSED && errno != ENOTCONN && errno != ENOENT))
        return;
    pthread_mutex_lock(&sl->lock);
    time_t now = time(NULL);
    if (now >= sl->retry_at) {
        sl->retry_at = now + 1;
        (void)connect(fd, (struct sockaddr *)&sl->addr, sl->addrlen);
    }
    pthread_mutex_unlock(&sl->lock);
}

void tc_syslog_send(tc_syslog *sl, int level, const char *text, size_t len)
{
    char head[256];
    size_t hl = header(sl, level, head, sizeof head);
    while (len && text[len - 1] == '\n')
        len--;
    struct iovec iov[3] = { { head, hl }, { (void *)text, len }, { "\n", 1 } };
    if (sl->type == SOCK_STREAM) {
        send_stream(sl, iov, 3);
        return;
    }
    int fd = datagram_fd(sl);
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
    if (fd >= 0 && sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        datagram_failed(sl, fd);
}

#define BATCH 64

void tc_syslog_send_lines(tc_syslog *sl, int level, const char *buf, size_t len)
{
    char head[256];
    size_t hl = header(sl, level, head, sizeof head);
    struct iovec iov[BATCH][3];
    struct mmsghdr msgs[BATCH];
    const char *p = buf, *end = buf + len;
    int stream = sl->type == SOCK_STREAM;
    while (p < end) {
        int k = 0;
        for (; k < BATCH && p < end; k++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            iov[k][0] = (struct iovec){ head, hl };
            iov[k][1] = (struct iovec){ (void *)p, n };
            iov[k][2] = (struct iovec){ "\n", 1 };
            msgs[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = iov[k], .msg_iovlen = 2 } };
            p += n + (nl != NULL);
        }
        if (stream) {
            send_stream(sl, &iov[0][0], 3 * k);
            continue;
        }
        int fd = datagram_fd(sl);
        if (fd >= 0 && sendmmsg(fd, msgs, (unsigned)k, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            datagram_failed(sl, fd);
    }
}

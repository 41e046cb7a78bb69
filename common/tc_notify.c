/* tc_notify.c: sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET
 * (an absolute path, or '@' for the abstract namespace). */
#include "tc_notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int notify_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
    size_t n = strlen(path);
    if (n < 2 || n >= sizeof sun->sun_path || (path[0] != '/' && path[0] != '@')) {
        errno = EINVAL;
        return -1;
    }
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, n);
    if (path[0] == '@')
        sun->sun_path[0] = '\0';
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    return 0;
}

/* The socket tc_notify_connect kept, or -1. */
static int kept_fd = -1;

int tc_notify_connect(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sun;
    socklen_t len;
    if (path == NULL || kept_fd >= 0)
        return 0;
    if (notify_addr(path, &sun, &len) != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sun, len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    kept_fd = fd;
    return 0;
}

int tc_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL)
        return 0;
    if (kept_fd >= 0)
        return send(kept_fd, state, strlen(state), MSG_NOSIGNAL) < 0 ? -1 : 0;
    struct sockaddr_un sun;
    socklen_t len;
    if (notify_addr(path, &sun, &len) != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t r = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return r < 0 ? -1 : 0;
}

int tc_notify_listen(const char *path)
{
    struct sockaddr_un sun;
    socklen_t len;
    if (notify_addr(path, &sun, &len) != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sun, len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int tc_notify_recv(int fd, char *buf, size_t len)
{
    ssize_t r = recv(fd, buf, len - 1, 0);
    if (r < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    buf[r] = '\0';
    return (int)r;
}

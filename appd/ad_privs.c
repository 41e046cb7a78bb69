/* ad_privs.c: the master's socket ownership and the workers' drop from
 * root (ad_privs.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ad_privs.h"
#include "tc_privs.h"

static tc_privs privs;
/* The worker's heartbeat file: open, unlinked, kept until the worker exits. */
static int heartbeat_fd = -1;

int ad_privs_setup(const ad_settings *s, char *err, size_t errlen)
{
    if (tc_privs_resolve(s->user, s->group, s->initgroups, &privs, err, errlen) != 0)
        return -1;
    struct stat st;
    const char *dir = s->worker_tmp_dir;
    if (dir == NULL || *dir == '\0')
        return 0;
    const char *why = stat(dir, &st) != 0 ? strerror(errno)
                      : !S_ISDIR(st.st_mode) ? "not a directory"
                                             : NULL;
    if (why)
        snprintf(err, errlen, "worker_tmp_dir (--worker-tmp-dir): %s: %s", dir, why);
    return why ? -1 : 0;
}

/* The socket file made by this bind (not one systemd passed, not TCP). */
static const char *own_unix_path(const tc_addr *a)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
    return a->ss.ss_family == AF_UNIX && a->fd < 0 && sun->sun_path[0] ? sun->sun_path : NULL;
}

int ad_privs_listen(const ad_settings *s, const tc_addr *a, char *err, size_t errlen)
{
    const char *path = own_unix_path(a);
    /* 0660 less the umask: the proxy's user (or group) connects, nobody else. */
    mode_t old = umask((mode_t)s->umask | 0117);
    int fd = tc_listen(a, (int)s->backlog, err, errlen);
    umask(old);
    if (fd >= 0 && path && tc_privs_chown(&privs, path, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int open_heartbeat(const ad_settings *s, char *err, size_t errlen)
{
    const char *dir = s->worker_tmp_dir;
    if (dir == NULL || *dir == '\0')
        return 0; /* liveness is the scoreboard's: no file unless asked */
    char path[4096];
    snprintf(path, sizeof path, "%s/wtandem-XXXXXX", dir);
    mode_t old = umask((mode_t)s->umask);
    heartbeat_fd = mkostemp(path, O_CLOEXEC);
    umask(old);
    if (heartbeat_fd < 0) {
        snprintf(err, errlen, "worker_tmp_dir (--worker-tmp-dir): cannot create a file in %s as "
                              "uid %u: %s", dir, (unsigned)geteuid(), strerror(errno));
        return -1;
    }
    unlink(path);
    return 0;
}

int ad_privs_worker(const ad_settings *s, char *err, size_t errlen)
{
    if (tc_privs_drop(&privs, err, errlen) != 0)
        return -1;
    return open_heartbeat(s, err, errlen);
}

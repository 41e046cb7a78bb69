/* tc_daemon.c: the double fork of -D with a pipe back to the command that
 * started it (tc_daemon.h). */
#include "tc_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The daemon's end of the pipe to the waiting command, until ready. */
static int report_fd = -1;

/* The waiting command: exits 0 when the daemon reports ready, 1 when it
 * exits (closing the pipe) first.  Its own stdio is still the terminal. */
static void wait_for_daemon(int fd) __attribute__((noreturn));
static void wait_for_daemon(int fd)
{
    char c;
    ssize_t r;
    while ((r = read(fd, &c, 1)) < 0 && errno == EINTR) {
    }
    if (r == 1)
        _exit(0);
    fprintf(stderr, "error: the daemon exited during start-up (see its error log)\n");
    _exit(1);
}

int tc_daemon_start(char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "daemon: pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "daemon: fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        /* The middle process exits at once; reap it, then wait for word. */
        waitpid(pid, NULL, 0);
        wait_for_daemon(p[0]);
    }
    close(p[0]);
    if (setsid() < 0)
        _exit(1);
    /* Not a session leader: it can never acquire a controlling terminal. */
    pid = fork();
    if (pid < 0)
        _exit(1);
    if (pid > 0)
        _exit(0);
    report_fd = p[1];
    /* Nothing of the terminal stays open: a command reading our output
     * (a pipe) sees its end when the waiting process exits. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
        _exit(1);
    if (null > 2)
        close(null);
    return 0;
}

void tc_daemon_ready(void)
{
    if (report_fd < 0)
        return;
    ssize_t w = write(report_fd, "R", 1);
    (void)w; /* the command may be gone (killed): nothing to tell */
    close(report_fd);
    report_fd = -1;
}

/* ctl_main.c: tandemctl(1), the command line of the daemons' control
 * sockets (Gunicorn's gunicornc): sends one command, prints the reply, and
 * says in its exit status whether the daemon was there and agreed. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tc_ctl.h"

#define DEFAULT_SOCKET "/run/tandem/app.sock.ctl"
#define REPLY_MAX (16u << 20)

enum {
    EXIT_OK = 0,
    EXIT_REFUSED = 1, /* the daemon answered with an error */
    EXIT_USAGE = 2,
    EXIT_NOT_RUNNING = 3, /* no socket file, or nobody listens on it */
    EXIT_NOT_OURS = 4,    /* not a socket, another user's, or not a tandem daemon */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tandemctl [-s PATH] [-j] [-c COMMAND | COMMAND...]\n"
            "  -s, --socket PATH   the daemon's control socket (default $TANDEMCTL_SOCKET, "
            "else %s)\n"
            "  -j, --json          the reply as JSON\n"
            "  -c, --command TEXT  the command as one argument (else the remaining words)\n"
            "  -t, --timeout SECS  how long to wait for the reply (default 30)\n"
            "  -h, --help          this text;  -v, --version  the version\n"
            "commands: help, show all|workers|stats|config|listeners|connections|streams,\n"
            "  worker add [N], worker remove [N], worker kill PID, reload, reopen, shutdown\n",
            DEFAULT_SOCKET);
}

__attribute__((format(printf, 2, 3))) static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tandemctl: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

/* Connects to path; the exit status and message when it cannot. */
static int dial(const char *path, int *fd)
{
    struct stat st;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sun.sun_path)
        return fail(EXIT_USAGE, "%s: path too long for a socket", path);
    memcpy(sun.sun_path, path, strlen(path));
    if (stat(path, &st) != 0)
        return errno == ENOENT
                   ? fail(EXIT_NOT_RUNNING, "%s does not exist: is the daemon running?", path)
                   : fail(EXIT_NOT_OURS, "%s: %s", path, strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return fail(EXIT_NOT_OURS, "%s is not a socket", path);
    *fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*fd < 0)
        return fail(EXIT_NOT_OURS, "socket: %s", strerror(errno));
    if (connect(*fd, (struct sockaddr *)&sun, sizeof sun) == 0)
        return EXIT_OK;
    int e = errno;
    close(*fd);
    if (e == ECONNREFUSED)
        return fail(EXIT_NOT_RUNNING, "no daemon listens at %s (a stale socket file)", path);
    if (e == EACCES || e == EPERM)
        return fail(EXIT_NOT_OURS, "%s: permission denied (the daemon's user only)", path);
    return fail(EXIT_NOT_OURS, "%s: %s", path, strerror(e));
}

/* Reads the whole reply (the daemon closes after it) into a heap string. */
static char *read_reply(int fd, int timeout_ms, size_t *len)
{
    size_t cap = 4096;
    char *buf = malloc(cap);
    *len = 0;
    while (buf) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        if (*len + 1 >= cap) {
            char *b = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;
            if (b == NULL)
                break;
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + *len, cap - *len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        *len += (size_t)r;
    }
    if (buf)
        buf[*len] = '\0';
    return buf;
}

static int exchange(const char *path, const char *command, int json, int timeout_ms)
{
    int fd = -1;
    int rc = dial(path, &fd);
    if (rc != EXIT_OK)
        return rc;
    char line[TC_CTL_MAX_LINE + 8];
    int n = snprintf(line, sizeof line, "%s%s\n", json ? "json " : "", command);
    if (n < 0 || (size_t)n >= sizeof line) {
        close(fd);
        return fail(EXIT_USAGE, "command too long (%s)", "at most 512 bytes");
    }
    /* A daemon that refuses us (another user) answers at once and closes
     * without reading: the send fails, and the reply still waits. */
    int sent = send(fd, line, (size_t)n, MSG_NOSIGNAL) == n, send_errno = errno;
    size_t len;
    char *reply = read_reply(fd, timeout_ms, &len);
    close(fd);
    const char *magic = TC_CTL_MAGIC " ";
    if (!sent && (reply == NULL || len == 0)) {
        free(reply);
        return fail(EXIT_NOT_OURS, "%s: cannot send: %s", path, strerror(send_errno));
    }
    if (reply == NULL || strncmp(reply, magic, strlen(magic)) != 0) {
        free(reply);
        return fail(EXIT_NOT_OURS, "%s: not a tandem control socket (no %s reply)", path,
                    TC_CTL_MAGIC);
    }
    const char *status = reply + strlen(magic);
    char *nl = strchr(status, '\n');
    if (strncmp(status, "OK\n", 3) == 0) {
        fputs(nl + 1, stdout);
        rc = EXIT_OK;
    } else if (strncmp(status, "ERROR ", 6) == 0 && nl) {
        *nl = '\0';
        rc = fail(strncmp(status + 6, "permission denied", 17) == 0 ? EXIT_NOT_OURS : EXIT_REFUSED,
                  "%s", status + 6);
    } else {
        rc = fail(EXIT_NOT_OURS, "%s: a reply tandemctl does not understand", path);
    }
    free(reply);
    return rc;
}

static int parse_seconds(const char *s, int *ms)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > 3600)
        return -1;
    *ms = (int)v * 1000;
    return 0;
}

/* The remaining arguments, joined by single spaces. */
static int join(int argc, char **argv, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < argc; i++) {
        int n = snprintf(out + len, cap - len, "%s%s", i ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= cap - len)
            return -1;
        len += (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        { "socket", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },
        { "command", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { "timeout", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = getenv("TANDEMCTL_SOCKET"), *command = NULL;
    int json = 0, timeout_ms = 30000, c;
    if (path == NULL || *path == '\0')
        path = DEFAULT_SOCKET;
    while ((c = getopt_long(argc, argv, "+s:jc:t:hv", longs, NULL)) != -1) {
        switch (c) {
        case 's': path = optarg; break;
        case 'j': json = 1; break;
        case 'c': command = optarg; break;
        case 't':
            if (parse_seconds(optarg, &timeout_ms) != 0)
                return fail(EXIT_USAGE, "--timeout: '%s' is not a number of seconds (1-3600)",
                            optarg);
            break;
        case 'h': usage(stdout); return EXIT_OK;
        case 'v': printf("tandemctl %s\n", PACKAGE_VERSION); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    char words[TC_CTL_MAX_LINE + 1];
    if (command && optind < argc)
        return fail(EXIT_USAGE, "give the command with -c or as words, not both");
    if (command == NULL) {
        if (join(argc - optind, argv + optind, words, sizeof words) != 0)
            return fail(EXIT_USAGE, "command too long");
        command = optind < argc ? words : "help";
    }
    return exchange(path, command, json, timeout_ms);
}

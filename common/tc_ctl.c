/* tc_ctl.c: the control socket's request grammar (pure, fuzzed) and the
 * socket plumbing both daemons share: bind with a mode, refuse a live
 * daemon's path, serve one short request at a time. */
#include "config.h"

#include "tc_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_WORDS 4

enum { ARG_NONE = 0, ARG_COUNT, ARG_PID };

static const struct {
    tc_ctl_verb verb;
    const char *words; /* the command, as typed */
    int arg;
    const char *help;
} commands[] = {
    { TC_CTL_HELP, "help", ARG_NONE, "list the commands this daemon serves" },
    { TC_CTL_SHOW_ALL, "show all", ARG_NONE, "stats, workers and listeners together" },
    { TC_CTL_SHOW_WORKERS, "show workers", ARG_NONE,
      "worker processes: pid, age, requests, state" },
    { TC_CTL_SHOW_STATS, "show stats", ARG_NONE, "counters: requests, statuses, bytes, queue" },
    { TC_CTL_SHOW_CONFIG, "show config", ARG_NONE, "the effective settings" },
    { TC_CTL_SHOW_LISTENERS, "show listeners", ARG_NONE, "the sockets this daemon listens on" },
    { TC_CTL_SHOW_CONNECTIONS, "show connections", ARG_NONE, "client connections open now" },
    { TC_CTL_SHOW_STREAMS, "show streams", ARG_NONE, "requests in flight now" },
    { TC_CTL_WORKER_ADD, "worker add", ARG_COUNT, "start N more workers (default 1), as TTIN" },
    { TC_CTL_WORKER_REMOVE, "worker remove", ARG_COUNT,
      "stop N workers (default 1, at least one stays), as TTOU" },
    { TC_CTL_WORKER_KILL, "worker kill", ARG_PID,
      "stop worker PID gracefully (TERM); the master starts another" },
    { TC_CTL_RELOAD, "reload", ARG_NONE, "reload settings and app, as HUP" },
    { TC_CTL_REOPEN, "reopen", ARG_NONE, "reopen the log files, as USR1" },
    { TC_CTL_SHUTDOWN, "shutdown", ARG_NONE, "graceful stop, as TERM" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Splits line into words of [a-z0-9]; -1 on any other byte or spacing. */
static int split(const char *line, size_t len, const char *w[MAX_WORDS], size_t wl[MAX_WORDS],
                 int *n, char *err, size_t errlen)
{
    *n = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len &&
               ((line[i] >= 'a' && line[i] <= 'z') || (line[i] >= '0' && line[i] <= '9')))
            i++;
        if (i == start || (i < len && line[i] != ' ') || (i < len && i + 1 == len)) {
            snprintf(err, errlen, "malformed request: words of a-z and 0-9, single spaces");
            return -1;
        }
        if (*n == MAX_WORDS) {
            snprintf(err, errlen, "malformed request: too many words");
            return -1;
        }
        w[*n] = line + start;
        wl[(*n)++] = i - start;
        if (i < len)
            i++; /* the space */
    }
    if (*n == 0) {
        snprintf(err, errlen, "empty request (try: help)");
        return -1;
    }
    return 0;
}

/* Whether words w[0..n) spell the command text exactly (words separated by one space). */
static int spells(const char *text, const char *const *w, const size_t *wl, int n)
{
    const char *p = text;
    for (int k = 0; k < n; k++) {
        if (strncmp(p, w[k], wl[k]) != 0)
            return 0;
        p += wl[k];
        if (k + 1 < n) {
            if (*p != ' ')
                return 0;
            p++;
        }
    }
    return *p == '\0';
}

static int number(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > 9)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int take_arg(int kind, const char *w, size_t wl, int have, tc_ctl_req *req, char *err,
                    size_t errlen)
{
    if (kind == ARG_NONE) {
        if (!have)
            return 0;
        snprintf(err, errlen, "%s takes no argument", tc_ctl_verb_name(req->verb));
        return -1;
    }
    req->arg = 1;
    if (!have) {
        if (kind == ARG_COUNT)
            return 0;
        snprintf(err, errlen, "%s needs a PID", tc_ctl_verb_name(req->verb));
        return -1;
    }
    if (number(w, wl, &req->arg) != 0 || req->arg < 1) {
        snprintf(err, errlen, "%s: '%.*s' is not a positive number", tc_ctl_verb_name(req->verb),
                 (int)wl, w);
        return -1;
    }
    return 0;
}

int tc_ctl_parse(const char *line, size_t len, tc_ctl_req *req, char *err, size_t errlen)
{
    memset(req, 0, sizeof *req);
    if (len > TC_CTL_MAX_LINE) {
        snprintf(err, errlen, "request longer than %d bytes", TC_CTL_MAX_LINE);
        return -1;
    }
    const char *w[MAX_WORDS];
    size_t wl[MAX_WORDS];
    int n;
    if (split(line, len, w, wl, &n, err, errlen) != 0)
        return -1;
    int at = 0;
    if (wl[0] == 4 && memcmp(w[0], "json", 4) == 0) {
        req->json = 1;
        at = 1;
    }
    /* The longest command that the words start with; what follows is its argument. */
    for (int take = n - at; take >= 1; take--) {
        for (size_t c = 0; c < NCOMMANDS; c++) {
            if (!spells(commands[c].words, w + at, wl + at, take))
                continue;
            req->verb = commands[c].verb;
            int rest = n - at - take;
            if (rest > 1) {
                snprintf(err, errlen, "%s: too many arguments", commands[c].words);
                return -1;
            }
            return take_arg(commands[c].arg, rest ? w[n - 1] : NULL, rest ? wl[n - 1] : 0, rest,
                            req, err, errlen);
        }
    }
    snprintf(err, errlen, "unknown command '%.*s' (try: help)", (int)(len < 64 ? len : 64), line);
    return -1;
}

const char *tc_ctl_verb_name(tc_ctl_verb verb)
{
    for (size_t c = 0; c < NCOMMANDS; c++)
        if (commands[c].verb == verb)
            return commands[c].words;
    return "?";
}

void tc_ctl_help(tc_ctlout *o, const unsigned *verbs_served)
{
    tc_ctlout_arr(o, "commands");
    for (size_t c = 0; c < NCOMMANDS; c++) {
        int served = 0;
        for (const unsigned *v = verbs_served; *v; v++)
            served |= *v == (unsigned)commands[c].verb;
        if (!served)
            continue;
        char usage[64];
        snprintf(usage, sizeof usage, "%s%s", commands[c].words,
                 commands[c].arg == ARG_COUNT ? " [N]"
                 : commands[c].arg == ARG_PID ? " PID"
                                              : "");
        tc_ctlout_obj(o, NULL);
        tc_ctlout_str(o, "command", usage);
        tc_ctlout_str(o, "does", commands[c].help);
        tc_ctlout_close(o);
    }
    tc_ctlout_close(o);
}

/* ---- the socket ---- */

static int fill_sun(struct sockaddr_un *sun, const char *path, char *err, size_t errlen)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun->sun_path) {
        snprintf(err, errlen, "control socket %s: path longer than %zu bytes", path,
                 sizeof sun->sun_path - 1);
        return -1;
    }
    memcpy(sun->sun_path, path, strlen(path));
    return 0;
}

/* Whether a daemon answers at path: connect succeeds. */
static int answers(const struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int ok = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
    close(fd);
    return ok;
}

/* A file already at path: a dead daemon's socket is removed, anything else refused. */
static int clear_path(const struct sockaddr_un *sun, int *live, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(sun->sun_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "control socket %s: a file that is not a socket is there",
                 sun->sun_path);
        return -1;
    }
    if (answers(sun)) {
        *live = 1;
        snprintf(err, errlen, "control socket %s: another daemon is running there", sun->sun_path);
        return -1;
    }
    if (unlink(sun->sun_path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "control socket %s: %s", sun->sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

int tc_ctl_listen(const char *path, unsigned mode, int *live, char *err, size_t errlen)
{
    struct sockaddr_un sun;
    *live = 0;
    if (fill_sun(&sun, path, err, errlen) != 0 || clear_path(&sun, live, err, errlen) != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "control socket: %s", strerror(errno));
        return -1;
    }
    /* Made with no access for anyone, then given the mode: no window in
     * which another user could connect. */
    mode_t old = umask(0777);
    int rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
    umask(old);
    if (rc != 0 || chmod(path, (mode_t)mode) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
        if (rc == 0)
            unlink(path);
        close(fd);
        return -1;
    }
    return fd;
}

unsigned long long tc_ctl_inode(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

void tc_ctl_unlink(const char *path, unsigned long long inode)
{
    struct stat st;
    if (inode && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
        (unsigned long long)st.st_ino == inode)
        unlink(path);
}

/* ---- one request ---- */

static int read_line(int fd, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 1000) <= 0)
            return -1;
        ssize_t r = read(fd, buf + *len, cap - *len);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return -1;
        char *nl = memchr(buf + *len, '\n', (size_t)r);
        *len += (size_t)r;
        if (nl) {
            *len = (size_t)(nl - buf);
            return 0;
        }
        if (*len == cap)
            return -2; /* too long */
    }
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        struct pollfd p = { fd, POLLOUT, 0 };
        if (poll(&p, 1, 1000) <= 0)
            return;
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void reply_error(int fd, const char *why)
{
    char line[600];
    int n = snprintf(line, sizeof line, "%s ERROR %s\n", TC_CTL_MAGIC, why);
    write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t cl = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0)
        return 0;
    return cred.uid == 0 || cred.uid == geteuid();
}

static void answer(int fd, const char *line, size_t len, tc_ctl_handler handler, void *ctx)
{
    tc_ctl_req req;
    char err[512];
    if (tc_ctl_parse(line, len, &req, err, sizeof err) != 0) {
        reply_error(fd, err);
        return;
    }
    tc_ctlout o;
    tc_ctlout_begin(&o, req.json);
    err[0] = '\0';
    int rc = handler(ctx, &req, &o, err, sizeof err);
    tc_ctlout_end(&o);
    if (rc != 0 || o.oom) {
        reply_error(fd, rc != 0 ? err : "out of memory");
    } else {
        char head[64];
        int n = snprintf(head, sizeof head, "%s OK\n", TC_CTL_MAGIC);
        write_all(fd, head, (size_t)n);
        write_all(fd, o.buf ? o.buf : "", o.len);
    }
    tc_ctlout_free(&o);
}

void tc_ctl_serve_one(int lfd, tc_ctl_handler handler, void *ctx)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    char line[TC_CTL_MAX_LINE + 1];
    size_t len;
    if (!peer_allowed(fd)) {
        reply_error(fd, "permission denied: not the daemon's user (or root)");
    } else {
        int r = read_line(fd, line, sizeof line, &len);
        if (r == -2)
            reply_error(fd, "request too long");
        else if (r == 0)
            answer(fd, line, len, handler, ctx);
    }
    close(fd);
}

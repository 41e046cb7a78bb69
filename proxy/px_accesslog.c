/* px_accesslog.c: the access log's file, its per-thread line buffers and
 * their one write per loop turn, its copy to syslog, and SIGUSR1's reopen
 * (px_accesslog.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "px_accesslog.h"
#include "tc_log.h"
#include "tc_logsinks.h"

/* A thread's lines before they are written, and the longest one line may
 * be (longer lines are cut, their newline kept). */
#define BUF_SIZE (64 * 1024)
#define LINE_MAX_LEN (16 * 1024)

int px_accesslog_on;
static px_logfmt *fmt;
static int log_fd = -1;       /* -1: syslog only */
static char *log_path;        /* NULL: standard output */
static atomic_int log_locked; /* not a regular file: writes take the lock */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static tc_syslog *sink;

typedef struct {
    char *buf;
    size_t len;
    time_t clf_sec;
    char clf[40];
} thread_lines;

static _Thread_local thread_lines T;

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* Appends to a regular file are atomic; to a pipe only up to PIPE_BUF. */
static void note_file_kind(void)
{
    struct stat st;
    log_locked = fstat(log_fd, &st) != 0 || !S_ISREG(st.st_mode);
}

static int open_file(const char *path, char *err, size_t errlen)
{
    /* Standard streams are written as they are, never reopened. */
    if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0) {
        log_fd = 1;
    } else if (strcmp(path, "/dev/stderr") == 0) {
        log_fd = 2;
    } else {
        if ((log_path = strdup(path)) == NULL || (log_fd = open_path(path)) < 0) {
            snprintf(err, errlen, "accesslog (--access-logfile): cannot open %s: %s", path,
                     strerror(errno ? errno : ENOMEM));
            return -1;
        }
    }
    note_file_kind();
    return 0;
}

int px_accesslog_open(const px_settings *cfg, char *err, size_t errlen)
{
    int to_syslog = cfg->access_syslog, to_file = cfg->access_path[0] != '\0';
    if (!to_file && !to_syslog)
        return 0;
    if (px_logfmt_compile(cfg->access_log_format, &fmt, err, errlen) < 0)
        return -1;
    if (to_file && open_file(cfg->access_path, err, errlen) < 0)
        return -1;
    if (to_syslog) {
        tc_logsinks_conf sc = px_settings_logsinks(cfg);
        if ((sink = tc_logsinks_syslog(&sc, "proxy", "access", err, errlen)) == NULL)
            return -1;
    }
    px_accesslog_on = 1;
    return 0;
}

int px_accesslog_reopen(void)
{
    if (log_path == NULL)
        return 0;
    int fd = open_path(log_path);
    if (fd < 0)
        return -1;
    /* The same descriptor number: a thread writing now finishes in the old file. */
    int rc = dup2(fd, log_fd) < 0 ? -1 : 0;
    int saved = errno;
    close(fd);
    note_file_kind();
    errno = saved;
    return rc;
}

void px_accesslog_close(void)
{
    if (log_fd > 2)
        close(log_fd);
    log_fd = -1;
    free(log_path);
    log_path = NULL;
    tc_syslog_close(sink);
    sink = NULL;
    px_logfmt_free(fmt);
    fmt = NULL;
    px_accesslog_on = 0;
}

const px_logfmt *px_accesslog_format(void) { return fmt; }

const char *px_accesslog_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != T.clf_sec) {
        T.clf_sec = ts.tv_sec;
        px_logfmt_clf_time(ts.tv_sec, T.clf, sizeof T.clf);
    }
    return T.clf;
}

/* All of buf, or as much as a stuck reader lets through in a second. */
static void write_all(const char *buf, size_t len)
{
    int waited = 0;
    while (len > 0) {
        ssize_t w = write(log_fd, buf, len);
        if (w > 0) {
            buf += w;
            len -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN && !waited) {
            struct pollfd p = { log_fd, POLLOUT, 0 };
            poll(&p, 1, 1000);
            waited = 1;
        } else {
            return; /* the disk is full, or the reader stuck: these lines are lost */
        }
    }
}

void px_accesslog_add(const px_logreq *r)
{
    if (T.buf == NULL && (T.buf = malloc(BUF_SIZE)) == NULL)
        return;
    if (BUF_SIZE - T.len < LINE_MAX_LEN)
        px_accesslog_flush();
    T.len += px_logfmt_line(fmt, r, T.buf + T.len, LINE_MAX_LEN);
}

void px_accesslog_flush(void)
{
    if (T.len == 0)
        return;
    if (log_fd >= 0) {
        int locked = atomic_load(&log_locked);
        if (locked)
            pthread_mutex_lock(&write_lock);
        write_all(T.buf, T.len);
        if (locked)
            pthread_mutex_unlock(&write_lock);
    }
    if (sink)
        tc_syslog_send_lines(sink, TC_LOG_INFO, T.buf, T.len);
    T.len = 0;
}

void px_accesslog_thread_end(void)
{
    px_accesslog_flush();
    free(T.buf);
    T.buf = NULL;
}

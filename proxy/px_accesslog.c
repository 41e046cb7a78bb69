/* px_accesslog.c: the access log's file, its per-thread line buffers and
 * their one write per loop turn, its copy to syslog, SIGUSR1's reopen and
 * SIGHUP's reload (px_accesslog.h). */
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

atomic_int px_accesslog_on;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* One configuration of the log.  The main thread holds the current one;
 * each loop thread holds the one it writes with and takes a newer one at
 * the end of its turn, so a reload never changes a log under a thread
 * writing to it; the last holder closes it. */
typedef struct alog {
    atomic_int refs;
    px_logfmt *fmt;
    int fd;            /* -1: syslog only */
    char *path;        /* NULL: a standard stream, never reopened */
    atomic_int locked; /* not a regular file: writes take the lock */
    tc_syslog *sink;
} alog;

static alog *_Atomic current; /* the main thread's reference */
/* Taking current and its reference is one step, or the main thread could
 * drop the last reference between the two. */
static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    char *buf;
    size_t len;
    time_t clf_sec;
    char clf[40];
    alog *log; /* the one this thread writes with */
} thread_lines;

static _Thread_local thread_lines T;

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* Appends to a regular file are atomic; to a pipe only up to PIPE_BUF. */
static void note_file_kind(alog *l)
{
    struct stat st;
    atomic_store(&l->locked, fstat(l->fd, &st) != 0 || !S_ISREG(st.st_mode));
}

static void alog_free(alog *l)
{
    if (l->fd > 2)
        close(l->fd);
    free(l->path);
    tc_syslog_close(l->sink);
    px_logfmt_free(l->fmt);
    free(l);
}

static void alog_release(alog *l)
{
    if (l && atomic_fetch_sub(&l->refs, 1) == 1)
        alog_free(l);
}

static int open_file(alog *l, const char *path, char *err, size_t errlen)
{
    /* Standard streams are written as they are, never reopened. */
    if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0) {
        l->fd = 1;
    } else if (strcmp(path, "/dev/stderr") == 0) {
        l->fd = 2;
    } else {
        if ((l->path = strdup(path)) == NULL || (l->fd = open_path(path)) < 0) {
            snprintf(err, errlen, "accesslog (--access-logfile): cannot open %s: %s", path,
                     strerror(errno ? errno : ENOMEM));
            return -1;
        }
    }
    note_file_kind(l);
    return 0;
}

/* The log cfg asks for: 0 with *out (NULL for none), or -1 with err. */
static int alog_new(const px_settings *cfg, alog **out, char *err, size_t errlen)
{
    int to_syslog = cfg->access_syslog, to_file = cfg->access_path[0] != '\0';
    *out = NULL;
    if (!to_file && !to_syslog)
        return 0;
    alog *l = calloc(1, sizeof *l);
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    atomic_init(&l->refs, 1);
    l->fd = -1;
    int rc = px_logfmt_compile(cfg->access_log_format, &l->fmt, err, errlen);
    if (rc == 0 && to_file)
        rc = open_file(l, cfg->access_path, err, errlen);
    if (rc == 0 && to_syslog) {
        tc_logsinks_conf sc = px_settings_logsinks(cfg);
        l->sink = tc_logsinks_syslog(&sc, "proxy", "access", err, errlen);
        rc = l->sink ? 0 : -1;
    }
    if (rc < 0) {
        alog_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

int px_accesslog_reload(const px_settings *cfg, char *err, size_t errlen)
{
    alog *l, *old;
    if (alog_new(cfg, &l, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&swap_lock);
    old = atomic_exchange(&current, l);
    pthread_mutex_unlock(&swap_lock);
    atomic_store(&px_accesslog_on, l != NULL);
    alog_release(old); /* the threads still writing with it hold it */
    return 0;
}

/* This thread's log: the current one, taken when it changed. */
static alog *take_current(void)
{
    pthread_mutex_lock(&swap_lock);
    alog *l = atomic_load(&current);
    if (l != T.log) {
        if (l)
            atomic_fetch_add(&l->refs, 1);
        alog_release(T.log);
        T.log = l;
    }
    pthread_mutex_unlock(&swap_lock);
    return l;
}

/* A thread keeps its log for the whole of a loop turn. */
static alog *mine(void) { return T.log ? T.log : take_current(); }

int px_accesslog_reopen(void)
{
    alog *l = atomic_load(&current);
    if (l == NULL || l->path == NULL)
        return 0;
    int fd = open_path(l->path);
    if (fd < 0)
        return -1;
    /* The same descriptor number: a thread writing now finishes in the old file. */
    int rc = dup2(fd, l->fd) < 0 ? -1 : 0;
    int saved = errno;
    close(fd);
    note_file_kind(l);
    errno = saved;
    return rc;
}

void px_accesslog_close(void)
{
    pthread_mutex_lock(&swap_lock);
    alog *l = atomic_exchange(&current, NULL);
    pthread_mutex_unlock(&swap_lock);
    atomic_store(&px_accesslog_on, 0);
    alog_release(l);
}

const px_logfmt *px_accesslog_format(void)
{
    alog *l = mine();
    return l ? l->fmt : NULL;
}

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
static void write_all(int fd, const char *buf, size_t len)
{
    int waited = 0;
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w > 0) {
            buf += w;
            len -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN && !waited) {
            struct pollfd p = { fd, POLLOUT, 0 };
            poll(&p, 1, 1000);
            waited = 1;
        } else {
            return; /* the disk is full, or the reader stuck: these lines are lost */
        }
    }
}

/* This thread's lines, to l's file and syslog. */
static void write_lines(alog *l)
{
    if (l && l->fd >= 0) {
        int locked = atomic_load(&l->locked);
        if (locked)
            pthread_mutex_lock(&write_lock);
        write_all(l->fd, T.buf, T.len);
        if (locked)
            pthread_mutex_unlock(&write_lock);
    }
    if (l && l->sink)
        tc_syslog_send_lines(l->sink, TC_LOG_INFO, T.buf, T.len);
    T.len = 0;
}

void px_accesslog_add(const px_logreq *r)
{
    alog *l = mine();
    if (l == NULL || (T.buf == NULL && (T.buf = malloc(BUF_SIZE)) == NULL))
        return;
    if (BUF_SIZE - T.len < LINE_MAX_LEN)
        write_lines(l);
    T.len += px_logfmt_line(l->fmt, r, T.buf + T.len, LINE_MAX_LEN);
}

void px_accesslog_flush(void)
{
    if (T.len)
        write_lines(T.log);
    px_accesslog_follow();
}

void px_accesslog_follow(void)
{
    if (T.log == atomic_load(&current))
        return;
    if (T.len)
        write_lines(T.log); /* lines of the old log stay in it */
    take_current();
}

void px_accesslog_thread_end(void)
{
    if (T.len)
        write_lines(T.log);
    free(T.buf);
    T.buf = NULL;
    alog_release(T.log);
    T.log = NULL;
}

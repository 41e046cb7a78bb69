/* tc_log.c: the error log of each daemon: timestamped, leveled lines written
 * with one write(2) each so that threads and forked workers never interleave,
 * copied to syslog and counted for statsd when asked. */
#include "tc_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tc_syslog.h"

static int log_fd = 2;
static atomic_int log_level = TC_LOG_INFO;
static char *log_path;
/* Swapped by a reload while threads log. */
static tc_syslog *_Atomic log_syslog;
static void (*_Atomic log_counter)(int level);
static int capture_stdio;

static const char *level_name(int level)
{
    if (level >= TC_LOG_CRITICAL)
        return "CRITICAL";
    if (level >= TC_LOG_ERROR)
        return "ERROR";
    if (level >= TC_LOG_WARNING)
        return "WARNING";
    if (level >= TC_LOG_INFO)
        return "INFO";
    return "DEBUG";
}

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* The standard stream a path names: 2 for NULL, "-" and /dev/stderr, 1 for
 * /dev/stdout (written as they are, never reopened); -1 for a file. */
static int standard_stream(const char *path)
{
    if (path == NULL || strcmp(path, "-") == 0 || strcmp(path, "/dev/stderr") == 0)
        return 2;
    return strcmp(path, "/dev/stdout") == 0 ? 1 : -1;
}

int tc_log_open(const char *path, int level)
{
    tc_log_set_level(level);
    int std = standard_stream(path);
    if (std >= 0) {
        free(log_path);
        log_path = NULL;
        log_fd = std;
        return 0;
    }
    int fd = open_path(path);
    if (fd < 0)
        return -1;
    char *copy = strdup(path);
    if (copy == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    if (log_fd > 2)
        close(log_fd);
    free(log_path);
    log_path = copy;
    log_fd = fd;
    return 0;
}

/* Standard output and error onto the log file (capture_output). */
static int point_stdio(void)
{
    if (!capture_stdio || log_path == NULL)
        return 0;
    return dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0 ? -1 : 0;
}

int tc_log_reopen(void)
{
    if (log_path == NULL)
        return 0;
    int fd = open_path(log_path);
    if (fd < 0)
        return -1;
    /* dup2 keeps the descriptor number, so other threads never see a closed fd. */
    if (dup2(fd, log_fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    close(fd);
    return point_stdio();
}

int tc_log_capture_stdio(void)
{
    capture_stdio = 1;
    return point_stdio();
}

void tc_log_set_syslog(tc_syslog *sl) { log_syslog = sl; }
void tc_log_set_counter(void (*fn)(int level)) { log_counter = fn; }

void tc_log_set_level(int level) { atomic_store(&log_level, level); }
int tc_log_get_level(void) { return atomic_load(&log_level); }
int tc_log_fd(void) { return log_fd; }

int tc_log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        { "debug", TC_LOG_DEBUG },  { "info", TC_LOG_INFO },   { "warning", TC_LOG_WARNING },
        { "warn", TC_LOG_WARNING }, { "error", TC_LOG_ERROR }, { "critical", TC_LOG_CRITICAL },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].level;
    return -1;
}

void tc_vlog(int level, const char *fmt, va_list ap)
{
    if (level < tc_log_get_level())
        return;
    char line[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "[%Y-%m-%d %H:%M:%S %z] ", &tm);
    int w = snprintf(line + n, sizeof line - n, "[%ld] [%s] ", (long)getpid(), level_name(level));
    if (w > 0)
        n += (size_t)w;
    size_t text = n; /* syslog gets the message without the date and level */
    w = vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (w > 0)
        n += (size_t)w;
    if (n > sizeof line - 2)
        n = sizeof line - 2; /* truncated: keep the newline */
    line[n++] = '\n';
    ssize_t r;
    do {
        r = write(log_fd, line, n);
    } while (r < 0 && errno == EINTR);
    tc_syslog *sl = atomic_load(&log_syslog);
    void (*counter)(int) = atomic_load(&log_counter);
    if (sl)
        tc_syslog_send(sl, level, line + text, n - text);
    if (counter && level >= TC_LOG_WARNING)
        counter(level);
}

void tc_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tc_vlog(level, fmt, ap);
    va_end(ap);
}

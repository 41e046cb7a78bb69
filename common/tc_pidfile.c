/* tc_pidfile.c: pid files written once, the same way by every program. */
#include "tc_pidfile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The pid in path, or 0 when there is none to read. */
static long read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

int tc_pidfile_write(const char *path, char *err, size_t errlen)
{
    long old = read_pid(path);
    if (old > 0 && old != (long)getpid() && kill((pid_t)old, 0) == 0) {
        snprintf(err, errlen, "%s: already running on PID %ld", path, old);
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (ok) {
        ok = fprintf(f, "%ld\n", (long)getpid()) > 0;
        ok = fclose(f) == 0 && ok;
    }
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void tc_pidfile_remove(const char *path)
{
    if (read_pid(path) == (long)getpid())
        unlink(path);
}

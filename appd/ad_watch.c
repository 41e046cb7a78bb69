/* ad_watch.c: the --reload watcher of one worker (ad_watch.h). */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ad_watch.h"
#include "ad_worker.h"
#include "tc_log.h"

/* One watched file as last seen; a file absent then has exists 0. */
typedef struct {
    char *path;
    int exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} watched;

static watched *files;
static size_t nfiles, capfiles;
static int inotify_fd = -1;

static void take_status(watched *w)
{
    struct stat st;
    w->exists = stat(w->path, &st) == 0;
    if (!w->exists)
        return;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->size = st.st_size;
    w->mtime = st.st_mtim;
    w->ctime = st.st_ctim;
}

static int same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Whether w differs from what take_status saw. */
static int changed(const watched *w)
{
    watched now = { .path = w->path };
    take_status(&now);
    if (now.exists != w->exists)
        return 1;
    return now.exists && (now.dev != w->dev || now.ino != w->ino || now.size != w->size ||
                          !same_time(now.mtime, w->mtime) || !same_time(now.ctime, w->ctime));
}

static void add_file(const char *path)
{
    for (size_t i = 0; i < nfiles; i++)
        if (strcmp(files[i].path, path) == 0)
            return;
    if (nfiles == capfiles) {
        size_t cap = capfiles ? capfiles * 2 : 256;
        watched *grown = realloc(files, cap * sizeof *grown);
        if (grown == NULL)
            return;
        files = grown;
        capfiles = cap;
    }
    watched *w = &files[nfiles];
    memset(w, 0, sizeof *w);
    if ((w->path = strdup(path)) == NULL)
        return;
    take_status(w);
    nfiles++;
}

/* Each module's __file__ (its source, or its extension module). */
static void add_module_files(void)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    if (modules == NULL || !PyDict_Check(modules))
        return;
    PyObject *list = PyDict_Values(modules);
    for (Py_ssize_t i = 0; list && i < PyList_GET_SIZE(list); i++) {
        PyObject *file = PyObject_GetAttrString(PyList_GET_ITEM(list, i), "__file__");
        const char *path = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
        if (path && *path)
            add_file(path);
        Py_XDECREF(file);
        PyErr_Clear();
    }
    Py_XDECREF(list);
}

/* inotify on each file's directory: editors often replace a file (write
 * aside, rename), which a watch on the file itself would miss. */
static int watch_directories(void)
{
    inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_fd < 0)
        return -1;
    const uint32_t mask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                          IN_CREATE | IN_DELETE;
    for (size_t i = 0; i < nfiles; i++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", files[i].path);
        char *slash = strrchr(dir, '/');
        if (slash == NULL)
            snprintf(dir, sizeof dir, ".");
        else
            slash == dir ? (void)(dir[1] = '\0') : (void)(*slash = '\0');
        /* The same directory twice gives the same watch: no harm. */
        if (inotify_add_watch(inotify_fd, dir, mask) < 0 && errno != ENOENT) {
            close(inotify_fd);
            inotify_fd = -1;
            return -1;
        }
    }
    return 0;
}

/* Until something changed: wakes on inotify (or each second), then looks. */
static const char *wait_for_change(void)
{
    for (;;) {
        struct pollfd p = { .fd = inotify_fd, .events = POLLIN };
        poll(&p, inotify_fd >= 0 ? 1 : 0, 1000);
        char buf[4096];
        while (inotify_fd >= 0 && read(inotify_fd, buf, sizeof buf) > 0) {
        }
        for (size_t i = 0; i < nfiles; i++)
            if (changed(&files[i]))
                return files[i].path;
    }
}

static void *watch_main(void *arg)
{
    (void)arg;
    const char *path = wait_for_change();
    tc_info("Worker reloading: %s modified", path);
    ad_worker_restart();
    return NULL;
}

void ad_watch_start(const ad_settings *s)
{
    if (!s->reload)
        return;
    add_module_files();
    for (size_t i = 0; i < s->reload_extra_files.n; i++)
        add_file(s->reload_extra_files.items[i]);
    int inotify = s->reload_engine != AD_RELOAD_POLL && watch_directories() == 0;
    if (!inotify && s->reload_engine == AD_RELOAD_INOTIFY)
        tc_warn("reload_engine inotify: %s; polling instead", strerror(errno));
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, watch_main, NULL) != 0)
        tc_error("reload: cannot start the watching thread: %s", strerror(errno));
    else
        tc_debug("reload: watching %zu files (%s)", nfiles, inotify ? "inotify" : "poll");
    pthread_attr_destroy(&attr);
}

/* main.c (tandem): starts tandem-appd, which evaluates the config file,
 * waits until it is ready, starts tandem-proxy in front of it on a private
 * socket with what appd evaluated, forwards signals to the daemons that
 * handle them (fr_signal.h), and exits when either daemon exits (with its
 * status).  --check-config and --print-config run each daemon once instead. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fr_args.h"
#include "fr_check.h"
#include "fr_signal.h"
#include "tc_daemon.h"
#include "tc_notify.h"
#include "tc_pidfile.h"

/* Heavy apps (Django) may take a while to import; a daemon that is neither
 * ready nor dead after this long is reported and stopped. */
#define READY_TIMEOUT_MS 60000

typedef struct {
    const char *name; /* "tandem-appd" */
    char path[PATH_MAX];
    pid_t pid;
    int notify_fd;
    int status; /* wait status once exited */
    int exited;
} fr_daemon;

/* A stop was asked for (a stop signal forwarded, or start-up failed): a
 * daemon exiting then is expected, not news. */
static int stop_asked;
/* Short: it holds a Unix socket path, which must fit in sun_path (108). */
static char rundir[80];
/* In rundir: what tandem-appd evaluated the config file to, for the proxy. */
#define PROXY_CONF "proxy.conf.py"

/* A HUP waits for appd's reload before it reaches the proxy, until then
 * (ms on the monotonic clock; 0: none waits). */
static long long proxy_hup_deadline;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Finds a daemon: $TANDEM_SBINDIR, then the build tree next to this binary,
 * then the configured sbindir. */
static int find_daemon(fr_daemon *d, const char *subdir)
{
    char self[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    const char *env = getenv("TANDEM_SBINDIR");
    if (env) {
        snprintf(d->path, sizeof d->path, "%s/%s", env, d->name);
        if (access(d->path, X_OK) == 0)
            return 0;
    }
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = '\0';
        snprintf(d->path, sizeof d->path, "%s/../%s/%s", self, subdir, d->name);
        if (access(d->path, X_OK) == 0)
            return 0;
        snprintf(d->path, sizeof d->path, "%s/../sbin/%s", self, d->name);
        if (access(d->path, X_OK) == 0)
            return 0;
    }
    snprintf(d->path, sizeof d->path, "%s/%s", SBINDIR, d->name);
    if (access(d->path, X_OK) == 0)
        return 0;
    fprintf(stderr, "tandem: error: cannot find %s (set TANDEM_SBINDIR)\n", d->name);
    return -1;
}

static int spawn(fr_daemon *d, fr_argv *args)
{
    char notify[PATH_MAX];
    snprintf(notify, sizeof notify, "%s/%s.notify", rundir, d->name);
    d->notify_fd = tc_notify_listen(notify);
    if (d->notify_fd < 0) {
        fprintf(stderr, "tandem: error: %s: %s\n", notify, strerror(errno));
        return -1;
    }
    args->v[0] = d->path;
    d->pid = fork();
    if (d->pid < 0) {
        fprintf(stderr, "tandem: error: fork: %s\n", strerror(errno));
        return -1;
    }
    if (d->pid == 0) {
        setenv("NOTIFY_SOCKET", notify, 1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(d->path, args->v);
        fprintf(stderr, "tandem: error: cannot run %s: %s\n", d->path, strerror(errno));
        _exit(127);
    }
    return 0;
}

static int reap(fr_daemon *d)
{
    if (d->pid <= 0 || d->exited)
        return d->exited;
    pid_t r = waitpid(d->pid, &d->status, WNOHANG);
    if (r == d->pid)
        d->exited = 1;
    return d->exited;
}

static int exit_code(const fr_daemon *d)
{
    if (WIFEXITED(d->status))
        return WEXITSTATUS(d->status);
    if (WIFSIGNALED(d->status))
        return 128 + WTERMSIG(d->status);
    return 1;
}

/* Waits for READY=1 from d, its exit, or a signal to us.  0 when ready. */
static int wait_ready(fr_daemon *d)
{
    long long deadline = now_ms() + READY_TIMEOUT_MS;
    char msg[512];
    while (!fr_signal_stopping()) {
        if (reap(d)) {
            fprintf(stderr, "tandem: error: %s exited during start-up (status %d)\n", d->name,
                    exit_code(d));
            return -1;
        }
        int r;
        while ((r = tc_notify_recv(d->notify_fd, msg, sizeof msg)) > 0)
            if (strstr(msg, "READY=1"))
                return 0;
        long long left = deadline - now_ms();
        if (left <= 0) {
            fprintf(stderr, "tandem: error: %s not ready after %d s\n", d->name,
                    READY_TIMEOUT_MS / 1000);
            return -1;
        }
        struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
        /* Short polls: child exit is noticed by waitpid, not by the fd. */
        poll(&p, 1, left < 50 ? (int)left : 50);
    }
    return -1;
}

static void signal_daemon(fr_daemon *d, int sig)
{
    if (d->pid > 0 && !reap(d))
        kill(d->pid, sig);
}

/* HUP to appd now, and to the proxy once appd says READY=1 again: by then
 * it has written the proxy's settings anew. */
static void begin_hup(fr_daemon *appd)
{
    char msg[512];
    while (tc_notify_recv(appd->notify_fd, msg, sizeof msg) > 0) {
    } /* older news */
    signal_daemon(appd, SIGHUP);
    proxy_hup_deadline = now_ms() + READY_TIMEOUT_MS;
}

static void proxy_hup_when_due(fr_daemon *appd, fr_daemon *proxy)
{
    if (proxy_hup_deadline == 0)
        return;
    char msg[512];
    int ready = 0;
    while (!ready && tc_notify_recv(appd->notify_fd, msg, sizeof msg) > 0)
        ready = strstr(msg, "READY=1") != NULL;
    if (!ready && now_ms() < proxy_hup_deadline)
        return;
    if (!ready)
        fprintf(stderr, "tandem: %s did not finish reloading in %d s; reloading %s anyway\n",
                appd->name, READY_TIMEOUT_MS / 1000, proxy->name);
    proxy_hup_deadline = 0;
    signal_daemon(proxy, SIGHUP);
}

/* Sends every signal received since the last call where it goes: ds[0] is
 * appd, ds[1] the proxy. */
static void forward_pending(fr_daemon *ds)
{
    int sig;
    while ((sig = fr_signal_take()) != 0) {
        unsigned to = fr_signal_route(sig);
        if (fr_signal_is_stop(sig))
            stop_asked = 1;
        if (to == 0)
            fprintf(stderr,
                    "tandem: SIG%s ignored: tandem runs both daemons, so neither may "
                    "re-execute itself; restart tandem instead\n",
                    sigabbrev_np(sig));
        if (to & FR_PROXY_AFTER_APPD)
            begin_hup(&ds[0]);
        else if (to & FR_TO_APPD)
            signal_daemon(&ds[0], sig);
        if (to & FR_TO_PROXY)
            signal_daemon(&ds[1], sig);
    }
    proxy_hup_when_due(&ds[0], &ds[1]);
}

/* Blocks until every started daemon has exited, forwarding signals.  When
 * one exits on its own the others are told to stop: half of tandem cannot
 * serve (a proxy without its app answers nothing but 502). */
static void wait_all(fr_daemon *ds, int n)
{
    /* n is 2: appd, then the proxy. */
    int stopping_rest = 0;
    for (;;) {
        int alive = 0;
        const fr_daemon *gone = NULL;
        for (int i = 0; i < n; i++) {
            if (ds[i].pid <= 0)
                continue;
            if (reap(&ds[i]))
                gone = gone ? gone : &ds[i];
            else
                alive++;
        }
        if (!alive)
            return;
        forward_pending(ds);
        if (gone && !stopping_rest) {
            stopping_rest = 1;
            if (!stop_asked)
                fprintf(stderr, "tandem: %s exited (status %d); stopping the other daemon\n",
                        gone->name, exit_code(gone));
            for (int i = 0; i < n; i++)
                signal_daemon(&ds[i], SIGTERM);
        }
        struct pollfd none;
        poll(&none, 0, 50);
    }
}

static void cleanup(fr_daemon *ds, int n)
{
    char path[PATH_MAX];
    for (int i = 0; i < n; i++) {
        if (ds[i].notify_fd > 0)
            close(ds[i].notify_fd);
        snprintf(path, sizeof path, "%s/%s.notify", rundir, ds[i].name);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/app.sock", rundir);
    unlink(path);
    /* The daemons' control sockets by default (a daemon killed leaves its own). */
    snprintf(path, sizeof path, "%s/app.sock.ctl", rundir);
    unlink(path);
    snprintf(path, sizeof path, "%s/app.sock.proxy.ctl", rundir);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", rundir, PROXY_CONF);
    unlink(path);
    rmdir(rundir);
}

static int write_pidfile(const char *path)
{
    char err[512];
    if (tc_pidfile_write(path, err, sizeof err) != 0) {
        fprintf(stderr, "tandem: error: --pid %s\n", err);
        return -1;
    }
    return 0;
}

/* The private run directory under $TMPDIR. */
static int make_rundir(void)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    int len = snprintf(rundir, sizeof rundir, "%s/tandem-XXXXXX", tmp);
    if (len < 0 || (size_t)len >= sizeof rundir) {
        fprintf(stderr,
                "tandem: error: TMPDIR %s is too long for a socket directory "
                "(at most %zu bytes)\n",
                tmp, sizeof rundir - sizeof "/tandem-XXXXXX");
        return -1;
    }
    if (mkdtemp(rundir) == NULL) {
        fprintf(stderr, "tandem: error: mkdtemp %s: %s\n", rundir, strerror(errno));
        return -1;
    }
    /* Run as root, the daemons may become another user (--user): the proxy
     * must still reach appd's socket (itself 0660, given to that user) and
     * read the settings appd writes here.  Others may pass, not list. */
    if (geteuid() == 0 && chmod(rundir, 0711) != 0) {
        fprintf(stderr, "tandem: error: chmod %s: %s\n", rundir, strerror(errno));
        rmdir(rundir);
        return -1;
    }
    return 0;
}

/* What tandem sets on each daemon's command line (after the user's flags,
 * so it wins): the private socket; the config file for appd, and what appd
 * evaluated it to for the proxy; and with tandem's own --pid, no pid file
 * for appd (a config file's pidfile is appd's otherwise). */
static int private_args(fr_args *a, const char *config)
{
    static char sock[sizeof rundir + 32], conf[sizeof rundir + 32];
    snprintf(sock, sizeof sock, "unix:%s/app.sock", rundir);
    snprintf(conf, sizeof conf, "%s/%s", rundir, PROXY_CONF);
    /* tandem itself detaches (-D); its daemons stay its children, even
     * when a config file says daemon = True. */
    int bad = fr_argv_push(&a->appd, "--daemon=false") ||
              fr_argv_push(&a->proxy, "--daemon=false") || fr_argv_push(&a->appd, "--bind") ||
              fr_argv_push(&a->appd, sock) ||
              fr_argv_push(&a->appd, "--export-proxy-config") || fr_argv_push(&a->appd, conf) ||
              fr_argv_push(&a->proxy, "--upstream") || fr_argv_push(&a->proxy, sock) ||
              fr_argv_push(&a->proxy, "--config") || fr_argv_push(&a->proxy, conf);
    if (!bad && config)
        bad = fr_argv_push(&a->appd, "--config") || fr_argv_push(&a->appd, (char *)config);
    if (!bad && a->pidfile)
        bad = fr_argv_push(&a->appd, "--pid=");
    if (bad)
        fprintf(stderr, "tandem: error: out of memory\n");
    return bad ? -1 : 0;
}

static int run(fr_args *a, const char *config)
{
    fr_daemon ds[2] = { { .name = "tandem-appd" }, { .name = "tandem-proxy" } };
    fr_daemon *appd = &ds[0], *proxy = &ds[1];
    if (find_daemon(appd, "appd") || find_daemon(proxy, "proxy"))
        return 1;
    /* Before the run directory exists, so a bad --pid leaves nothing behind. */
    if (a->pidfile && write_pidfile(a->pidfile))
        return 1;
    if (make_rundir()) {
        if (a->pidfile)
            tc_pidfile_remove(a->pidfile);
        return 1;
    }
    int rc = 1, by_signal = 0;
    if (private_args(a, config))
        goto out;
    if (spawn(appd, &a->appd) || wait_ready(appd))
        goto stop;
    if (spawn(proxy, &a->proxy) || wait_ready(proxy))
        goto stop;
    /* Both serve: tell our own supervisor (systemd, a test) in turn.  The
     * children had NOTIFY_SOCKET replaced only in their own environment. */
    if (tc_notify("READY=1") < 0)
        fprintf(stderr, "tandem: warning: NOTIFY_SOCKET: %s\n", strerror(errno));
    tc_daemon_ready();
    wait_all(ds, 2); /* until one exits; then the other is told to stop */
    rc = 0;
    for (int i = 0; i < 2; i++) {
        int code = exit_code(&ds[i]);
        if (code != 0 && rc == 0)
            rc = code;
    }
    goto out;
stop:
    /* A stop signal during start-up is a stop, not a failure: exit 0 unless
     * a daemon says otherwise. */
    by_signal = fr_signal_stopping();
    stop_asked = 1;
    signal_daemon(appd, SIGTERM);
    signal_daemon(proxy, SIGTERM);
    wait_all(ds, 2);
    rc = appd->exited && exit_code(appd)     ? exit_code(appd)
         : proxy->exited && exit_code(proxy) ? exit_code(proxy)
         : by_signal                         ? 0
                                             : 1;
out:
    cleanup(ds, 2);
    if (a->pidfile)
        tc_pidfile_remove(a->pidfile);
    return rc;
}

/* --check-config and --print-config: tandem-appd evaluates the config file
 * and checks or prints its part; then tandem-proxy, given what appd
 * evaluated, does the same.  Check: 0 when both pass, else 1. */
static int inspect(fr_args *a, const char *config)
{
    fr_daemon ds[2] = { { .name = "tandem-appd" }, { .name = "tandem-proxy" } };
    if (find_daemon(&ds[0], "appd") || find_daemon(&ds[1], "proxy") || make_rundir())
        return 1;
    const char *what = a->check_config ? "--check-config" : "--print-config";
    int rc[2] = { 1, 1 };
    char conf[sizeof rundir + 32];
    snprintf(conf, sizeof conf, "%s/%s", rundir, PROXY_CONF);
    if (private_args(a, config) == 0 && fr_argv_push(&a->appd, (char *)what) == 0 &&
        fr_argv_push(&a->proxy, (char *)what) == 0) {
        fr_argv *argvs[2] = { &a->appd, &a->proxy };
        for (int i = 0; i < 2; i++) {
            argvs[i]->v[0] = ds[i].path;
            if (i == 1 && access(conf, F_OK) != 0) {
                fprintf(stderr, "tandem-proxy: not checked: tandem-appd could not evaluate the "
                                "config file\n");
                break;
            }
            if (a->print_config)
                printf("%s[%s]\n", i ? "\n" : "", ds[i].name);
            rc[i] = fr_run_labelled(ds[i].name, argvs[i]->v);
        }
    }
    cleanup(ds, 0);
    if (a->check_config)
        return rc[0] || rc[1] ? 1 : 0;
    return rc[0] ? rc[0] : rc[1];
}

/* The config file: -c, else ./gunicorn.conf.py when it exists (Gunicorn's
 * default, named by its full path as the daemons name it), else none. */
static const char *config_file(const fr_args *a)
{
    static char def[PATH_MAX];
    char cwd[PATH_MAX - sizeof "/gunicorn.conf.py"];
    if (a->config && *a->config)
        return a->config;
    if (getcwd(cwd, sizeof cwd) == NULL)
        return NULL;
    snprintf(def, sizeof def, "%s/gunicorn.conf.py", strcmp(cwd, "/") ? cwd : "");
    return access(def, F_OK) == 0 ? def : NULL;
}

int main(int argc, char **argv)
{
    fr_args a;
    char err[1024];
    /* argv[0] slots for the daemons, filled with their paths at spawn */
    if (fr_args_split(argc, argv, &a, err, sizeof err) != 0) {
        fprintf(stderr, "tandem: error: %s\n", err);
        return 2;
    }
    if (a.help) {
        fr_usage(stdout);
        return 0;
    }
    if (a.version) {
        printf("tandem %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (fr_args_env(&a, err, sizeof err) != 0) {
        fprintf(stderr, "tandem: error: %s\n", err);
        return 2;
    }
    const char *config = config_file(&a);
    /* A config file may name the app (wsgi_app): tandem-appd then says. */
    if (!a.has_app && !a.print_config && config == NULL) {
        fprintf(stderr, "tandem: error: no app given: tandem [OPTIONS] MODULE:CALLABLE\n");
        return 2;
    }
    fr_args routed = { 0 };
    /* Rebuild with argv[0] placeholders first. */
    if (fr_argv_push(&routed.proxy, "tandem-proxy") || fr_argv_push(&routed.appd, "tandem-appd"))
        return 1;
    for (int i = 0; i < a.proxy.n; i++)
        fr_argv_push(&routed.proxy, a.proxy.v[i]);
    for (int i = 0; i < a.appd.n; i++)
        fr_argv_push(&routed.appd, a.appd.v[i]);
    routed.pidfile = a.pidfile;
    routed.check_config = a.check_config;
    routed.print_config = a.print_config;
    int rc;
    if (a.check_config || a.print_config) {
        rc = inspect(&routed, config);
    } else if (a.daemon && tc_daemon_start(err, sizeof err) != 0) {
        fprintf(stderr, "tandem: error: %s\n", err);
        rc = 1;
    } else {
        fr_signal_install();
        rc = run(&routed, config);
    }
    fr_args_free(&a);
    fr_args_free(&routed);
    return rc;
}

/* ad_master.c: the master process.  It never serves a request: it binds the
 * socket, starts CPython (and imports the app with --preload), forks the
 * workers, accepts each proxy connection and hands it (SCM_RIGHTS) to the
 * ready worker holding the fewest, enforces --timeout from the scoreboard,
 * respawns dead workers, and turns signals into stops, reloads and resizes. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ad_ctl.h"
#include "ad_exit.h"
#include "ad_logging.h"
#include "ad_master.h"
#include "ad_proctitle.h"
#include "ad_python.h"
#include "ad_scoreboard.h"
#include "ad_signal.h"
#include "ad_worker.h"
#include "tc_addr.h"
#include "tc_log.h"
#include "tc_notify.h"
#include "tc_pidfile.h"
#include "tc_sdlisten.h"

/* A worker process as the master sees it.  procs[] is indexed like the
 * scoreboard; a worker index (1..workers) maps to at most one non-retiring
 * proc at a time. */
typedef struct {
    pid_t pid;      /* 0: free entry */
    uint32_t index; /* HELLO worker_index */
    int ctl;        /* master's end of the control socketpair */
    int ready;      /* app loaded, serving */
    int retiring;   /* told to stop (TERM) or stopping by itself */
    int conns;      /* proxy connections handed and not yet closed */
    uint64_t spawned_ms;
    uint64_t abort_ms;  /* timeout: SIGABRT sent at */
    int killed;         /* SIGKILL sent */
    char loaderr[1024]; /* AD_MSG_LOADERR text */
} ad_proc;

static const int master_signals[] = { SIGCHLD, SIGTERM, SIGINT,  SIGQUIT,  SIGHUP,
                                      SIGTTIN, SIGTTOU, SIGUSR1, SIGWINCH, 0 };

static ad_settings *S;
static ad_proc procs[AD_BOARD_SLOTS];
static uint64_t respawn_after[AD_MAX_WORKERS + 1]; /* per index: backoff after a quick death */
static uint32_t nworkers;
static int listen_fd = -1;
static tc_addr bind_addr;
static struct stat sock_stat; /* our Unix socket file, to unlink only ours */
static int sock_is_ours;
static int pidfile_written;
static PyObject *preloaded;
static int stopping; /* 0 running, 1 graceful, 2 fast */
static uint64_t stop_deadline;
static int halt_code;
static char halt_line[1024];
static int boot_failures; /* consecutive deaths before READY */
static int notified;

static const char *sig_abbrev(int sig)
{
    static char buf[16];
    const char *n = sigabbrev_np(sig);
    if (n == NULL) {
        snprintf(buf, sizeof buf, "%d", sig);
        return buf;
    }
    snprintf(buf, sizeof buf, "SIG%s", n);
    return buf;
}

/* ---- workers ---- */

static ad_proc *active_for(uint32_t index)
{
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (procs[i].pid && !procs[i].retiring && procs[i].index == index)
            return &procs[i];
    return NULL;
}

static int live_procs(void)
{
    int n = 0;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (procs[i].pid)
            n++;
    return n;
}

static void spawn(uint32_t index)
{
    size_t b;
    for (b = 0; b < AD_BOARD_SLOTS && procs[b].pid; b++) {
    }
    if (b == AD_BOARD_SLOTS) {
        /* Every slot holds a worker still draining (reloads faster than the
         * graceful timeout): say so, or capacity silently stays short. */
        tc_error("cannot start worker %u: all %d worker slots are taken by draining workers", index,
                 AD_BOARD_SLOTS);
        return;
    }
    /* Stale heartbeats of the slot's previous worker must not count. */
    memset(&ad_board->slot[b], 0, sizeof ad_board->slot[b]);
    int sv[2];
    if (ad_ctl_pair(sv) != 0) {
        tc_error("cannot start worker %u: control socket: %s", index, strerror(errno));
        return;
    }
    /* Signals stay blocked across fork until the child has dropped the
     * master's handlers (ad_worker_main unblocks them): a TERM the master
     * sends a just-forked worker must end that worker, not run the inherited
     * handler, which would swallow it and write it into the master's own
     * self-pipe, as if the master had been told to stop. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    PyOS_BeforeFork();
    pid_t pid = fork();
    if (pid == 0) {
        PyOS_AfterFork_Child();
        close(sv[0]);
        if (listen_fd >= 0)
            close(listen_fd);
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
            if (procs[i].pid && procs[i].ctl >= 0)
                close(procs[i].ctl);
        ad_signal_reset(master_signals);
        ad_worker_main(S, index, (uint32_t)b, sv[1], preloaded);
    }
    int fork_errno = errno;
    PyOS_AfterFork_Parent();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    if (pid < 0) {
        tc_error("cannot start worker %u: fork: %s", index, strerror(fork_errno));
        close(sv[0]);
        return;
    }
    ad_proc *p = &procs[b];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->index = index;
    p->ctl = sv[0];
    p->spawned_ms = ad_now_ms();
    tc_info("Booting worker with pid: %d", (int)pid);
}

static void retire(ad_proc *p, int sig)
{
    p->retiring = 1;
    if (p->pid)
        kill(p->pid, sig);
}

static void halt(int code, const char *line)
{
    if (halt_code)
        return;
    halt_code = code;
    snprintf(halt_line, sizeof halt_line, "%s", line);
    stopping = 2;
    stop_deadline = ad_now_ms() + 2000;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (procs[i].pid)
            retire(&procs[i], SIGTERM);
}

static void on_ctl_message(ad_proc *p)
{
    for (;;) {
        char msg[sizeof p->loaderr + 1];
        int fd;
        long n = ad_ctl_recv(p->ctl, msg, sizeof msg - 1, &fd);
        if (fd >= 0)
            close(fd);
        if (n <= 0)
            return; /* EAGAIN, or EOF: SIGCHLD tells the rest */
        msg[n] = '\0';
        switch (msg[0]) {
        case AD_MSG_READY:
            p->ready = 1;
            boot_failures = 0;
            break;
        case AD_MSG_CLOSED:
            if (n >= 5) {
                uint32_t k;
                memcpy(&k, msg + 1, 4);
                p->conns = (uint32_t)p->conns > k ? p->conns - (int)k : 0;
            }
            break;
        case AD_MSG_LOADERR:
            memcpy(p->loaderr, msg + 1, (size_t)n); /* n - 1 bytes + NUL */
            break;
        case AD_MSG_STOPPING:
            /* max-requests or similar: a replacement boots now, no gap. */
            p->retiring = 1;
            break;
        default: break;
        }
    }
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        ad_proc *p = NULL;
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
            if (procs[i].pid == pid)
                p = &procs[i];
        if (p == NULL)
            continue;
        on_ctl_message(p); /* a load error may still be queued */
        uint64_t now = ad_now_ms();
        int was_ready = p->ready;
        if (WIFEXITED(status)) {
            int code = WEXITSTATUS(status);
            if (code == AD_EXIT_APP_LOAD) {
                tc_error("Worker (pid:%d) failed to load the application", (int)pid);
                halt(AD_EXIT_APP_LOAD,
                     p->loaderr[0] ? p->loaderr : "the application failed to load");
            } else if (code == AD_EXIT_BOOT) {
                tc_error("Worker (pid:%d) failed to boot", (int)pid);
                halt(AD_EXIT_BOOT, "a worker failed to boot (see the error log)");
            } else if (code != 0) {
                tc_error("Worker (pid:%d) exited with code %d", (int)pid, code);
            } else if (!p->retiring && !stopping) {
                tc_info("Worker (pid:%d) exited", (int)pid);
            }
        } else if (WIFSIGNALED(status)) {
            int sig = WTERMSIG(status);
            if (sig == SIGKILL && p->killed)
                tc_warn("Worker (pid:%d) killed: it did not stop in time", (int)pid);
            else if (sig == SIGKILL)
                tc_error("Worker (pid:%d) was sent SIGKILL! Perhaps out of memory?", (int)pid);
            else if (!((sig == SIGTERM || sig == SIGQUIT) && (p->retiring || stopping)))
                tc_error("Worker (pid:%d) was sent %s!", (int)pid, sig_abbrev(sig));
        }
        /* A worker the master retired (HUP, TTOU) before it was ready did not
         * fail to boot; one killed for booting too long (abort_ms) did. */
        int told_to_stop = p->retiring && !p->abort_ms;
        if (!was_ready && !told_to_stop && !halt_code && !stopping) {
            /* Dying before READY again and again means it will never boot. */
            if (++boot_failures >= 5)
                halt(AD_EXIT_BOOT, "workers keep dying while booting (see the error log)");
        }
        if (!p->retiring && p->index <= AD_MAX_WORKERS && now < p->spawned_ms + 1000)
            respawn_after[p->index] = now + 1000; /* crash loop: one fork per second */
        close(p->ctl);
        memset(p, 0, sizeof *p);
        p->ctl = -1;
    }
}

static void manage_workers(uint64_t now)
{
    if (stopping || halt_code)
        return;
    for (uint32_t idx = 1; idx <= nworkers; idx++)
        if (active_for(idx) == NULL && now >= respawn_after[idx])
            spawn(idx);
    /* TTOU: indexes above the target retire. */
    unsigned active = 0;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        if (procs[i].pid && !procs[i].retiring && procs[i].index > nworkers)
            retire(&procs[i], SIGTERM);
        active += procs[i].pid && !procs[i].retiring;
    }
    ad_logging_workers(active); /* gunicorn.workers, when it changes */
    if (!notified) {
        uint32_t ready = 0;
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
            if (procs[i].pid && procs[i].ready && !procs[i].retiring)
                ready++;
        if (ready >= nworkers) {
            notified = 1;
            tc_notify("READY=1");
        }
    }
}

/* --timeout: a request that keeps its app thread busy (not waiting on the
 * client) longer than this gets its worker SIGABRT (faulthandler dumps every
 * thread's stack into the log), then SIGKILL 2 s later if still there. */
static void murder_workers(uint64_t now)
{
    uint64_t limit = (uint64_t)S->timeout * 1000u;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        ad_proc *p = &procs[i];
        if (!p->pid)
            continue;
        if (stopping && now >= stop_deadline && !p->killed) {
            kill(p->pid, SIGKILL);
            p->killed = 1;
            continue;
        }
        if (p->abort_ms) {
            if (!p->killed && now - p->abort_ms >= 2000) {
                kill(p->pid, SIGKILL);
                p->killed = 1;
            }
            continue;
        }
        if (limit == 0)
            continue;
        ad_slot *sl = &ad_board->slot[i];
        uint64_t busy = AD_LOAD(sl->busy_since_ms), alive = AD_LOAD(sl->alive_ms);
        const char *why = NULL;
        char path[AD_SLOT_PATH];
        if (!p->ready) {
            if (now > p->spawned_ms && now - p->spawned_ms > limit)
                why = "while booting";
        } else if (busy && now > busy && now - busy > limit) {
            memcpy(path, sl->req_path, sizeof path);
            path[sizeof path - 1] = '\0';
            why = path;
        } else if (alive && now > alive && now - alive > limit + 2000) {
            why = "its I/O loop stopped";
        }
        if (why) {
            tc_crit("WORKER TIMEOUT (pid:%d) %s", (int)p->pid, why);
            kill(p->pid, SIGABRT);
            p->abort_ms = now;
            p->retiring = 1;
        }
    }
}

/* ---- connections ---- */

static ad_proc *least_loaded(void)
{
    ad_proc *best = NULL;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        ad_proc *p = &procs[i];
        if (!p->pid || !p->ready || p->retiring)
            continue;
        if (best == NULL || p->conns < best->conns ||
            (p->conns == best->conns && p->index < best->index))
            best = p;
    }
    return best;
}

static void accept_and_hand_off(void)
{
    for (int k = 0; k < 64; k++) {
        ad_proc *p = least_loaded();
        if (p == NULL)
            return; /* stays in the backlog until a worker is ready */
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                tc_error("accept: %s", strerror(errno));
            return;
        }
        uint8_t m = AD_MSG_CONN;
        if (ad_ctl_send(p->ctl, &m, 1, fd) == 0) {
            p->conns++;
            tc_debug("connection handed to worker %u (pid:%d, %d connections)", p->index,
                     (int)p->pid, p->conns);
        } else {
            tc_warn("cannot hand a connection to worker pid:%d: %s", (int)p->pid, strerror(errno));
        }
        close(fd); /* the worker has its own descriptor now */
    }
}

/* ---- signals ---- */

static void begin_stop(int how)
{
    if (stopping >= how)
        return;
    stopping = how;
    stop_deadline = ad_now_ms() + (uint64_t)S->graceful_timeout * 1000u;
    if (listen_fd >= 0) {
        close(listen_fd); /* new dials fail fast; in-flight streams finish */
        listen_fd = -1;
    }
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (procs[i].pid)
            retire(&procs[i], how == 1 ? SIGTERM : SIGQUIT);
}

static void on_signal(int sig)
{
    if (sig != SIGCHLD)
        tc_info("Handling signal: %s", ad_signal_name(sig));
    switch (sig) {
    case SIGCHLD: reap(); break;
    case SIGTERM: begin_stop(1); break;
    case SIGINT:
    case SIGQUIT: begin_stop(2); break;
    case SIGHUP:
        /* Fresh workers (re-importing the app unless --preload), old ones drain. */
        tc_info("Hang up: Master");
        AD_STORE(ad_board->generation, AD_LOAD(ad_board->generation) + 1);
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
            if (procs[i].pid && !procs[i].retiring)
                retire(&procs[i], SIGTERM);
        break;
    case SIGTTIN:
        if (nworkers < AD_MAX_WORKERS)
            nworkers++;
        AD_STORE(ad_board->nworkers, nworkers);
        break;
    case SIGTTOU:
        if (nworkers > 1)
            nworkers--;
        AD_STORE(ad_board->nworkers, nworkers);
        break;
    case SIGUSR1:
        ad_logging_reopen();
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
            if (procs[i].pid)
                kill(procs[i].pid, SIGUSR1);
        break;
    default: break;
    }
}

/* ---- start and stop ---- */

static void cleanup(void)
{
    if (listen_fd >= 0)
        close(listen_fd);
    listen_fd = -1;
    if (sock_is_ours) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)&bind_addr.ss;
        struct stat st;
        /* Only if it is still the file we made (a successor may own the path). */
        if (stat(sun->sun_path, &st) == 0 && st.st_ino == sock_stat.st_ino &&
            st.st_dev == sock_stat.st_dev)
            unlink(sun->sun_path);
        sock_is_ours = 0;
    }
    if (pidfile_written) {
        tc_pidfile_remove(S->pidfile);
        pidfile_written = 0;
    }
}

static int setup(int argc, char **argv, char *err, size_t errlen)
{
    for (size_t i = 0; i < S->raw_env.n; i++) {
        char *kv = S->raw_env.items[i], *eq = strchr(kv, '=');
        *eq = '\0';
        int rc = setenv(kv, eq + 1, 1);
        *eq = '=';
        if (rc != 0) {
            snprintf(err, errlen, "raw_env %s: %s", kv, strerror(errno));
            return AD_EXIT_USAGE;
        }
    }
    if (S->chdir && *S->chdir && chdir(S->chdir) != 0) {
        snprintf(err, errlen, "chdir (--chdir): %s: %s", S->chdir, strerror(errno));
        return AD_EXIT_FAILURE;
    }
    if (tc_addr_parse(S->bind, 8000, &bind_addr, err, errlen) != 0)
        return AD_EXIT_USAGE;
    if (S->check_config) {
        /* Gunicorn's --check-config: settings and app import only, no socket. */
        if (ad_python_init(S, argc, argv, err, errlen) != 0)
            return AD_EXIT_FAILURE;
        preloaded = ad_python_load_app(S->app_spec, err, errlen);
        return preloaded ? AD_EXIT_OK : AD_EXIT_APP_LOAD;
    }
    /* Under socket activation systemd holds the socket and passes it. */
    tc_sdlisten sd;
    if (tc_sdlisten_take(&sd, err, errlen) != 0)
        return AD_EXIT_FAILURE;
    tc_sdlisten_use(&sd, &bind_addr);
    if (tc_sdlisten_unclaimed(&sd, err, errlen) != 0 ||
        (listen_fd = tc_listen(&bind_addr, (int)S->backlog, err, errlen)) < 0)
        return AD_EXIT_FAILURE;
    if (bind_addr.ss.ss_family == AF_UNIX && bind_addr.fd < 0) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)&bind_addr.ss;
        if (sun->sun_path[0] && stat(sun->sun_path, &sock_stat) == 0)
            sock_is_ours = 1;
    }
    if (S->pidfile && *S->pidfile) {
        char why[512];
        if (tc_pidfile_write(S->pidfile, why, sizeof why) != 0) {
            snprintf(err, errlen, "pid file %s", why);
            return AD_EXIT_FAILURE;
        }
        pidfile_written = 1;
    }
    if (ad_scoreboard_create() != 0) {
        snprintf(err, errlen, "cannot map the scoreboard: %s", strerror(errno));
        return AD_EXIT_FAILURE;
    }
    nworkers = (uint32_t)S->workers;
    AD_STORE(ad_board->nworkers, nworkers);
    if (ad_python_init(S, argc, argv, err, errlen) != 0)
        return AD_EXIT_FAILURE;
    if (S->preload_app) {
        /* With --preload the workers inherit the imported app (copy-on-write);
         * otherwise each worker imports it after fork (fresh state, HUP reloads
         * code) and the master halts on the first load error. */
        preloaded = ad_python_load_app(S->app_spec, err, errlen);
        if (preloaded == NULL)
            return AD_EXIT_APP_LOAD;
    }
    return AD_EXIT_OK;
}

int ad_master_run(ad_settings *s, int argc, char **argv, char *err, size_t errlen)
{
    S = s;
    err[0] = '\0';
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        procs[i].ctl = -1;
    int rc = setup(argc, argv, err, errlen);
    if (rc != AD_EXIT_OK || s->check_config) {
        cleanup();
        return rc;
    }
    int sigfd = ad_signal_init(master_signals);
    if (sigfd < 0) {
        snprintf(err, errlen, "cannot set up signals: %s", strerror(errno));
        cleanup();
        return AD_EXIT_FAILURE;
    }
    tc_info("Starting %s %s", "tandem-appd", PACKAGE_VERSION);
    tc_info("Listening at: %s (%d)", bind_addr.text, (int)getpid());
    if (s->wclass_alias)
        tc_info("Using worker: %s (serving %s)", ad_worker_class_name(s->wclass), s->wclass_alias);
    else
        tc_info("Using worker: %s", ad_worker_class_name(s->wclass));
    ad_proctitle_set("master", s->proc_name);

    struct pollfd pfd[2 + AD_BOARD_SLOTS];
    ad_proc *pp[2 + AD_BOARD_SLOTS];
    for (;;) {
        uint64_t now = ad_now_ms();
        reap();
        manage_workers(now);
        murder_workers(now);
        if (stopping && live_procs() == 0)
            break;

        nfds_t n = 0;
        pfd[n] = (struct pollfd){ sigfd, POLLIN, 0 };
        pp[n++] = NULL;
        size_t lidx = (size_t)-1;
        if (listen_fd >= 0 && !stopping && least_loaded()) {
            lidx = n;
            pfd[n] = (struct pollfd){ listen_fd, POLLIN, 0 };
            pp[n++] = NULL;
        }
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
            if (!procs[i].pid)
                continue;
            pfd[n] = (struct pollfd){ procs[i].ctl, POLLIN, 0 };
            pp[n++] = &procs[i];
        }
        int timeout = stopping ? 100 : 1000;
        for (uint32_t idx = 1; idx <= nworkers; idx++)
            if (respawn_after[idx] > now && respawn_after[idx] - now < (uint64_t)timeout)
                timeout = (int)(respawn_after[idx] - now) + 1;
        int r = poll(pfd, n, timeout);
        if (r < 0 && errno != EINTR) {
            tc_crit("poll: %s", strerror(errno));
            begin_stop(2);
        }
        if (r <= 0)
            continue;
        if (pfd[0].revents) {
            int sig;
            while ((sig = ad_signal_next()) != 0)
                on_signal(sig);
        }
        if (lidx != (size_t)-1 && pfd[lidx].revents && listen_fd >= 0)
            accept_and_hand_off();
        for (nfds_t i = 1; i < n; i++)
            if (pp[i] && pp[i]->pid && (pfd[i].revents & POLLIN))
                on_ctl_message(pp[i]);
    }
    tc_info("Shutting down: Master");
    cleanup();
    if (halt_code) {
        tc_info("Reason: %s",
                halt_code == AD_EXIT_APP_LOAD ? "App failed to load." : "Worker failed to boot.");
        snprintf(err, errlen, "%s", halt_line);
        return halt_code;
    }
    Py_XDECREF(preloaded);
    Py_FinalizeEx();
    return AD_EXIT_OK;
}

/* ad_procs.c: the master's table of worker processes (ad_procs.h): fork
 * and set-up of a worker, its control messages, reaping with Gunicorn's log
 * lines and exit codes, respawn backoff, the --timeout watchdog, and the
 * hand-off of each proxy connection to the least loaded ready worker. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ad_ctl.h"
#include "ad_exit.h"
#include "ad_hooks.h"
#include "ad_intake.h"
#include "ad_logging.h"
#include "ad_procs.h"
#include "ad_reexec.h"
#include "ad_signal.h"
#include "ad_worker.h"
#include "tc_log.h"
#include "tc_daemon.h"
#include "tc_notify.h"

ad_proc ad_procs[AD_BOARD_SLOTS];
ad_master_state M = { .listen_fd = -1, .control_fd = -1 };

static uint64_t respawn_after[AD_MAX_WORKERS + 1]; /* per index: backoff after a quick death */
static int boot_failures;                          /* consecutive deaths before READY */
static int notified;

void ad_procs_init(void)
{
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        ad_procs[i].ctl = -1;
}

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

/* Serving, or booting to serve: not told to stop. */
static int current(const ad_proc *p) { return p->pid && !p->retiring && p->gen == M.generation; }

static ad_proc *active_for(uint32_t index)
{
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (current(&ad_procs[i]) && ad_procs[i].index == index)
            return &ad_procs[i];
    return NULL;
}

/* p of the current generation is ready: the older ones with its index go. */
static void replaced(const ad_proc *p)
{
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        ad_proc *o = &ad_procs[i];
        if (o->pid && !o->retiring && o->gen != M.generation && o->index == p->index)
            ad_procs_retire(o, SIGTERM);
    }
}

int ad_procs_live(void)
{
    int n = 0;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (ad_procs[i].pid)
            n++;
    return n;
}

/* The child's side of the fork: drop what is the master's, then serve. */
static void become_worker(uint32_t index, size_t b, const int sv[2], PyObject *hook)
    __attribute__((noreturn));
static void become_worker(uint32_t index, size_t b, const int sv[2], PyObject *hook)
{
    PyOS_AfterFork_Child();
    close(sv[0]);
    ad_hooks_worker_begin(hook);
    if (M.listen_fd >= 0)
        close(M.listen_fd);
    if (M.control_fd >= 0)
        close(M.control_fd);
    ad_intake_close_all();
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (ad_procs[i].pid && ad_procs[i].ctl >= 0)
            close(ad_procs[i].ctl);
    ad_signal_reset(M.master_signals);
    ad_worker_main(M.s, index, (uint32_t)b, sv[1], M.preloaded);
}

static void spawn(uint32_t index)
{
    size_t b;
    for (b = 0; b < AD_BOARD_SLOTS && ad_procs[b].pid; b++) {
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
    char err[1024];
    PyObject *hook = ad_hooks_worker_new(index, ++M.age);
    if (ad_hooks_pre_fork(hook, err, sizeof err) != 0) {
        Py_XDECREF(hook);
        ad_procs_halt(AD_EXIT_FAILURE, err);
        return;
    }
    int sv[2];
    if (ad_ctl_pair(sv) != 0) {
        tc_error("cannot start worker %u: control socket: %s", index, strerror(errno));
        Py_XDECREF(hook);
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
    if (pid == 0)
        become_worker(index, b, sv, hook);
    int fork_errno = errno;
    PyOS_AfterFork_Parent();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    if (pid < 0) {
        tc_error("cannot start worker %u: fork: %s", index, strerror(fork_errno));
        close(sv[0]);
        Py_XDECREF(hook);
        return;
    }
    ad_proc *p = &ad_procs[b];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->index = index;
    p->ctl = sv[0];
    p->gen = M.generation;
    p->spawned_ms = ad_now_ms();
    p->hook = hook;
    ad_hooks_forked(hook, pid);
    tc_info("Booting worker with pid: %d", (int)pid);
}

void ad_procs_retire(ad_proc *p, int sig)
{
    p->retiring = 1;
    if (p->pid)
        kill(p->pid, sig);
}

void ad_procs_halt(int code, const char *line)
{
    if (M.halt_code)
        return;
    M.halt_code = code;
    snprintf(M.halt_line, sizeof M.halt_line, "%s", line);
    M.stopping = 2;
    M.stop_deadline = ad_now_ms() + 2000;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (ad_procs[i].pid)
            ad_procs_retire(&ad_procs[i], SIGTERM);
}

void ad_procs_new_generation(void)
{
    M.generation++;
    AD_STORE(ad_board->generation, M.generation);
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (ad_procs[i].pid && !ad_procs[i].retiring && !ad_procs[i].ready)
            ad_procs_retire(&ad_procs[i], SIGTERM);
    notified = 0;
}

/* ---- what workers say, and how they end ---- */

void ad_procs_on_ctl(ad_proc *p)
{
    for (;;) {
        char msg[AD_LOADERR_MAX + 1];
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
            if (p->gen == M.generation && !p->retiring)
                replaced(p);
            break;
        case AD_MSG_CLOSED:
            if (n >= 5) {
                uint32_t k;
                memcpy(&k, msg + 1, 4);
                p->conns = (uint32_t)p->conns > k ? p->conns - (int)k : 0;
            }
            break;
        case AD_MSG_LOADERR:
            free(p->loaderr);
            p->loaderr = strdup(msg + 1); /* NULL (out of memory): the generic line */
            break;
        case AD_MSG_STOPPING:
            /* max-requests or similar: a replacement boots now, no gap. */
            p->retiring = 1;
            break;
        default: break;
        }
    }
}

/* Gunicorn's lines for a worker that exited with code. */
static void log_exit(const ad_proc *p, pid_t pid, int code)
{
    if (code == AD_EXIT_APP_LOAD) {
        tc_error("Worker (pid:%d) failed to load the application", (int)pid);
        ad_procs_halt(AD_EXIT_APP_LOAD,
                      p->loaderr && p->loaderr[0] ? p->loaderr
                                                  : "the application failed to load");
    } else if (code == AD_EXIT_BOOT) {
        tc_error("Worker (pid:%d) failed to boot", (int)pid);
        ad_procs_halt(AD_EXIT_BOOT, "a worker failed to boot (see the error log)");
    } else if (code != 0) {
        tc_error("Worker (pid:%d) exited with code %d", (int)pid, code);
    } else if (!p->retiring && !M.stopping) {
        tc_info("Worker (pid:%d) exited", (int)pid);
    }
}

/* ...and for one a signal ended. */
static void log_killed(const ad_proc *p, pid_t pid, int sig)
{
    if (sig == SIGKILL && p->killed)
        tc_warn("Worker (pid:%d) killed: it did not stop in time", (int)pid);
    else if (sig == SIGKILL)
        tc_error("Worker (pid:%d) was sent SIGKILL! Perhaps out of memory?", (int)pid);
    else if (!((sig == SIGTERM || sig == SIGQUIT) && (p->retiring || M.stopping)))
        tc_error("Worker (pid:%d) was sent %s!", (int)pid, sig_abbrev(sig));
}

static ad_proc *find_pid(pid_t pid)
{
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (ad_procs[i].pid == pid)
            return &ad_procs[i];
    return NULL;
}

void ad_procs_reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        ad_proc *p = find_pid(pid);
        if (p == NULL) {
            ad_reexec_reaped(pid, status);
            continue;
        }
        ad_procs_on_ctl(p); /* a load error may still be queued */
        uint64_t now = ad_now_ms();
        int was_ready = p->ready;
        if (WIFEXITED(status))
            log_exit(p, pid, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            log_killed(p, pid, WTERMSIG(status));
        /* A worker the master retired (HUP, TTOU) before it was ready did not
         * fail to boot; one killed for booting too long (abort_ms) did. */
        int told_to_stop = p->retiring && !p->abort_ms;
        if (!was_ready && !told_to_stop && !M.halt_code && !M.stopping) {
            /* Dying before READY again and again means it will never boot. */
            if (++boot_failures >= 5)
                ad_procs_halt(AD_EXIT_BOOT, "workers keep dying while booting (see the error log)");
        }
        if (!p->retiring && p->index <= AD_MAX_WORKERS && now < p->spawned_ms + 1000)
            respawn_after[p->index] = now + 1000; /* crash loop: one fork per second */
        close(p->ctl);
        /* Its slot is reused by the next fork: keep its count. */
        M.requests_of_exited += AD_LOAD(ad_board->slot[p - ad_procs].requests);
        PyObject *hook = p->hook;
        free(p->loaderr);
        memset(p, 0, sizeof *p);
        p->ctl = -1;
        char err[1024];
        if (ad_hooks_child_exit(hook, err, sizeof err) != 0)
            ad_procs_halt(AD_EXIT_FAILURE, err);
    }
}

/* ---- keeping the number, and the time ---- */

void ad_procs_resize(uint32_t n)
{
    char err[1024];
    uint32_t before = M.nworkers;
    M.nworkers = n;
    AD_STORE(ad_board->nworkers, n);
    if (ad_hooks_nworkers_changed(n, before, err, sizeof err) != 0)
        ad_procs_halt(AD_EXIT_FAILURE, err);
}

void ad_procs_manage(uint64_t now)
{
    if (M.stopping || M.halt_code)
        return;
    for (uint32_t idx = 1; idx <= M.nworkers; idx++)
        if (active_for(idx) == NULL && now >= respawn_after[idx])
            spawn(idx);
    /* TTOU: indexes above the target retire. */
    unsigned active = 0;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        if (ad_procs[i].pid && !ad_procs[i].retiring && ad_procs[i].index > M.nworkers)
            ad_procs_retire(&ad_procs[i], SIGTERM);
        active += ad_procs[i].pid && !ad_procs[i].retiring;
    }
    ad_logging_workers(active); /* gunicorn.workers, when it changes */
    if (!notified) {
        uint32_t ready = 0;
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
            if (current(&ad_procs[i]) && ad_procs[i].ready)
                ready++;
        if (ready >= M.nworkers) {
            notified = 1;
            tc_notify("READY=1");
            tc_daemon_ready();
        }
    }
}

/* Why p should be aborted now, or NULL. */
static const char *hung(ad_proc *p, size_t i, uint64_t now, uint64_t limit, char *path)
{
    ad_slot *sl = &ad_board->slot[i];
    uint64_t busy = AD_LOAD(sl->busy_since_ms), alive = AD_LOAD(sl->alive_ms);
    if (!p->ready)
        return now > p->spawned_ms && now - p->spawned_ms > limit ? "while booting" : NULL;
    if (busy && now > busy && now - busy > limit) {
        memcpy(path, sl->req_path, AD_SLOT_PATH);
        path[AD_SLOT_PATH - 1] = '\0';
        return path;
    }
    if (alive && now > alive && now - alive > limit + 2000)
        return "its I/O loop stopped";
    return NULL;
}

/* --timeout: a request that keeps its app thread busy (not waiting on the
 * client) longer than this gets its worker SIGABRT (faulthandler dumps every
 * thread's stack into the log), then SIGKILL 2 s later if still there. */
void ad_procs_murder(uint64_t now)
{
    uint64_t limit = (uint64_t)M.s->timeout * 1000u;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        ad_proc *p = &ad_procs[i];
        if (!p->pid)
            continue;
        if (M.stopping && now >= M.stop_deadline && !p->killed) {
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
        char path[AD_SLOT_PATH];
        const char *why = hung(p, i, now, limit, path);
        if (why) {
            tc_crit("WORKER TIMEOUT (pid:%d) %s", (int)p->pid, why);
            kill(p->pid, SIGABRT);
            p->abort_ms = now;
            p->retiring = 1;
        }
    }
}

int ad_procs_wait_ms(uint64_t now, int max)
{
    int timeout = max;
    for (uint32_t idx = 1; idx <= M.nworkers; idx++)
        if (respawn_after[idx] > now && respawn_after[idx] - now < (uint64_t)timeout)
            timeout = (int)(respawn_after[idx] - now) + 1;
    return timeout;
}

/* ---- connections ---- */

/* The ready worker with the fewest connections, of the current generation
 * when one is ready (during a reload the older ones serve until then). */
static ad_proc *least_loaded(void)
{
    ad_proc *best = NULL;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        ad_proc *p = &ad_procs[i];
        if (!p->pid || !p->ready || p->retiring)
            continue;
        int newer = best && p->gen == M.generation && best->gen != M.generation;
        int older = best && p->gen != M.generation && best->gen == M.generation;
        if (best == NULL || newer ||
            (!older &&
             (p->conns < best->conns || (p->conns == best->conns && p->index < best->index))))
            best = p;
    }
    return best;
}

int ad_procs_can_accept(void) { return least_loaded() != NULL; }

/* The ready worker with that index, of the current generation if it has
 * one ready (during a reload the older one serves until then). */
static ad_proc *by_index(uint32_t index)
{
    ad_proc *best = NULL;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        ad_proc *p = &ad_procs[i];
        if (!p->pid || !p->ready || p->retiring || p->index != index)
            continue;
        if (best == NULL || p->gen == M.generation)
            best = p;
    }
    return best;
}

ad_proc *ad_procs_pick(uint32_t want)
{
    ad_proc *p = want ? by_index(want) : NULL;
    return p ? p : least_loaded();
}

void ad_procs_hand(ad_proc *p, int fd, uint32_t want)
{
    uint8_t m = AD_MSG_CONN;
    if (ad_ctl_send(p->ctl, &m, 1, fd) == 0) {
        p->conns++;
        tc_debug("connection handed to worker %u (pid:%d, %d connections; asked for %u)",
                 p->index, (int)p->pid, p->conns, want);
    } else {
        tc_warn("cannot hand a connection to worker pid:%d: %s", (int)p->pid, strerror(errno));
    }
    close(fd); /* the worker has its own descriptor now */
}

/* ad_reexec.c: SIGUSR2 (ad_reexec.h).  The child of the fork becomes the
 * new master by execve, so an upgraded binary, config file or Python takes
 * effect as if started anew; only the socket passes from one to the other,
 * by systemd's convention that tc_sdlisten already reads. */
#include "config.h"

#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ad_hooks.h"
#include "ad_procs.h"
#include "ad_reexec.h"
#include "ad_reload.h"
#include "ad_signal.h"
#include "tc_log.h"

#define PARENT_VAR "TANDEM_MASTER_PID"

static pid_t parent; /* the master that executed us, until it is gone */
static pid_t child;  /* the master we executed, while it lives */

void ad_reexec_init(void)
{
    const char *v = getenv(PARENT_VAR);
    if (v) {
        char *end;
        long pid = strtol(v, &end, 10);
        if (*end == '\0' && pid > 1 && (pid_t)pid == getppid())
            parent = (pid_t)pid;
        unsetenv(PARENT_VAR);
    }
}

pid_t ad_reexec_parent(void) { return parent; }

pid_t ad_reexec_child(void) { return child; }

/* The child of the fork: pre_exec, the socket as fd 3, the variables that
 * say so, the start directory, then tandem-appd again. */
static void become_new_master(int listen_fd, pid_t old) __attribute__((noreturn));
static void become_new_master(int listen_fd, pid_t old)
{
    PyOS_AfterFork_Child();
    ad_signal_reset(M.master_signals);
    ad_hooks_pre_exec();
    char v[32];
    snprintf(v, sizeof v, "%ld", (long)old);
    setenv(PARENT_VAR, v, 1);
    snprintf(v, sizeof v, "%ld", (long)getpid());
    setenv("LISTEN_PID", v, 1);
    setenv("LISTEN_FDS", "1", 1);
    unsetenv("LISTEN_FDNAMES");
    /* fd 3 may be anything of ours (the start directory): use it first. */
    int ok = fchdir(ad_reload_start_dir()) == 0;
    ok = ok && (listen_fd == 3 || dup2(listen_fd, 3) == 3) && fcntl(3, F_SETFD, 0) == 0;
    if (ok) {
        char **argv = ad_reload_argv();
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], argv);
    }
    tc_error("Cannot execute the new master: %s", strerror(errno));
    _exit(1);
}

void ad_reexec(int listen_fd)
{
    if (child) {
        tc_warn("USR2 ignored: a new master (pid %d) runs already", (int)child);
        return;
    }
    if (parent) {
        tc_warn("USR2 ignored: the old master (pid %d) still runs", (int)parent);
        return;
    }
    if (listen_fd < 0 || M.stopping)
        return;
    pid_t old = getpid();
    /* Blocked across the fork: a signal for the old master must not run its
     * handler in the child, which shares the old master's signal pipe. */
    sigset_t all, mask;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &mask);
    PyOS_BeforeFork();
    pid_t pid = fork();
    if (pid == 0)
        become_new_master(listen_fd, old);
    int fork_errno = errno;
    PyOS_AfterFork_Parent();
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    if (pid < 0) {
        tc_error("Cannot fork the new master: %s", strerror(fork_errno));
        return;
    }
    child = pid;
    ad_hooks_server_pids(child, parent);
    tc_info("Forked the new master (pid %d): both serve until one is stopped", (int)pid);
}

int ad_reexec_reaped(pid_t pid, int status)
{
    if (pid != child || child == 0)
        return 0;
    if (WIFEXITED(status))
        tc_info("The new master (pid %d) exited with code %d", (int)pid, WEXITSTATUS(status));
    else
        tc_info("The new master (pid %d) ended by signal %d", (int)pid, WTERMSIG(status));
    child = 0;
    ad_hooks_server_pids(0, parent);
    return 1;
}

int ad_reexec_promoted(void)
{
    if (parent == 0 || getppid() == parent)
        return 0;
    tc_info("Master has been promoted (the old master %d is gone)", (int)parent);
    parent = 0;
    ad_hooks_server_pids(child, 0);
    return 1;
}

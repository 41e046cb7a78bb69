/* ad_master.c: the master process.  It never serves a request: it binds the
 * socket, starts CPython (and imports the app with --preload), runs the
 * worker table (ad_procs.c) from its poll loop, hands each proxy connection
 * to a worker, and turns signals into stops, reloads and resizes. */
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
#include <unistd.h>

#include "ad_control.h"
#include "ad_exit.h"
#include "ad_hooks.h"
#include "ad_intake.h"
#include "ad_logging.h"
#include "ad_master.h"
#include "ad_privs.h"
#include "ad_proctitle.h"
#include "ad_procs.h"
#include "ad_python.h"
#include "ad_reexec.h"
#include "ad_reload.h"
#include "ad_signal.h"
#include "ad_worker.h"
#include "tc_addr.h"
#include "tc_log.h"
#include "tc_pidfile.h"
#include "tc_sdlisten.h"

static const int master_signals[] = { SIGCHLD, SIGTERM, SIGINT,  SIGQUIT,  SIGHUP, SIGTTIN,
                                      SIGTTOU, SIGUSR1, SIGUSR2, SIGWINCH, 0 };

static tc_addr bind_addr;
static struct stat sock_stat; /* our Unix socket file, to unlink only ours */
static int sock_is_ours;
static char pidfile[4096]; /* written (ours to remove), or "" */

/* ---- signals ---- */

static void begin_stop(int how)
{
    if (M.stopping >= how)
        return;
    M.stopping = how;
    M.stop_deadline = ad_now_ms() + (uint64_t)M.s->graceful_timeout * 1000u;
    if (M.listen_fd >= 0) {
        close(M.listen_fd); /* new dials fail fast; in-flight streams finish */
        M.listen_fd = -1;
    }
    ad_intake_close_all();
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (ad_procs[i].pid)
            ad_procs_retire(&ad_procs[i], how == 1 ? SIGTERM : SIGQUIT);
}

static void on_signal(int sig)
{
    if (sig != SIGCHLD)
        tc_info("Handling signal: %s", ad_signal_name(sig));
    switch (sig) {
    case SIGCHLD: ad_procs_reap(); break;
    case SIGTERM: begin_stop(1); break;
    case SIGINT:
    case SIGQUIT: begin_stop(2); break;
    case SIGHUP:
        /* Fresh workers (re-importing the app unless --preload) replace
         * the old ones as they become ready. */
        ad_reload(bind_addr.text);
        break;
    case SIGTTIN:
        if (M.nworkers < AD_MAX_WORKERS)
            ad_procs_resize(M.nworkers + 1);
        break;
    case SIGTTOU:
        if (M.nworkers > 1)
            ad_procs_resize(M.nworkers - 1);
        break;
    case SIGUSR2: ad_reexec(M.listen_fd); break;
    case SIGWINCH:
        /* Gunicorn stops its workers on WINCH only when daemonized, which
         * tandem-appd never is: from a terminal it means a resize. */
        tc_info("SIGWINCH ignored: not daemonized");
        break;
    case SIGUSR1:
        ad_logging_reopen();
        for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
            if (ad_procs[i].pid)
                kill(ad_procs[i].pid, SIGUSR1);
        break;
    default: break;
    }
}

/* ---- start and stop ---- */

/* The Unix socket file is ours to remove at exit (if it is still the one). */
static void own_socket_file(void)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&bind_addr.ss;
    if (bind_addr.ss.ss_family == AF_UNIX && sun->sun_path[0] &&
        stat(sun->sun_path, &sock_stat) == 0)
        sock_is_ours = 1;
}

/* The old master is gone: its pid file and socket file are this one's. */
static void take_over(void)
{
    char why[512];
    if (pidfile[0] && M.s->pidfile && *M.s->pidfile) {
        if (tc_pidfile_write(M.s->pidfile, why, sizeof why) == 0) {
            tc_pidfile_remove(pidfile);
            snprintf(pidfile, sizeof pidfile, "%s", M.s->pidfile);
        } else {
            tc_error("cannot take over the pid file: %s", why);
        }
    }
    own_socket_file();
    ad_control_take_over();
}

static void cleanup(void)
{
    ad_control_close();
    ad_intake_close_all();
    if (M.listen_fd >= 0)
        close(M.listen_fd);
    M.listen_fd = -1;
    /* A new master (USR2) serves on the same socket file. */
    if (sock_is_ours && ad_reexec_child() == 0) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)&bind_addr.ss;
        struct stat st;
        /* Only if it is still the file we made (a successor may own the path). */
        if (stat(sun->sun_path, &st) == 0 && st.st_ino == sock_stat.st_ino &&
            st.st_dev == sock_stat.st_dev)
            unlink(sun->sun_path);
        sock_is_ours = 0;
    }
    if (pidfile[0]) {
        tc_pidfile_remove(pidfile);
        pidfile[0] = '\0';
    }
}

/* Gunicorn's order: the worker count (nworkers_changed) and --preload's
 * import, then on_starting, then the socket. */
static int setup_python(int argc, char **argv, char *err, size_t errlen)
{
    ad_settings *S = M.s;
    if (ad_python_init(S, argc, argv, err, errlen) != 0)
        return AD_EXIT_FAILURE;
    M.nworkers = (uint32_t)S->workers;
    if (ad_hooks_setup(S, bind_addr.text, err, errlen) != 0)
        return AD_EXIT_FAILURE;
    ad_hooks_server_pids(0, ad_reexec_parent());
    if (ad_hooks_nworkers_changed(M.nworkers, 0, err, errlen) != 0)
        return AD_EXIT_FAILURE;
    if (S->preload_app) {
        /* With --preload the workers inherit the imported app (copy-on-write);
         * otherwise each worker imports it after fork (fresh state, HUP reloads
         * code) and the master halts on the first load error. */
        M.preloaded = ad_python_load_app(S->app_spec, err, errlen);
        if (M.preloaded == NULL)
            return AD_EXIT_APP_LOAD;
    }
    return ad_hooks_on_starting(err, errlen) != 0 ? AD_EXIT_FAILURE : AD_EXIT_OK;
}

/* The socket (sd: what systemd passed, if anything), the pid file, the
 * scoreboard. */
static int setup_socket(tc_sdlisten *sd, char *err, size_t errlen)
{
    ad_settings *S = M.s;
    tc_sdlisten_use(sd, &bind_addr);
    if (tc_sdlisten_unclaimed(sd, err, errlen) != 0 ||
        (M.listen_fd = ad_privs_listen(S, &bind_addr, err, errlen)) < 0)
        return AD_EXIT_FAILURE;
    if (bind_addr.fd < 0)
        own_socket_file();
    if (S->pidfile && *S->pidfile) {
        /* A master USR2 started writes NAME.2 until it is promoted. */
        char why[512], name[sizeof pidfile];
        snprintf(name, sizeof name, "%s%s", S->pidfile, ad_reexec_parent() ? ".2" : "");
        if (tc_pidfile_write(name, why, sizeof why) != 0) {
            snprintf(err, errlen, "pid file %s", why);
            return AD_EXIT_FAILURE;
        }
        snprintf(pidfile, sizeof pidfile, "%s", name);
    }
    if (ad_scoreboard_create() != 0) {
        snprintf(err, errlen, "cannot map the scoreboard: %s", strerror(errno));
        return AD_EXIT_FAILURE;
    }
    AD_STORE(ad_board->nworkers, M.nworkers);
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&bind_addr.ss;
    if (ad_control_open(bind_addr.text, bind_addr.ss.ss_family == AF_UNIX ? sun->sun_path : NULL,
                        err, errlen) != 0)
        return AD_EXIT_FAILURE;
    return AD_EXIT_OK;
}

static int setup(int argc, char **argv, char *err, size_t errlen)
{
    ad_settings *S = M.s;
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
    if (ad_privs_setup(S, err, errlen) != 0)
        return AD_EXIT_USAGE;
    if (S->check_config) {
        /* Gunicorn's --check-config: settings and app import only, no socket. */
        if (ad_python_init(S, argc, argv, err, errlen) != 0)
            return AD_EXIT_FAILURE;
        M.preloaded = ad_python_load_app(S->app_spec, err, errlen);
        return M.preloaded ? AD_EXIT_OK : AD_EXIT_APP_LOAD;
    }
    /* Under socket activation systemd holds the socket and passes it; the
     * variables go before Python reads the environment. */
    tc_sdlisten sd;
    if (tc_sdlisten_take(&sd, err, errlen) != 0)
        return AD_EXIT_FAILURE;
    int rc = setup_python(argc, argv, err, errlen);
    return rc == AD_EXIT_OK ? setup_socket(&sd, err, errlen) : rc;
}

/* One turn of the loop: wait for a signal, a connection or a worker's word. */
static void serve_once(int sigfd)
{
    static struct pollfd pfd[3 + AD_BOARD_SLOTS + AD_INTAKE_MAX];
    static ad_proc *pp[3 + AD_BOARD_SLOTS + AD_INTAKE_MAX];
    uint64_t now = ad_now_ms();
    nfds_t n = 0;
    pfd[n] = (struct pollfd){ sigfd, POLLIN, 0 };
    pp[n++] = NULL;
    size_t lidx = (size_t)-1;
    if (M.listen_fd >= 0 && !M.stopping && ad_intake_wants_accept()) {
        lidx = n;
        pfd[n] = (struct pollfd){ M.listen_fd, POLLIN, 0 };
        pp[n++] = NULL;
    }
    size_t cidx = (size_t)-1;
    if (M.control_fd >= 0) {
        cidx = n;
        pfd[n] = (struct pollfd){ M.control_fd, POLLIN, 0 };
        pp[n++] = NULL;
    }
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        if (!ad_procs[i].pid)
            continue;
        pfd[n] = (struct pollfd){ ad_procs[i].ctl, POLLIN, 0 };
        pp[n++] = &ad_procs[i];
    }
    unsigned k = ad_intake_poll_set(pfd + n, AD_INTAKE_MAX);
    for (unsigned i = 0; i < k; i++)
        pp[n++] = NULL;
    int wait = ad_intake_wait_ms(now, ad_procs_wait_ms(now, M.stopping ? 100 : 1000));
    int r = poll(pfd, n, wait);
    if (r < 0 && errno != EINTR) {
        tc_crit("poll: %s", strerror(errno));
        begin_stop(2);
    }
    if (r > 0) {
        if (pfd[0].revents) {
            int sig;
            while ((sig = ad_signal_next()) != 0)
                on_signal(sig);
        }
        if (lidx != (size_t)-1 && pfd[lidx].revents && M.listen_fd >= 0)
            ad_intake_accept(M.listen_fd, ad_now_ms());
        if (cidx != (size_t)-1 && pfd[cidx].revents)
            ad_control_serve();
        for (nfds_t i = 1; i < n; i++)
            if (pp[i] && pp[i]->pid && (pfd[i].revents & POLLIN))
                ad_procs_on_ctl(pp[i]);
    }
    /* HELLOs that came, waits that ran out, workers that became ready. */
    if (!M.stopping)
        ad_intake_serve(ad_now_ms());
}

static const char *halt_reason(int code)
{
    if (code == AD_EXIT_APP_LOAD)
        return "App failed to load.";
    return code == AD_EXIT_BOOT ? "Worker failed to boot." : M.halt_line;
}

int ad_master_run(ad_settings *s, int argc, char **argv, char *err, size_t errlen)
{
    M.s = s;
    M.master_signals = master_signals;
    err[0] = '\0';
    ad_procs_init();
    ad_reexec_init();
    if (ad_reload_init(argc, argv) != 0)
        tc_warn("cannot keep the command line and working directory (%s): SIGHUP will fail",
                strerror(errno));
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
    if (s->reload && s->preload_app)
        tc_warn("reload: with preload_app a restarted worker keeps the code the master "
                "imported; changes show after a restart of tandem-appd");
    ad_proctitle_set("master", s->proc_name);
    if (ad_hooks_when_ready(err, errlen) != 0) {
        cleanup();
        return AD_EXIT_FAILURE;
    }

    for (;;) {
        uint64_t now = ad_now_ms();
        ad_procs_reap();
        ad_procs_manage(now);
        ad_procs_murder(now);
        if (ad_reexec_promoted())
            take_over();
        if (M.stopping && ad_procs_live() == 0)
            break;
        serve_once(sigfd);
    }
    tc_info("Shutting down: Master");
    cleanup();
    ad_hooks_on_exit();
    if (M.halt_code) {
        tc_info("Reason: %s", halt_reason(M.halt_code));
        snprintf(err, errlen, "%s", M.halt_line);
        return M.halt_code;
    }
    Py_XDECREF(M.preloaded);
    Py_FinalizeEx();
    return AD_EXIT_OK;
}

/* ad_control.c: the commands of tandem-appd's control socket: the worker
 * table, counters from the scoreboard, the effective settings, and the
 * actions a signal would start. */
#include "config.h"

#include <Python.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad_control.h"
#include "ad_procs.h"
#include "ad_reexec.h"
#include "tc_ctl.h"
#include "tc_ctlcmd.h"
#include "tc_log.h"

static char ctl_path[512]; /* the socket file we bound, or "" */
static char listen_text[512];
static unsigned long long ctl_inode;
static uint64_t started_ms;

static const unsigned served[] = { TC_CTL_HELP,
                                   TC_CTL_SHOW_ALL,
                                   TC_CTL_SHOW_WORKERS,
                                   TC_CTL_SHOW_STATS,
                                   TC_CTL_SHOW_CONFIG,
                                   TC_CTL_SHOW_LISTENERS,
                                   TC_CTL_WORKER_ADD,
                                   TC_CTL_WORKER_REMOVE,
                                   TC_CTL_WORKER_KILL,
                                   TC_CTL_RELOAD,
                                   TC_CTL_REOPEN,
                                   TC_CTL_SHUTDOWN,
                                   0 };

static const char *state_of(const ad_proc *p, const ad_slot *slot)
{
    if (p->retiring)
        return "stopping";
    if (!p->ready)
        return "booting";
    return AD_LOAD(slot->inflight) ? "busy" : "idle";
}

static void show_workers(tc_ctlout *o, uint64_t now)
{
    tc_ctlout_arr(o, "workers");
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        const ad_proc *p = &ad_procs[i];
        if (!p->pid)
            continue;
        const ad_slot *slot = &ad_board->slot[i];
        tc_ctlout_obj(o, NULL);
        tc_ctlout_int(o, "pid", p->pid);
        tc_ctlout_int(o, "index", p->index);
        tc_ctlout_int(o, "age_s", (long long)((now - p->spawned_ms) / 1000));
        tc_ctlout_int(o, "requests", (long long)AD_LOAD(slot->requests));
        tc_ctlout_int(o, "in_flight", AD_LOAD(slot->inflight));
        tc_ctlout_int(o, "connections", p->conns);
        tc_ctlout_int(o, "generation", p->gen);
        tc_ctlout_str(o, "state", state_of(p, slot));
        tc_ctlout_close(o);
    }
    tc_ctlout_close(o);
}

static void show_stats(tc_ctlout *o, uint64_t now)
{
    long long requests = 0, inflight = 0, conns = 0, live = 0, ready = 0, idle = 0;
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++) {
        const ad_proc *p = &ad_procs[i];
        if (!p->pid)
            continue;
        const ad_slot *slot = &ad_board->slot[i];
        uint32_t busy = AD_LOAD(slot->inflight);
        live++;
        requests += (long long)AD_LOAD(slot->requests);
        inflight += busy;
        conns += p->conns;
        if (p->ready && !p->retiring) {
            ready++;
            idle += busy == 0;
        }
    }
    tc_ctlout_obj(o, "stats");
    tc_ctlout_int(o, "pid", getpid());
    tc_ctlout_int(o, "uptime_s", (long long)((now - started_ms) / 1000));
    tc_ctlout_int(o, "workers_target", M.nworkers);
    tc_ctlout_int(o, "workers_live", live);
    tc_ctlout_int(o, "workers_ready", ready);
    tc_ctlout_int(o, "workers_idle", idle);
    tc_ctlout_int(o, "workers_spawned", (long long)M.age);
    tc_ctlout_int(o, "reloads", M.generation);
    tc_ctlout_int(o, "requests", requests + (long long)M.requests_of_exited);
    tc_ctlout_int(o, "in_flight", inflight);
    tc_ctlout_int(o, "connections", conns);
    tc_ctlout_bool(o, "stopping", M.stopping != 0);
    tc_ctlout_close(o);
}

static void show_listeners(tc_ctlout *o)
{
    tc_ctlout_arr(o, "listeners");
    tc_ctlout_obj(o, NULL);
    tc_ctlout_str(o, "role", "proxy connections");
    tc_ctlout_str(o, "address", listen_text);
    tc_ctlout_bool(o, "open", M.listen_fd >= 0);
    tc_ctlout_close(o);
    tc_ctlout_obj(o, NULL);
    tc_ctlout_str(o, "role", "control");
    tc_ctlout_str(o, "address", ctl_path);
    tc_ctlout_bool(o, "open", M.control_fd >= 0);
    tc_ctlout_close(o);
    tc_ctlout_close(o);
}

static int resize_by(long long delta, tc_ctlout *o, char *err, size_t errlen)
{
    long long before = M.nworkers, want = before + delta;
    if (M.stopping) {
        snprintf(err, errlen, "stopping: the number of workers is not changed");
        return -1;
    }
    if (want > AD_MAX_WORKERS)
        want = AD_MAX_WORKERS;
    if (want < 1)
        want = 1;
    if (want != before)
        ad_procs_resize((uint32_t)want);
    tc_ctlout_int(o, delta > 0 ? "added" : "removed", delta > 0 ? want - before : before - want);
    tc_ctlout_int(o, "previous", before);
    tc_ctlout_int(o, "total", want);
    return 0;
}

static int kill_worker(long long pid, tc_ctlout *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < AD_BOARD_SLOTS; i++)
        if (ad_procs[i].pid && ad_procs[i].pid == (pid_t)pid) {
            /* As a TERM from outside: the worker drains, the master starts
             * another for its index. */
            kill((pid_t)pid, SIGTERM);
            tc_ctlout_int(o, "killed", pid);
            return 0;
        }
    snprintf(err, errlen, "no worker with pid %lld", pid);
    return -1;
}

static int handle(void *ctx, const tc_ctl_req *req, tc_ctlout *o, char *err, size_t errlen)
{
    (void)ctx;
    uint64_t now = ad_now_ms();
    switch (req->verb) {
    case TC_CTL_HELP: tc_ctl_help(o, served); return 0;
    case TC_CTL_SHOW_WORKERS: show_workers(o, now); return 0;
    case TC_CTL_SHOW_STATS: show_stats(o, now); return 0;
    case TC_CTL_SHOW_CONFIG: return tc_ctlcmd_show_config(o, ad_settings_table, M.s);
    case TC_CTL_SHOW_LISTENERS: show_listeners(o); return 0;
    case TC_CTL_SHOW_ALL:
        show_stats(o, now);
        show_workers(o, now);
        show_listeners(o);
        return 0;
    case TC_CTL_WORKER_ADD: return resize_by(req->arg, o, err, errlen);
    case TC_CTL_WORKER_REMOVE: return resize_by(-req->arg, o, err, errlen);
    case TC_CTL_WORKER_KILL: return kill_worker(req->arg, o, err, errlen);
    case TC_CTL_RELOAD: return tc_ctlcmd_signal(SIGHUP, "reload", o);
    case TC_CTL_REOPEN: return tc_ctlcmd_signal(SIGUSR1, "reopen", o);
    case TC_CTL_SHUTDOWN: return tc_ctlcmd_signal(SIGTERM, "shutdown", o);
    default:
        snprintf(err, errlen, "'%s' is tandem-proxy's command, not tandem-appd's",
                 tc_ctl_verb_name(req->verb));
        return -1;
    }
}

/* --control-socket, or BIND.ctl next to a Unix --bind; "" for none. */
static void choose_path(const char *bind_path, char *path, size_t cap, int *derived)
{
    *derived = M.s->control_socket == NULL || *M.s->control_socket == '\0';
    path[0] = '\0';
    if (M.s->control_socket_disable)
        return;
    if (!*derived)
        snprintf(path, cap, "%s", M.s->control_socket);
    else if (bind_path && *bind_path)
        snprintf(path, cap, "%s.ctl", bind_path);
    /* A master USR2 started serves NAME.2 until it is promoted, as its pid file. */
    if (path[0] && ad_reexec_parent())
        strncat(path, ".2", cap - strlen(path) - 1);
}

int ad_control_open(const char *bind_text, const char *bind_path, char *err, size_t errlen)
{
    char path[sizeof ctl_path];
    int derived, live;
    started_ms = ad_now_ms();
    snprintf(listen_text, sizeof listen_text, "%s", bind_text);
    choose_path(bind_path, path, sizeof path, &derived);
    if (!path[0])
        return 0;
    int fd = tc_ctl_listen(path, (unsigned)M.s->control_socket_mode, &live, err, errlen);
    if (fd < 0) {
        if (!derived)
            return -1;
        tc_warn("%s: serving no control socket", err);
        err[0] = '\0';
        return 0;
    }
    M.control_fd = fd;
    ctl_inode = tc_ctl_inode(path);
    snprintf(ctl_path, sizeof ctl_path, "%s", path);
    tc_info("Control socket at: %s", ctl_path);
    return 0;
}

void ad_control_serve(void)
{
    if (M.control_fd >= 0)
        tc_ctl_serve_one(M.control_fd, handle, NULL);
}

void ad_control_take_over(void)
{
    size_t n = strlen(ctl_path);
    if (M.control_fd < 0 || n < 3 || strcmp(ctl_path + n - 2, ".2") != 0)
        return;
    char plain[sizeof ctl_path];
    snprintf(plain, sizeof plain, "%.*s", (int)(n - 2), ctl_path);
    if (rename(ctl_path, plain) == 0)
        snprintf(ctl_path, sizeof ctl_path, "%s", plain);
    else
        tc_warn("cannot take over the control socket %s: keeping %s", plain, ctl_path);
}

void ad_control_close(void)
{
    if (M.control_fd < 0)
        return;
    tc_ctl_unlink(ctl_path, ctl_inode);
    close(M.control_fd);
    M.control_fd = -1;
    ctl_path[0] = '\0';
}

/* px_control.c: the commands of tandem-proxy's control socket: counters
 * (px_counters.c), settings, listeners, connections and streams per thread,
 * and the signal-driven actions. */
#include "config.h"

#include "px_control.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/event.h>

#include "px_balance.h"
#include "px_listener.h"
#include "px_counters.h"
#include "px_thread.h"
#include "tc_ctl.h"
#include "tc_ctlcmd.h"
#include "tc_log.h"

static int ctl_fd = -1;
static char ctl_path[512];
static unsigned long long ctl_inode;
static const px_settings *settings;
static struct event *ctl_ev;

static const unsigned served[] = { TC_CTL_HELP,
                                   TC_CTL_SHOW_ALL,
                                   TC_CTL_SHOW_STATS,
                                   TC_CTL_SHOW_CONFIG,
                                   TC_CTL_SHOW_LISTENERS,
                                   TC_CTL_SHOW_CONNECTIONS,
                                   TC_CTL_SHOW_STREAMS,
                                   TC_CTL_RELOAD,
                                   TC_CTL_REOPEN,
                                   TC_CTL_SHUTDOWN,
                                   0 };

static const char *const class_names[PX_C_CLASSES] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };

static void write_requests(tc_ctlout *o, const px_counters_snapshot *m)
{
    static const char *const protos[PX_C_PROTOS] = { "h1", "h2" };
    uint64_t total = 0;
    for (int p = 0; p < PX_C_PROTOS; p++)
        for (int k = 0; k < PX_C_CLASSES; k++)
            total += m->requests[p][k];
    tc_ctlout_int(o, "requests", (long long)total);
    for (int p = 0; p < PX_C_PROTOS; p++) {
        char key[32];
        snprintf(key, sizeof key, "requests_%s", protos[p]);
        tc_ctlout_obj(o, key);
        for (int k = 0; k < PX_C_CLASSES; k++)
            tc_ctlout_int(o, class_names[k], (long long)m->requests[p][k]);
        tc_ctlout_close(o);
    }
}

static void write_latency(tc_ctlout *o, const px_counters_snapshot *m)
{
    tc_ctlout_obj(o, "latency");
    tc_ctlout_int(o, "count", (long long)m->latency_count);
    tc_ctlout_num(o, "sum_s", (double)m->latency_sum_us / 1e6);
    tc_ctlout_arr(o, "buckets");
    uint64_t cum = 0;
    for (int b = 0; b <= PX_C_BUCKETS; b++) {
        cum += m->latency[b];
        tc_ctlout_obj(o, NULL);
        if (b < PX_C_BUCKETS)
            tc_ctlout_num(o, "le", px_counters_bounds[b]);
        else
            tc_ctlout_str(o, "le", "+Inf");
        tc_ctlout_int(o, "count", (long long)cum);
        tc_ctlout_close(o);
    }
    tc_ctlout_close(o);
    tc_ctlout_close(o);
}

void px_control_write_stats(tc_ctlout *o)
{
    px_counters_snapshot m;
    px_counters_snapshot_take(&m);
    uint32_t nworkers;
    uint64_t capacity, outstanding;
    px_workers_totals(&nworkers, &capacity, &outstanding);
    tc_ctlout_obj(o, "stats");
    tc_ctlout_int(o, "pid", getpid());
    tc_ctlout_num(o, "uptime_s", px_counters_uptime());
    tc_ctlout_int(o, "threads", px_thread_count());
    write_requests(o, &m);
    tc_ctlout_int(o, "bytes_in", (long long)m.bytes_in);
    tc_ctlout_int(o, "bytes_out", (long long)m.bytes_out);
    tc_ctlout_int(o, "connections_open", (long long)(m.conns_accepted - m.conns_closed));
    tc_ctlout_int(o, "connections_accepted", (long long)m.conns_accepted);
    tc_ctlout_int(o, "streams_in_flight", (long long)(m.streams_started - m.streams_ended));
    tc_ctlout_int(o, "queued", (long long)m.queued);
    tc_ctlout_int(o, "response_bytes_held", (long long)m.resp_held);
    tc_ctlout_int(o, "workers", nworkers);
    tc_ctlout_int(o, "worker_capacity", (long long)capacity);
    tc_ctlout_int(o, "worker_streams", (long long)outstanding);
    write_latency(o, &m);
    tc_ctlout_close(o);
}

static void show_listeners(tc_ctlout *o)
{
    tc_ctlout_arr(o, "listeners");
    for (size_t i = 0; i < px_listener_count(); i++) {
        const px_listener *l = px_listener_at(i);
        tc_ctlout_obj(o, NULL);
        tc_ctlout_str(o, "role", "clients");
        tc_ctlout_str(o, "address", l->addr.text);
        tc_ctlout_bool(o, "tls", l->ssl_ctx != NULL);
        tc_ctlout_close(o);
    }
    tc_ctlout_obj(o, NULL);
    tc_ctlout_str(o, "role", "control");
    tc_ctlout_str(o, "address", ctl_path);
    tc_ctlout_bool(o, "tls", 0);
    tc_ctlout_close(o);
    tc_ctlout_close(o);
}

/* Per thread: what = 0 connections, 1 streams (with the queue). */
static void show_per_thread(tc_ctlout *o, int what)
{
    uint64_t total = 0;
    tc_ctlout_arr(o, "threads");
    for (int i = 0; i < px_thread_count(); i++) {
        uint64_t n = what ? px_counters_thread_streams(i) : px_counters_thread_conns(i);
        total += n;
        tc_ctlout_obj(o, NULL);
        tc_ctlout_int(o, "thread", i);
        tc_ctlout_int(o, what ? "streams" : "connections", (long long)n);
        if (what)
            tc_ctlout_int(o, "queued", (long long)px_counters_thread_queued(i));
        tc_ctlout_close(o);
    }
    tc_ctlout_close(o);
    tc_ctlout_int(o, what ? "streams_in_flight" : "connections_open", (long long)total);
}

static int handle(void *ctx, const tc_ctl_req *req, tc_ctlout *o, char *err, size_t errlen)
{
    (void)ctx;
    switch (req->verb) {
    case TC_CTL_HELP: tc_ctl_help(o, served); return 0;
    case TC_CTL_SHOW_STATS: px_control_write_stats(o); return 0;
    case TC_CTL_SHOW_CONFIG: return tc_ctlcmd_show_config(o, px_settings_table, settings);
    case TC_CTL_SHOW_LISTENERS: show_listeners(o); return 0;
    case TC_CTL_SHOW_CONNECTIONS: show_per_thread(o, 0); return 0;
    case TC_CTL_SHOW_STREAMS: show_per_thread(o, 1); return 0;
    case TC_CTL_SHOW_ALL:
        px_control_write_stats(o);
        show_listeners(o);
        return 0;
    case TC_CTL_RELOAD: return tc_ctlcmd_signal(SIGHUP, "reload", o);
    case TC_CTL_REOPEN: return tc_ctlcmd_signal(SIGUSR1, "reopen", o);
    case TC_CTL_SHUTDOWN: return tc_ctlcmd_signal(SIGTERM, "shutdown", o);
    default:
        snprintf(err, errlen, "'%s' is tandem-appd's command, not tandem-proxy's",
                 tc_ctl_verb_name(req->verb));
        return -1;
    }
}

static void on_client(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    tc_ctl_serve_one(fd, handle, NULL);
}

int px_control_open(const px_settings *cfg, const tc_addr *upstream, char *err, size_t errlen)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&upstream->ss;
    int derived = cfg->control_socket == NULL || *cfg->control_socket == '\0', live;
    settings = cfg;
    ctl_path[0] = '\0';
    if (cfg->control_socket_disable)
        return 0;
    if (!derived)
        snprintf(ctl_path, sizeof ctl_path, "%s", cfg->control_socket);
    else if (upstream->ss.ss_family == AF_UNIX && sun->sun_path[0])
        snprintf(ctl_path, sizeof ctl_path, "%s.proxy.ctl", sun->sun_path);
    if (!ctl_path[0])
        return 0;
    ctl_fd = tc_ctl_listen(ctl_path, (unsigned)cfg->control_socket_mode, &live, err, errlen);
    if (ctl_fd < 0) {
        ctl_path[0] = '\0';
        if (!derived)
            return -1;
        tc_warn("%s: serving no control socket", err);
        err[0] = '\0';
        return 0;
    }
    ctl_inode = tc_ctl_inode(ctl_path);
    tc_info("Control socket at: %s", ctl_path);
    return 0;
}

int px_control_attach(struct event_base *base)
{
    if (ctl_fd < 0)
        return 0;
    ctl_ev = event_new(base, ctl_fd, EV_READ | EV_PERSIST, on_client, NULL);
    return ctl_ev && event_add(ctl_ev, NULL) == 0 ? 0 : -1;
}

void px_control_close(void)
{
    if (ctl_ev) {
        event_free(ctl_ev);
        ctl_ev = NULL;
    }
    if (ctl_fd >= 0) {
        tc_ctl_unlink(ctl_path, ctl_inode);
        close(ctl_fd);
        ctl_fd = -1;
    }
}

/* px_admin_body.c: what the admin listener says: the counters of
 * px_counters.h as Prometheus text (version 0.0.4) and as /status's JSON. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "px_admin.h"
#include "px_balance.h"
#include "px_control.h"
#include "px_counters.h"
#include "tc_ctlout.h"

static const char *const class_label[PX_C_CLASSES] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };
static const char *const proto_label[PX_C_PROTOS] = { "h1", "h2" };

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void requests(FILE *f, const px_counters_snapshot *m)
{
    family(f, "tandem_proxy_requests_total", "counter",
           "Requests answered, by client protocol and status class (none: no response sent).");
    for (int p = 0; p < PX_C_PROTOS; p++)
        for (int k = 0; k < PX_C_CLASSES; k++)
            fprintf(f, "tandem_proxy_requests_total{protocol=\"%s\",code=\"%s\"} %llu\n",
                    proto_label[p], class_label[k], (unsigned long long)m->requests[p][k]);
}

static void latency(FILE *f, const px_counters_snapshot *m)
{
    const char *n = "tandem_proxy_request_duration_seconds";
    family(f, n, "histogram", "From the complete request head to the stream's end.");
    unsigned long long cum = 0;
    for (int b = 0; b < PX_C_BUCKETS; b++) {
        cum += m->latency[b];
        fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", n, px_counters_bounds[b], cum);
    }
    cum += m->latency[PX_C_BUCKETS];
    fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", n, cum);
    fprintf(f, "%s_sum %.6f\n%s_count %llu\n", n, (double)m->latency_sum_us / 1e6, n,
            (unsigned long long)m->latency_count);
}

static void one(FILE *f, const char *name, const char *type, const char *help, double v)
{
    family(f, name, type, help);
    fprintf(f, "%s %.17g\n", name, v);
}

char *px_admin_metrics_text(size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (f == NULL)
        return NULL;
    px_counters_snapshot m;
    px_counters_snapshot_take(&m);
    uint32_t nworkers;
    uint64_t capacity, outstanding;
    px_workers_totals(&nworkers, &capacity, &outstanding);
    requests(f, &m);
    latency(f, &m);
    one(f, "tandem_proxy_request_body_bytes_total", "counter",
        "Request body bytes sent to the workers.", (double)m.bytes_in);
    one(f, "tandem_proxy_response_body_bytes_total", "counter",
        "Response body bytes passed to the clients.", (double)m.bytes_out);
    one(f, "tandem_proxy_connections_accepted_total", "counter", "Client connections accepted.",
        (double)m.conns_accepted);
    one(f, "tandem_proxy_connections_open", "gauge", "Client connections open now.",
        (double)(m.conns_accepted - m.conns_closed));
    one(f, "tandem_proxy_streams_in_flight", "gauge", "Requests between head and end now.",
        (double)(m.streams_started - m.streams_ended));
    one(f, "tandem_proxy_queued_requests", "gauge", "Requests waiting for a worker now.",
        (double)m.queued);
    one(f, "tandem_proxy_response_bytes_held", "gauge",
        "Response bytes credited to workers that the clients have not taken yet.",
        (double)m.resp_held);
    one(f, "tandem_proxy_workers", "gauge", "tandem-appd workers the proxy is connected to.",
        (double)nworkers);
    one(f, "tandem_proxy_worker_capacity", "gauge",
        "Streams those workers can run at once (their announced capacity).", (double)capacity);
    one(f, "tandem_proxy_worker_streams", "gauge", "Streams the workers run now.",
        (double)outstanding);
    one(f, "tandem_proxy_uptime_seconds", "gauge", "Seconds since tandem-proxy started serving.",
        px_counters_uptime());
    one(f, "tandem_proxy_pid", "gauge", "The process id.", (double)getpid());
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *px_admin_status_json(size_t *len)
{
    tc_ctlout o;
    tc_ctlout_begin(&o, 1);
    px_control_write_stats(&o);
    tc_ctlout_end(&o);
    if (o.oom) {
        tc_ctlout_free(&o);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}

/* px_stream_log.c: a request's access-log line and metrics (px_stream_log.h),
 * from its stream: the head it kept, the head the client got, the body bytes
 * passed on and the time from head complete to the end of the client's
 * side; or from a connection, for bytes the proxy refused as no request. */
#include "config.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "px_accesslog.h"
#include "px_conn.h"
#include "px_metrics.h"
#include "px_stream.h"
#include "px_stream_log.h"
#include "px_thread.h"
#include "tc_logsinks.h"

/* A request that got no response before its client left, as nginx logs it. */
#define STATUS_CLIENT_GONE 499

atomic_int px_stream_observed;

int px_stream_logs_open(const px_settings *cfg, char *err, size_t errlen)
{
    tc_logsinks_conf sinks = px_settings_logsinks(cfg);
    if (px_accesslog_reload(cfg, err, errlen) < 0 ||
        tc_logsinks_reload(&sinks, "proxy", err, errlen) < 0)
        return -1;
    px_metrics_init(tc_logsinks_statsd());
    atomic_store(&px_stream_observed, px_accesslog_on || px_metrics_on);
    return 0;
}

/* The proxy's pid, asked once per thread (getpid is a syscall). */
static uint32_t self_pid(void)
{
    static _Thread_local uint32_t pid;
    if (pid == 0)
        pid = (uint32_t)getpid();
    return pid;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void px_stream_log_start(px_stream *s)
{
    if (px_stream_observed)
        s->start_ns = now_ns();
}

/* Keeps the values of the fields the format names, for the line. */
static void keep_fields(px_stream *s, const tp_response_head *h)
{
    const px_logfmt *f = px_accesslog_format();
    s->log_fields.len = 0;
    if (f == NULL || px_logfmt_resp_count(f) == 0)
        return;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *fld = &h->headers[i];
        int slot = px_logfmt_resp_slot(f, fld->name.ptr, fld->name.len);
        if (slot < 0)
            continue;
        uint8_t sl = (uint8_t)slot;
        uint32_t len = fld->value.len;
        if (tp_buf_append(&s->log_fields, &sl, 1) != TP_OK ||
            tp_buf_append(&s->log_fields, &len, sizeof len) != TP_OK ||
            tp_buf_append(&s->log_fields, fld->value.ptr, len) != TP_OK)
            return;
    }
}

void px_stream_log_head(px_stream *s, const tp_response_head *h, uint32_t worker_pid)
{
    if (!px_stream_observed)
        return;
    s->worker_pid = worker_pid;
    if (px_accesslog_on)
        keep_fields(s, h);
}

/* The kept values by slot (the last of repeated fields, as Gunicorn's). */
static void kept_fields(const px_stream *s, tp_str *vals)
{
    const uint8_t *p = s->log_fields.data, *end = p + s->log_fields.len;
    while (p && p + 5 <= end) {
        uint32_t len;
        memcpy(&len, p + 1, sizeof len);
        vals[p[0]] = (tp_str){ p + 5, len };
        p += 5 + len;
    }
}

static void fill_request(px_logreq *r, const px_stream *s)
{
    const tp_request_head *h = &s->head;
    memset(r, 0, sizeof *r);
    r->method = h->method;
    r->path = h->path;
    r->query = h->query;
    r->scheme = h->scheme;
    r->authority = h->authority;
    r->peer_addr = h->peer_addr;
    r->local_addr = h->local_addr;
    r->peer_port = h->peer_port;
    r->local_port = h->local_port;
    r->http_major = h->http_major;
    r->http_minor = h->http_minor;
    r->tls = (h->flags & TP_REQ_TLS) != 0;
    r->content_length = h->content_length;
    r->h2_stream = h->h2_stream_id;
    r->conn_id = h->conn_id;
    r->headers = h->headers;
    r->nheaders = h->nheaders;
}

void px_stream_log_end(px_stream *s)
{
    if (!px_stream_observed || s->logged || s->head.http_major == 0)
        return;
    s->logged = 1;
    unsigned status = s->resp_head ? s->status : STATUS_CLIENT_GONE;
    uint64_t usec = (now_ns() - s->start_ns) / 1000;
    if (px_metrics_on)
        px_metrics_request(status, usec);
    if (px_accesslog_on) {
        tp_str vals[PX_LOGFMT_MAX_RESP];
        memset(vals, 0, sizeof vals);
        kept_fields(s, vals);
        px_logreq r;
        fill_request(&r, s);
        r.status = status;
        r.sent = s->resp_sent;
        r.usec = usec;
        r.clf_time = px_accesslog_time();
        r.worker_pid = s->worker_pid;
        r.proxy_pid = self_pid();
        r.wire_stream = s->up_id;
        r.resp = vals;
        px_accesslog_add(&r);
    }
    px_thread_schedule_flush(s->th);
}

void px_conn_log_refused(px_conn *c, unsigned status, size_t body_len)
{
    if (!px_stream_observed)
        return;
    if (px_metrics_on)
        px_metrics_request(status, 0);
    if (px_accesslog_on) {
        px_logreq r;
        memset(&r, 0, sizeof r);
        r.peer_addr = (tp_str){ (const uint8_t *)c->peer_ip, (uint32_t)strlen(c->peer_ip) };
        r.local_addr = (tp_str){ (const uint8_t *)c->local_ip, (uint32_t)strlen(c->local_ip) };
        r.peer_port = c->peer_port;
        r.local_port = c->local_port;
        r.tls = c->tls;
        r.status = status;
        r.sent = body_len;
        r.content_length = TP_LENGTH_UNKNOWN;
        r.clf_time = px_accesslog_time();
        r.proxy_pid = self_pid();
        r.conn_id = c->id;
        px_accesslog_add(&r);
    }
    px_thread_schedule_flush(c->th);
}

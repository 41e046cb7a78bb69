/* h1_conn.c: an HTTP/1.0/1.1 client connection: strict parsing (h1_parser),
 * one request at a time in order (pipelined bytes wait in the input buffer),
 * request bodies (Content-Length or chunked) forwarded under the worker's
 * window, 100-continue once a worker takes the request, and responses framed
 * by Content-Length, chunked (1.1) or close (1.0).  A trusted peer may turn
 * the connection into h2c (h2c_switch.c). */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "px.h"
#include "px_hdr.h"
#include "px_prio.h"
#include "tc_log.h"

static void parse_next(px_conn *c);

void px_h1_start(px_conn *c)
{
    if (c->h1_hdr_cap < px_g.h1_max_hdrs) {
        free(c->h1_hdrs);
        c->h1_hdrs = calloc(px_g.h1_max_hdrs, sizeof(tp_header));
        c->h1_hdr_cap = c->h1_hdrs ? px_g.h1_max_hdrs : 0;
        if (!c->h1_hdrs) {
            px_conn_close(c, PX_CLOSE_NOW);
            return;
        }
    }
    /* Pipelined bytes beyond one head and some body stay in the socket. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, px_g.h1_read_high);
    if (evbuffer_get_length(bufferevent_get_input(c->bev)))
        parse_next(c);
}

static void out_add(px_thread *th, const void *p, size_t n) { tp_buf_append(&th->out, p, n); }
static void out_str(px_thread *th, const char *s) { out_add(th, s, strlen(s)); }

static void out_commit(px_conn *c)
{
    px_thread *th = c->th;
    evbuffer_add(bufferevent_get_output(c->bev), th->out.data, th->out.len);
    th->out.len = 0;
}

/* A response from the proxy itself, before any stream exists (parser errors). */
static void send_error_and_close(px_conn *c, int status, const char *why)
{
    px_thread *th = c->th;
    char line[256];
    const char *reason = px_status_reason((unsigned)status);
    char body[160];
    int blen = snprintf(body, sizeof body, "%d %s\n", status, reason);
    int n = snprintf(line, sizeof line,
                     "HTTP/1.1 %d %s\r\nServer: tandem\r\nDate: %s\r\nConnection: close\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
                     status, reason, px_thread_date(th), blen);
    th->out.len = 0;
    out_add(th, line, (size_t)n);
    out_add(th, body, (size_t)blen);
    out_commit(c);
    tc_debug("conn %u: HTTP/1 request rejected: %d (%s)", c->id, status, why ? why : "");
    px_conn_close(c, PX_CLOSE_FLUSH);
}

static void fill_head(px_conn *c, px_stream *s, const px_h1_request *r)
{
    tp_request_head *h = &s->head;
    h->http_major = 1;
    h->http_minor = r->http_minor;
    h->flags = 0;
    if (c->tls)
        h->flags |= TP_REQ_TLS;
    if (r->expect_continue)
        h->flags |= TP_REQ_EXPECT_CONTINUE;
    /* 1xx and trailers need HTTP/1.1 (trailers need chunked, and the
     * client's TE: trailers); HTTP/1.0 gets neither. */
    if (r->http_minor == 1) {
        h->flags |= TP_REQ_EARLY_HINTS;
        if (r->te_trailers)
            h->flags |= TP_REQ_TE_TRAILERS;
    }
    h->content_length = r->chunked ? TP_LENGTH_UNKNOWN : r->content_length;
    h->peer_port = c->peer_port;
    h->local_port = c->local_port;
    h->conn_id = c->id;
    h->h2_stream_id = 0;
    h->method = r->method;
    h->scheme.ptr = (const uint8_t *)(c->tls ? "https" : "http");
    h->scheme.len = c->tls ? 5 : 4;
    h->authority = r->host;
    h->path = r->path;
    h->query = r->query;
    h->peer_addr.ptr = (const uint8_t *)c->peer_ip;
    h->peer_addr.len = (uint32_t)strlen(c->peer_ip);
    h->local_addr.ptr = (const uint8_t *)c->local_ip;
    h->local_addr.len = (uint32_t)strlen(c->local_ip);
    const char *ver = c->ssl ? SSL_get_version(c->ssl) : "";
    const char *cipher = c->ssl ? SSL_get_cipher_name(c->ssl) : "";
    h->tls_version.ptr = (const uint8_t *)ver;
    h->tls_version.len = (uint32_t)strlen(ver);
    h->tls_cipher.ptr = (const uint8_t *)(cipher ? cipher : "");
    h->tls_cipher.len = cipher ? (uint32_t)strlen(cipher) : 0;
    h->alpn.ptr = (const uint8_t *)c->alpn;
    h->alpn.len = (uint32_t)strlen(c->alpn);
    h->sni.ptr = (const uint8_t *)(c->sni ? c->sni : "");
    h->sni.len = c->sni ? (uint32_t)strlen(c->sni) : 0;
    h->nheaders = r->nheaders;
    h->headers = r->headers;
    /* RFC 9218 applies to HTTP/1.1 too: urgency orders the wait queue.  The
     * RFC 7540 fields stay unset (no TP_REQ_HAS_PRIORITY): h2 only. */
    for (uint32_t i = 0; i < r->nheaders; i++)
        if (px_hdr_is(r->headers[i].name.ptr, r->headers[i].name.len, "priority"))
            px_prio_parse(r->headers[i].value.ptr, r->headers[i].value.len, &h->prio_urgency,
                          &h->prio_incremental);
}

static void parse_next(px_conn *c)
{
    if (c->closing || c->cur)
        return;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t len = evbuffer_get_length(in);
    if (len == 0)
        return;
    size_t n = len < px_g.h1_limits.max_head ? len : px_g.h1_limits.max_head;
    const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
    if (!p) {
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    px_h1_request r;
    memset(&r, 0, sizeof r);
    size_t consumed = 0;
    int rc = px_h1_parse_request(p, n, &px_g.h1_limits, &r, c->h1_hdrs, c->h1_hdr_cap, &consumed);
    if (rc == PX_H1_AGAIN) {
        if (n >= px_g.h1_limits.max_head) {
            send_error_and_close(c, 431, "request head too large");
            return;
        }
        /* A head in progress must complete within --timeout. */
        px_conn_set_timer(c, c->th->tv_timeout ? c->th->tv_timeout : c->th->tv_keepalive);
        return;
    }
    if (rc != PX_H1_OK) {
        send_error_and_close(c, r.error_status ? r.error_status : 400, r.error);
        return;
    }
    if (r.h2_preface) {
        if (px_h2c_prior_knowledge(c, consumed))
            return;
        send_error_and_close(c, 505, "HTTP/2 preface without ALPN h2");
        return;
    }
    if (px_h2c_h1_refused(c)) {
        send_error_and_close(c, 400, "HTTP/1 from a trusted peer on an h2c prior-knowledge listener");
        return;
    }
    px_stream *s = px_stream_new(c);
    if (!s) {
        send_error_and_close(c, 503, "out of memory");
        return;
    }
    evtimer_del(&c->timer);
    c->cur = s;
    c->requests++;
    fill_head(c, s, &r);
    s->is_head = r.method.len == 4 && memcmp(r.method.ptr, "HEAD", 4) == 0;
    s->keep_alive = r.keep_alive && px_g.cfg->keepalive > 0 && !c->th->stopping;
    s->te_trailers = r.te_trailers;
    if (r.chunked) {
        s->chunked_in = 1;
        px_h1_chunked_init(&c->chunked);
        c->chunked.max_line = 4096;
        c->chunked.max_trailers = (uint32_t)(px_g.cfg->limit_request_field_size
                                                 ? px_g.cfg->limit_request_field_size
                                                 : 8190);
    } else if (r.content_length > 0) {
        s->req_left = r.content_length;
    } else {
        s->req_end = 1;
    }
    s->expect_continue = r.expect_continue && r.http_minor == 1 && !s->req_end;
    /* Bytes of the head go away with the drain: keep a copy (the request may
     * wait in the queue, or be retried on another worker). */
    px_stream_hold_head(s);
    evbuffer_drain(in, consumed);
    if (s->held && px_h2c_can_upgrade(c, &r)) {
        c->cur = NULL;
        if (px_h2c_upgrade(c, s) == 0)
            return; /* now stream 1 of an h2 session */
        c->cur = s; /* not upgraded: served as HTTP/1.1 */
    }
    px_stream_submit(s); /* may answer (and free s) at once */
}

void px_h1_on_read(px_conn *c)
{
    if (c->cur) {
        if (c->cur->state == PX_ST_UP)
            px_h1_pump_request(c->cur);
        return;
    }
    parse_next(c);
}

void px_h1_on_dispatch(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c)
        return;
    if (s->expect_continue && !s->resp_head) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        evbuffer_add(bufferevent_get_output(c->bev), cont, sizeof cont - 1);
        s->expect_continue = 0;
    }
    px_h1_pump_request(s);
}

static void body_error(px_stream *s, const char *why)
{
    px_conn *c = s->conn;
    tc_debug("conn %u: bad chunked request body: %s", c->id, why ? why : "");
    if (s->up)
        px_upstream_send_reset(s, TP_RESET_CANCEL);
    s->keep_alive = 0;
    px_stream_local_response(s, 400, "Bad Request: malformed chunked body\n");
}

void px_h1_pump_request(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c || s->state != PX_ST_UP || s->req_end_sent)
        return;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    if (s->chunked_in) {
        /* De-chunk into s->req (bounded), then forward under the window. */
        while (!s->req_end && evbuffer_get_length(s->req) < PX_CHUNKED_HOLD) {
            size_t len = evbuffer_get_length(in);
            if (len == 0)
                break;
            size_t n = len < 64 * 1024 ? len : 64 * 1024;
            const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
            size_t consumed = 0, off = 0, dlen = 0;
            int rc = px_h1_chunked_decode(&c->chunked, p, n, &consumed, &off, &dlen);
            if (rc == PX_H1_ERROR) {
                body_error(s, c->chunked.error);
                return;
            }
            if (dlen)
                evbuffer_add(s->req, p + off, dlen);
            evbuffer_drain(in, consumed);
            if (c->chunked.done)
                s->req_end = 1;
            if (consumed == 0)
                break;
        }
        px_stream_pump_request(s);
        return;
    }
    uint32_t max = s->up && s->up->hello.max_frame ? s->up->hello.max_frame : TP_DEFAULT_MAX_FRAME;
    size_t avail;
    int moved = 0;
    while (s->req_left > 0 && s->send_window > 0 && (avail = evbuffer_get_length(in)) > 0) {
        uint64_t n = s->req_left;
        if (n > (uint64_t)s->send_window)
            n = (uint64_t)s->send_window;
        if (n > avail)
            n = avail;
        if (n > max)
            n = max;
        int end = n == s->req_left;
        px_upstream_send_data(s, in, (size_t)n, end);
        s->req_left -= n;
        s->send_window -= (int64_t)n;
        s->req_data_sent = 1;
        moved = 1;
        if (end)
            s->req_end = s->req_end_sent = 1;
    }
    if (moved)
        px_stream_progress(s);
}

static void add_field(px_thread *th, const uint8_t *n, size_t nl, const uint8_t *v, size_t vl)
{
    out_add(th, n, nl);
    out_add(th, ": ", 2);
    out_add(th, v, vl);
    out_add(th, "\r\n", 2);
}

int px_h1_send_info(px_stream *s, const tp_response_head *h)
{
    px_conn *c = s->conn;
    /* 1xx reach HTTP/1.1 clients only; 100 is the proxy's own business and
     * 101 would need an upgrade this proxy does not do. */
    if (!c || s->head.http_minor != 1 || h->status == 100 || h->status == 101)
        return 0;
    px_thread *th = c->th;
    char line[64];
    int n = snprintf(line, sizeof line, "HTTP/1.1 %u %s\r\n", h->status, px_status_reason(h->status));
    th->out.len = 0;
    out_add(th, line, (size_t)n);
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        if (!px_hdr_valid_response_field(f->name.ptr, f->name.len, f->value.ptr, f->value.len) ||
            px_hdr_conn_specific(f->name.ptr, f->name.len))
            continue;
        add_field(th, f->name.ptr, f->name.len, f->value.ptr, f->value.len);
    }
    out_add(th, "\r\n", 2);
    out_commit(c);
    return 0;
}

int px_h1_send_head(px_stream *s, const tp_response_head *h)
{
    px_conn *c = s->conn;
    if (!c)
        return 0;
    px_thread *th = c->th;
    unsigned st = h->status;
    int has_date = 0, has_server = 0, has_cl = 0;
    uint64_t cl = 0;
    int no_body = (st >= 100 && st < 200) || st == 204 || st == 304;
    /* A client that accepts trailers gets a chunked response even when the
     * app set a Content-Length: the trailers, which come after the head,
     * can only ride on chunked framing. */
    int for_trailers = s->te_trailers && s->head.http_minor == 1 && !s->is_head && !no_body;
    char line[64];
    /* The client's own version, as Gunicorn does: a 1.0 client sees 1.0. */
    int n = snprintf(line, sizeof line, "HTTP/1.%d %u %s\r\n", s->head.http_minor ? 1 : 0, st,
                     px_status_reason(st));
    th->out.len = 0;
    out_add(th, line, (size_t)n);
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        const uint8_t *nm = f->name.ptr;
        size_t nl = f->name.len;
        if (!px_hdr_valid_response_field(nm, nl, f->value.ptr, f->value.len)) {
            tc_warn("conn %u: dropped invalid response header from the app", c->id);
            continue;
        }
        if (px_hdr_is(nm, nl, "connection")) {
            if (px_hdr_list_has(f->value.ptr, f->value.len, "close"))
                s->keep_alive = 0;
            continue;
        }
        /* Framing is the proxy's: it knows what the client can parse. */
        if (px_hdr_is(nm, nl, "transfer-encoding") || px_hdr_is(nm, nl, "keep-alive") ||
            px_hdr_is(nm, nl, "proxy-connection"))
            continue;
        if (px_hdr_is(nm, nl, "content-length")) {
            if (for_trailers)
                continue;
            if (has_cl || px_parse_content_length(f->value.ptr, f->value.len, &cl) < 0) {
                tc_warn("conn %u: dropped a bad or repeated Content-Length from the app", c->id);
                continue;
            }
            has_cl = 1;
        } else if (px_hdr_is(nm, nl, "date"))
            has_date = 1;
        else if (px_hdr_is(nm, nl, "server"))
            has_server = 1;
        add_field(th, nm, nl, f->value.ptr, f->value.len);
    }
    if (!has_server)
        out_str(th, "Server: tandem\r\n");
    if (!has_date) {
        out_str(th, "Date: ");
        out_str(th, px_thread_date(th));
        out_str(th, "\r\n");
    }
    s->resp_left = UINT64_MAX;
    if (no_body) {
        s->resp_left = 0;
    } else if (has_cl) {
        s->resp_left = s->is_head ? 0 : cl;
    } else if (s->head.http_minor == 1) {
        out_str(th, "Transfer-Encoding: chunked\r\n");
        s->chunked_out = !s->is_head;
        if (s->is_head)
            s->resp_left = 0;
    } else if (s->is_head) {
        s->resp_left = 0;
    } else {
        s->close_out = 1;
        s->keep_alive = 0;
    }
    /* A request body not read to its end leaves the connection unusable. */
    if (!s->req_end)
        s->keep_alive = 0;
    if (th->stopping)
        s->keep_alive = 0;
    if (!s->keep_alive)
        out_str(th, "Connection: close\r\n");
    else if (s->head.http_minor == 0)
        out_str(th, "Connection: keep-alive\r\n");
    out_add(th, "\r\n", 2);
    out_commit(c);
    s->resp_head = 1;
    s->expect_continue = 0;
    if (s->is_head || no_body) {
        /* Whatever the app sends as a body is dropped. */
        evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
        s->chunked_out = 0;
    }
    px_h1_pump_response(s);
    return 0;
}

static void finish(px_conn *c, px_stream *s)
{
    int keep = s->keep_alive && s->req_end && !c->closing && !c->th->stopping;
    c->cur = NULL;
    px_stream_client_done(s);
    if (!keep) {
        px_conn_close(c, PX_CLOSE_FLUSH);
        return;
    }
    px_conn_set_timer(c, c->th->tv_keepalive);
    if (evbuffer_get_length(bufferevent_get_input(c->bev)))
        /* Pipelined request already here: take it on the next turn, not
         * recursively from inside this one. */
        bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

void px_h1_pump_response(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c || !s->resp_head || s->resp_done)
        return;
    px_thread *th = c->th;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t len;
    while ((len = evbuffer_get_length(s->resp)) > 0 && evbuffer_get_length(out) < PX_OUT_HIGH) {
        size_t n = len < 256 * 1024 ? len : 256 * 1024;
        if (s->resp_left != UINT64_MAX && n > s->resp_left) {
            /* More than the app's Content-Length: drop the excess. */
            size_t extra = len - (size_t)s->resp_left;
            tc_warn("conn %u: app sent more body than its Content-Length; dropped", c->id);
            n = (size_t)s->resp_left;
            if (!n) {
                evbuffer_drain(s->resp, extra);
                px_stream_resp_passed(s, extra);
                break;
            }
        }
        if (s->chunked_out) {
            char hx[24];
            int hl = snprintf(hx, sizeof hx, "%zx\r\n", n);
            evbuffer_add(out, hx, (size_t)hl);
            evbuffer_remove_buffer(s->resp, out, n);
            evbuffer_add(out, "\r\n", 2);
        } else {
            evbuffer_remove_buffer(s->resp, out, n);
        }
        if (s->resp_left != UINT64_MAX)
            s->resp_left -= n;
        px_stream_resp_passed(s, n);
    }
    if (!s->resp_end || evbuffer_get_length(s->resp))
        return;
    /* Worker done and everything queued: close the framing. */
    if (s->chunked_out) {
        th->out.len = 0;
        out_str(th, "0\r\n");
        if (s->has_trailers && s->te_trailers) {
            const uint8_t *p = s->trailers.data;
            for (uint32_t i = 0; i < s->ntrailers; i++) {
                uint32_t l[2];
                memcpy(l, p, sizeof l);
                p += sizeof l;
                add_field(th, p, l[0], p + l[0], l[1]);
                p += l[0] + l[1];
            }
        } else if (s->has_trailers) {
            tc_debug("conn %u: trailers dropped (client did not send TE: trailers)", c->id);
        }
        out_str(th, "\r\n");
        out_commit(c);
    } else if (s->resp_left != UINT64_MAX && s->resp_left > 0) {
        tc_warn("conn %u: app sent less body than its Content-Length; closing", c->id);
        s->keep_alive = 0;
    }
    s->resp_done = 1;
    finish(c, s);
}

void px_h1_abort(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c)
        return;
    /* Head already sent: the only way to say "incomplete" is to close
     * without finishing the framing. */
    px_conn_close(c, PX_CLOSE_FLUSH);
}

void px_h1_on_write(px_conn *c)
{
    if (c->cur && c->cur->resp_head)
        px_h1_pump_response(c->cur);
}

void px_h1_on_timeout(px_conn *c)
{
    /* Idle keep-alive, or a head that did not complete in time: close
     * cleanly (TLS close_notify), the client did nothing wrong. */
    if (!c->cur)
        px_conn_close(c, PX_CLOSE_FLUSH);
}

void px_h1_shutdown(px_conn *c)
{
    if (!c->cur)
        px_conn_close(c, PX_CLOSE_FLUSH);
    else
        c->cur->keep_alive = 0; /* Connection: close on its response */
}

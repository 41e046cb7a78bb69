/* h1_response.c: the response side of an HTTP/1 connection: 1xx and the
 * final head (framing chosen for what the client can parse), the body as
 * Content-Length, chunked (with trailers for TE: trailers) or close, the
 * proxy's own error answers, and the 101 that hands the connection to the
 * WebSocket tunnel. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include "h1_conn.h"
#include "ws_conn.h"
#include "px_hdr.h"
#include "px_limits.h"
#include "px_stream_log.h"
#include "px_thread.h"
#include "tc_http.h"
#include "tc_log.h"

/* Head bytes are gathered here, then added to the output in one piece. */
static _Thread_local tp_buf out;

/* A head is a dozen appends: the usual one, into room the buffer has kept
 * from earlier heads, is a copy without a call. */
static void out_add(const void *p, size_t n)
{
    if (n && out.cap - out.len >= n) {
        memcpy(out.data + out.len, p, n);
        out.len += n;
        return;
    }
    tp_buf_append(&out, p, n);
}
static void out_str(const char *s) { out_add(s, strlen(s)); }

static void out_commit(px_conn *c)
{
    evbuffer_add(px_conn_out(c), out.data, out.len);
    out.len = 0;
}

/* "HTTP/1.x NNN Reason\r\n", the first line of every head. */
static void out_status_line(int minor, unsigned status)
{
    char line[13] = "HTTP/1.1 ";
    line[7] = minor ? '1' : '0';
    px_status_digits(line + 9, status);
    line[12] = ' ';
    out_add(line, sizeof line);
    out_str(px_status_reason(status));
    out_add("\r\n", 2);
}

static void add_field(const uint8_t *n, size_t nl, const uint8_t *v, size_t vl)
{
    out_add(n, nl);
    out_add(": ", 2);
    out_add(v, vl);
    out_add("\r\n", 2);
}

void px_h1_send_error(px_conn *c, int status, const char *why)
{
    char line[256];
    const char *reason = px_status_reason((unsigned)status);
    char body[160];
    int blen = snprintf(body, sizeof body, "%d %s\n", status, reason);
    int n = snprintf(line, sizeof line,
                     "HTTP/1.1 %d %s\r\nServer: tandem\r\nDate: %s\r\nConnection: close\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
                     status, reason, px_thread_date(c->th), blen);
    out.len = 0;
    out_add(line, (size_t)n);
    out_add(body, (size_t)blen);
    out_commit(c);
    px_conn_log_refused(c, (unsigned)status, (size_t)blen);
    tc_debug("conn %u: HTTP/1 request rejected: %d (%s)", c->id, status, why ? why : "");
    px_conn_close(c, PX_CLOSE_FLUSH);
}

void px_h1_send_info(px_stream *s, const tp_response_head *h)
{
    px_conn *c = s->conn;
    /* 1xx reach HTTP/1.1 clients only; 100 is the proxy's own business and
     * 101 would need an upgrade this proxy does not do. */
    if (s->head.http_minor != 1 || h->status == 100 || h->status == 101)
        return;
    out.len = 0;
    out_status_line(1, h->status);
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        tp_str v;
        if (!px_hdr_response_field(f, &v) || tc_http_hop_by_hop(f->name.ptr, f->name.len))
            continue;
        add_field(f->name.ptr, f->name.len, v.ptr, v.len);
    }
    out_add("\r\n", 2);
    out_commit(c);
}

/* What the app's fields said that the framing needs. */
typedef struct {
    int has_date, has_server, has_cl;
    uint64_t cl;
} head_facts;

/* Copies the app's fields a client may see, noting framing facts; drops
 * invalid ones and the hop-by-hop ones: framing and the connection are the
 * proxy's business (the app's "Connection: close" is honoured). */
static void add_app_fields(px_h1_conn *hc, const tp_response_head *h, int for_trailers,
                           head_facts *f)
{
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *fld = &h->headers[i];
        const uint8_t *nm = fld->name.ptr;
        size_t nl = fld->name.len;
        tp_str v;
        if (!px_hdr_response_field(fld, &v)) {
            tc_warn("conn %u: dropped invalid response header from the app", hc->base.id);
            continue;
        }
        if (tc_http_hop_by_hop(nm, nl)) {
            if (tc_http_name_is(nm, nl, "connection") && tc_http_list_has(v.ptr, v.len, "close"))
                hc->keep_alive = 0;
            continue;
        }
        if (tc_http_name_is(nm, nl, "content-length")) {
            if (for_trailers)
                continue;
            if (f->has_cl || tc_http_content_length(v.ptr, v.len, &f->cl) < 0) {
                tc_warn("conn %u: dropped a bad or repeated Content-Length from the app",
                        hc->base.id);
                continue;
            }
            f->has_cl = 1;
        } else if (tc_http_name_is(nm, nl, "date"))
            f->has_date = 1;
        else if (tc_http_name_is(nm, nl, "server"))
            f->has_server = 1;
        add_field(nm, nl, v.ptr, v.len);
    }
}

/* Content-Length, chunked (1.1) or close (1.0), and the Connection field. */
static void choose_framing(px_h1_conn *hc, px_stream *s, int no_body, const head_facts *f)
{
    hc->resp_left = UINT64_MAX;
    if (no_body) {
        hc->resp_left = 0;
    } else if (f->has_cl) {
        hc->resp_left = s->is_head ? 0 : f->cl;
    } else if (s->head.http_minor == 1) {
        out_str("Transfer-Encoding: chunked\r\n");
        hc->chunked_out = !s->is_head;
        if (s->is_head)
            hc->resp_left = 0;
    } else if (s->is_head) {
        hc->resp_left = 0;
    } else {
        hc->close_out = 1;
        hc->keep_alive = 0;
    }
    /* A request body not read to its end leaves the connection unusable. */
    if (!s->req_end || hc->base.th->stopping)
        hc->keep_alive = 0;
    if (!hc->keep_alive)
        out_str("Connection: close\r\n");
    else if (s->head.http_minor == 0)
        out_str("Connection: keep-alive\r\n");
}

/* The worker accepted the WebSocket: 101 with the handshake's fields and
 * the application's (minus what framing, the connection or the handshake
 * own), then the connection becomes the tunnel. */
static void send_switching(px_h1_conn *hc, px_stream *s, const tp_response_head *h)
{
    px_conn *c = &hc->base;
    out.len = 0;
    out_str("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: ");
    out_str(hc->ws_accept);
    out_str("\r\n");
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        const uint8_t *nm = f->name.ptr;
        size_t nl = f->name.len;
        tp_str v;
        if (!px_hdr_response_field(f, &v) || tc_http_hop_by_hop(nm, nl) ||
            tc_http_name_is(nm, nl, "content-length") ||
            tc_http_name_is(nm, nl, "sec-websocket-accept") ||
            tc_http_name_is(nm, nl, "sec-websocket-extensions"))
            continue;
        if (tc_http_name_is(nm, nl, "sec-websocket-protocol") &&
            !ws_subprotocol_offered(&s->head, v.ptr, v.len)) {
            tc_warn("conn %u: the application chose a WebSocket subprotocol the client did "
                    "not offer: dropped",
                    c->id);
            continue;
        }
        add_field(nm, nl, v.ptr, v.len);
    }
    out_str("Server: tandem\r\nDate: ");
    out_str(px_thread_date(c->th));
    out_str("\r\n\r\n");
    out_commit(c);
    s->resp_head = 1;
    hc->cur = NULL;
    px_ws_conn_adopt(c, s);
}

void px_h1_send_head(px_stream *s, const tp_response_head *h)
{
    px_conn *c = s->conn;
    px_h1_conn *hc = px_h1_of(c);
    unsigned st = h->status;
    if (st == 101 && hc->websocket) {
        send_switching(hc, s, h);
        return;
    }
    int no_body = (st >= 100 && st < 200) || st == 204 || st == 304;
    /* A client that accepts trailers gets a chunked response even when the
     * app set a Content-Length: the trailers, which come after the head,
     * can only ride on chunked framing. */
    int for_trailers = hc->te_trailers && s->head.http_minor == 1 && !s->is_head && !no_body;
    out.len = 0;
    /* The client's own version, as Gunicorn does: a 1.0 client sees 1.0. */
    out_status_line(s->head.http_minor, st);
    head_facts f = { 0 };
    add_app_fields(hc, h, for_trailers, &f);
    if (!f.has_server)
        out_str("Server: tandem\r\n");
    if (!f.has_date) {
        out_str("Date: ");
        out_str(px_thread_date(c->th));
        out_str("\r\n");
    }
    choose_framing(hc, s, no_body, &f);
    out_add("\r\n", 2);
    out_commit(c);
    s->resp_head = 1;
    hc->expect_continue = 0;
    if (s->is_head || no_body) {
        /* Whatever the app sends as a body is dropped. */
        evbuffer_drain(s->resp, evbuffer_get_length(s->resp));
        hc->chunked_out = 0;
    }
    px_h1_pump_response(s);
}

/* "<n in hex>\r\n" into dst (>= 20 bytes), once per chunk; its length. */
static size_t chunk_size_line(char *dst, size_t n)
{
    char rev[16];
    size_t k = 0;
    do {
        rev[k++] = "0123456789abcdef"[n & 15];
        n >>= 4;
    } while (n);
    for (size_t i = 0; i < k; i++)
        dst[i] = rev[k - 1 - i];
    dst[k] = '\r';
    dst[k + 1] = '\n';
    return k + 2;
}

/* Moves body bytes to the output while the client keeps up. */
static void move_body(px_h1_conn *hc, px_stream *s)
{
    struct evbuffer *dst = px_conn_out(&hc->base);
    size_t len;
    while ((len = evbuffer_get_length(s->resp)) > 0 && evbuffer_get_length(dst) < PX_OUT_HIGH) {
        size_t n = len < 256 * 1024 ? len : 256 * 1024;
        if (hc->resp_left != UINT64_MAX && n > hc->resp_left) {
            /* More than the app's Content-Length: drop the excess. */
            size_t extra = len - (size_t)hc->resp_left;
            tc_warn("conn %u: app sent more body than its Content-Length; dropped", hc->base.id);
            n = (size_t)hc->resp_left;
            if (!n) {
                evbuffer_drain(s->resp, extra);
                px_stream_resp_passed(s, extra);
                break;
            }
        }
        if (hc->chunked_out) {
            char hx[24];
            evbuffer_add(dst, hx, chunk_size_line(hx, n));
            evbuffer_remove_buffer(s->resp, dst, n);
            evbuffer_add(dst, "\r\n", 2);
        } else {
            evbuffer_remove_buffer(s->resp, dst, n);
        }
        if (hc->resp_left != UINT64_MAX)
            hc->resp_left -= n;
        s->resp_sent += n;
        px_stream_resp_passed(s, n);
    }
}

/* The last chunk, with the trailers when the client asked for them. */
static void end_chunked(px_h1_conn *hc, px_stream *s)
{
    out.len = 0;
    out_str("0\r\n");
    if (s->has_trailers && hc->te_trailers) {
        const uint8_t *p = s->trailers.data;
        for (uint32_t i = 0; i < s->ntrailers; i++) {
            uint32_t l[2];
            memcpy(l, p, sizeof l);
            p += sizeof l;
            add_field(p, l[0], p + l[0], l[1]);
            p += l[0] + l[1];
        }
    } else if (s->has_trailers) {
        tc_debug("conn %u: trailers dropped (client did not send TE: trailers)", hc->base.id);
    }
    out_str("\r\n");
    out_commit(&hc->base);
}

void px_h1_pump_response(px_stream *s)
{
    px_conn *c = s->conn;
    if (!c || !s->resp_head || s->resp_done)
        return;
    px_h1_conn *hc = px_h1_of(c);
    move_body(hc, s);
    if (!s->resp_end || evbuffer_get_length(s->resp))
        return;
    /* Worker done and everything queued: close the framing. */
    if (hc->chunked_out) {
        end_chunked(hc, s);
    } else if (hc->resp_left != UINT64_MAX && hc->resp_left > 0) {
        tc_warn("conn %u: app sent less body than its Content-Length; closing", c->id);
        hc->keep_alive = 0;
    }
    s->resp_done = 1;
    px_h1_finish(c, s);
}

void px_h1_abort(px_stream *s, enum px_abort why)
{
    (void)why;
    /* Head already sent: the only way to say "incomplete" is to close
     * without finishing the framing. */
    px_conn_close(s->conn, PX_CLOSE_FLUSH);
}

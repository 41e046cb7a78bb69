/* px_admin.c: the admin listener's sockets and HTTP/1.1 exchange: accept,
 * read one request head (px_h1_parse_request), route it, answer with
 * Connection: close, and close once the answer has left. */
#include "config.h"

#include "px_admin.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "h1_parser.h"
#include "px_balance.h"
#include "tc_addr.h"
#include "tc_log.h"

#define ADMIN_MAX_CONNS 64
#define ADMIN_MAX_HEAD 8192
#define ADMIN_MAX_FIELDS 64

typedef struct admin_conn {
    struct bufferevent *bev;
    struct admin_conn *next;
} admin_conn;

static int admin_fd = -1;
static tc_addr admin_addr;
static struct event *accept_ev;
static struct event_base *admin_base;
static admin_conn *conns;
static int nconns;
static int stopping;

/* Loopback (127/8, ::1, v4-mapped 127/8) or a Unix socket. */
static int is_local(const tc_addr *a)
{
    if (a->ss.ss_family == AF_UNIX)
        return 1;
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
        return 1;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
}

int px_admin_open(const px_settings *cfg, char *err, size_t errlen)
{
    if (cfg->admin_bind == NULL || *cfg->admin_bind == '\0')
        return 0;
    char why[512];
    if (tc_addr_parse(cfg->admin_bind, 9000, &admin_addr, why, sizeof why) != 0) {
        snprintf(err, errlen, "--admin-bind %s", why);
        return -1;
    }
    if (!is_local(&admin_addr) && !cfg->admin_allow_remote) {
        snprintf(err, errlen,
                 "--admin-bind %s is not a loopback address: /metrics and /status would be "
                 "open to the network (add --admin-allow-remote to mean it)",
                 admin_addr.text);
        return -1;
    }
    admin_fd = tc_listen(&admin_addr, 64, why, sizeof why);
    if (admin_fd < 0) {
        snprintf(err, errlen, "--admin-bind %s", why);
        return -1;
    }
    tc_info("Admin listener at: %s (/metrics, /status, /healthz, /readyz, /)", admin_addr.text);
    return 0;
}

static void conn_free(admin_conn *c)
{
    for (admin_conn **pp = &conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    bufferevent_free(c->bev);
    free(c);
    nconns--;
}

static void on_written(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_free(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    conn_free(arg); /* EOF, error or timeout before the answer left */
}

static void respond(admin_conn *c, int status, const char *reason, const char *ctype,
                    const char *body, size_t len, int head_only)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                        "Connection: close\r\n\r\n",
                        status, reason, ctype, len);
    if (!head_only)
        evbuffer_add(out, body, len);
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_setcb(c->bev, NULL, on_written, on_event, c);
}

static void respond_text(admin_conn *c, int status, const char *reason, const char *text,
                         int head_only)
{
    respond(c, status, reason, "text/plain; charset=utf-8", text, strlen(text), head_only);
}

/* Ready for traffic: workers reached and one of them has room now. */
static int ready(void)
{
    uint32_t n;
    uint64_t capacity, outstanding;
    px_workers_totals(&n, &capacity, &outstanding);
    return !stopping && n > 0 && outstanding < capacity;
}

static int path_is(tp_str p, const char *s)
{
    return p.len == strlen(s) && memcmp(p.ptr, s, p.len) == 0;
}

static void route(admin_conn *c, const px_h1_request *r)
{
    int head = path_is(r->method, "HEAD");
    if (!head && !path_is(r->method, "GET")) {
        respond_text(c, 405, "Method Not Allowed", "GET or HEAD only\n", 0);
        return;
    }
    size_t len = 0;
    char *body = NULL;
    if (path_is(r->path, "/metrics")) {
        body = px_admin_metrics_text(&len);
        if (body)
            respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, len, head);
    } else if (path_is(r->path, "/status")) {
        body = px_admin_status_json(&len);
        if (body)
            respond(c, 200, "OK", "application/json", body, len, head);
    } else if (path_is(r->path, "/healthz")) {
        respond_text(c, stopping ? 503 : 200, stopping ? "Service Unavailable" : "OK",
                     stopping ? "stopping\n" : "ok\n", head);
        return;
    } else if (path_is(r->path, "/readyz")) {
        int ok = ready();
        respond_text(c, ok ? 200 : 503, ok ? "OK" : "Service Unavailable",
                     ok ? "ready\n" : "no worker with room\n", head);
        return;
    } else if (path_is(r->path, "/")) {
        respond(c, 200, "OK", "text/html; charset=utf-8", px_admin_page, strlen(px_admin_page),
                head);
        return;
    } else {
        respond_text(c, 404, "Not Found", "not found: try /, /metrics, /status\n", head);
        return;
    }
    if (body == NULL)
        respond_text(c, 500, "Internal Server Error", "out of memory\n", head);
    free(body);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    admin_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len = evbuffer_get_length(in), used;
    const uint8_t *buf = evbuffer_pullup(in, -1);
    static const px_h1_limits limits = { 4094, ADMIN_MAX_FIELDS, 8190, ADMIN_MAX_HEAD };
    px_h1_request req;
    tp_header hdrs[ADMIN_MAX_FIELDS];
    memset(&req, 0, sizeof req);
    int rc = px_h1_parse_request(buf, len, &limits, &req, hdrs, ADMIN_MAX_FIELDS, &used);
    if (rc == PX_H1_AGAIN)
        return;
    if (rc == PX_H1_ERROR || req.h2_preface) {
        char line[128];
        int status = req.h2_preface ? 400 : req.error_status;
        snprintf(line, sizeof line, "bad request: %s\n",
                 req.h2_preface ? "HTTP/1.1 only"
                 : req.error    ? req.error
                                : "malformed");
        respond_text(c, status, "Bad Request", line, 0);
        return;
    }
    route(c, &req);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return;
    admin_conn *c = nconns < ADMIN_MAX_CONNS ? calloc(1, sizeof *c) : NULL;
    if (c)
        c->bev = bufferevent_socket_new(admin_base, cfd, BEV_OPT_CLOSE_ON_FREE);
    if (c == NULL || c->bev == NULL) {
        free(c);
        close(cfd);
        return;
    }
    c->next = conns;
    conns = c;
    nconns++;
    /* A client gets 5 s for its head and for reading the answer. */
    struct timeval tv = { 5, 0 };
    bufferevent_set_timeouts(c->bev, &tv, &tv);
    bufferevent_setwatermark(c->bev, EV_READ, 0, ADMIN_MAX_HEAD + 1);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ);
}

int px_admin_attach(struct event_base *base)
{
    if (admin_fd < 0)
        return 0;
    admin_base = base;
    accept_ev = event_new(base, admin_fd, EV_READ | EV_PERSIST, on_accept, NULL);
    return accept_ev && event_add(accept_ev, NULL) == 0 ? 0 : -1;
}

void px_admin_stopping(void) { stopping = 1; }

void px_admin_close(void)
{
    while (conns)
        conn_free(conns);
    if (accept_ev) {
        event_free(accept_ev);
        accept_ev = NULL;
    }
    if (admin_fd >= 0) {
        close(admin_fd);
        admin_fd = -1;
        if (admin_addr.ss.ss_family == AF_UNIX)
            unlink(((const struct sockaddr_un *)&admin_addr.ss)->sun_path);
    }
}

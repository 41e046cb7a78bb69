/* idle_holder.c: bench/'s idle-connection holder.  Opens TLS connections to
 * 127.0.0.1:PORT, makes one GET / on each (h2 when the server picks it in
 * ALPN, else HTTP/1.1), then keeps them idle -- answering h2 SETTINGS and
 * PING -- so bench/run can read what an idle connection costs the server.
 * C and one epoll loop because a Python holder spent 1.4 ms of CPU per
 * handshake and became what the 10,000-connection run measured.
 *
 * TOTALS is a list like 1000,10000: it opens connections up to the first
 * total and reports, then up to the next on request, so one server start
 * serves every count.  Driven over stdin/stdout by bench/run:
 *   stdout "opened N failed M"         once the step's connections are up or
 *                                      have failed (counts since the start)
 *   stdin "next"                       opens up to the next total, reports again
 *   stdin "alive" -> stdout "alive N"   connections the server has not closed
 *   stdin EOF                           closes everything and exits 0
 * usage: idle-holder PORT TOTALS [--h1] [--timeout SECONDS] [--deadline SECONDS]
 * --deadline bounds each step.  Exit status 2 on bad usage, 1 when the
 * holder itself cannot run. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define OPENING_AT_ONCE 256
#define MAX_STEPS 8
#define H1_HEAD_MAX 4096

enum state { ST_WAITING, ST_CONNECTING, ST_HANDSHAKE, ST_ANSWER, ST_IDLE, ST_CLOSED };

/* Just enough of an h2 frame reader to find the answer, SETTINGS and PING. */
typedef struct {
    unsigned char head[9];
    unsigned head_len;
    uint32_t left;            /* payload bytes of the current frame still to come */
    unsigned char ping[8];
    unsigned ping_len;
} h2_reader;

typedef struct {
    int fd;
    SSL *ssl;
    enum state st;
    int h2;
    uint32_t events;          /* what epoll watches now */
    double started;
    unsigned char out[160];   /* small frames waiting for the socket */
    unsigned out_len, retry_len;
    h2_reader rd;
    char *h1_buf;             /* the HTTP/1 answer, only until it is complete */
    size_t h1_len;
} conn;

static struct {
    int port, h1;
    int totals[MAX_STEPS], nsteps, step;
    int count;                /* the last total: connections allocated */
    double timeout, deadline;
    SSL_CTX *ctx;
    int ep;
    conn *c;
    int next, opening, up, failed;
    int fail_streak;          /* failures since the last success */
    char authority[32];
} H;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void watch(conn *c, uint32_t events)
{
    if (c->events == events)
        return;
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(H.ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
    c->events = events;
}

static void finish(conn *c, enum state st)
{
    if (c->st <= ST_ANSWER) {
        H.opening--;
        if (st == ST_IDLE) {
            H.up++;
            H.fail_streak = 0;
        } else {
            H.failed++;
            H.fail_streak++;
        }
    }
    c->st = st;
    free(c->h1_buf);
    c->h1_buf = NULL;
    if (st == ST_CLOSED) {
        if (c->ssl)
            SSL_free(c->ssl);
        c->ssl = NULL;
        close(c->fd);
        c->fd = -1;
    }
}

static void append(conn *c, const void *p, size_t n)
{
    if (c->out_len + n > sizeof c->out)
        return; /* cannot happen with the frames sent here; dropped rather than overrun */
    if (n) /* frames without payload pass NULL */
        memcpy(c->out + c->out_len, p, n);
    c->out_len += (unsigned)n;
}

static void append_frame(conn *c, uint8_t type, uint8_t flags, uint32_t stream,
                         const void *payload, size_t n)
{
    unsigned char h[9] = { (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n,
                           type, flags, (unsigned char)(stream >> 24),
                           (unsigned char)(stream >> 16), (unsigned char)(stream >> 8),
                           (unsigned char)stream };
    append(c, h, sizeof h);
    append(c, payload, n);
}

/* Writes what is queued; a write that must be retried keeps its length. */
static void flush_out(conn *c)
{
    while (c->out_len) {
        int len = (int)(c->retry_len ? c->retry_len : c->out_len);
        int n = SSL_write(c->ssl, c->out, len);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                c->retry_len = (unsigned)len;
                return;
            }
            finish(c, ST_CLOSED);
            return;
        }
        memmove(c->out, c->out + n, c->out_len - (unsigned)n);
        c->out_len -= (unsigned)n;
        c->retry_len = 0;
    }
}

static void send_request(conn *c)
{
    if (!c->h2) {
        char req[96];
        int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", H.authority);
        append(c, req, (size_t)n);
        return;
    }
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    append(c, preface, sizeof preface - 1);
    append_frame(c, 4, 0, 0, NULL, 0); /* SETTINGS, all defaults */
    /* HPACK: :method GET, :scheme https, :path / from the static table, then
     * :authority as a literal without indexing, no Huffman. */
    unsigned char block[40] = { 0x82, 0x87, 0x84, 0x01, (unsigned char)strlen(H.authority) };
    memcpy(block + 5, H.authority, strlen(H.authority));
    append_frame(c, 1, 0x1 | 0x4, 1, block, 5 + strlen(H.authority));
}

/* One complete frame head (and, for PING, its payload) was read. */
static void on_h2_frame(conn *c, uint8_t type, uint8_t flags, uint32_t stream)
{
    if (type == 4 && !(flags & 0x1))
        append_frame(c, 4, 0x1, 0, NULL, 0);                  /* SETTINGS ACK */
    else if (type == 6 && !(flags & 0x1))
        append_frame(c, 6, 0x1, 0, c->rd.ping, 8);            /* PING ACK */
    else if (type == 7 || (type == 3 && stream == 1))
        finish(c, ST_CLOSED);                                 /* GOAWAY, RST_STREAM */
    else if ((type == 0 || type == 1) && stream == 1 && (flags & 0x1) && c->st == ST_ANSWER)
        finish(c, ST_IDLE);                                   /* the answer ended */
}

static void feed_h2(conn *c, const unsigned char *p, size_t n)
{
    h2_reader *r = &c->rd;
    while (n && c->st != ST_CLOSED) {
        if (r->head_len < 9) {
            r->head[r->head_len++] = *p++;
            n--;
            if (r->head_len == 9) {
                r->left = (uint32_t)r->head[0] << 16 | (uint32_t)r->head[1] << 8 | r->head[2];
                r->ping_len = 0;
            }
        } else {
            size_t take = n < r->left ? n : r->left;
            if (r->head[3] == 6)
                for (size_t i = 0; i < take && r->ping_len < 8; i++)
                    r->ping[r->ping_len++] = p[i];
            p += take;
            n -= take;
            r->left -= (uint32_t)take;
        }
        if (r->head_len == 9 && r->left == 0) {
            uint32_t stream = ((uint32_t)r->head[5] << 24 | (uint32_t)r->head[6] << 16 |
                               (uint32_t)r->head[7] << 8 | r->head[8]) & 0x7fffffffu;
            r->head_len = 0;
            on_h2_frame(c, r->head[3], r->head[4], stream);
        }
    }
}

/* The HTTP/1 answer is complete once its head and Content-Length bytes are in. */
static void feed_h1(conn *c, const unsigned char *p, size_t n)
{
    if (c->st != ST_ANSWER)
        return; /* idle: nothing is expected, and nothing more is kept */
    if (!c->h1_buf && !(c->h1_buf = malloc(H1_HEAD_MAX))) {
        finish(c, ST_CLOSED);
        return;
    }
    size_t take = n < H1_HEAD_MAX - 1 - c->h1_len ? n : H1_HEAD_MAX - 1 - c->h1_len;
    memcpy(c->h1_buf + c->h1_len, p, take);
    c->h1_len += take;
    c->h1_buf[c->h1_len] = '\0';
    char *end = strstr(c->h1_buf, "\r\n\r\n");
    if (!end) {
        if (c->h1_len == H1_HEAD_MAX - 1) /* a head this large is not an answer to GET / */
            finish(c, ST_CLOSED);
        return;
    }
    size_t body = 0;
    for (char *line = strstr(c->h1_buf, "\r\n"); line && line < end;
         line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, "content-length:", 15) == 0)
            body = strtoul(line + 17, NULL, 10);
    if (c->h1_len >= (size_t)(end + 4 - c->h1_buf) + body)
        finish(c, ST_IDLE);
}

static void on_readable(conn *c)
{
    unsigned char buf[16384];
    for (;;) {
        int n = SSL_read(c->ssl, buf, sizeof buf);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                finish(c, ST_CLOSED); /* the server closed it (or broke it) */
            return;
        }
        if (c->h2)
            feed_h2(c, buf, (size_t)n);
        else
            feed_h1(c, buf, (size_t)n);
        if (c->st == ST_CLOSED)
            return;
    }
}

static void on_handshake(conn *c)
{
    int rc = SSL_connect(c->ssl);
    if (rc != 1) {
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ)
            watch(c, EPOLLIN);
        else if (e == SSL_ERROR_WANT_WRITE)
            watch(c, EPOLLOUT);
        else
            finish(c, ST_CLOSED);
        return;
    }
    const unsigned char *proto;
    unsigned proto_len;
    SSL_get0_alpn_selected(c->ssl, &proto, &proto_len);
    c->h2 = proto_len == 2 && memcmp(proto, "h2", 2) == 0;
    c->st = ST_ANSWER;
    send_request(c);
}

static void on_event(conn *c, uint32_t events)
{
    if (c->st == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            finish(c, ST_CLOSED);
            return;
        }
        c->st = ST_HANDSHAKE;
    }
    if (c->st == ST_HANDSHAKE)
        on_handshake(c);
    else if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        on_readable(c);
    if (c->st == ST_ANSWER || c->st == ST_IDLE) {
        flush_out(c);
        if (c->st != ST_CLOSED)
            watch(c, c->out_len ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }
}

static void start(conn *c)
{
    H.opening++;
    c->started = now();
    c->st = ST_CONNECTING;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) { /* out of descriptors: counted, nothing to close */
        H.opening--;
        H.failed++;
        c->st = ST_CLOSED;
        return;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)H.port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) ||
        !(c->ssl = SSL_new(H.ctx))) {
        finish(c, ST_CLOSED);
        return;
    }
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_connect_state(c->ssl);
    watch(c, EPOLLOUT);
}

/* Connections not up within --timeout (or at all by the deadline) fail. */
static void expire(double t, int all)
{
    for (int i = 0; i < H.next; i++) {
        conn *c = &H.c[i];
        if (c->st >= ST_CONNECTING && c->st <= ST_ANSWER && (all || t - c->started > H.timeout))
            finish(c, ST_CLOSED);
    }
}

static int alive(void)
{
    int n = 0;
    for (int i = 0; i < H.count; i++)
        n += H.c[i].st == ST_IDLE;
    return n;
}

/* The controller's commands; returns 0 at EOF, else 1, or 2 for "next". */
static int on_stdin(void)
{
    char line[64];
    ssize_t n = read(0, line, sizeof line - 1);
    if (n <= 0)
        return 0;
    line[n] = '\0';
    if (strstr(line, "alive")) {
        printf("alive %d\n", alive());
        fflush(stdout);
    }
    return strstr(line, "next") && H.step + 1 < H.nsteps ? 2 : 1;
}

static void run(void)
{
    struct epoll_event evs[256];
    double deadline = now() + H.deadline;
    double last_expiry = 0;
    int reported = 0, target = H.totals[0];
    for (;;) {
        while (!reported && H.opening < OPENING_AT_ONCE && H.next < target)
            start(&H.c[H.next++]);
        /* A server that stopped taking connections (Gunicorn holds 1,000 per
         * worker) fails every new one by --timeout: two full batches of
         * failures in a row end the step without waiting for the deadline. */
        int refused = H.fail_streak >= 2 * OPENING_AT_ONCE;
        if (!reported && (now() > deadline || refused || (H.next == target && H.opening == 0))) {
            expire(now(), 1);
            printf("opened %d failed %d\n", H.up, H.failed);
            fflush(stdout);
            reported = 1;
        }
        int n = epoll_wait(H.ep, evs, 256, 50);
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr) {
                int cmd = on_stdin();
                if (cmd == 0)
                    return;
                if (cmd == 2 && reported) {
                    target = H.totals[++H.step];
                    deadline = now() + H.deadline;
                    H.fail_streak = 0;
                    reported = 0;
                }
            } else if (((conn *)evs[i].data.ptr)->st != ST_CLOSED) {
                on_event(evs[i].data.ptr, evs[i].events);
            }
        }
        double t = now();
        if (!reported && t - last_expiry > 0.1) { /* a scan of all, so not per event */
            expire(t, 0);
            last_expiry = t;
        }
    }
}

/* "1000,10000": increasing totals; -1 when not that. */
static int parse_totals(const char *arg)
{
    char *end;
    for (const char *p = arg; *p; p = end + (*end == ',')) {
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || v <= 0 || v > 1000000 ||
            H.nsteps == MAX_STEPS || (H.nsteps && v <= H.totals[H.nsteps - 1]))
            return -1;
        H.totals[H.nsteps++] = (int)v;
    }
    if (H.nsteps == 0)
        return -1;
    H.count = H.totals[H.nsteps - 1];
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: idle-holder PORT TOTAL[,TOTAL...] [--h1] [--timeout SECONDS] "
                    "[--deadline SECONDS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    H.port = atoi(argv[1]);
    if (parse_totals(argv[2]) < 0)
        return usage();
    H.timeout = 20;
    H.deadline = 60;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--h1") == 0)
            H.h1 = 1;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            H.timeout = atof(argv[++i]);
        else if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc)
            H.deadline = atof(argv[++i]);
        else
            return usage();
    }
    if (H.port <= 0 || H.port > 65535)
        return usage();
    signal(SIGPIPE, SIG_IGN); /* a server that closed first is counted, not fatal */
    snprintf(H.authority, sizeof H.authority, "127.0.0.1:%d", H.port);
    static const unsigned char alpn_h2[] = "\x02h2\x08http/1.1", alpn_h1[] = "\x08http/1.1";
    H.ctx = SSL_CTX_new(TLS_client_method());
    H.c = calloc((size_t)H.count, sizeof *H.c);
    H.ep = epoll_create1(EPOLL_CLOEXEC);
    if (!H.ctx || !H.c || H.ep < 0) {
        fprintf(stderr, "idle-holder: cannot start: %s\n", strerror(errno));
        return 1;
    }
    SSL_CTX_set_verify(H.ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(H.ctx, SSL_MODE_RELEASE_BUFFERS); /* the holder's own memory stays small */
    /* The controller's pipe: without it nothing would ever stop the holder. */
    struct epoll_event in = { .events = EPOLLIN, .data.ptr = NULL };
    if (epoll_ctl(H.ep, EPOLL_CTL_ADD, 0, &in) < 0) {
        fprintf(stderr, "idle-holder: stdin must be a pipe or a terminal: %s\n", strerror(errno));
        return 2;
    }
    if (H.h1)
        SSL_CTX_set_alpn_protos(H.ctx, alpn_h1, sizeof alpn_h1 - 1);
    else
        SSL_CTX_set_alpn_protos(H.ctx, alpn_h2, sizeof alpn_h2 - 1);
    run();
    for (int i = 0; i < H.count; i++)
        if (H.c[i].st != ST_CLOSED && H.c[i].st != ST_WAITING)
            finish(&H.c[i], ST_CLOSED);
    free(H.c);
    SSL_CTX_free(H.ctx);
    close(H.ep);
    return 0;
}

/* px_conn_io.c: a client connection's bytes on the socket.  TLS records are
 * sealed into a buffer through our own BIO and written with one writev per
 * loop turn; reads come straight from the socket through the same BIO with
 * read-ahead.  The write event is added only while the socket refuses
 * bytes, so a request that fits the socket costs no epoll_ctl. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "px_conn.h"
#include "px_limits.h"
#include "px_thread.h"
#include "tc_log.h"

/* One read callback takes at most this much: other connections get a turn. */
#define IO_READ_MAX (64 * 1024)
/* Records sealed ahead of the socket: one writev's worth, also the bound on
 * what a slow client holds sealed (the rest stays plaintext in out). */
#define IO_WIRE_MAX (128 * 1024)
/* Chains shorter than this are gathered into one record (frame heads, small
 * responses); longer ones are sealed where they lie, without a copy. */
#define IO_GATHER_MAX 2048
#define IO_RECORD_MAX 16384

enum io_status { IO_OK, IO_EOF, IO_ERROR };

static void io_read_cb(evutil_socket_t fd, short what, void *arg);
static void io_write_cb(evutil_socket_t fd, short what, void *arg);

/* ---- the BIO under the TLS session ---- */

static BIO_METHOD *io_method;

static int bio_write(BIO *b, const char *data, int len)
{
    px_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    /* Sealed records wait for the turn's writev. */
    return evbuffer_add(c->io.wire, data, (size_t)len) == 0 ? len : -1;
}

static int bio_read(BIO *b, char *buf, int len)
{
    px_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    ssize_t n;
    do
        n = recv(c->fd, buf, (size_t)len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        BIO_set_retry_read(b);
        return -1;
    }
    if (n == 0)
        c->io.eof = 1; /* asked by BIO_eof: a close without close_notify */
    /* Less than asked: the socket is empty for now (level-triggered, the
     * event says when it is not), so a further read would only fail. */
    c->io.drained = n >= 0 && n < len;
    return (int)n; /* 0: the client closed; -1: a socket error (SSL_ERROR_SYSCALL) */
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    if (cmd == BIO_CTRL_FLUSH)
        return 1;
    /* OpenSSL tells an unexpected EOF (suppress_ragged_eofs off) from a
     * socket error by it. */
    if (cmd == BIO_CTRL_EOF)
        return ((px_conn *)BIO_get_data(b))->io.eof;
    return 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void io_method_make(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tandem conn");
    if (m && BIO_meth_set_write(m, bio_write) && BIO_meth_set_read(m, bio_read) &&
        BIO_meth_set_ctrl(m, bio_ctrl) && BIO_meth_set_create(m, bio_create))
        io_method = m;
    else
        BIO_meth_free(m);
}

static BIO *io_bio_new(px_conn *c)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, io_method_make);
    BIO *b = io_method ? BIO_new(io_method) : NULL;
    if (b)
        BIO_set_data(b, c);
    return b;
}

/* ---- events ---- */

static void out_changed_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    px_conn *c = arg;
    (void)buf;
    /* New output goes out at the end of the turn (px_conn_flush). */
    if (info->n_added && !c->io.flushing)
        px_conn_mark_dirty(c);
}

static void in_changed_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    px_conn *c = arg;
    if (info->n_deleted && c->io.read_full && evbuffer_get_length(buf) < c->io.read_high) {
        c->io.read_full = 0;
        px_conn_io_update_read(c);
        /* Records OpenSSL read ahead wake no event of the socket. */
        if (c->ssl && SSL_has_pending(c->ssl))
            event_active(&c->io.rev, EV_READ, 0);
    }
}

/* The buffers, then their callbacks: -1 out of memory (what was made stays
 * for io_buffers_free). */
static int io_buffers_new(px_conn *c)
{
    px_conn_io *io = &c->io;
    io->in = evbuffer_new();
    io->out = evbuffer_new();
    if (c->ssl)
        io->wire = evbuffer_new();
    return !io->in || !io->out || (c->ssl && !io->wire) ? -1 : 0;
}

static int io_buffers_watch(px_conn *c)
{
    px_conn_io *io = &c->io;
    if (!evbuffer_add_cb(io->out, out_changed_cb, c) || !evbuffer_add_cb(io->in, in_changed_cb, c))
        return -1;
    return 0;
}

static void io_buffers_free(px_conn_io *io)
{
    if (io->in)
        evbuffer_free(io->in);
    if (io->out)
        evbuffer_free(io->out);
    if (io->wire)
        evbuffer_free(io->wire);
    io->in = io->out = io->wire = NULL;
}

int px_conn_io_open(px_conn *c)
{
    px_conn_io *io = &c->io;
    struct event_base *base = c->th->base;
    if (io_buffers_new(c) < 0)
        goto fail;
    if (c->ssl) {
        BIO *b = io_bio_new(c);
        if (!b)
            goto fail;
        SSL_set_bio(c->ssl, b, b); /* the SSL owns it */
        SSL_set_read_ahead(c->ssl, 1);
        SSL_set_accept_state(c->ssl);
    }
    if (io_buffers_watch(c) < 0)
        goto fail;
    event_assign(&io->rev, base, c->fd, EV_READ | EV_PERSIST, io_read_cb, c);
    event_assign(&io->wev, base, c->fd, EV_WRITE | EV_PERSIST, io_write_cb, c);
    io->open = 1;
    io->handshaken = !c->ssl;
    px_conn_io_update_read(c);
    return 0;
fail:
    px_conn_io_close(c);
    return -1;
}

void px_conn_io_close_events(px_conn *c)
{
    px_conn_io *io = &c->io;
    if (io->open) {
        event_del(&io->rev);
        event_del(&io->wev);
    }
    io->reading = io->writing = 0;
}

void px_conn_io_close(px_conn *c)
{
    px_conn_io *io = &c->io;
    px_conn_io_close_events(c);
    io->open = 0;
    io->asleep = 0;
    io_buffers_free(io);
}

/* Adds or deletes ev as want says, only when that changes (*added). */
static void watch(struct event *ev, uint8_t *added, int want)
{
    if (want && !*added) {
        if (event_add(ev, NULL) == 0)
            *added = 1;
    } else if (!want && *added) {
        event_del(ev);
        *added = 0;
    }
}

void px_conn_io_update_read(px_conn *c)
{
    px_conn_io *io = &c->io;
    if (!io->open)
        return;
    watch(&io->rev, &io->reading,
          !c->read_paused && !io->read_full &&
              (c->closing == PX_CLOSE_NONE || c->closing == PX_CLOSE_LINGER));
}

static void want_write(px_conn *c, int want) { watch(&c->io.wev, &c->io.writing, want); }

/* ---- reading ---- */

static void log_tls_error(px_conn *c, const char *what)
{
    unsigned long e = ERR_get_error();
    if (e) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        tc_debug("conn %u: TLS %s: %s", c->id, what, buf);
    }
    ERR_clear_error();
}

static enum io_status tls_fill(px_conn *c, size_t want, size_t *got)
{
    while (*got < want) {
        struct evbuffer_iovec v;
        size_t ask = want - *got;
        if (evbuffer_reserve_space(c->io.in, ask < IO_RECORD_MAX ? ask : IO_RECORD_MAX, &v, 1) < 1)
            return IO_ERROR;
        size_t len = v.iov_len < ask ? v.iov_len : ask;
        int n = SSL_read(c->ssl, v.iov_base, len > INT32_MAX ? INT32_MAX : (int)len);
        if (n > 0) {
            v.iov_len = (size_t)n;
            evbuffer_commit_space(c->io.in, &v, 1);
            *got += (size_t)n;
            if (c->io.drained && !SSL_has_pending(c->ssl))
                return IO_OK; /* saves the recv that would say EAGAIN */
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            return IO_OK;
        if (e == SSL_ERROR_ZERO_RETURN)
            return IO_EOF;
        log_tls_error(c, "error");
        return IO_ERROR;
    }
    return IO_OK;
}

/* Our own readv: libevent's evbuffer_read takes at most 4 KiB a call. */
static enum io_status plain_fill(px_conn *c, size_t want, size_t *got)
{
    struct evbuffer_iovec v[2];
    int nv = evbuffer_reserve_space(c->io.in, (ssize_t)want, v, 2);
    if (nv < 1)
        return IO_ERROR;
    struct iovec iov[2];
    size_t room = 0;
    for (int i = 0; i < nv; i++) {
        size_t len = v[i].iov_len < want - room ? v[i].iov_len : want - room;
        iov[i] = (struct iovec){ v[i].iov_base, len };
        room += len;
    }
    ssize_t n;
    do
        n = readv(c->fd, iov, nv);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        evbuffer_commit_space(c->io.in, v, 0);
        if (n == 0)
            return IO_EOF;
        return errno == EAGAIN || errno == EWOULDBLOCK ? IO_OK : IO_ERROR;
    }
    size_t left = (size_t)n;
    for (int i = 0; i < nv; i++) {
        v[i].iov_len = left < iov[i].iov_len ? left : iov[i].iov_len;
        left -= v[i].iov_len;
    }
    evbuffer_commit_space(c->io.in, v, nv);
    *got = (size_t)n;
    return IO_OK;
}

/* Lingering: what the client still sends is read and dropped, undecrypted. */
static void linger_read(px_conn *c)
{
    char sink[4096];
    ssize_t n = recv(c->fd, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        px_conn_close(c, PX_CLOSE_NOW);
}

/* 0 once the handshake is done, -1 while it waits or when it failed. */
static int handshake_step(px_conn *c)
{
    int r = SSL_do_handshake(c->ssl);
    px_conn_io_send(c); /* its flight, or the alert */
    if (r == 1) {
        c->io.handshaken = 1;
        px_conn_handshake_done(c);
        return c->closing ? -1 : 0;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        return -1;
    }
    log_tls_error(c, "handshake failed");
    px_conn_close(c, PX_CLOSE_NOW);
    return -1;
}

static void io_read_cb(evutil_socket_t fd, short what, void *arg)
{
    px_conn *c = arg;
    px_conn_io *io = &c->io;
    (void)fd;
    (void)what;
    if (c->closing == PX_CLOSE_LINGER) {
        linger_read(c);
        return;
    }
    if (c->closing || !io->open)
        return;
    if (px_conn_io_wake(c) < 0) {
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    if (!io->handshaken && handshake_step(c) < 0)
        return;
    size_t have = evbuffer_get_length(io->in), want = IO_READ_MAX, got = 0;
    if (io->read_high)
        want = have >= io->read_high ? 0 : io->read_high - have;
    if (want > IO_READ_MAX)
        want = IO_READ_MAX;
    enum io_status st = IO_OK;
    if (want && !c->read_paused)
        st = c->ssl ? tls_fill(c, want, &got) : plain_fill(c, want, &got);
    int later = io->read_later;
    io->read_later = 0;
    if (got || later)
        c->ops->on_read(c);
    if (c->closing == PX_CLOSE_NOW)
        return;
    if (st != IO_OK) {
        /* EOF means the client left (as nginx reads it): a half-closed
         * HTTP/1 client is not told apart, and its request is cancelled so
         * the worker is free at once. */
        px_conn_close(c, PX_CLOSE_NOW);
        return;
    }
    if (io->wire && evbuffer_get_length(io->wire))
        px_conn_mark_dirty(c); /* TLS wrote on its own (a key update, tickets) */
    if (io->read_high && evbuffer_get_length(io->in) >= io->read_high) {
        io->read_full = 1;
        px_conn_io_update_read(c);
    } else if (got == want && c->ssl && SSL_has_pending(c->ssl) && !c->read_paused) {
        /* Stopped at the turn's share with records read ahead: the socket
         * may stay silent, so come back by ourselves. */
        event_active(&io->rev, EV_READ, 0);
    }
}

/* ---- writing ---- */

/* Seals plaintext into records until the wire holds IO_WIRE_MAX.  Short
 * chains are gathered into one record (one pullup of at most 16 KiB of
 * them); a long chain is sealed in place, 16 KiB at a time. */
static int seal(px_conn *c)
{
    px_conn_io *io = &c->io;
    size_t left;
    while ((left = evbuffer_get_length(io->out)) > 0 &&
           evbuffer_get_length(io->wire) < IO_WIRE_MAX) {
        struct evbuffer_iovec v[8];
        int nv = evbuffer_peek(io->out, IO_RECORD_MAX, NULL, v, 8);
        if (nv < 1)
            return -1;
        size_t n = v[0].iov_len;
        if (n < IO_GATHER_MAX) {
            int k = nv < 8 ? nv : 8;
            for (int i = 1; i < k && v[i].iov_len < IO_GATHER_MAX; i++)
                n += v[i].iov_len;
        }
        if (n > IO_RECORD_MAX)
            n = IO_RECORD_MAX;
        if (n > left)
            n = left;
        const unsigned char *p = n <= v[0].iov_len ? v[0].iov_base : evbuffer_pullup(io->out, (ssize_t)n);
        if (!p)
            return -1;
        int r = SSL_write(c->ssl, p, (int)n);
        if (r <= 0) {
            log_tls_error(c, "write failed");
            return -1;
        }
        evbuffer_drain(io->out, (size_t)r);
    }
    return 0;
}

/* Writes what the socket takes; -1 on a socket error. */
static int write_out(px_conn *c, struct evbuffer *buf)
{
    while (evbuffer_get_length(buf)) {
        int n = evbuffer_write_atmost(buf, c->fd, -1);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        tc_debug("conn %u: write to the client: %s", c->id, n < 0 ? strerror(errno) : "closed");
        return -1;
    }
    return 0;
}

static size_t pending(const px_conn *c)
{
    return (c->io.out ? evbuffer_get_length(c->io.out) : 0) +
           (c->io.wire ? evbuffer_get_length(c->io.wire) : 0);
}

void px_conn_io_send(px_conn *c)
{
    px_conn_io *io = &c->io;
    /* Asleep: nothing was pending when the buffers went. */
    if (!io->open || io->asleep || c->closing == PX_CLOSE_NOW || c->closing == PX_CLOSE_LINGER)
        return;
    if (pending(c) > PX_OUT_LOW)
        io->over_low = 1;
    for (;;) {
        if (io->wire && io->handshaken && seal(c) < 0) {
            px_conn_close(c, PX_CLOSE_NOW);
            return;
        }
        struct evbuffer *buf = io->wire ? io->wire : io->out;
        if (write_out(c, buf) < 0) {
            px_conn_close(c, PX_CLOSE_NOW);
            return;
        }
        /* The wire drained with plaintext left over: seal the next part. */
        if (evbuffer_get_length(buf) || !io->wire || !io->handshaken ||
            !evbuffer_get_length(io->out))
            break;
    }
    size_t left = pending(c);
    want_write(c, left > 0);
    if (left <= PX_OUT_LOW && io->over_low) {
        /* Room again: the protocol may produce more (it marks itself
         * dirty, so that goes out in this turn's next flush round). */
        io->over_low = 0;
        if (!c->closing)
            c->ops->on_write(c);
    }
    if (left == 0 && c->closing == PX_CLOSE_FLUSH)
        px_conn_io_drained(c);
}

static void io_write_cb(evutil_socket_t fd, short what, void *arg)
{
    px_conn *c = arg;
    (void)fd;
    (void)what;
    px_conn_io_send(c);
}

void px_conn_io_linger(px_conn *c)
{
    (void)px_conn_io_wake(c); /* without buffers: no close_notify, still the FIN */
    if (c->ssl && c->io.handshaken && c->io.wire) {
        /* close_notify: written if the socket takes it, as nginx does. */
        SSL_set_quiet_shutdown(c->ssl, 0);
        (void)SSL_shutdown(c->ssl);
        ERR_clear_error();
        (void)write_out(c, c->io.wire);
    }
    shutdown(c->fd, SHUT_WR);
    want_write(c, 0);
    if (c->io.in)
        evbuffer_drain(c->io.in, evbuffer_get_length(c->io.in));
    px_conn_io_update_read(c);
}

void px_conn_io_read_later(px_conn *c)
{
    if (!c->io.open || c->closing)
        return;
    c->io.read_later = 1;
    event_active(&c->io.rev, EV_READ, 0);
}

void px_conn_io_set_read_high(px_conn *c, size_t high)
{
    px_conn_io *io = &c->io;
    io->read_high = high;
    if (io->read_full && (!high || !io->in || evbuffer_get_length(io->in) < high)) {
        io->read_full = 0;
        px_conn_io_update_read(c);
    }
}

size_t px_conn_io_pending(px_conn *c) { return c->io.open ? pending(c) : 0; }

/* An idle connection's buffers hold nothing, yet cost 530 bytes of heap
 * (three evbuffers and two callbacks) and keep the empty chain a read
 * that found no record reserved (32 KiB: libevent's drain frees chains
 * only of a buffer that holds bytes).  They go, and come back at the
 * connection's next event (px_conn_io_wake). */
void px_conn_io_release_idle(px_conn *c)
{
    px_conn_io *io = &c->io;
    if (!io->open || io->asleep || c->closing || pending(c) || evbuffer_get_length(io->in) ||
        (c->ssl && SSL_has_pending(c->ssl)))
        return;
    io_buffers_free(io);
    io->asleep = 1;
}

int px_conn_io_wake(px_conn *c)
{
    px_conn_io *io = &c->io;
    if (!io->asleep)
        return 0;
    if (io_buffers_new(c) < 0 || io_buffers_watch(c) < 0) {
        io_buffers_free(io);
        tc_warn("conn %u: out of memory for its buffers: dropped", c->id);
        return -1;
    }
    io->asleep = 0;
    return 0;
}

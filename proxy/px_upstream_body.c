/* px_upstream_body.c: a large RESPONSE_DATA body read from the worker's
 * socket straight into response pieces (px_piece.h), so that its bytes are
 * never copied in the proxy's user space on their way to the client. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <event2/buffer.h>
#include "px_upstream_int.h"

/* Read after the body: the next frame's header and a little of the next
 * body (copied), so a run of small frames still costs few reads. */
#define TAIL_READ 4096

void px_up_body_free(px_up_body *b)
{
    for (uint32_t i = 0; i < b->npieces; i++)
        px_piece_unref(b->pieces[i]);
    b->npieces = 0;
    b->left = 0;
}

/* Counts n bytes read into the pieces. */
static void advance(px_up_body *b, size_t n)
{
    b->left -= (uint32_t)n;
    while (n > 0) {
        px_piece *p = b->pieces[b->fill];
        size_t k = p->len - b->fill_off < n ? p->len - b->fill_off : n;
        n -= k;
        b->fill_off += (uint32_t)k;
        if (b->fill_off == p->len) {
            b->fill++;
            b->fill_off = 0;
        }
    }
}

int px_up_body_start(px_upstream *u, const tp_frame_header *fh)
{
    px_up_body *b = &u->body;
    size_t len = fh->length;
    b->npieces = 0;
    for (size_t at = 0; at < len; at += PX_PIECE_MAX) {
        size_t k = len - at < PX_PIECE_MAX ? len - at : PX_PIECE_MAX;
        px_piece *p = px_piece_new(k);
        if (!p) {
            px_up_body_free(b);
            return 0; /* the frame is read the ordinary way */
        }
        if (b->npieces)
            b->pieces[b->npieces - 1]->next = p;
        b->pieces[b->npieces++] = p;
    }
    evbuffer_remove(u->in, b->head, TP_HEADER_SIZE);
    b->fh = *fh;
    b->fill = 0;
    b->fill_off = 0;
    b->left = (uint32_t)len;
    /* What of the body came with the header's read. */
    size_t have = evbuffer_get_length(u->in);
    while (have > 0) {
        px_piece *p = b->pieces[b->fill];
        size_t k = p->len - b->fill_off < have ? p->len - b->fill_off : have;
        evbuffer_remove(u->in, p->data + b->fill_off, k);
        advance(b, k);
        have -= k;
    }
    return 1;
}

int px_up_body_read(px_upstream *u)
{
    px_up_body *b = &u->body;
    struct iovec iov[PX_UP_BODY_PIECES + 2];
    struct evbuffer_iovec tail[2];
    int n = 0;
    for (uint32_t i = b->fill; i < b->npieces; i++) {
        size_t off = i == b->fill ? b->fill_off : 0;
        iov[n++] = (struct iovec){ b->pieces[i]->data + off, b->pieces[i]->len - off };
    }
    int nt = evbuffer_reserve_space(u->in, TAIL_READ, tail, 2);
    if (nt < 0)
        return -ENOMEM;
    for (int i = 0; i < nt; i++)
        iov[n + i] = (struct iovec){ tail[i].iov_base, tail[i].iov_len };
    ssize_t got;
    do
        got = readv(u->fd, iov, n + nt);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        evbuffer_commit_space(u->in, tail, 0);
        if (got == 0)
            return -EPIPE;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    }
    size_t body = (size_t)got < b->left ? (size_t)got : b->left;
    advance(b, body);
    size_t rest = (size_t)got - body;
    for (int i = 0; i < nt; i++) {
        size_t k = rest < tail[i].iov_len ? rest : tail[i].iov_len;
        tail[i].iov_len = k;
        rest -= k;
    }
    evbuffer_commit_space(u->in, tail, nt);
    return b->left == 0;
}

struct evbuffer *px_up_body_frame(px_upstream *u)
{
    px_up_body *b = &u->body;
    struct evbuffer *f = evbuffer_new();
    if (!f || evbuffer_add(f, b->head, TP_HEADER_SIZE) < 0)
        goto fail;
    for (uint32_t i = 0; i < b->npieces; i++)
        if (px_piece_add(f, b->pieces[i]) < 0)
            goto fail;
    return f;
fail:
    if (f)
        evbuffer_free(f);
    return NULL;
}

/* px_piece.c: response body pieces with room for an HTTP/2 frame header
 * (px_piece.h).  A piece sent whole costs no copy after the one out of the
 * worker's read buffer, and header and payload are sealed as one record. */
#include "config.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "px_piece.h"
#include "px_stream.h"

_Static_assert(offsetof(px_piece, data) == offsetof(px_piece, room) + PX_PIECE_ROOM,
               "the frame header's room lies right before the payload");

static void unref(px_piece *p)
{
    if (--p->refs == 0)
        free(p);
}

static void chain_gone_cb(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    unref(arg);
}

static void enqueue(px_stream *s, px_piece *p, uint64_t at)
{
    p->at = at;
    p->next = NULL;
    p->refs++;
    if (s->pieces)
        s->pieces_last->next = p;
    else
        s->pieces = p;
    s->pieces_last = p;
}

static void dequeue(px_stream *s)
{
    px_piece *p = s->pieces;
    s->pieces = p->next;
    if (!s->pieces)
        s->pieces_last = NULL;
    unref(p);
}

/* Pieces a frame's body was read into (px_piece_hand), oldest first. */
static _Thread_local px_piece *handed;

px_piece *px_piece_new(size_t len)
{
    px_piece *p = malloc(sizeof *p + len);
    if (p) {
        p->next = NULL;
        p->len = (uint32_t)len;
        p->refs = 1;
    }
    return p;
}

void px_piece_unref(px_piece *p) { unref(p); }

/* Appends len bytes of p's from at to buf as a chain holding a reference. */
static int add_chain(struct evbuffer *buf, px_piece *p, const void *at, size_t len)
{
    p->refs++;
    if (evbuffer_add_reference(buf, at, len, chain_gone_cb, p) < 0) {
        p->refs--;
        return -1;
    }
    return 0;
}

int px_piece_add(struct evbuffer *buf, px_piece *p) { return add_chain(buf, p, p->data, p->len); }

void px_piece_hand(px_piece *list) { handed = list; }

void px_piece_hand_back(void) { handed = NULL; }

/* The handed piece at the front of in, if it is whole and k long: taken
 * over without a copy. */
static px_piece *handed_front(struct evbuffer *in, size_t k)
{
    struct evbuffer_iovec v;
    while (handed && evbuffer_peek(in, -1, NULL, &v, 1) == 1) {
        if (v.iov_base == (void *)handed->data)
            return v.iov_len == handed->len && k == handed->len ? handed : NULL;
        handed = handed->next; /* gone by other ways, or not in in */
    }
    return NULL;
}

/* Puts the handed piece p (the front of in) at the end of s->resp. */
static int adopt(px_stream *s, struct evbuffer *in, px_piece *p)
{
    if (px_piece_add(s->resp, p) < 0)
        return -1;
    evbuffer_drain(in, p->len); /* in's reference */
    handed = p->next;
    return 0;
}

int px_piece_take(px_stream *s, struct evbuffer *in, size_t n)
{
    uint64_t at = s->resp_in;
    while (n > 0) {
        size_t k = n < PX_PIECE_MAX ? n : PX_PIECE_MAX;
        px_piece *h = handed_front(in, k);
        if (h) {
            if (adopt(s, in, h) < 0) {
                evbuffer_drain(in, n);
                return -1;
            }
            if (s->pieces_framed)
                enqueue(s, h, at);
            at += k;
            n -= k;
            continue;
        }
        px_piece *p = px_piece_new(k);
        if (p)
            evbuffer_remove(in, p->data, k); /* in holds the frame whole */
        if (!p || px_piece_add(s->resp, p) < 0) {
            evbuffer_drain(in, p ? n - k : n);
            if (p)
                unref(p);
            return -1;
        }
        if (s->pieces_framed)
            enqueue(s, p, at);
        unref(p); /* s->resp's chain (and the queue) hold it */
        at += k;
        n -= k;
    }
    return 0;
}

/* Drops the pieces that have left s->resp whole or in part. */
static void drop_gone(px_stream *s)
{
    while (s->pieces && s->pieces->at + s->pieces->len <= s->resp_out)
        dequeue(s);
}

px_piece *px_piece_front(px_stream *s)
{
    drop_gone(s);
    px_piece *p = s->pieces;
    if (!p || p->at != s->resp_out)
        return NULL;
    /* The queue holds p, so no other chain can start at its bytes. */
    struct evbuffer_iovec v;
    if (evbuffer_peek(s->resp, -1, NULL, &v, 1) < 1 || v.iov_base != (void *)p->data ||
        v.iov_len != p->len)
        return NULL;
    return p;
}

size_t px_piece_frame_max(px_stream *s)
{
    drop_gone(s);
    const px_piece *p = s->pieces;
    if (!p)
        return SIZE_MAX;
    /* Up to the next piece's start, or the end of one a short window cut. */
    return (size_t)(p->at > s->resp_out ? p->at - s->resp_out : p->at + p->len - s->resp_out);
}

int px_piece_send_framed(px_stream *s, px_piece *p, struct evbuffer *out, const uint8_t hd[9])
{
    memcpy(p->room, hd, PX_PIECE_ROOM);
    if (add_chain(out, p, p->room, PX_PIECE_ROOM + (size_t)p->len) < 0)
        return -1;
    evbuffer_drain(s->resp, p->len); /* drops the chain's reference */
    s->resp_out += p->len;
    dequeue(s);
    return 0;
}

void px_piece_consumed(px_stream *s, size_t n) { s->resp_out += n; }

void px_piece_forget(px_stream *s)
{
    while (s->pieces)
        dequeue(s);
}

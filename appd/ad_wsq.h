/* ad_wsq.h: the bookkeeping of a WebSocket stream's incoming messages
 * (tandem-protocol(7) WEBSOCKETS): the body buffer holds whole messages and
 * then the one still arriving, and this queue remembers where each whole
 * one ends, whether it is text, and how many received bytes may be credited
 * back to the proxy.  The rule: bytes are credited as they arrive while no
 * whole message waits for the app (a message may be larger than the
 * window, and the app only ever sees whole ones), and once it took them
 * otherwise, so a stream holds at most one whole message beyond its window.
 * Pure C, no I/O; the stream layer (ad_stream.c) keeps one per stream.
 * Errors: ad_wsq_feed returns -1 when out of memory (nothing changed). */
#ifndef TANDEM_AD_WSQ_H
#define TANDEM_AD_WSQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    struct ad_wsq_msg {
        uint32_t len;
        int text;
    } * msgs; /* whole messages, a ring from first */
    uint32_t first, count, cap;
    size_t partial; /* bytes of the message still arriving */
    uint32_t owed;  /* bytes received and not credited yet */
} ad_wsq;

/* Forgets every message (keeps the ring's memory). */
void ad_wsq_reset(ad_wsq *q);
void ad_wsq_free(ad_wsq *q);
/* n more bytes arrived; end: they complete a message, text or binary. */
int ad_wsq_feed(ad_wsq *q, uint32_t n, int end, int text);
/* The oldest whole message: 1 with its length and kind, 0 when none. */
int ad_wsq_peek(const ad_wsq *q, size_t *len, int *text);
/* The app took the oldest whole message. */
void ad_wsq_pop(ad_wsq *q);
/* Bytes to credit now (and no longer owed): all that were received, once
 * no whole message waits; 0 while one does. */
uint32_t ad_wsq_credit(ad_wsq *q);

#endif

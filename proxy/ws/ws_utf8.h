/* ws_utf8.h: incremental UTF-8 validation (RFC 3629) for WebSocket text
 * messages and close reasons, whose bytes arrive in pieces split anywhere.
 * Pure: no I/O, no allocation.  Overlong forms, surrogates (U+D800..DFFF)
 * and code points above U+10FFFF are invalid; RFC 6455 §8.1 asks an
 * endpoint to fail the connection (1007) on the first invalid byte. */
#ifndef TANDEM_WS_UTF8_H
#define TANDEM_WS_UTF8_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t need;   /* continuation bytes still expected */
    uint8_t lo, hi; /* the range the next continuation byte must fall in */
    uint8_t bad;    /* an invalid byte was seen: stays invalid */
} ws_utf8;

void ws_utf8_init(ws_utf8 *u);
/* Feeds n more bytes: 0 while everything so far can start valid text, -1
 * from the first byte that cannot (and ever after). */
int ws_utf8_feed(ws_utf8 *u, const uint8_t *p, size_t n);
/* The text may end here: valid and not inside a character. */
int ws_utf8_complete(const ws_utf8 *u);
/* The whole of p[0..n) is valid UTF-8. */
int ws_utf8_valid(const uint8_t *p, size_t n);

#endif

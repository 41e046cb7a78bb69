/* ws_utf8.c: incremental UTF-8 validation (ws_utf8.h).  The lead byte fixes
 * how many continuation bytes follow and the range of the first one, which
 * is where overlong forms, surrogates and code points past U+10FFFF show
 * (RFC 3629 §4, "UTF8-2..UTF8-4"); later continuation bytes are 80..BF. */
#include "config.h"
#include <string.h>
#include "ws_utf8.h"

void ws_utf8_init(ws_utf8 *u) { memset(u, 0, sizeof *u); }

/* A lead byte: sets what must follow; -1 for a byte no character starts with. */
static int lead(ws_utf8 *u, uint8_t c)
{
    u->lo = 0x80;
    u->hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        u->need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        u->need = 2;
        if (c == 0xe0)
            u->lo = 0xa0; /* below: overlong */
        else if (c == 0xed)
            u->hi = 0x9f; /* above: surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        u->need = 3;
        if (c == 0xf0)
            u->lo = 0x90; /* below: overlong */
        else if (c == 0xf4)
            u->hi = 0x8f; /* above: past U+10FFFF */
    } else {
        return -1; /* 80..C1 (continuation, overlong 2-byte) or F5..FF */
    }
    return 0;
}

/* Skips ASCII eight bytes at a time: most text is mostly ASCII. */
static size_t ascii_run(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        if (x & UINT64_C(0x8080808080808080))
            break;
        i += 8;
    }
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

int ws_utf8_feed(ws_utf8 *u, const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (u->bad)
        return -1;
    while (i < n) {
        if (u->need == 0) {
            i += ascii_run(p + i, n - i);
            if (i == n)
                break;
            if (lead(u, p[i++]) < 0)
                goto bad;
            continue;
        }
        uint8_t c = p[i++];
        if (c < u->lo || c > u->hi)
            goto bad;
        u->need--;
        u->lo = 0x80;
        u->hi = 0xbf;
    }
    return 0;
bad:
    u->bad = 1;
    return -1;
}

int ws_utf8_complete(const ws_utf8 *u) { return !u->bad && u->need == 0; }

int ws_utf8_valid(const uint8_t *p, size_t n)
{
    ws_utf8 u;
    ws_utf8_init(&u);
    return ws_utf8_feed(&u, p, n) == 0 && ws_utf8_complete(&u);
}

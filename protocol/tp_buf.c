/* tp_buf.c: the growable output buffer encoders append to; one buffer per
 * connection batches a loop turn's frames for a single writev. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tp_wire.h"

/* Small enough not to matter per idle connection, big enough that a typical
 * response head never reallocates. */
#define TP_BUF_MIN_CAP 256u

void tp_buf_init(tp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void tp_buf_free(tp_buf *b)
{
    free(b->data);
    tp_buf_init(b);
}

/* Doubling keeps appends amortised O(1).  Requests past PTRDIFF_MAX fail
 * here rather than in malloc, so the arithmetic below cannot wrap. */
int tp_buf_reserve(tp_buf *b, size_t extra)
{
    size_t need, cap;
    uint8_t *data;

    if (b->cap - b->len >= extra)
        return TP_OK;
    if (extra > (size_t)PTRDIFF_MAX - b->len)
        return TP_E_NOMEM;
    need = b->len + extra;
    cap = b->cap ? b->cap : TP_BUF_MIN_CAP;
    while (cap < need)
        cap = cap > (size_t)PTRDIFF_MAX / 2 ? need : cap * 2;
    data = realloc(b->data, cap);
    if (!data)
        return TP_E_NOMEM;
    b->data = data;
    b->cap = cap;
    return TP_OK;
}

int tp_buf_append(tp_buf *b, const void *p, size_t n)
{
    int rc = tp_buf_reserve(b, n);

    if (rc != TP_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return TP_OK;
}

/* Writes usually drain the whole buffer, so the memmove of a partial write's
 * rest is rare and short. */
void tp_buf_consume(tp_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

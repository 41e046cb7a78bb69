/* ad_wsq.c: a WebSocket stream's incoming message queue (see ad_wsq.h). */
#include "config.h"

#include <stdlib.h>

#include "ad_wsq.h"

void ad_wsq_reset(ad_wsq *q)
{
    q->first = q->count = 0;
    q->partial = 0;
    q->owed = 0;
}

void ad_wsq_free(ad_wsq *q)
{
    free(q->msgs);
    *q = (ad_wsq){ 0 };
}

static int grow(ad_wsq *q)
{
    uint32_t cap = q->cap ? 2 * q->cap : 8;
    struct ad_wsq_msg *m = malloc(cap * sizeof *m);
    if (m == NULL)
        return -1;
    for (uint32_t i = 0; i < q->count; i++)
        m[i] = q->msgs[(q->first + i) % q->cap];
    free(q->msgs);
    q->msgs = m;
    q->cap = cap;
    q->first = 0;
    return 0;
}

int ad_wsq_feed(ad_wsq *q, uint32_t n, int end, int text)
{
    if (end && q->count == q->cap && grow(q) != 0)
        return -1;
    q->partial += n;
    q->owed += n;
    if (end) {
        q->msgs[(q->first + q->count++) % q->cap] =
            (struct ad_wsq_msg){ (uint32_t)q->partial, text != 0 };
        q->partial = 0;
    }
    return 0;
}

int ad_wsq_peek(const ad_wsq *q, size_t *len, int *text)
{
    if (q->count == 0)
        return 0;
    *len = q->msgs[q->first].len;
    *text = q->msgs[q->first].text;
    return 1;
}

void ad_wsq_pop(ad_wsq *q)
{
    if (q->count == 0)
        return;
    q->first = (q->first + 1) % q->cap;
    q->count--;
}

uint32_t ad_wsq_credit(ad_wsq *q)
{
    if (q->count)
        return 0;
    uint32_t n = q->owed;
    q->owed = 0;
    return n;
}

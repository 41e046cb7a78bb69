/* px_stream_head.c: a stream's request head kept beyond the client's input
 * (px_stream.h): copied into the stream's own buffer so the request can wait
 * in the queue or be retried, and moved whole into another stream (h2c). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "px_stream.h"

static void swap_ptr(void *a, void *b, size_t n)
{
    unsigned char t[sizeof(tp_buf)];
    memcpy(t, a, n);
    memcpy(a, b, n);
    memcpy(b, t, n);
}

void px_stream_move_request(px_stream *dst, px_stream *src)
{
    /* Buffers change hands; the head's strings point into hold's data,
     * which moves with it. */
    swap_ptr(&dst->req, &src->req, sizeof dst->req);
    swap_ptr(&dst->resp, &src->resp, sizeof dst->resp);
    swap_ptr(&dst->hdrs, &src->hdrs, sizeof dst->hdrs);
    swap_ptr(&dst->hdr_cap, &src->hdr_cap, sizeof dst->hdr_cap);
    swap_ptr(&dst->hold, &src->hold, sizeof dst->hold);
    dst->head = src->head;
    dst->head.headers = dst->hdrs;
    dst->is_head = src->is_head;
    dst->req_end = src->req_end;
    dst->head_kept = src->head_kept;
    dst->start_ns = src->start_ns; /* the request's time runs from its first head */
    src->head_kept = 0;
    src->hold.len = 0;
}

/* Nothing of the head may point into the client's input once it is
 * drained: the strings become empty, the fields go. */
static int forget_head(px_stream *s)
{
    tp_request_head *h = &s->head;
    for (unsigned i = 0; i < TP_REQUEST_NSTRINGS; i++)
        *tp_request_string(h, i) = (tp_str){ (const uint8_t *)"", 0 };
    h->nheaders = 0;
    h->headers = s->hdrs;
    return -1;
}

int px_stream_keep_head(px_stream *s)
{
    tp_request_head *h = &s->head;
    tp_str *str[TP_REQUEST_NSTRINGS]; /* looked up once: this runs per HTTP/1 request */
    size_t total = 0;
    for (unsigned i = 0; i < TP_REQUEST_NSTRINGS; i++) {
        str[i] = tp_request_string(h, i);
        total += str[i]->len;
    }
    for (uint32_t i = 0; i < h->nheaders; i++)
        total += h->headers[i].name.len + h->headers[i].value.len;
    if (h->nheaders > s->hdr_cap) {
        uint32_t cap = h->nheaders < 16 ? 16 : h->nheaders;
        tp_header *n = realloc(s->hdrs, cap * sizeof *n);
        if (!n)
            return forget_head(s);
        s->hdrs = n;
        s->hdr_cap = cap;
    }
    s->hold.len = 0;
    if (tp_buf_reserve(&s->hold, total + 1) != TP_OK)
        return forget_head(s);
    uint8_t *p = s->hold.data;
#define HOLD(str)                            \
    do {                                     \
        if ((str).len)                       \
            memcpy(p, (str).ptr, (str).len); \
        (str).ptr = p;                       \
        p += (str).len;                      \
    } while (0)
    for (unsigned i = 0; i < TP_REQUEST_NSTRINGS; i++)
        HOLD(*str[i]);
    for (uint32_t i = 0; i < h->nheaders; i++) {
        s->hdrs[i] = h->headers[i];
        HOLD(s->hdrs[i].name);
        HOLD(s->hdrs[i].value);
    }
#undef HOLD
    s->hold.len = (size_t)(p - s->hold.data);
    h->headers = s->hdrs;
    s->head_kept = 1;
    return 0;
}

/* ad_file.c: a response body read from a file by the worker and written as
 * RESPONSE_DATA frames (see ad_file.h). */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "ad_file.h"

int ad_file_begin(ad_file_send *f, ad_resp *r, int fd, off_t off, uint64_t size, uint8_t *buf)
{
    *f = (ad_file_send){ .fd = fd, .off = off, .buf = buf };
    int ends;
    uint64_t n = ad_resp_file_span(r, size, &ends);
    if (n == 0)
        return 0;
    f->n = f->left = n;
    f->ends = ends;
    if (!r->head_sent) {
        if (ad_resp_encode_head(r, 0) != 0)
            return -1;
        f->op.pre = r->frames.data;
        f->op.prelen = r->frames.len;
    }
    return 1;
}

/* Reads the next chunk into buf: 1, or 0 when the file ended early. */
static int read_chunk(ad_file_send *f)
{
    size_t want = f->left < AD_FILE_BUF ? (size_t)f->left : AD_FILE_BUF;
    ssize_t k;
    do
        k = pread(f->fd, f->buf, want, f->off);
    while (k < 0 && errno == EINTR);
    if (k <= 0) {
        f->short_read = 1;
        return 0;
    }
    f->off += k;
    f->left -= (uint64_t)k;
    f->op.data = f->buf;
    f->op.len = (size_t)k;
    f->op.off = 0;
    f->op.end = f->left == 0 && f->ends;
    f->op_live = 1;
    return 1;
}

int ad_file_step(ad_file_send *f, ad_stream *s)
{
    for (;;) {
        if (!f->op_live && (f->left == 0 || !read_chunk(f)))
            return AD_SEND_DONE;
        int had_pre = f->op.prelen != 0;
        int rc = ad_stream_send_step(s, &f->op);
        if (had_pre && f->op.prelen == 0)
            f->head_out = 1;
        if (rc != AD_SEND_DONE)
            return rc;
        f->op_live = 0;
    }
}

void ad_file_end(ad_file_send *f, ad_resp *r, int gone)
{
    uint64_t sent = f->n - f->left - (f->op_live ? f->op.len - f->op.off : 0);
    ad_resp_file_sent(r, sent, f->head_out, !gone && f->left == 0 && !f->short_read && f->ends);
    if (gone)
        ad_resp_abort(r);
}

/* ad_response.c: the response rules (see ad_response.h): what may be sent
 * when, and the frames that carry it, decided over C values so WSGI and
 * ASGI cannot disagree. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ad_http.h"
#include "ad_response.h"
#include "tc_log.h"

static const char body500[] = "<html><head><title>Internal Server Error</title></head><body><h1><p>"
                              "Internal Server Error</p></h1></body></html>";

static const tp_str name_content_length = { (const uint8_t *)"content-length", 14 };

void ad_resp_init(ad_resp *r)
{
    memset(r, 0, sizeof *r);
    tp_buf_init(&r->frames);
}

void ad_resp_free(ad_resp *r)
{
    tp_buf_free(&r->frames);
    memset(r, 0, sizeof *r);
}

void ad_resp_begin(ad_resp *r, const tp_request_head *req, uint32_t stream_id, uint32_t max_frame)
{
    tp_buf frames = r->frames;
    memset(r, 0, sizeof *r);
    r->frames = frames;
    r->frames.len = 0;
    r->req = req;
    r->stream_id = stream_id;
    r->max_frame = max_frame;
    r->content_length = r->auto_length = AD_RESP_NO_LENGTH;
    r->is_head = req->method.len == 4 && memcmp(req->method.ptr, "HEAD", 4) == 0;
    /* h2 clients always take trailers (RFC 9113 8.1); HTTP/1.1 ones only
     * after "TE: trailers", and only in a chunked body. */
    r->trailers_ok =
        req->http_major >= 2 || (req->http_minor >= 1 && (req->flags & TP_REQ_TE_TRAILERS) != 0);
}

void ad_resp_set_head(ad_resp *r, unsigned status, uint64_t content_length, tp_header *fields,
                      uint32_t nfields)
{
    r->status = status;
    r->content_length = content_length;
    r->fields = fields;
    r->nfields = nfields;
}

int ad_resp_has_body(const ad_resp *r) { return !r->is_head && ad_status_has_body(r->status); }

uint64_t ad_resp_limit(const ad_resp *r)
{
    return r->content_length != AD_RESP_NO_LENGTH ? r->content_length : r->auto_length;
}

int ad_resp_completes(const ad_resp *r, uint64_t n)
{
    uint64_t limit = ad_resp_limit(r);
    return limit != AD_RESP_NO_LENGTH && r->sent + n >= limit;
}

int ad_resp_length_open(const ad_resp *r)
{
    return !r->head_sent && r->content_length == AD_RESP_NO_LENGTH && ad_resp_has_body(r);
}

void ad_resp_known_rest(ad_resp *r, uint64_t rest)
{
    if (ad_resp_length_open(r))
        r->auto_length = r->sent + rest;
}

const char *ad_resp_desc(const ad_resp *r, char *buf, size_t len)
{
    const tp_request_head *h = r->req;
    snprintf(buf, len, "%.*s %.*s", (int)h->method.len, (const char *)h->method.ptr,
             (int)(h->path.len > 200 ? 200 : h->path.len), (const char *)h->path.ptr);
    return buf;
}

/* ---- the head ---- */

int ad_resp_encode_head(ad_resp *r, int end)
{
    char lenbuf[AD_DEC_MAX];
    uint32_t k = r->nfields;
    if (r->content_length == AD_RESP_NO_LENGTH && r->auto_length != AD_RESP_NO_LENGTH) {
        /* The whole body is known: announce it (no chunking on HTTP/1.1). */
        size_t l = ad_dec_u64(lenbuf, r->auto_length);
        r->fields[k].name = name_content_length;
        r->fields[k].value = (tp_str){ (const uint8_t *)lenbuf, (uint32_t)l };
        k++;
    }
    tp_response_head head = { (uint16_t)r->status, k, r->fields };
    r->frames.len = 0;
    uint64_t size = tp_response_head_size(TP_FRAME_RESPONSE_HEAD, &head);
    int rc = size <= r->max_frame ? tp_encode_response_head(&r->frames, r->stream_id,
                                                            end ? TP_FLAG_END_STREAM : 0, &head)
                                  : TP_E_TOO_BIG;
    if (rc == TP_OK)
        return 0;
    char d[256];
    tc_error("%s: response head not sendable (%s, %llu bytes); answering 500",
             ad_resp_desc(r, d, sizeof d), tp_strerror(rc), (unsigned long long)size);
    tp_header cl = { name_content_length, { (const uint8_t *)"0", 1 } };
    tp_response_head h500 = { 500, 1, &cl };
    r->frames.len = 0;
    tp_encode_response_head(&r->frames, r->stream_id, TP_FLAG_END_STREAM, &h500);
    return 1;
}

/* ---- the body ---- */

/* Bytes beyond the length are dropped (logged once); reaching it ends the
 * stream unless trailers may still come.  Returns the bytes accepted. */
static size_t clamp_to_length(ad_resp *r, size_t n, int *end)
{
    uint64_t limit = ad_resp_limit(r);
    if (limit == AD_RESP_NO_LENGTH)
        return n;
    if (r->sent + n > limit) {
        if (!r->truncated_logged) {
            char d[256];
            tc_warn("%s: the app sent more than its Content-Length (%llu); "
                    "extra bytes dropped",
                    ad_resp_desc(r, d, sizeof d), (unsigned long long)limit);
            r->truncated_logged = 1;
        }
        n = (size_t)(limit - r->sent);
    }
    if (r->sent + n == limit && !r->hold_end)
        *end = 1;
    return n;
}

/* Appends the TRAILERS frame after what r->frames holds: TP_OK or TP_E_*. */
static int encode_trailers(ad_resp *r)
{
    tp_response_head h = { 0, r->ntrailers, (tp_header *)r->trailers };
    if (tp_response_head_size(TP_FRAME_TRAILERS, &h) > r->max_frame)
        return TP_E_TOO_BIG;
    return tp_encode_trailers(&r->frames, r->stream_id, r->ntrailers, r->trailers);
}

int ad_resp_body(ad_resp *r, const uint8_t *p, size_t n, int end, ad_resp_out *out)
{
    if (r->done)
        return 0;
    if (n == 0 && !end)
        return 0;
    n = clamp_to_length(r, n, &end);
    size_t send_n = ad_resp_has_body(r) ? n : 0;
    int trail = end && ad_resp_has_trailers(r);
    r->sent += n;
    size_t prelen = 0;
    r->frames.len = 0;
    if (!r->head_sent) {
        int replaced = ad_resp_encode_head(r, end && send_n == 0 && !trail);
        prelen = r->frames.len;
        r->head_sent = 1;
        if (replaced) {
            send_n = 0;
            end = 1;
            trail = 0;
        }
    }
    int bad_trailers = 0;
    if (trail) {
        int tr = encode_trailers(r);
        if (tr != TP_OK) {
            /* Refused when queued already when too big; what is left (no
             * memory) cannot deliver the response the app meant. */
            char d[256];
            tc_error("%s: trailers not sendable (%s); resetting the stream",
                     ad_resp_desc(r, d, sizeof d), tp_strerror(tr));
            r->frames.len = prelen;
            trail = 0;
            end = 0;
            bad_trailers = 1;
        }
    }
    if (send_n == 0 && !end && prelen == 0 && !bad_trailers)
        return 0;
    /* Pointers only now: encoding the trailers may have moved the buffer. */
    *out = (ad_resp_out){
        .pre = prelen ? r->frames.data : NULL,
        .prelen = prelen,
        .data = p,
        .len = send_n,
        .end = end,
        .post = trail ? r->frames.data + prelen : NULL,
        .postlen = trail ? r->frames.len - prelen : 0,
        .write = 1,
        .reset = bad_trailers,
    };
    return 1;
}

int ad_resp_end(ad_resp *r, ad_resp_out *out)
{
    r->hold_end = 0;
    if (r->done)
        return 0;
    /* The length tandem announced (a file's size) binds like the app's own:
     * a file that shrank mid-send must not end as if complete. */
    uint64_t limit = ad_resp_limit(r);
    if (ad_resp_has_body(r) && limit != AD_RESP_NO_LENGTH && r->sent < limit) {
        char d[256];
        tc_error("%s: the app sent %llu of %s Content-Length %llu bytes; resetting the stream "
                 "(the client would wait forever)",
                 ad_resp_desc(r, d, sizeof d), (unsigned long long)r->sent,
                 r->content_length != AD_RESP_NO_LENGTH ? "its" : "the file's announced",
                 (unsigned long long)limit);
        *out = (ad_resp_out){ .reset = 1 };
        return 1;
    }
    return ad_resp_body(r, NULL, 0, 1, out);
}

/* ---- errors ---- */

int ad_resp_error(ad_resp *r, ad_resp_out *out)
{
    if (r->done)
        return 0;
    if (r->head_sent) {
        /* After the head, a reset is the only honest signal left. */
        *out = (ad_resp_out){ .reset = 1 };
        return 1;
    }
    char len[16];
    int l = snprintf(len, sizeof len, "%zu", sizeof body500 - 1);
    tp_header h[2] = {
        { { (const uint8_t *)"content-type", 12 }, { (const uint8_t *)"text/html", 9 } },
        { name_content_length, { (const uint8_t *)len, (uint32_t)l } },
    };
    tp_response_head head = { 500, 2, h };
    r->frames.len = 0;
    if (tp_encode_response_head(&r->frames, r->stream_id, r->is_head ? TP_FLAG_END_STREAM : 0,
                                &head) != TP_OK)
        return 0;
    r->head_sent = 1;
    *out = (ad_resp_out){
        .pre = r->frames.data,
        .prelen = r->frames.len,
        .data = (const uint8_t *)body500,
        .len = r->is_head ? 0 : sizeof body500 - 1,
        .end = 1,
        .write = 1,
    };
    return 1;
}

void ad_resp_written(ad_resp *r, const ad_resp_out *out, int ok)
{
    if (out->end || out->reset || !ok)
        r->done = 1;
}

void ad_resp_abort(ad_resp *r) { r->done = 1; }

/* ---- hints and trailers ---- */

int ad_resp_hints_check(const ad_resp *r, uint32_t nfields)
{
    /* A 103 after the final head would be a malformed response. */
    if (r->head_sent || r->finishing)
        return AD_RESP_LATE;
    if (r->done || !(r->req->flags & TP_REQ_EARLY_HINTS) || nfields == 0)
        return AD_RESP_SKIP;
    return AD_RESP_SEND;
}

int ad_resp_encode_hints(ad_resp *r, const tp_header *fields, uint32_t n, ad_resp_out *out)
{
    tp_response_head head = { 103, n, (tp_header *)fields };
    r->frames.len = 0;
    if (tp_response_head_size(TP_FRAME_RESPONSE_INFO, &head) > r->max_frame)
        return TP_E_TOO_BIG;
    int rc = tp_encode_response_info(&r->frames, r->stream_id, &head);
    if (rc != TP_OK)
        return rc;
    *out = (ad_resp_out){ .pre = r->frames.data, .prelen = r->frames.len, .write = 1 };
    return TP_OK;
}

int ad_resp_trailers_check(const ad_resp *r, uint32_t nfields)
{
    /* The stream ends when the app is done: later trailers would be lost. */
    if (r->finishing)
        return AD_RESP_LATE;
    if (!r->trailers_ok || nfields == 0)
        return AD_RESP_SKIP;
    return AD_RESP_SEND;
}

int ad_resp_trailers_fit(const ad_resp *r, const tp_header *fields, uint32_t n, uint64_t *size)
{
    tp_response_head h = { 0, n, (tp_header *)fields };
    *size = tp_response_head_size(TP_FRAME_TRAILERS, &h);
    return *size <= r->max_frame;
}

void ad_resp_set_trailers(ad_resp *r, const tp_header *fields, uint32_t n)
{
    r->trailers = fields;
    r->ntrailers = n;
}

int ad_resp_has_trailers(const ad_resp *r)
{
    return r->trailers_ok && r->ntrailers > 0 && ad_resp_has_body(r);
}

/* ---- bodies the caller sends itself ---- */

uint64_t ad_resp_file_span(ad_resp *r, uint64_t size, int *ends)
{
    *ends = 0;
    ad_resp_known_rest(r, size);
    uint64_t limit = ad_resp_limit(r);
    uint64_t n = size;
    if (limit != AD_RESP_NO_LENGTH) {
        uint64_t room = limit > r->sent ? limit - r->sent : 0;
        n = room < size ? room : size;
    }
    if (!ad_resp_has_body(r) || n == 0)
        return 0;
    /* With trailers queued, the end is theirs: ad_resp_end sends them. */
    *ends = limit != AD_RESP_NO_LENGTH && r->sent + n == limit && !r->hold_end;
    return n;
}

void ad_resp_file_sent(ad_resp *r, uint64_t bytes, int head_out, int ended)
{
    if (head_out)
        r->head_sent = 1;
    r->sent += bytes;
    if (ended)
        r->done = 1;
}

/* test_ad_response.c: the response rules (appd/ad_response.c) over plain C
 * values: when the head goes out and with what, Content-Length accounting
 * (excess dropped, shortfall reset), HEAD/204/304, trailers and who may
 * receive them, 103 hints, the 500 or reset for app errors, and bodies the
 * caller sends itself.  Frames are checked by decoding them with the codec. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_response.h"
#include "tc_log.h"

#define S(lit) ((tp_str){ (const uint8_t *)(lit), sizeof(lit) - 1 })
#define MAX_FRAME (256u * 1024u)

/* ---- fixtures ---- */

static tp_request_head req_of(const char *method, int major, int minor, uint16_t flags)
{
    tp_request_head h;
    memset(&h, 0, sizeof h);
    h.method = (tp_str){ (const uint8_t *)method, (uint32_t)strlen(method) };
    h.path = S("/p");
    h.http_major = (uint8_t)major;
    h.http_minor = (uint8_t)minor;
    h.flags = flags;
    h.content_length = TP_LENGTH_UNKNOWN;
    return h;
}

typedef struct {
    tp_request_head req;
    ad_resp r;
    tp_header fields[4]; /* room for the rules' Content-Length */
} fixture;

static void start(fixture *f, const char *method, int major, int minor, uint16_t flags)
{
    f->req = req_of(method, major, minor, flags);
    ad_resp_init(&f->r);
    ad_resp_begin(&f->r, &f->req, 7, MAX_FRAME);
}

/* The app's head: one content-type field, plus content-length when clen is
 * not AD_RESP_NO_LENGTH (as the WSGI layer passes them). */
static void head(fixture *f, unsigned status, uint64_t clen, const char *clen_text)
{
    uint32_t n = 0;
    f->fields[n++] = (tp_header){ S("content-type"), S("text/plain") };
    if (clen_text)
        f->fields[n++] = (tp_header){ S("content-length"),
                                      { (const uint8_t *)clen_text, (uint32_t)strlen(clen_text) } };
    ad_resp_set_head(&f->r, status, clen, f->fields, n);
}

static void finish(fixture *f) { ad_resp_free(&f->r); }

/* ---- decoding what a step encoded ---- */

typedef struct {
    tp_frame_header fh;
    tp_response_head head;
    tp_header hdrs[8];
} frame;

/* Decodes exactly one frame from p..p+len (a head, hints or trailers). */
static frame decode_one(const uint8_t *p, size_t len)
{
    frame f;
    memset(&f, 0, sizeof f);
    ck_assert_uint_ge(len, TP_HEADER_SIZE);
    ck_assert_int_eq(tp_frame_header_decode(p, len, TP_MAX_PAYLOAD, &f.fh), TP_OK);
    ck_assert_uint_eq(len, TP_HEADER_SIZE + f.fh.length);
    ck_assert_uint_eq(f.fh.stream, 7);
    ck_assert_int_eq(
        tp_decode_response_head(f.fh.type, p + TP_HEADER_SIZE, f.fh.length, &f.head, f.hdrs, 8),
        TP_OK);
    return f;
}

/* The value of a field in a decoded frame, NUL-terminated, or NULL. */
static const char *field(const frame *f, const char *name)
{
    static char buf[64];
    for (uint32_t i = 0; i < f->head.nheaders; i++) {
        const tp_header *h = &f->hdrs[i]; /* head.headers points into decode_one's copy */
        if (h->name.len == strlen(name) && memcmp(h->name.ptr, name, h->name.len) == 0) {
            ck_assert_uint_lt(h->value.len, sizeof buf);
            memcpy(buf, h->value.ptr, h->value.len);
            buf[h->value.len] = '\0';
            return buf;
        }
    }
    return NULL;
}

#define BODY(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

/* ---- the head and the length ---- */

START_TEST(head_goes_with_the_first_chunk)
{
    fixture f;
    start(&f, "GET", 2, 0, 0);
    head(&f, 200, 5, "5");
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, NULL, 0, 0, &out), 0); /* nothing yet */
    ck_assert(!f.r.head_sent);
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("hel"), 0, &out), 1);
    ck_assert(out.write && !out.reset && !out.end);
    ck_assert_uint_eq(out.len, 3);
    ck_assert_ptr_null(out.post);
    frame h = decode_one(out.pre, out.prelen);
    ck_assert_uint_eq(h.fh.type, TP_FRAME_RESPONSE_HEAD);
    ck_assert_uint_eq(h.fh.flags, 0);
    ck_assert_uint_eq(h.head.status, 200);
    ck_assert_str_eq(field(&h, "content-length"), "5");
    ad_resp_written(&f.r, &out, 1);
    ck_assert(!f.r.done);
    /* Reaching the length ends the stream, with no head this time. */
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("lo"), 0, &out), 1);
    ck_assert(out.end);
    ck_assert_uint_eq(out.prelen, 0);
    ck_assert_uint_eq(out.len, 2);
    ad_resp_written(&f.r, &out, 1);
    ck_assert(f.r.done);
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("more"), 0, &out), 0);
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 0);
    finish(&f);
}
END_TEST

START_TEST(excess_is_dropped)
{
    fixture f;
    start(&f, "GET", 1, 1, 0);
    head(&f, 200, 3, "3");
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("hello"), 0, &out), 1);
    ck_assert_uint_eq(out.len, 3);
    ck_assert(out.end);
    ck_assert(f.r.truncated_logged);
    ck_assert_uint_eq(f.r.sent, 3);
    finish(&f);
}
END_TEST

START_TEST(shortfall_resets)
{
    fixture f;
    start(&f, "GET", 1, 1, 0);
    head(&f, 200, 10, "10");
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("abc"), 0, &out), 1);
    ad_resp_written(&f.r, &out, 1);
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
    ck_assert(!out.write);
    ck_assert(out.reset);
    ad_resp_written(&f.r, &out, 1);
    ck_assert(f.r.done);
    finish(&f);
}
END_TEST

START_TEST(end_without_length)
{
    fixture f;
    start(&f, "GET", 1, 1, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("abc"), 0, &out), 1);
    ck_assert(!out.end);
    ad_resp_written(&f.r, &out, 1);
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
    ck_assert(out.write && out.end && !out.reset);
    ck_assert_uint_eq(out.len, 0); /* an empty DATA frame carries END_STREAM */
    ck_assert_uint_eq(out.prelen, 0);
    finish(&f);
}
END_TEST

START_TEST(empty_body_ends_in_the_head)
{
    fixture f;
    start(&f, "GET", 2, 0, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
    frame h = decode_one(out.pre, out.prelen);
    ck_assert_uint_eq(h.fh.flags, TP_FLAG_END_STREAM);
    ck_assert(out.end);
    ck_assert_uint_eq(out.len, 0);
    finish(&f);
}
END_TEST

START_TEST(head_request_sends_no_body)
{
    fixture f;
    start(&f, "HEAD", 1, 1, 0);
    ck_assert(f.r.is_head);
    head(&f, 200, 5, "5");
    ck_assert(!ad_resp_has_body(&f.r));
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("hello"), 0, &out), 1);
    ck_assert_uint_eq(out.len, 0);
    ck_assert(out.end);
    frame h = decode_one(out.pre, out.prelen);
    ck_assert_uint_eq(h.fh.flags, TP_FLAG_END_STREAM);  /* the head ends the stream */
    ck_assert_str_eq(field(&h, "content-length"), "5"); /* the app's length stays */
    ck_assert_uint_eq(f.r.sent, 5);
    finish(&f);
}
END_TEST

START_TEST(no_body_statuses)
{
    static const unsigned codes[] = { 204, 304 };
    for (size_t i = 0; i < 2; i++) {
        fixture f;
        start(&f, "GET", 2, 0, 0);
        head(&f, codes[i], 100, "100");
        ck_assert(!ad_resp_has_body(&f.r));
        ad_resp_out out;
        ck_assert_int_eq(ad_resp_body(&f.r, BODY("xyz"), 0, &out), 1);
        ck_assert_uint_eq(out.len, 0);
        ad_resp_written(&f.r, &out, 1);
        /* No body bytes were owed: the end is not a shortfall. */
        ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
        ck_assert(!out.reset && out.end);
        finish(&f);
    }
}
END_TEST

START_TEST(announced_length)
{
    fixture f;
    start(&f, "GET", 1, 1, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ck_assert(ad_resp_length_open(&f.r));
    ad_resp_known_rest(&f.r, 11);
    ck_assert_uint_eq(ad_resp_limit(&f.r), 11);
    ck_assert(ad_resp_completes(&f.r, 11));
    ck_assert(!ad_resp_completes(&f.r, 10));
    ck_assert_int_eq(ad_resp_encode_head(&f.r, 0), 0);
    frame h = decode_one(f.r.frames.data, f.r.frames.len);
    ck_assert_str_eq(field(&h, "content-length"), "11");
    ck_assert_uint_eq(h.head.nheaders, 2);
    finish(&f);

    /* The app's own length wins; HEAD and 204 announce nothing. */
    start(&f, "GET", 1, 1, 0);
    head(&f, 200, 3, "3");
    ck_assert(!ad_resp_length_open(&f.r));
    ad_resp_known_rest(&f.r, 11);
    ck_assert_uint_eq(ad_resp_limit(&f.r), 3);
    finish(&f);
    start(&f, "HEAD", 1, 1, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ck_assert(!ad_resp_length_open(&f.r));
    finish(&f);
    start(&f, "GET", 1, 1, 0);
    head(&f, 204, AD_RESP_NO_LENGTH, NULL);
    ck_assert(!ad_resp_length_open(&f.r));
    finish(&f);
}
END_TEST

START_TEST(unsendable_head_becomes_500)
{
    fixture f;
    f.req = req_of("GET", 2, 0, 0);
    ad_resp_init(&f.r);
    ad_resp_begin(&f.r, &f.req, 7, TP_MIN_MAX_FRAME);
    static char big[TP_MIN_MAX_FRAME];
    memset(big, 'a', sizeof big);
    f.fields[0] = (tp_header){ S("x-big"), { (const uint8_t *)big, sizeof big } };
    ad_resp_set_head(&f.r, 200, AD_RESP_NO_LENGTH, f.fields, 1);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("abc"), 0, &out), 1);
    frame h = decode_one(out.pre, out.prelen);
    ck_assert_uint_eq(h.head.status, 500);
    ck_assert_uint_eq(h.fh.flags, TP_FLAG_END_STREAM);
    ck_assert_str_eq(field(&h, "content-length"), "0");
    ck_assert(out.end);
    ck_assert_uint_eq(out.len, 0);
    finish(&f);
}
END_TEST

/* ---- trailers ---- */

START_TEST(who_takes_trailers)
{
    fixture f;
    start(&f, "GET", 2, 0, 0);
    ck_assert(f.r.trailers_ok);
    finish(&f);
    start(&f, "GET", 1, 1, TP_REQ_TE_TRAILERS);
    ck_assert(f.r.trailers_ok);
    finish(&f);
    start(&f, "GET", 1, 1, 0);
    ck_assert(!f.r.trailers_ok);
    ck_assert_int_eq(ad_resp_trailers_check(&f.r, 1), AD_RESP_SKIP);
    finish(&f);
    start(&f, "GET", 1, 0, TP_REQ_TE_TRAILERS); /* HTTP/1.0 has no chunked body */
    ck_assert(!f.r.trailers_ok);
    finish(&f);
}
END_TEST

static tp_header trailer[1] = { { { (const uint8_t *)"grpc-status", 11 },
                                  { (const uint8_t *)"0", 1 } } };

START_TEST(trailers_end_the_stream)
{
    fixture f;
    start(&f, "POST", 2, 0, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    f.r.hold_end = 1;
    ck_assert_int_eq(ad_resp_trailers_check(&f.r, 1), AD_RESP_SEND);
    ck_assert_int_eq(ad_resp_trailers_check(&f.r, 0), AD_RESP_SKIP);
    uint64_t size;
    ck_assert(ad_resp_trailers_fit(&f.r, trailer, 1, &size));
    ck_assert_uint_gt(size, 0);
    ad_resp_set_trailers(&f.r, trailer, 1);
    ck_assert(ad_resp_has_trailers(&f.r));
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("abc"), 0, &out), 1);
    ck_assert(!out.end);
    ck_assert_ptr_null(out.post);
    ad_resp_written(&f.r, &out, 1);
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
    ck_assert(out.end);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_uint_eq(out.prelen, 0);
    frame t = decode_one(out.post, out.postlen);
    ck_assert_uint_eq(t.fh.type, TP_FRAME_TRAILERS);
    ck_assert_str_eq(field(&t, "grpc-status"), "0");
    ad_resp_written(&f.r, &out, 1);
    ck_assert(f.r.done);
    finish(&f);
}
END_TEST

START_TEST(held_end_waits_for_trailers)
{
    fixture f;
    start(&f, "GET", 2, 0, 0);
    head(&f, 200, 3, "3");
    f.r.hold_end = 1;
    ad_resp_out out;
    /* The length is reached, but trailers may still come: no end yet. */
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("abc"), 0, &out), 1);
    ck_assert(!out.end);
    ad_resp_written(&f.r, &out, 1);
    ad_resp_set_trailers(&f.r, trailer, 1);
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
    ck_assert(!f.r.hold_end);
    ck_assert(out.end && out.postlen > 0);
    finish(&f);
}
END_TEST

START_TEST(trailers_dropped_without_a_body)
{
    fixture f;
    start(&f, "HEAD", 2, 0, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ad_resp_set_trailers(&f.r, trailer, 1);
    ck_assert(!ad_resp_has_trailers(&f.r));
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
    ck_assert_uint_eq(out.postlen, 0);
    ck_assert(out.end);
    finish(&f);
    start(&f, "GET", 2, 0, 0);
    head(&f, 304, AD_RESP_NO_LENGTH, NULL);
    ad_resp_set_trailers(&f.r, trailer, 1);
    ck_assert(!ad_resp_has_trailers(&f.r));
    finish(&f);
}
END_TEST

START_TEST(trailers_late_or_too_big)
{
    fixture f;
    f.req = req_of("GET", 2, 0, 0);
    ad_resp_init(&f.r);
    ad_resp_begin(&f.r, &f.req, 7, TP_MIN_MAX_FRAME);
    static char big[TP_MIN_MAX_FRAME];
    memset(big, 'b', sizeof big);
    tp_header t = { S("x-sum"), { (const uint8_t *)big, sizeof big } };
    uint64_t size;
    ck_assert(!ad_resp_trailers_fit(&f.r, &t, 1, &size));
    ck_assert_uint_gt(size, TP_MIN_MAX_FRAME);
    f.r.finishing = 1;
    ck_assert_int_eq(ad_resp_trailers_check(&f.r, 1), AD_RESP_LATE);
    finish(&f);
}
END_TEST

/* ---- 103 hints ---- */

START_TEST(hints_rules)
{
    fixture f;
    tp_header link = { S("link"), S("</s.css>; rel=preload") };
    start(&f, "GET", 2, 0, TP_REQ_EARLY_HINTS);
    ck_assert_int_eq(ad_resp_hints_check(&f.r, 1), AD_RESP_SEND);
    ck_assert_int_eq(ad_resp_hints_check(&f.r, 0), AD_RESP_SKIP);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_encode_hints(&f.r, &link, 1, &out), TP_OK);
    ck_assert(out.write && !out.end && out.len == 0 && out.postlen == 0);
    frame h = decode_one(out.pre, out.prelen);
    ck_assert_uint_eq(h.fh.type, TP_FRAME_RESPONSE_INFO);
    ck_assert_uint_eq(h.head.status, 103);
    ck_assert_str_eq(field(&h, "link"), "</s.css>; rel=preload");
    /* Once the head is out, a 103 would be malformed. */
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("x"), 0, &out), 1);
    ck_assert_int_eq(ad_resp_hints_check(&f.r, 1), AD_RESP_LATE);
    finish(&f);

    start(&f, "GET", 1, 0, 0); /* HTTP/1.0: no 1xx */
    ck_assert_int_eq(ad_resp_hints_check(&f.r, 1), AD_RESP_SKIP);
    f.r.finishing = 1;
    ck_assert_int_eq(ad_resp_hints_check(&f.r, 1), AD_RESP_LATE);
    finish(&f);

    f.req = req_of("GET", 2, 0, TP_REQ_EARLY_HINTS);
    ad_resp_init(&f.r);
    ad_resp_begin(&f.r, &f.req, 7, TP_MIN_MAX_FRAME);
    static char big[TP_MIN_MAX_FRAME];
    memset(big, 'c', sizeof big);
    tp_header huge = { S("link"), { (const uint8_t *)big, sizeof big } };
    ck_assert_int_eq(ad_resp_encode_hints(&f.r, &huge, 1, &out), TP_E_TOO_BIG);
    finish(&f);
}
END_TEST

/* ---- errors ---- */

START_TEST(error_before_head_is_a_500)
{
    fixture f;
    start(&f, "GET", 1, 1, 0);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_error(&f.r, &out), 1);
    ck_assert(out.write && out.end && !out.reset);
    frame h = decode_one(out.pre, out.prelen);
    ck_assert_uint_eq(h.head.status, 500);
    ck_assert_uint_eq(h.fh.flags, 0);
    ck_assert_str_eq(field(&h, "content-type"), "text/html");
    ck_assert_uint_gt(out.len, 0);
    char len[16];
    snprintf(len, sizeof len, "%zu", out.len);
    ck_assert_str_eq(field(&h, "content-length"), len);
    ck_assert(f.r.head_sent);
    ad_resp_written(&f.r, &out, 1);
    ck_assert_int_eq(ad_resp_error(&f.r, &out), 0); /* done: nothing more */
    finish(&f);

    start(&f, "HEAD", 1, 1, 0);
    ck_assert_int_eq(ad_resp_error(&f.r, &out), 1);
    h = decode_one(out.pre, out.prelen);
    ck_assert_uint_eq(h.fh.flags, TP_FLAG_END_STREAM);
    ck_assert_uint_eq(out.len, 0);
    finish(&f);
}
END_TEST

START_TEST(error_after_head_resets)
{
    fixture f;
    start(&f, "GET", 2, 0, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("abc"), 0, &out), 1);
    ad_resp_written(&f.r, &out, 1);
    ck_assert_int_eq(ad_resp_error(&f.r, &out), 1);
    ck_assert(!out.write && out.reset);
    ad_resp_written(&f.r, &out, 1);
    ck_assert(f.r.done);
    finish(&f);
}
END_TEST

START_TEST(failed_write_is_done)
{
    fixture f;
    start(&f, "GET", 2, 0, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_body(&f.r, BODY("abc"), 0, &out), 1);
    ad_resp_written(&f.r, &out, 0);
    ck_assert(f.r.done);
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 0);
    finish(&f);
}
END_TEST

/* ---- bodies the caller sends ---- */

START_TEST(file_spans)
{
    fixture f;
    int ends;
    start(&f, "GET", 1, 1, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ck_assert_uint_eq(ad_resp_file_span(&f.r, 100, &ends), 100);
    ck_assert(ends);
    ck_assert_uint_eq(f.r.auto_length, 100); /* the head announces the size */
    ad_resp_file_sent(&f.r, 100, 1, 1);
    ck_assert(f.r.done && f.r.head_sent);
    ck_assert_uint_eq(f.r.sent, 100);
    finish(&f);

    start(&f, "GET", 2, 0, 0);
    head(&f, 200, 50, "50");
    f.r.hold_end = 1; /* trailers may come: the end is theirs */
    ck_assert_uint_eq(ad_resp_file_span(&f.r, 100, &ends), 50);
    ck_assert(!ends);
    finish(&f);

    start(&f, "HEAD", 1, 1, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ck_assert_uint_eq(ad_resp_file_span(&f.r, 100, &ends), 0);
    ck_assert(!ends);
    finish(&f);

    /* A file that shrank: the announced length binds, the end resets. */
    start(&f, "GET", 1, 1, 0);
    head(&f, 200, AD_RESP_NO_LENGTH, NULL);
    ck_assert_uint_eq(ad_resp_file_span(&f.r, 100, &ends), 100);
    ad_resp_file_sent(&f.r, 60, 1, 0);
    ad_resp_out out;
    ck_assert_int_eq(ad_resp_end(&f.r, &out), 1);
    ck_assert(out.reset && !out.write);
    finish(&f);
}
END_TEST

int main(void)
{
    tc_log_set_level(TC_LOG_CRITICAL); /* the rules log what they drop: not here */
    Suite *su = suite_create("ad_response");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, head_goes_with_the_first_chunk);
    tcase_add_test(tc, excess_is_dropped);
    tcase_add_test(tc, shortfall_resets);
    tcase_add_test(tc, end_without_length);
    tcase_add_test(tc, empty_body_ends_in_the_head);
    tcase_add_test(tc, head_request_sends_no_body);
    tcase_add_test(tc, no_body_statuses);
    tcase_add_test(tc, announced_length);
    tcase_add_test(tc, unsendable_head_becomes_500);
    tcase_add_test(tc, who_takes_trailers);
    tcase_add_test(tc, trailers_end_the_stream);
    tcase_add_test(tc, held_end_waits_for_trailers);
    tcase_add_test(tc, trailers_dropped_without_a_body);
    tcase_add_test(tc, trailers_late_or_too_big);
    tcase_add_test(tc, hints_rules);
    tcase_add_test(tc, error_before_head_is_a_500);
    tcase_add_test(tc, error_after_head_resets);
    tcase_add_test(tc, failed_write_is_done);
    tcase_add_test(tc, file_spans);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

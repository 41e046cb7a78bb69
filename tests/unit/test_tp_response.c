/* test_tp_response.c: Check tests for RESPONSE_INFO, RESPONSE_HEAD and
 * TRAILERS (protocol/tp_response.c): round trips against the layout written
 * by hand, the status range each type allows, the types the decoder takes,
 * malformed payloads and encoder refusals. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tp_check.h"

static int encode_resp(tp_buf *b, uint8_t type, uint32_t stream, uint8_t flags,
                       const tp_response_head *h)
{
    switch (type) {
    case TP_FRAME_RESPONSE_INFO: return tp_encode_response_info(b, stream, h);
    case TP_FRAME_RESPONSE_HEAD: return tp_encode_response_head(b, stream, flags, h);
    default: return tp_encode_trailers(b, stream, h->nheaders, h->headers);
    }
}

static void response_roundtrip(uint8_t type, uint16_t status, uint8_t flags, uint32_t n)
{
    tp_response_head in = { status, n, (tp_header *)(uintptr_t)resp_hdrs }, out;
    tp_buf b = { 0 }, raw = { 0 };
    tp_frame_header fh;
    tp_header hdrs[4];

    ck_assert_int_eq(encode_resp(&b, type, 11, flags, &in), TP_OK);
    ck_assert_int_eq(tp_frame_header_decode(b.data, b.len, TP_MAX_PAYLOAD, &fh), TP_OK);
    ck_assert_uint_eq(fh.type, type);
    ck_assert_uint_eq(fh.flags, flags);
    ck_assert_uint_eq(fh.stream, 11);
    ck_assert_uint_eq(fh.length, tp_response_head_size(type, &in));
    if (type != TP_FRAME_TRAILERS)
        raw16(&raw, status);
    raw_headers(&raw, n, resp_hdrs);
    ck_assert_uint_eq(raw.len, fh.length);
    ck_assert_mem_eq(raw.data, b.data + TP_HEADER_SIZE, raw.len);
    memset(&out, 0x5a, sizeof out);
    ck_assert_int_eq(
        tp_decode_response_head(type, b.data + TP_HEADER_SIZE, fh.length, &out, hdrs, 4), TP_OK);
    ck_assert_uint_eq(out.status, type == TP_FRAME_TRAILERS ? 0 : status);
    ck_assert_uint_eq(out.nheaders, n);
    ck_assert_ptr_eq(out.headers, hdrs);
    assert_headers_eq(n, resp_hdrs, hdrs);
    tp_buf_free(&b);
    tp_buf_free(&raw);
}

START_TEST(test_response_roundtrip)
{
    response_roundtrip(TP_FRAME_RESPONSE_INFO, 103, 0, 2);
    response_roundtrip(TP_FRAME_RESPONSE_INFO, 100, 0, 0);
    response_roundtrip(TP_FRAME_RESPONSE_INFO, 199, 0, 3);
    response_roundtrip(TP_FRAME_RESPONSE_HEAD, 200, 0, 3);
    response_roundtrip(TP_FRAME_RESPONSE_HEAD, 204, TP_FLAG_END_STREAM, 0);
    response_roundtrip(TP_FRAME_RESPONSE_HEAD, 999, TP_FLAG_END_STREAM, 1);
    response_roundtrip(TP_FRAME_RESPONSE_HEAD, 101, 0, 2); /* a WebSocket accepted */
    response_roundtrip(TP_FRAME_TRAILERS, 0, 0, 3);
    response_roundtrip(TP_FRAME_TRAILERS, 0, 0, 0);
}
END_TEST

static void response_status_refused(uint8_t type, uint16_t status)
{
    tp_response_head in = { status, 1, (tp_header *)(uintptr_t)resp_hdrs }, out;
    tp_buf b = { 0 }, raw = { 0 };
    tp_header hdrs[4];

    ck_assert_int_eq(encode_resp(&b, type, 1, 0, &in), TP_E_VALUE);
    ck_assert_uint_eq(b.len, 0);
    raw16(&raw, status);
    raw_headers(&raw, 1, resp_hdrs);
    ck_assert_int_eq(tp_decode_response_head(type, raw.data, raw.len, &out, hdrs, 4), TP_E_VALUE);
    ck_assert_uint_eq(out.status, status); /* kept for the log line */
    tp_buf_free(&b);
    tp_buf_free(&raw);
}

START_TEST(test_response_status_ranges)
{
    response_status_refused(TP_FRAME_RESPONSE_INFO, 0);
    response_status_refused(TP_FRAME_RESPONSE_INFO, 99);
    response_status_refused(TP_FRAME_RESPONSE_INFO, 200);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 0);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 100);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 102);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 103);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 199);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 1000);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 0xffff);
}
END_TEST

START_TEST(test_response_wrong_type)
{
    static const uint8_t bad[] = {
        0, TP_FRAME_HELLO, TP_FRAME_REQUEST_HEAD, TP_FRAME_RESPONSE_DATA, TP_FRAME_RESET, 0xff
    };
    tp_response_head out;
    tp_header hdrs[4];
    tp_buf raw = { 0 };
    unsigned i;

    raw16(&raw, 200);
    raw_headers(&raw, 0, NULL);
    for (i = 0; i < NELEM(bad); i++)
        ck_assert_int_eq(tp_decode_response_head(bad[i], raw.data, raw.len, &out, hdrs, 4),
                         TP_E_TYPE);
    tp_buf_free(&raw);
}
END_TEST

static int decode_response_head(const uint8_t *p, size_t len, void *ctx)
{
    tp_response_head out;
    tp_header hdrs[4];

    (void)ctx;
    return tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, p, len, &out, hdrs, 4);
}

START_TEST(test_response_malformed)
{
    tp_response_head in = { 200, 3, (tp_header *)(uintptr_t)resp_hdrs }, out;
    tp_buf b = { 0 };
    tp_header hdrs[4];
    const uint8_t *p;
    size_t len;

    ck_assert_int_eq(tp_encode_response_head(&b, 1, 0, &in), TP_OK);
    p = b.data + TP_HEADER_SIZE;
    len = b.len - TP_HEADER_SIZE;
    assert_every_prefix(p, len, decode_response_head, NULL, TP_E_TRUNCATED);
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, p, len, &out, hdrs, 2),
                     TP_E_TOO_MANY);
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, p, len, &out, hdrs, 3), TP_OK);
    raw8(&b, 0);
    p = b.data + TP_HEADER_SIZE; /* the append may have moved the buffer */
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, p, len + 1, &out, hdrs, 4),
                     TP_E_TRAILING);
    /* the same bytes read as TRAILERS: 0x00c8 is no count, the status is
     * taken for half a count */
    ck_assert_int_ne(tp_decode_response_head(TP_FRAME_TRAILERS, p, len, &out, hdrs, 4), TP_OK);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_response_encode_errors)
{
    static const uint8_t one;
    tp_response_head h = { 200, 3, (tp_header *)(uintptr_t)resp_hdrs };
    tp_header big[1] = { { { &one, TP_MAX_PAYLOAD }, STR("") } };
    tp_buf b = { 0 };

    ck_assert_int_eq(tp_encode_response_head(&b, 0, 0, &h), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_response_head(&b, 1, TP_FLAG_ACK, &h), TP_E_RESERVED);
    h.status = 103;
    ck_assert_int_eq(tp_encode_response_info(&b, 0, &h), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_trailers(&b, 0, 3, resp_hdrs), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 3, NULL), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 1, big), TP_E_TOO_BIG);
    big[0].name.ptr = NULL;
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 1, big), TP_E_VALUE);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 0, NULL), TP_OK);
    ck_assert_uint_eq(b.len, TP_HEADER_SIZE + 4);
    tp_buf_free(&b);
}
END_TEST

static Suite *tp_response_suite(void)
{
    Suite *s = suite_create("tp_response");
    TCase *tc;

    tc = tcase_create("response");
    tcase_add_test(tc, test_response_roundtrip);
    tcase_add_test(tc, test_response_status_ranges);
    tcase_add_test(tc, test_response_wrong_type);
    tcase_add_test(tc, test_response_malformed);
    tcase_add_test(tc, test_response_encode_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(tp_response_suite()); }

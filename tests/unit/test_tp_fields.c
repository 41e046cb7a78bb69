/* test_tp_fields.c: Check tests for the variable part of head frames
 * (protocol/tp_fields.c), length-prefixed strings and header lists, as the
 * REQUEST_HEAD and TRAILERS decoders meet them: lengths and counts that
 * overshoot or wrap, and more headers than the caller has room for. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tp_check.h"

START_TEST(test_request_too_many_headers)
{
    tp_buf b;
    tp_request_head out;
    tp_header hdrs[8];

    sample_payload(&b);
    ck_assert_int_eq(tp_decode_request_head(b.data, b.len, &out, hdrs, 3), TP_E_TOO_MANY);
    ck_assert_int_eq(tp_decode_request_head(b.data, b.len, &out, NULL, 0), TP_E_TOO_MANY);
    ck_assert_int_eq(tp_decode_request_head(b.data, b.len, &out, hdrs, 4), TP_OK);
    ck_assert_uint_eq(out.nheaders, 4);
    tp_buf_free(&b);
}
END_TEST

/* Overwrites the u32 at off in the sample payload and decodes it. */
static int request_patched32(size_t off, uint32_t v, uint32_t max_hdrs)
{
    tp_buf b;
    tp_request_head out;
    tp_header hdrs[8];
    int rc;

    sample_payload(&b);
    ck_assert_uint_le(off + 4, b.len);
    b.data[off] = (uint8_t)(v >> 24);
    b.data[off + 1] = (uint8_t)(v >> 16);
    b.data[off + 2] = (uint8_t)(v >> 8);
    b.data[off + 3] = (uint8_t)v;
    rc = tp_decode_request_head(b.data, b.len, &out, hdrs, max_hdrs);
    tp_buf_free(&b);
    return rc;
}

START_TEST(test_request_hostile_lengths)
{
    tp_request_head h;
    size_t size, count_off, i;

    sample_request(&h);
    size = (size_t)tp_request_head_size(&h);
    count_off = size - 4;
    for (i = 0; i < NELEM(sample_hdrs); i++)
        count_off -= 8 + sample_hdrs[i].name.len + sample_hdrs[i].value.len;
    ck_assert_int_eq(request_patched32(count_off, 4, 8), TP_OK); /* found the count */
    /* method length: values that overshoot, including ones that would wrap a
     * pointer addition; a wrong but small one leaves bytes to misparse */
    ck_assert_int_eq(request_patched32(35, 0x7fffffff, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(35, 0xfffffff0, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(35, UINT32_MAX, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(35, (uint32_t)size, 8), TP_E_TRUNCATED);
    ck_assert_int_ne(request_patched32(35, 5, 8), TP_OK);
    ck_assert_int_ne(request_patched32(35, 3, 8), TP_OK);
    /* a header count the payload cannot hold is a framing error, not TOO_MANY */
    ck_assert_int_eq(request_patched32(count_off, 5, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(count_off, UINT32_MAX, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(count_off, UINT32_MAX, UINT32_MAX), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(count_off, 3, 8), TP_E_TRAILING);
    /* the last header's value length (its value is 3 bytes) */
    ck_assert_int_eq(request_patched32(size - 3 - 4, 4, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(size - 3 - 4, UINT32_MAX, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(size - 3 - 4, 2, 8), TP_E_TRAILING);
}
END_TEST

START_TEST(test_response_hostile_count)
{
    tp_response_head out;
    tp_header hdrs[4];
    tp_buf raw = { 0 };

    raw32(&raw, UINT32_MAX); /* trailers: count first */
    raw32(&raw, 0);
    raw32(&raw, 0);
    ck_assert_int_eq(
        tp_decode_response_head(TP_FRAME_TRAILERS, raw.data, raw.len, &out, hdrs, UINT32_MAX),
        TP_E_TRUNCATED);
    raw.data[3] = 1; /* count 0xffffff01 */
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_TRAILERS, raw.data, raw.len, &out, hdrs, 4),
                     TP_E_TRUNCATED);
    memset(raw.data, 0, 3);
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_TRAILERS, raw.data, raw.len, &out, hdrs, 4),
                     TP_OK);
    ck_assert_uint_eq(out.nheaders, 1);
    ck_assert_uint_eq(hdrs[0].name.len, 0);
    tp_buf_free(&raw);
}
END_TEST

static Suite *tp_fields_suite(void)
{
    Suite *s = suite_create("tp_fields");
    TCase *tc;

    tc = tcase_create("fields");
    tcase_add_test(tc, test_request_too_many_headers);
    tcase_add_test(tc, test_request_hostile_lengths);
    tcase_add_test(tc, test_response_hostile_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(tp_fields_suite()); }

/* test_tp_exchange.c: Check test for the codec as a whole: every frame type
 * of one exchange encoded into one buffer and read back the way a daemon's
 * read loop does (header, payload, consume). */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tp_check.h"

/* A whole exchange in one buffer, read back the way a daemon's read loop
 * does: header, payload, consume. */
START_TEST(test_conversation)
{
    static const uint8_t types_seen[] = {
        TP_FRAME_HELLO,         TP_FRAME_REQUEST_HEAD,  TP_FRAME_REQUEST_DATA,  TP_FRAME_CREDIT,
        TP_FRAME_RESPONSE_INFO, TP_FRAME_RESPONSE_HEAD, TP_FRAME_RESPONSE_DATA, TP_FRAME_TRAILERS,
        TP_FRAME_PING,          TP_FRAME_RESET,         TP_FRAME_DRAIN
    };
    tp_hello hello = worker_hello(), hello_out;
    tp_request_head req, req_out;
    tp_response_head info = { 103, 1, (tp_header *)(uintptr_t)&resp_hdrs[1] },
                     head = { 200, 1, (tp_header *)(uintptr_t)resp_hdrs }, resp_out;
    tp_header hdrs[8];
    tp_frame_header fh;
    tp_buf b = { 0 };
    unsigned n = 0;
    uint32_t v;

    sample_request(&req);
    ck_assert_int_eq(tp_encode_hello(&b, &hello), TP_OK);
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &req), TP_OK);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, TP_FLAG_END_STREAM, 5),
                     TP_OK);
    ck_assert_int_eq(tp_buf_append(&b, "hello", 5), TP_OK);
    ck_assert_int_eq(tp_encode_credit(&b, 1, 5), TP_OK);
    ck_assert_int_eq(tp_encode_response_info(&b, 1, &info), TP_OK);
    ck_assert_int_eq(tp_encode_response_head(&b, 1, 0, &head), TP_OK);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_RESPONSE_DATA, 1, 0, 2), TP_OK);
    ck_assert_int_eq(tp_buf_append(&b, "ok", 2), TP_OK);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 1, resp_hdrs), TP_OK);
    ck_assert_int_eq(tp_encode_ping(&b, TP_FLAG_ACK, NULL), TP_OK);
    ck_assert_int_eq(tp_encode_reset(&b, 3, TP_RESET_REFUSED_STREAM), TP_OK);
    ck_assert_int_eq(tp_encode_drain(&b, 1), TP_OK);

    while (b.len) {
        const uint8_t *p = b.data + TP_HEADER_SIZE;

        ck_assert_int_eq(tp_frame_header_decode(b.data, b.len, TP_DEFAULT_MAX_FRAME, &fh), TP_OK);
        ck_assert_uint_ge(b.len, TP_HEADER_SIZE + fh.length);
        ck_assert_uint_lt(n, NELEM(types_seen));
        ck_assert_uint_eq(fh.type, types_seen[n]);
        switch (fh.type) {
        case TP_FRAME_HELLO:
            ck_assert_int_eq(tp_decode_hello(p, fh.length, &hello_out), TP_OK);
            ck_assert_uint_eq(hello_out.pid, hello.pid);
            break;
        case TP_FRAME_REQUEST_HEAD:
            ck_assert_int_eq(tp_decode_request_head(p, fh.length, &req_out, hdrs, 8), TP_OK);
            assert_request_eq(&req, &req_out);
            break;
        case TP_FRAME_REQUEST_DATA:
            ck_assert_uint_eq(fh.flags, TP_FLAG_END_STREAM);
            ck_assert_mem_eq(p, "hello", 5);
            break;
        case TP_FRAME_RESPONSE_DATA: ck_assert_mem_eq(p, "ok", 2); break;
        case TP_FRAME_RESPONSE_INFO:
        case TP_FRAME_RESPONSE_HEAD:
        case TP_FRAME_TRAILERS:
            ck_assert_int_eq(tp_decode_response_head(fh.type, p, fh.length, &resp_out, hdrs, 8),
                             TP_OK);
            ck_assert_uint_eq(resp_out.nheaders, 1);
            break;
        case TP_FRAME_RESET:
        case TP_FRAME_DRAIN: ck_assert_int_eq(tp_decode_u32(p, fh.length, &v), TP_OK); break;
        case TP_FRAME_CREDIT:
            ck_assert_int_eq(tp_decode_credit(p, fh.length, &v), TP_OK);
            ck_assert_uint_eq(v, 5);
            break;
        default: break;
        }
        tp_buf_consume(&b, TP_HEADER_SIZE + fh.length);
        n++;
    }
    ck_assert_uint_eq(n, NELEM(types_seen));
    ck_assert_uint_eq(v, 1);
    tp_buf_free(&b);
}
END_TEST

static Suite *tp_exchange_suite(void)
{
    Suite *s = suite_create("tp_exchange");
    TCase *tc;

    tc = tcase_create("conversation");
    tcase_add_test(tc, test_conversation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(tp_exchange_suite()); }

/* test_tp_control.c: Check tests for the fixed-size frames and DATA headers
 * (protocol/tp_control.c): HELLO from either role with every field's rule,
 * RESET, CREDIT, PING, DRAIN, WS_CLOSE, and DATA headers whose bodies the
 * caller writes. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tp_check.h"

/* ---- HELLO ---- */

static tp_hello proxy_hello(void)
{
    tp_hello h = { 0 };

    h.version = TP_VERSION;
    h.role = TP_ROLE_PROXY;
    h.pid = 4242;
    h.initial_window = TP_MAX_WINDOW;
    h.max_frame = TP_MAX_PAYLOAD;
    return h;
}

static void assert_hello_eq(const tp_hello *a, const tp_hello *b)
{
    ck_assert_uint_eq(a->version, b->version);
    ck_assert_uint_eq(a->role, b->role);
    ck_assert_uint_eq(a->worker_class, b->worker_class);
    ck_assert_uint_eq(a->pid, b->pid);
    ck_assert_uint_eq(a->capacity, b->capacity);
    ck_assert_uint_eq(a->worker_index, b->worker_index);
    ck_assert_uint_eq(a->worker_count, b->worker_count);
    ck_assert_uint_eq(a->initial_window, b->initial_window);
    ck_assert_uint_eq(a->max_frame, b->max_frame);
    ck_assert_uint_eq(a->generation, b->generation);
    ck_assert_uint_eq(a->reserved, b->reserved);
}

/* Encodes h by hand (the documented layout), bypassing the encoder's checks. */
static void raw_hello(uint8_t out[TP_HELLO_SIZE], const tp_hello *h)
{
    tp_buf b = { 0 };

    raw16(&b, h->version);
    raw8(&b, h->role);
    raw8(&b, h->worker_class);
    raw32(&b, h->pid);
    raw32(&b, h->capacity);
    raw32(&b, h->worker_index);
    raw32(&b, h->worker_count);
    raw32(&b, h->initial_window);
    raw32(&b, h->max_frame);
    raw32(&b, h->generation);
    raw32(&b, h->reserved);
    ck_assert_uint_eq(b.len, TP_HELLO_SIZE);
    memcpy(out, b.data, TP_HELLO_SIZE);
    tp_buf_free(&b);
}

static void hello_roundtrip(const tp_hello *in)
{
    tp_buf b = { 0 };
    tp_frame_header fh;
    tp_hello out;
    uint8_t raw[TP_HELLO_SIZE];

    ck_assert_int_eq(tp_encode_hello(&b, in), TP_OK);
    ck_assert_uint_eq(b.len, TP_HEADER_SIZE + TP_HELLO_SIZE);
    ck_assert_int_eq(tp_frame_header_decode(b.data, b.len, TP_MIN_MAX_FRAME, &fh), TP_OK);
    ck_assert_uint_eq(fh.type, TP_FRAME_HELLO);
    ck_assert_uint_eq(fh.stream, 0);
    ck_assert_uint_eq(fh.length, TP_HELLO_SIZE);
    raw_hello(raw, in);
    ck_assert_mem_eq(b.data + TP_HEADER_SIZE, raw, TP_HELLO_SIZE);
    ck_assert_int_eq(tp_decode_hello(b.data + TP_HEADER_SIZE, TP_HELLO_SIZE, &out), TP_OK);
    assert_hello_eq(in, &out);
    tp_buf_free(&b);
}

START_TEST(test_hello_roundtrip)
{
    tp_hello w = worker_hello(), p = proxy_hello();

    hello_roundtrip(&w);
    hello_roundtrip(&p);
    w.worker_class = TP_CLASS_SYNC;
    w.worker_index = w.worker_count = 1;
    w.capacity = 1;
    w.initial_window = 0;
    w.max_frame = TP_MIN_MAX_FRAME;
    hello_roundtrip(&w);
    w.worker_class = TP_CLASS_EVENTLET;
    w.worker_index = w.worker_count = UINT32_MAX;
    w.pid = UINT32_MAX;
    hello_roundtrip(&w);
}
END_TEST

/* The hello is refused by the encoder (buffer untouched) and, written by
 * hand, by the decoder; the decoder still fills out for the log line. */
static void hello_refused(const tp_hello *h, int want)
{
    tp_buf b = { 0 };
    uint8_t raw[TP_HELLO_SIZE];
    tp_hello out;

    ck_assert_int_eq(tp_encode_hello(&b, h), want);
    ck_assert_uint_eq(b.len, 0);
    raw_hello(raw, h);
    memset(&out, 0, sizeof out);
    ck_assert_int_eq(tp_decode_hello(raw, sizeof raw, &out), want);
    assert_hello_eq(h, &out);
    tp_buf_free(&b);
}

START_TEST(test_hello_bad_version)
{
    static const uint16_t bad[] = { 0, TP_VERSION + 1, 0x0100, 0xffff };
    tp_hello h = worker_hello();
    unsigned i;

    for (i = 0; i < NELEM(bad); i++) {
        h.version = bad[i];
        hello_refused(&h, TP_E_VALUE);
    }
    /* version wins over other faults so mismatches are always reported as such */
    h.reserved = 1;
    h.role = 9;
    hello_refused(&h, TP_E_VALUE);
}
END_TEST

START_TEST(test_hello_bad_role)
{
    static const uint8_t bad[] = { 0, 3, 0x81, 0xff };
    tp_hello h = worker_hello();
    unsigned i;

    for (i = 0; i < NELEM(bad); i++) {
        h.role = bad[i];
        hello_refused(&h, TP_E_VALUE);
    }
}
END_TEST

START_TEST(test_hello_worker_fields)
{
    tp_hello h;

    h = worker_hello();
    h.worker_class = TP_CLASS_NONE;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.worker_class = TP_CLASS_EVENTLET + 1;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.pid = 0;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.capacity = 0;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.worker_index = 0;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.worker_index = 5;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.worker_count = 0;
    h.worker_index = 0;
    hello_refused(&h, TP_E_VALUE);
}
END_TEST

START_TEST(test_hello_proxy_fields)
{
    tp_hello h;

    h = proxy_hello();
    h.worker_class = TP_CLASS_SYNC;
    hello_refused(&h, TP_E_VALUE);
    h = proxy_hello();
    h.capacity = 1;
    hello_refused(&h, TP_E_VALUE);
    h = proxy_hello();
    h.worker_index = 1;
    hello_roundtrip(&h); /* the worker it asks the master for */
    h.worker_index = UINT32_MAX;
    hello_roundtrip(&h); /* one the master does not run: it picks another */
    h = proxy_hello();
    h.worker_count = 1;
    hello_refused(&h, TP_E_VALUE);
    h = proxy_hello();
    h.generation = 1;
    hello_refused(&h, TP_E_VALUE);
    h = proxy_hello();
    h.pid = 0;
    hello_roundtrip(&h); /* pid is informational from a proxy */
}
END_TEST

START_TEST(test_hello_limits)
{
    tp_hello h;

    h = worker_hello();
    h.reserved = 1;
    hello_refused(&h, TP_E_RESERVED);
    h = worker_hello();
    h.reserved = 0x80000000u;
    hello_refused(&h, TP_E_RESERVED);
    h = worker_hello();
    h.initial_window = TP_MAX_WINDOW + 1;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.initial_window = UINT32_MAX;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.max_frame = TP_MIN_MAX_FRAME - 1;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.max_frame = 0;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.max_frame = TP_MAX_PAYLOAD + 1;
    hello_refused(&h, TP_E_VALUE);
    h = worker_hello();
    h.max_frame = TP_MAX_PAYLOAD;
    hello_roundtrip(&h);
}
END_TEST

START_TEST(test_hello_size)
{
    tp_hello h = worker_hello(), out;
    uint8_t raw[TP_HELLO_SIZE + 1] = { 0 };
    size_t n;

    raw_hello(raw, &h);
    for (n = 0; n < TP_HELLO_SIZE; n++)
        ck_assert_int_eq(tp_decode_hello(raw, n, &out), TP_E_TRUNCATED);
    ck_assert_int_eq(tp_decode_hello(raw, TP_HELLO_SIZE + 1, &out), TP_E_TRAILING);
    ck_assert_int_eq(tp_decode_hello(raw, TP_HELLO_SIZE, &out), TP_OK);
}
END_TEST

/* ---- RESET, CREDIT, PING, DRAIN, DATA ---- */

/* Decodes the single frame in b and checks its header. */
static const uint8_t *one_frame(const tp_buf *b, uint8_t type, uint8_t flags, uint32_t stream,
                                uint32_t length)
{
    tp_frame_header fh;

    ck_assert_uint_eq(b->len, TP_HEADER_SIZE + length);
    ck_assert_int_eq(tp_frame_header_decode(b->data, b->len, TP_MIN_MAX_FRAME, &fh), TP_OK);
    ck_assert_uint_eq(fh.type, type);
    ck_assert_uint_eq(fh.flags, flags);
    ck_assert_uint_eq(fh.stream, stream);
    ck_assert_uint_eq(fh.length, length);
    return b->data + TP_HEADER_SIZE;
}

START_TEST(test_reset)
{
    static const uint32_t reasons[] = { TP_RESET_NO_ERROR, TP_RESET_CANCEL, TP_RESET_TIMEOUT,
                                        0xdeadbeef };
    tp_buf b = { 0 };
    uint32_t v;
    unsigned i;

    for (i = 0; i < NELEM(reasons); i++) {
        b.len = 0;
        ck_assert_int_eq(tp_encode_reset(&b, 77, reasons[i]), TP_OK);
        ck_assert_int_eq(tp_decode_u32(one_frame(&b, TP_FRAME_RESET, 0, 77, 4), 4, &v), TP_OK);
        ck_assert_uint_eq(v, reasons[i]);
    }
    ck_assert_mem_eq(b.data + TP_HEADER_SIZE, "\xde\xad\xbe\xef", 4);
    b.len = 0;
    ck_assert_int_eq(tp_encode_reset(&b, 0, TP_RESET_CANCEL), TP_E_STREAM);
    ck_assert_uint_eq(b.len, 0);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_credit)
{
    tp_buf b = { 0 };
    uint32_t v;

    ck_assert_int_eq(tp_encode_credit(&b, 5, 65536), TP_OK);
    ck_assert_int_eq(tp_decode_credit(one_frame(&b, TP_FRAME_CREDIT, 0, 5, 4), 4, &v), TP_OK);
    ck_assert_uint_eq(v, 65536);
    b.len = 0;
    ck_assert_int_eq(tp_encode_credit(&b, 5, TP_MAX_WINDOW), TP_OK);
    ck_assert_int_eq(tp_decode_credit(b.data + TP_HEADER_SIZE, 4, &v), TP_OK);
    ck_assert_uint_eq(v, TP_MAX_WINDOW);
    b.len = 0;
    ck_assert_int_eq(tp_encode_credit(&b, 5, 0), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_credit(&b, 5, TP_MAX_WINDOW + 1), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_credit(&b, 0, 1), TP_E_STREAM);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\0\0\0\0", 4, &v), TP_E_VALUE);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\x80\0\0\0", 4, &v), TP_E_VALUE);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\xff\xff\xff\xff", 4, &v), TP_E_VALUE);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\0\0\1", 3, &v), TP_E_TRUNCATED);
    /* the generic decoder takes any u32 (RESET, DRAIN use it) */
    ck_assert_int_eq(tp_decode_u32((const uint8_t *)"\0\0\0\0", 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_u32_sizes)
{
    static const uint8_t p[5] = { 1, 2, 3, 4, 5 };
    uint32_t v = 0;
    size_t n;

    for (n = 0; n < 4; n++) {
        ck_assert_int_eq(tp_decode_u32(p, n, &v), TP_E_TRUNCATED);
        ck_assert_int_eq(tp_decode_credit(p, n, &v), TP_E_TRUNCATED);
    }
    ck_assert_int_eq(tp_decode_u32(p, 5, &v), TP_E_TRAILING);
    ck_assert_int_eq(tp_decode_credit(p, 5, &v), TP_E_TRAILING);
    ck_assert_int_eq(tp_decode_u32(p, 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0x01020304);
}
END_TEST

START_TEST(test_ping)
{
    static const uint8_t opaque[8] = { 1, 2, 3, 4, 5, 6, 7, 0xff };
    static const uint8_t zero[8];
    tp_buf b = { 0 };

    ck_assert_int_eq(tp_encode_ping(&b, 0, opaque), TP_OK);
    ck_assert_mem_eq(one_frame(&b, TP_FRAME_PING, 0, 0, 8), opaque, 8);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ping(&b, TP_FLAG_ACK, opaque), TP_OK);
    ck_assert_mem_eq(one_frame(&b, TP_FRAME_PING, TP_FLAG_ACK, 0, 8), opaque, 8);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ping(&b, 0, NULL), TP_OK);
    ck_assert_mem_eq(one_frame(&b, TP_FRAME_PING, 0, 0, 8), zero, 8);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ping(&b, TP_FLAG_END_STREAM, opaque), TP_E_RESERVED);
    ck_assert_int_eq(tp_encode_ping(&b, 0x80, opaque), TP_E_RESERVED);
    ck_assert_uint_eq(b.len, 0);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_drain)
{
    tp_buf b = { 0 };
    uint32_t v = 1;

    ck_assert_int_eq(tp_encode_drain(&b, 0), TP_OK);
    ck_assert_int_eq(tp_decode_u32(one_frame(&b, TP_FRAME_DRAIN, 0, 0, 4), 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0);
    b.len = 0;
    ck_assert_int_eq(tp_encode_drain(&b, 0xfffffffe), TP_OK);
    ck_assert_int_eq(tp_decode_u32(one_frame(&b, TP_FRAME_DRAIN, 0, 0, 4), 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0xfffffffe);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_data_header)
{
    tp_buf b = { 0 };
    uint8_t raw[TP_HEADER_SIZE];

    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_RESPONSE_DATA, 3, TP_FLAG_END_STREAM, 1000),
                     TP_OK);
    ck_assert_uint_eq(b.len, TP_HEADER_SIZE); /* the body is the caller's */
    tp_data_header(raw, TP_FRAME_RESPONSE_DATA, 3, TP_FLAG_END_STREAM, 1000);
    ck_assert_mem_eq(raw, b.data, TP_HEADER_SIZE);
    ck_assert_mem_eq(raw, "\0\0\x03\xe8\x06\x01\0\0\0\0\0\x03", TP_HEADER_SIZE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, 0, 0), TP_OK);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, 0, TP_MAX_PAYLOAD), TP_OK);
    ck_assert_uint_eq(b.len, 3 * TP_HEADER_SIZE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_HELLO, 1, 0, 1), TP_E_TYPE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_HEAD, 1, 0, 1), TP_E_TYPE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 0, 0, 1), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, TP_FLAG_ACK, 1),
                     TP_E_RESERVED);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_RESPONSE_DATA, 1, 0, TP_MAX_PAYLOAD + 1),
                     TP_E_TOO_BIG);
    ck_assert_uint_eq(b.len, 3 * TP_HEADER_SIZE);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_ws_close)
{
    tp_buf b = { 0 };
    uint16_t code = 0;
    tp_str reason;
    uint8_t big[TP_WS_REASON_MAX + 1];

    ck_assert_int_eq(tp_encode_ws_close(&b, 9, 4002, (const uint8_t *)"bye", 3), TP_OK);
    ck_assert_uint_eq(b.len, TP_HEADER_SIZE + 5);
    ck_assert_mem_eq(b.data,
                     "\0\0\0\x05\x0c\0\0\0\0\0\0\x09\x0f\xa2"
                     "bye",
                     b.len);
    ck_assert_int_eq(
        tp_decode_ws_close(one_frame(&b, TP_FRAME_WS_CLOSE, 0, 9, 5), 5, &code, &reason), TP_OK);
    ck_assert_uint_eq(code, 4002);
    ck_assert_uint_eq(reason.len, 3);
    ck_assert_mem_eq(reason.ptr, "bye", 3);
    /* no reason; the largest reason; the code range */
    b.len = 0;
    ck_assert_int_eq(tp_encode_ws_close(&b, 1, 1000, NULL, 0), TP_OK);
    ck_assert_int_eq(tp_decode_ws_close(b.data + TP_HEADER_SIZE, 2, &code, &reason), TP_OK);
    ck_assert_uint_eq(code, 1000);
    ck_assert_uint_eq(reason.len, 0);
    memset(big, 'r', sizeof big);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ws_close(&b, 1, 4999, big, TP_WS_REASON_MAX), TP_OK);
    ck_assert_int_eq(
        tp_decode_ws_close(b.data + TP_HEADER_SIZE, 2 + TP_WS_REASON_MAX, &code, &reason), TP_OK);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ws_close(&b, 1, 1000, big, TP_WS_REASON_MAX + 1), TP_E_TOO_BIG);
    ck_assert_int_eq(tp_encode_ws_close(&b, 1, 999, NULL, 0), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_ws_close(&b, 1, 5000, NULL, 0), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_ws_close(&b, 0, 1000, NULL, 0), TP_E_STREAM);
    ck_assert_uint_eq(b.len, 0);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_ws_close_decode_refuses)
{
    static const uint8_t p[2 + TP_WS_REASON_MAX + 1] = { 0x03, 0xe8 };
    static const uint8_t low[2] = { 0x03, 0xe7 }, high[2] = { 0x13, 0x88 };
    uint16_t code;
    tp_str reason;

    ck_assert_int_eq(tp_decode_ws_close(p, 0, &code, &reason), TP_E_TRUNCATED);
    ck_assert_int_eq(tp_decode_ws_close(p, 1, &code, &reason), TP_E_TRUNCATED);
    ck_assert_int_eq(tp_decode_ws_close(p, sizeof p, &code, &reason), TP_E_TRAILING);
    ck_assert_int_eq(tp_decode_ws_close(low, 2, &code, &reason), TP_E_VALUE);
    ck_assert_int_eq(tp_decode_ws_close(high, 2, &code, &reason), TP_E_VALUE);
}
END_TEST

static Suite *tp_control_suite(void)
{
    Suite *s = suite_create("tp_control");
    TCase *tc;

    tc = tcase_create("hello");
    tcase_add_test(tc, test_hello_roundtrip);
    tcase_add_test(tc, test_hello_bad_version);
    tcase_add_test(tc, test_hello_bad_role);
    tcase_add_test(tc, test_hello_worker_fields);
    tcase_add_test(tc, test_hello_proxy_fields);
    tcase_add_test(tc, test_hello_limits);
    tcase_add_test(tc, test_hello_size);
    suite_add_tcase(s, tc);

    tc = tcase_create("control");
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_credit);
    tcase_add_test(tc, test_u32_sizes);
    tcase_add_test(tc, test_ping);
    tcase_add_test(tc, test_drain);
    tcase_add_test(tc, test_ws_close);
    tcase_add_test(tc, test_ws_close_decode_refuses);
    tcase_add_test(tc, test_data_header);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(tp_control_suite()); }

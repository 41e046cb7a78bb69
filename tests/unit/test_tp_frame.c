/* test_tp_frame.c: Check tests for the frame header (protocol/tp_frame.c): its
 * byte layout, the per-type rules on length, flags and stream id, and the
 * names logs print for types, errors and reset reasons. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tp_check.h"

static void raw_header(uint8_t out[TP_HEADER_SIZE], uint32_t length, uint8_t type, uint8_t flags,
                       uint32_t stream)
{
    tp_frame_header h = { length, type, flags, stream };

    tp_frame_header_encode(out, &h);
}

static int decode_raw_header(uint32_t length, uint8_t type, uint8_t flags, uint32_t stream)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;

    raw_header(p, length, type, flags, stream);
    return tp_frame_header_decode(p, sizeof p, TP_MAX_PAYLOAD, &h);
}

/* A valid (length, flags, stream) for each type, for table-driven tests. */
static const struct {
    uint8_t type;
    uint32_t size; /* fixed payload size, 0 = variable */
    uint8_t flags; /* the flags the type allows */
    int on_conn;
} types[] = {
    { TP_FRAME_HELLO, 36, 0, 1 },
    { TP_FRAME_REQUEST_HEAD, 0, TP_FLAG_END_STREAM, 0 },
    { TP_FRAME_REQUEST_DATA, 0, TP_FLAG_END_STREAM | TP_FLAG_TEXT | TP_FLAG_MESSAGE_END, 0 },
    { TP_FRAME_RESPONSE_INFO, 0, 0, 0 },
    { TP_FRAME_RESPONSE_HEAD, 0, TP_FLAG_END_STREAM, 0 },
    { TP_FRAME_RESPONSE_DATA, 0, TP_FLAG_END_STREAM | TP_FLAG_TEXT | TP_FLAG_MESSAGE_END, 0 },
    { TP_FRAME_TRAILERS, 0, 0, 0 },
    { TP_FRAME_RESET, 4, 0, 0 },
    { TP_FRAME_CREDIT, 4, 0, 0 },
    { TP_FRAME_PING, 8, TP_FLAG_ACK, 1 },
    { TP_FRAME_DRAIN, 4, 0, 1 },
    { TP_FRAME_WS_CLOSE, 0, 0, 0 },
};

static uint32_t valid_len(unsigned i) { return types[i].size ? types[i].size : 100; }

static uint32_t valid_stream(unsigned i) { return types[i].on_conn ? 0 : 7; }

/* ---- frame header ---- */

START_TEST(test_header_layout)
{
    static const uint8_t want[TP_HEADER_SIZE] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x01,
                                                  0x00, 0x00, 0x0a, 0x0b, 0x0c, 0x0d };
    tp_frame_header h = { 0x01020304, TP_FRAME_RESPONSE_HEAD, TP_FLAG_END_STREAM, 0x0a0b0c0d };
    uint8_t out[TP_HEADER_SIZE];

    tp_frame_header_encode(out, &h);
    ck_assert_mem_eq(out, want, sizeof want);
}
END_TEST

START_TEST(test_header_roundtrip)
{
    unsigned i = (unsigned)_i;
    uint8_t p[TP_HEADER_SIZE + 1];
    tp_frame_header in = { valid_len(i), types[i].type, types[i].flags, valid_stream(i) };
    tp_frame_header out;

    if (!types[i].on_conn)
        in.stream = 0xffffffffu;
    tp_frame_header_encode(p, &in);
    p[TP_HEADER_SIZE] = 0xee; /* bytes after the header are not looked at */
    memset(&out, 0x55, sizeof out);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, TP_MAX_PAYLOAD, &out), TP_OK);
    ck_assert_uint_eq(out.length, in.length);
    ck_assert_uint_eq(out.type, in.type);
    ck_assert_uint_eq(out.flags, in.flags);
    ck_assert_uint_eq(out.stream, in.stream);
    ck_assert_str_ne(tp_frame_type_name(in.type), "UNKNOWN");
}
END_TEST

START_TEST(test_header_again)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;
    size_t n;

    raw_header(p, 4, TP_FRAME_RESET, 0, 1);
    for (n = 0; n < TP_HEADER_SIZE; n++)
        ck_assert_int_eq(tp_frame_header_decode(p, n, TP_MAX_PAYLOAD, &h), TP_E_AGAIN);
    ck_assert_int_eq(tp_frame_header_decode(p, n, TP_MAX_PAYLOAD, &h), TP_OK);
}
END_TEST

START_TEST(test_header_reserved_bits)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;
    unsigned bit;

    for (bit = 0; bit < 16; bit++) {
        raw_header(p, 4, TP_FRAME_RESET, 0, 1);
        p[6 + bit / 8] = (uint8_t)(1u << (bit % 8));
        ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, TP_MAX_PAYLOAD, &h), TP_E_RESERVED);
    }
}
END_TEST

START_TEST(test_header_unknown_type)
{
    static const uint8_t bad[] = { 0x00, TP_FRAME_MAX_ + 1, 0x7f, 0x80, 0xff };
    unsigned i;

    for (i = 0; i < NELEM(bad); i++) {
        ck_assert_int_eq(decode_raw_header(4, bad[i], 0, 1), TP_E_TYPE);
        ck_assert_str_eq(tp_frame_type_name(bad[i]), "UNKNOWN");
    }
}
END_TEST

START_TEST(test_header_too_big)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;

    raw_header(p, 1000, TP_FRAME_REQUEST_DATA, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, 1000, &h), TP_OK);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, 999, &h), TP_E_TOO_BIG);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, 0, &h), TP_E_TOO_BIG);
    /* the hard ceiling holds whatever the caller allows */
    raw_header(p, TP_MAX_PAYLOAD, TP_FRAME_REQUEST_DATA, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_OK);
    raw_header(p, TP_MAX_PAYLOAD + 1, TP_FRAME_REQUEST_DATA, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_E_TOO_BIG);
    raw_header(p, UINT32_MAX, TP_FRAME_REQUEST_HEAD, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_E_TOO_BIG);
    /* a fixed-size frame that claims a huge length is refused as too big */
    raw_header(p, UINT32_MAX, TP_FRAME_PING, 0, 0);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_E_TOO_BIG);
}
END_TEST

START_TEST(test_header_stream)
{
    unsigned i = (unsigned)_i;
    uint32_t wrong = types[i].on_conn ? 1 : 0;

    ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0, valid_stream(i)), TP_OK);
    ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0, wrong), TP_E_STREAM);
    if (types[i].on_conn)
        ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0, UINT32_MAX),
                         TP_E_STREAM);
}
END_TEST

START_TEST(test_header_flags)
{
    unsigned i = (unsigned)_i;
    unsigned bit;
    uint8_t f;

    for (bit = 0; bit < 8; bit++) {
        f = (uint8_t)(1u << bit);
        ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, f, valid_stream(i)),
                         (f & types[i].flags) ? TP_OK : TP_E_RESERVED);
    }
    ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0xff, valid_stream(i)),
                     TP_E_RESERVED);
}
END_TEST

START_TEST(test_header_fixed_size)
{
    unsigned i = (unsigned)_i;
    uint8_t t = types[i].type;
    uint32_t s = valid_stream(i), size = types[i].size;

    if (!size) {
        ck_assert_int_eq(decode_raw_header(0, t, 0, s), TP_OK);
        ck_assert_int_eq(decode_raw_header(TP_DEFAULT_MAX_FRAME, t, 0, s), TP_OK);
        return;
    }
    ck_assert_int_eq(decode_raw_header(size, t, 0, s), TP_OK);
    ck_assert_int_eq(decode_raw_header(0, t, 0, s), TP_E_TRUNCATED);
    ck_assert_int_eq(decode_raw_header(size - 1, t, 0, s), TP_E_TRUNCATED);
    ck_assert_int_eq(decode_raw_header(size + 1, t, 0, s), TP_E_TRAILING);
    ck_assert_int_eq(decode_raw_header(1000, t, 0, s), TP_E_TRAILING);
}
END_TEST

START_TEST(test_names)
{
    static const int codes[] = { TP_OK,       TP_E_AGAIN,     TP_E_TOO_BIG,  TP_E_TYPE,
                                 TP_E_STREAM, TP_E_TRUNCATED, TP_E_TRAILING, TP_E_RESERVED,
                                 TP_E_VALUE,  TP_E_TOO_MANY,  TP_E_NOMEM };
    const char *unknown = tp_strerror(-1000);
    unsigned i, j;

    ck_assert_ptr_nonnull(unknown);
    for (i = 0; i < NELEM(codes); i++) {
        ck_assert_str_ne(tp_strerror(codes[i]), unknown);
        for (j = 0; j < i; j++)
            ck_assert_str_ne(tp_strerror(codes[i]), tp_strerror(codes[j]));
    }
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_HELLO), "HELLO");
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_REQUEST_HEAD), "REQUEST_HEAD");
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_TRAILERS), "TRAILERS");
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_DRAIN), "DRAIN");
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_WS_CLOSE), "WS_CLOSE");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_NO_ERROR), "NO_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_PROTOCOL_ERROR), "PROTOCOL_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_INTERNAL_ERROR), "INTERNAL_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_FLOW_CONTROL_ERROR), "FLOW_CONTROL_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_CANCEL), "CANCEL");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_REFUSED_STREAM), "REFUSED_STREAM");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_TIMEOUT), "TIMEOUT");
    ck_assert_str_eq(tp_reset_reason_name(0x4), "UNKNOWN");
}
END_TEST

static Suite *tp_frame_suite(void)
{
    Suite *s = suite_create("tp_frame");
    TCase *tc;
    int ntypes = (int)NELEM(types);

    tc = tcase_create("header");
    tcase_add_test(tc, test_header_layout);
    tcase_add_loop_test(tc, test_header_roundtrip, 0, ntypes);
    tcase_add_test(tc, test_header_again);
    tcase_add_test(tc, test_header_reserved_bits);
    tcase_add_test(tc, test_header_unknown_type);
    tcase_add_test(tc, test_header_too_big);
    tcase_add_loop_test(tc, test_header_stream, 0, ntypes);
    tcase_add_loop_test(tc, test_header_flags, 0, ntypes);
    tcase_add_loop_test(tc, test_header_fixed_size, 0, ntypes);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(tp_frame_suite()); }

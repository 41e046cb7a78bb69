/* test_ws_frame.c: Check tests for the WebSocket frame parser and encoder
 * (proxy/ws/ws_frame.c) at every edge of RFC 6455 §5: 7-, 16- and 64-bit
 * lengths and their shortest forms, masking, RSV bits, reserved opcodes,
 * control frames over 125 bytes or fragmented, continuations without a
 * start, control frames between fragments, close codes and reasons, UTF-8
 * across fragments, the message size bound, and the same events whatever
 * the points the input is split at. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A masked client frame appended to out; the raw header bits as given. */
static size_t client_frame_raw(uint8_t *out, uint8_t b0, int masked, uint8_t l7, const uint8_t *ext,
                               size_t extlen, const void *payload, size_t len)
{
    size_t n = 0;
    out[n++] = b0;
    out[n++] = (uint8_t)((masked ? 0x80 : 0) | l7);
    if (extlen)
        memcpy(out + n, ext, extlen);
    n += extlen;
    if (masked) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        out[n + i] = (uint8_t)(((const uint8_t *)payload)[i] ^ (masked ? mask[i & 3] : 0));
    return n + len;
}

/* A well-formed masked frame, lengths in their shortest form. */
static size_t client_frame(uint8_t *out, int fin, unsigned op, const void *payload, size_t len)
{
    uint8_t ext[8];
    uint8_t b0 = (uint8_t)((fin ? 0x80 : 0) | op);
    if (len < 126)
        return client_frame_raw(out, b0, 1, (uint8_t)len, NULL, 0, payload, len);
    if (len <= 0xffff) {
        ext[0] = (uint8_t)(len >> 8);
        ext[1] = (uint8_t)len;
        return client_frame_raw(out, b0, 1, 126, ext, 2, payload, len);
    }
    for (int i = 0; i < 8; i++)
        ext[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return client_frame_raw(out, b0, 1, 127, ext, 8, payload, len);
}

/* ---- running the parser: a log of what it reported ---- */

static char logbuf[1 << 20];
static uint8_t msgbuf[1 << 18];
static size_t msglen;

/* "E1002;" for an error, "T:hex;" / "B:hex;" for a message, "P0:hex;",
 * "O0:hex;" or "C1000:hex;" for a ping, pong or close. */
static void log_add(const char *fmt, const void *p, size_t n, unsigned v)
{
    size_t l = strlen(logbuf);
    if (fmt[1] == ':')
        l += (size_t)snprintf(logbuf + l, sizeof logbuf - l, "%c:", fmt[0]);
    else
        l += (size_t)snprintf(logbuf + l, sizeof logbuf - l, "%c%u%s", fmt[0], v,
                              fmt[0] == 'E' ? "" : ":");
    for (size_t i = 0; i < n && l + 3 < sizeof logbuf; i++)
        l += (size_t)snprintf(logbuf + l, sizeof logbuf - l, "%02x", ((const uint8_t *)p)[i]);
    snprintf(logbuf + l, sizeof logbuf - l, ";");
}

/* Parses in[0..len) given in pieces of at most step bytes (each a fresh
 * heap copy, so ASan sees a read past a piece), into logbuf; messages are
 * logged whole so that logs of different splits compare. */
static const char *run(const uint8_t *in, size_t len, size_t step, uint64_t max)
{
    ws_parser p;
    ws_parser_init(&p, max);
    logbuf[0] = 0;
    msglen = 0;
    for (size_t off = 0; off < len || len == 0;) {
        size_t n = len - off < step ? len - off : step;
        uint8_t *piece = malloc(n ? n : 1);
        memcpy(piece, in + off, n);
        size_t pos = 0;
        for (;;) {
            ws_event ev;
            size_t used;
            int rc = ws_parse(&p, piece + pos, n - pos, &used, &ev);
            ck_assert_uint_le(used, n - pos);
            pos += used;
            if (rc == WS_EV_AGAIN) {
                ck_assert_uint_eq(pos, n);
                break;
            }
            if (rc == WS_EV_ERROR) {
                log_add("E%u", NULL, 0, ev.code);
                free(piece);
                return logbuf;
            }
            if (rc == WS_EV_DATA) {
                ck_assert(ev.opcode == WS_OP_TEXT || ev.opcode == WS_OP_BINARY);
                memcpy(msgbuf + msglen, ev.data, ev.len);
                msglen += ev.len;
                if (ev.msg_end) {
                    log_add(ev.opcode == WS_OP_TEXT ? "T:" : "B:", msgbuf, msglen, 0);
                    msglen = 0;
                }
            } else {
                ck_assert_uint_le(ev.len, WS_CONTROL_MAX);
                log_add(ev.opcode == WS_OP_CLOSE  ? "C%u:"
                        : ev.opcode == WS_OP_PING ? "P%u:"
                                                  : "O%u:",
                        ev.data, ev.len, ev.code);
            }
        }
        free(piece);
        off += n;
        if (len == 0)
            break;
    }
    return logbuf;
}

static char whole[1 << 20];

/* The log of a whole parse, and the same log for every split step. */
static const char *run_all_splits(const uint8_t *in, size_t len, uint64_t max)
{
    strcpy(whole, run(in, len, len ? len : 1, max));
    for (size_t step = 1; step < len && step <= 40; step++)
        ck_assert_str_eq(run(in, len, step, max), whole);
    return whole;
}

/* Two cuts anywhere: the sum of every split into three pieces. */
static void check_every_cut(const uint8_t *in, size_t len, uint64_t max)
{
    char want[4096];
    snprintf(want, sizeof want, "%s", run(in, len, len, max));
    for (size_t a = 0; a <= len; a++)
        for (size_t b = a; b <= len; b++) {
            ws_parser p;
            ws_parser_init(&p, max);
            logbuf[0] = 0;
            msglen = 0;
            static uint8_t scratch[4096];
            memcpy(scratch, in, len); /* the parser unmasks in place */
            size_t cuts[4] = { 0, a, b, len };
            int failed = 0;
            for (int k = 0; k < 3 && !failed; k++) {
                size_t pos = cuts[k];
                while (pos < cuts[k + 1] || (pos == cuts[k + 1] && k == 2)) {
                    ws_event ev;
                    size_t used;
                    int rc = ws_parse(&p, scratch + pos, cuts[k + 1] - pos, &used, &ev);
                    pos += used;
                    if (rc == WS_EV_AGAIN)
                        break;
                    if (rc == WS_EV_ERROR) {
                        log_add("E%u", NULL, 0, ev.code);
                        failed = 1;
                        break;
                    }
                    if (rc == WS_EV_DATA) {
                        memcpy(msgbuf + msglen, ev.data, ev.len);
                        msglen += ev.len;
                        if (ev.msg_end) {
                            log_add(ev.opcode == WS_OP_TEXT ? "T:" : "B:", msgbuf, msglen, 0);
                            msglen = 0;
                        }
                    } else {
                        log_add(ev.opcode == WS_OP_CLOSE  ? "C%u:"
                                : ev.opcode == WS_OP_PING ? "P%u:"
                                                          : "O%u:",
                                ev.data, ev.len, ev.code);
                    }
                }
            }
            ck_assert_str_eq(logbuf, want);
        }
}

/* The parse works in place: tests that parse a buffer twice need a copy. */
static uint8_t frames[1 << 18];

/* ---- lengths and masking ---- */

START_TEST(test_lengths)
{
    static const size_t sizes[] = { 0, 1, 125, 126, 127, 65535, 65536, 70000 };
    static uint8_t payload[70000], expect[2 * 70000 + 8];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = client_frame(frames, 1, WS_OP_BINARY, payload, sizes[k]);
        ck_assert_uint_eq(n, sizes[k] + 6 + (sizes[k] >= 126 ? 2 : 0) + (sizes[k] > 65535 ? 6 : 0));
        snprintf((char *)expect, 4, "B:");
        for (size_t i = 0; i < sizes[k]; i++)
            sprintf((char *)expect + 2 + 2 * i, "%02x", payload[i]);
        strcat((char *)expect, ";");
        ck_assert_str_eq(run(frames, n, n, 0), (char *)expect);
        n = client_frame(frames, 1, WS_OP_BINARY, payload, sizes[k]);
        ck_assert_str_eq(run(frames, n, 3, 0), (char *)expect); /* unmasking across pieces */
    }
}
END_TEST

START_TEST(test_length_not_shortest)
{
    uint8_t ext16[2] = { 0, 125 }, ext64[8] = { 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    uint8_t ext64_ok[8] = { 0, 0, 0, 0, 0, 1, 0, 0 };
    uint8_t top[8] = { 0x80, 0, 0, 0, 0, 0, 0, 0 };
    size_t n = client_frame_raw(frames, 0x82, 1, 126, ext16, 2, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    n = client_frame_raw(frames, 0x82, 1, 127, ext64, 8, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    n = client_frame_raw(frames, 0x82, 1, 127, top, 8, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    /* the header alone decides: no payload byte is awaited */
    n = client_frame_raw(frames, 0x82, 1, 127, ext64_ok, 8, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "");
}
END_TEST

START_TEST(test_unmasked_frame)
{
    size_t n = client_frame_raw(frames, 0x81, 0, 2, NULL, 0, "hi", 2);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    n = client_frame_raw(frames, 0x89, 0, 0, NULL, 0, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
}
END_TEST

START_TEST(test_rsv_bits)
{
    for (unsigned bit = 0x10; bit <= 0x40; bit <<= 1) {
        size_t n = client_frame_raw(frames, (uint8_t)(0x81 | bit), 1, 2, NULL, 0, "hi", 2);
        ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    }
}
END_TEST

START_TEST(test_reserved_opcodes)
{
    static const uint8_t ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf };
    for (size_t i = 0; i < sizeof ops; i++) {
        size_t n = client_frame(frames, 1, ops[i], "", 0);
        ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    }
}
END_TEST

/* ---- control frames ---- */

START_TEST(test_control_frames)
{
    uint8_t big[126];
    memset(big, 'p', sizeof big);
    size_t n = client_frame(frames, 1, WS_OP_PING, big, 125);
    ck_assert_uint_eq(strlen(run(frames, n, n, 0)), 3 + 250 + 1); /* "P0:" hex ";" */
    n = client_frame(frames, 1, WS_OP_PING, big, 126);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    n = client_frame(frames, 0, WS_OP_PING, "a", 1);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    n = client_frame(frames, 1, WS_OP_PONG, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "O0:;");
    n = client_frame(frames, 0, WS_OP_CLOSE, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
}
END_TEST

START_TEST(test_close_frames)
{
    static const unsigned valid[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                      1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999 };
    static const unsigned invalid[] = { 0,    999,  1004, 1005, 1006, 1015,
                                        1016, 1100, 2000, 2999, 5000, 65535 };
    char want[64];
    uint8_t p[8];
    size_t n;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        p[0] = (uint8_t)(valid[i] >> 8);
        p[1] = (uint8_t)valid[i];
        memcpy(p + 2, "ok", 2);
        n = client_frame(frames, 1, WS_OP_CLOSE, p, 4);
        snprintf(want, sizeof want, "C%u:%02x%02x6f6b;", valid[i], p[0], p[1]);
        ck_assert_str_eq(run(frames, n, n, 0), want);
        ck_assert(ws_close_code_valid(valid[i]));
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        p[0] = (uint8_t)(invalid[i] >> 8);
        p[1] = (uint8_t)invalid[i];
        n = client_frame(frames, 1, WS_OP_CLOSE, p, 2);
        ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
        ck_assert(!ws_close_code_valid(invalid[i]));
    }
    n = client_frame(frames, 1, WS_OP_CLOSE, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "C1005:;");
    n = client_frame(frames, 1, WS_OP_CLOSE, "\x03", 1);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    n = client_frame(frames, 1, WS_OP_CLOSE, "\x03\xe8\xed\xa0\x80", 5);
    ck_assert_str_eq(run(frames, n, n, 0), "E1007;");
    /* after a Close, nothing more is reported (and nothing fails) */
    n = client_frame(frames, 1, WS_OP_CLOSE, "\x03\xe8", 2);
    n += client_frame(frames + n, 1, WS_OP_TEXT, "late", 4);
    n += client_frame_raw(frames + n, 0xf1, 0, 0, NULL, 0, "", 0);
    ck_assert_str_eq(run(frames, n, n, 0), "C1000:03e8;");
}
END_TEST

/* ---- fragmentation ---- */

START_TEST(test_fragments_with_control_between)
{
    size_t n = client_frame(frames, 0, WS_OP_TEXT, "Hel", 3);
    n += client_frame(frames + n, 1, WS_OP_PING, "p", 1);
    n += client_frame(frames + n, 0, WS_OP_CONT, "", 0);
    n += client_frame(frames + n, 1, WS_OP_PONG, "", 0);
    n += client_frame(frames + n, 1, WS_OP_CONT, "lo", 2);
    n += client_frame(frames + n, 1, WS_OP_BINARY, "\x00\x01", 2);
    n += client_frame(frames + n, 1, WS_OP_TEXT, "", 0);
    memcpy(frames + n, frames, n);
    const char *log = run_all_splits(frames + n, n, 0);
    ck_assert_str_eq(log, "P0:70;O0:;T:48656c6c6f;B:0001;T:;");
    check_every_cut(frames, n, 0);
}
END_TEST

START_TEST(test_continuation_without_start)
{
    size_t n = client_frame(frames, 1, WS_OP_CONT, "x", 1);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
    n = client_frame(frames, 1, WS_OP_TEXT, "a", 1);
    n += client_frame(frames + n, 0, WS_OP_CONT, "x", 1);
    ck_assert_str_eq(run(frames, n, n, 0), "T:61;E1002;");
}
END_TEST

START_TEST(test_new_message_inside_fragmented)
{
    size_t n = client_frame(frames, 0, WS_OP_TEXT, "a", 1);
    n += client_frame(frames + n, 1, WS_OP_BINARY, "b", 1);
    ck_assert_str_eq(run(frames, n, n, 0), "E1002;");
}
END_TEST

/* ---- UTF-8 and size ---- */

START_TEST(test_text_utf8_across_fragments)
{
    /* U+20AC split over three frames is fine */
    size_t n = client_frame(frames, 0, WS_OP_TEXT, "\xe2", 1);
    n += client_frame(frames + n, 0, WS_OP_CONT, "\x82", 1);
    n += client_frame(frames + n, 1, WS_OP_CONT, "\xac", 1);
    ck_assert_str_eq(run(frames, n, n, 0), "T:e282ac;");
    /* invalid in the middle: fails at once, before the message ends */
    n = client_frame(frames, 0, WS_OP_TEXT, "ok\xed\xa0", 4);
    ck_assert_str_eq(run(frames, n, n, 0), "E1007;");
    /* ends inside a character */
    n = client_frame(frames, 0, WS_OP_TEXT, "\xf0\x90", 2);
    n += client_frame(frames + n, 1, WS_OP_CONT, "\x80", 1);
    ck_assert_str_eq(run(frames, n, n, 0), "E1007;");
    /* binary is not text */
    n = client_frame(frames, 1, WS_OP_BINARY, "\xff\xfe", 2);
    ck_assert_str_eq(run(frames, n, n, 0), "B:fffe;");
    /* a text message after a binary one is checked afresh */
    n = client_frame(frames, 1, WS_OP_TEXT, "\xc3\xa9", 2);
    check_every_cut(frames, n, 0);
}
END_TEST

START_TEST(test_message_size_bound)
{
    static uint8_t payload[100];
    size_t n = client_frame(frames, 1, WS_OP_BINARY, payload, 100);
    ck_assert_str_eq(run(frames, n, n, 99), "E1009;");
    ck_assert_uint_gt(strlen(run(frames, n, n, 100)), 100);
    /* across fragments, refused at the header that crosses the bound */
    n = client_frame(frames, 0, WS_OP_BINARY, payload, 60);
    n += client_frame(frames + n, 1, WS_OP_CONT, payload, 60);
    ck_assert_str_eq(run(frames, n, 8, 100), "E1009;");
    /* each message counts on its own */
    n = client_frame(frames, 1, WS_OP_BINARY, payload, 60);
    n += client_frame(frames + n, 1, WS_OP_BINARY, payload, 60);
    ck_assert_uint_gt(strlen(run(frames, n, n, 100)), 240);
}
END_TEST

START_TEST(test_error_sticks)
{
    ws_parser p;
    ws_event ev;
    size_t used;
    size_t n = client_frame_raw(frames, 0x81, 0, 0, NULL, 0, "", 0);
    ws_parser_init(&p, 0);
    ck_assert_int_eq(ws_parse(&p, frames, n, &used, &ev), WS_EV_ERROR);
    ck_assert_uint_eq(used, 0);
    ck_assert_ptr_nonnull(ev.why);
    n = client_frame(frames, 1, WS_OP_TEXT, "a", 1);
    ck_assert_int_eq(ws_parse(&p, frames, n, &used, &ev), WS_EV_ERROR);
    ck_assert_uint_eq(ev.code, 1002);
}
END_TEST

/* ---- encoder ---- */

START_TEST(test_encoder)
{
    uint8_t h[WS_HEADER_MAX], c[WS_CONTROL_MAX];
    ck_assert_uint_eq(ws_frame_header(h, 1, WS_OP_TEXT, 5), 2);
    ck_assert_mem_eq(h, "\x81\x05", 2);
    ck_assert_uint_eq(ws_frame_header(h, 0, WS_OP_BINARY, 125), 2);
    ck_assert_mem_eq(h, "\x02\x7d", 2);
    ck_assert_uint_eq(ws_frame_header(h, 0, WS_OP_CONT, 126), 4);
    ck_assert_mem_eq(h, "\x00\x7e\x00\x7e", 4);
    ck_assert_uint_eq(ws_frame_header(h, 1, WS_OP_CONT, 65535), 4);
    ck_assert_mem_eq(h, "\x80\x7e\xff\xff", 4);
    ck_assert_uint_eq(ws_frame_header(h, 1, WS_OP_BINARY, 65536), 10);
    ck_assert_mem_eq(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    ck_assert_uint_eq(ws_close_payload(c, 4002, (const uint8_t *)"bye", 3), 5);
    ck_assert_mem_eq(c,
                     "\x0f\xa2"
                     "bye",
                     5);
    ck_assert_uint_eq(ws_close_payload(c, WS_CLOSE_NO_STATUS, NULL, 0), 0);
    /* a long reason is cut on a character boundary */
    uint8_t r[130];
    memset(r, 'a', sizeof r);
    r[122] = 0xc3;
    r[123] = 0xa9;
    ck_assert_uint_eq(ws_close_payload(c, 1000, r, sizeof r), 2 + 122);
    ck_assert(ws_utf8_valid(c + 2, 122));
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ws_frame");
    TCase *tc = tcase_create("frame");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lengths);
    tcase_add_test(tc, test_length_not_shortest);
    tcase_add_test(tc, test_unmasked_frame);
    tcase_add_test(tc, test_rsv_bits);
    tcase_add_test(tc, test_reserved_opcodes);
    tcase_add_test(tc, test_control_frames);
    tcase_add_test(tc, test_close_frames);
    tcase_add_test(tc, test_fragments_with_control_between);
    tcase_add_test(tc, test_continuation_without_start);
    tcase_add_test(tc, test_new_message_inside_fragmented);
    tcase_add_test(tc, test_text_utf8_across_fragments);
    tcase_add_test(tc, test_message_size_bound);
    tcase_add_test(tc, test_error_sticks);
    tcase_add_test(tc, test_encoder);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

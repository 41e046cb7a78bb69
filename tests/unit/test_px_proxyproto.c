/* test_px_proxyproto.c: Check tests for the PROXY protocol parser
 * (proxy/px_proxyproto.c): version 1 TCP4, TCP6 and UNKNOWN, version 2
 * LOCAL and PROXY over IPv4, IPv6, Unix and unspecified families, TLVs
 * skipped, every split point of each header (more bytes wanted, never a
 * wrong answer), the length bounds, each malformation, the bytes after a
 * header left alone, and the modes that enable each version. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "px_proxyproto.h"

static px_pp_header h;
static const char *why;

static int parse(const void *p, size_t len, int modes)
{
    return px_pp_parse(p, len, modes, &h, &why);
}

/* Every proper prefix asks for more bytes; the whole header, alone or
 * followed by the connection's own bytes, is len bytes. */
static void whole_and_split(const uint8_t *p, size_t len, int modes)
{
    for (size_t k = 0; k < len; k++)
        ck_assert_msg(parse(p, k, modes) == PX_PP_AGAIN, "prefix of %zu bytes: %d (%s)", k,
                      parse(p, k, modes), why ? why : "");
    uint8_t *more = malloc(len + 18);
    memcpy(more, p, len);
    memcpy(more + len, "GET / HTTP/1.1\r\n\r\n", 18);
    ck_assert_int_eq(parse(more, len + 18, modes), PX_PP_DONE);
    ck_assert_uint_eq(h.len, len);
    free(more);
    ck_assert_int_eq(parse(p, len, modes), PX_PP_DONE);
    ck_assert_uint_eq(h.len, len);
}

static void v1_ok(const char *line)
{
    whole_and_split((const uint8_t *)line, strlen(line), PX_PP_AUTO);
    ck_assert_int_eq(h.version, 1);
}

static void v1_bad(const char *line, const char *want)
{
    ck_assert_msg(parse(line, strlen(line), PX_PP_V1) == PX_PP_BAD, "%s", line);
    ck_assert_str_eq(why, want);
}

START_TEST(v1_tcp4_tcp6_unknown)
{
    v1_ok("PROXY TCP4 192.0.2.7 198.51.100.1 51000 443\r\n");
    ck_assert_str_eq(h.proto, "TCP4");
    ck_assert(h.has_addr);
    ck_assert_str_eq(h.src, "192.0.2.7");
    ck_assert_str_eq(h.dst, "198.51.100.1");
    ck_assert_uint_eq(h.src_port, 51000);
    ck_assert_uint_eq(h.dst_port, 443);
    v1_ok("PROXY TCP6 2001:db8::7 2001:db8::1 0 65535\r\n");
    ck_assert_str_eq(h.proto, "TCP6");
    ck_assert_str_eq(h.src, "2001:db8::7");
    ck_assert_uint_eq(h.src_port, 0);
    ck_assert_uint_eq(h.dst_port, 65535);
    v1_ok("PROXY UNKNOWN\r\n");
    ck_assert_str_eq(h.proto, "UNKNOWN");
    ck_assert(!h.has_addr);
    /* whatever follows UNKNOWN is ignored */
    v1_ok("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n");
    ck_assert(!h.has_addr);
}
END_TEST

START_TEST(v1_length_bounds)
{
    char line[200];
    /* 107 bytes with the CRLF: the longest allowed */
    snprintf(line, sizeof line, "PROXY UNKNOWN %091d\r\n", 0);
    ck_assert_uint_eq(strlen(line), 107);
    v1_ok(line);
    snprintf(line, sizeof line, "PROXY UNKNOWN %092d\r\n", 0);
    ck_assert_uint_eq(strlen(line), 108);
    v1_bad(line, "no CRLF within 107 bytes");
    /* no CR in the first 106 bytes: it cannot end in time */
    memset(line, 'x', 120);
    memcpy(line, "PROXY ", 6);
    ck_assert_int_eq(parse(line, 105, PX_PP_V1), PX_PP_AGAIN);
    ck_assert_int_eq(parse(line, 106, PX_PP_V1), PX_PP_BAD);
}
END_TEST

START_TEST(v1_malformed)
{
    const char *proto = "protocol not TCP4, TCP6 or UNKNOWN";
    const char *form = "not PROXY TCP4|TCP6 SRC DST SPORT DPORT";
    v1_bad("PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n", proto);
    v1_bad("PROXY \r\n", proto);
    v1_bad("PROXY tcp4 192.0.2.7 198.51.100.1 1 2\r\n", proto);
    v1_bad("PROXY UNKNOWNX\r\n", proto);
    v1_bad("PROXY TCP4\r\n", form);
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 1\r\n", form);
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2 3\r\n", form);
    v1_bad("PROXY TCP4 192.0.2.7  198.51.100.1 1 2\r\n", form);
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2 \r\n", form);
    v1_bad("PROXY TCP4 192.0.2.777 198.51.100.1 1 2\r\n", "not an IPv4 address");
    v1_bad("PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n", "not an IPv4 address");
    v1_bad("PROXY TCP6 192.0.2.7 2001:db8::1 1 2\r\n", "not an IPv6 address");
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 65536 2\r\n", "not a port (0..65535)");
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 080 2\r\n", "not a port (0..65535)");
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 -1 2\r\n", "not a port (0..65535)");
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2x\r\n", "not a port (0..65535)");
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2\n", "a byte that is not printable ASCII");
    v1_bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2\rX", "CR without LF");
    v1_bad("PROXY TCP4 \x80\r\n", "a byte that is not printable ASCII");
}
END_TEST

/* A version 2 header: ver_cmd, fam, then body (addresses and TLVs). */
static size_t v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const uint8_t *body, size_t n)
{
    static const uint8_t sig[12] = {
        '\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n'
    };
    memcpy(out, sig, 12);
    out[12] = ver_cmd;
    out[13] = fam;
    out[14] = (uint8_t)(n >> 8);
    out[15] = (uint8_t)n;
    if (n)
        memcpy(out + 16, body, n);
    return 16 + n;
}

static const uint8_t inet[12] = { 192, 0, 2, 7, 198, 51, 100, 1, 0xc7, 0x38, 0x01, 0xbb };

START_TEST(v2_proxy_inet_inet6)
{
    uint8_t buf[128];
    size_t n = v2(buf, 0x21, 0x11, inet, sizeof inet);
    whole_and_split(buf, n, PX_PP_AUTO);
    ck_assert_int_eq(h.version, 2);
    ck_assert_str_eq(h.proto, "TCP4");
    ck_assert(h.has_addr);
    ck_assert_str_eq(h.src, "192.0.2.7");
    ck_assert_str_eq(h.dst, "198.51.100.1");
    ck_assert_uint_eq(h.src_port, 51000);
    ck_assert_uint_eq(h.dst_port, 443);
    uint8_t a6[36] = { 0x20, 0x01, 0x0d, 0xb8 };
    a6[15] = 7;
    a6[16] = 0x20, a6[17] = 0x01, a6[18] = 0x0d, a6[19] = 0xb8, a6[31] = 1;
    a6[32] = 0xff, a6[33] = 0xff, a6[34] = 0, a6[35] = 80;
    n = v2(buf, 0x21, 0x21, a6, sizeof a6);
    whole_and_split(buf, n, PX_PP_V2);
    ck_assert_str_eq(h.proto, "TCP6");
    ck_assert_str_eq(h.src, "2001:db8::7");
    ck_assert_str_eq(h.dst, "2001:db8::1");
    ck_assert_uint_eq(h.src_port, 65535);
    ck_assert_uint_eq(h.dst_port, 80);
}
END_TEST

START_TEST(v2_local_unspec_unix)
{
    uint8_t buf[300], unix_block[216] = { 0 };
    /* LOCAL: the front's own connection; what follows is ignored */
    size_t n = v2(buf, 0x20, 0x11, inet, sizeof inet);
    whole_and_split(buf, n, PX_PP_AUTO);
    ck_assert_str_eq(h.proto, "LOCAL");
    ck_assert(!h.has_addr);
    n = v2(buf, 0x20, 0x00, NULL, 0);
    whole_and_split(buf, n, PX_PP_AUTO);
    ck_assert_str_eq(h.proto, "LOCAL");
    /* PROXY with no addresses the receiver can use: its own endpoints stand */
    n = v2(buf, 0x21, 0x00, NULL, 0);
    whole_and_split(buf, n, PX_PP_AUTO);
    ck_assert_str_eq(h.proto, "UNSPEC");
    ck_assert(!h.has_addr);
    n = v2(buf, 0x21, 0x31, unix_block, sizeof unix_block);
    whole_and_split(buf, n, PX_PP_AUTO);
    ck_assert_str_eq(h.proto, "UNIX");
    ck_assert(!h.has_addr);
}
END_TEST

START_TEST(v2_tlvs_skipped)
{
    uint8_t body[64], buf[128];
    memcpy(body, inet, 12);
    /* PP2_TYPE_ALPN "h2", PP2_TYPE_NOOP of 0 bytes, an AWS TLV of 5 */
    const uint8_t tlvs[] = { 0x01, 0, 2, 'h', '2', 0x04, 0, 0, 0xea, 0, 5, 1, 'v', 'p', 'c', 'e' };
    memcpy(body + 12, tlvs, sizeof tlvs);
    size_t n = v2(buf, 0x21, 0x11, body, 12 + sizeof tlvs);
    whole_and_split(buf, n, PX_PP_AUTO);
    ck_assert_str_eq(h.src, "192.0.2.7");
    /* a TLV whose length runs past the header, or whose header is cut */
    body[12 + 2] = 3;
    n = v2(buf, 0x21, 0x11, body, 12 + 5);
    ck_assert_int_eq(parse(buf, n, PX_PP_AUTO), PX_PP_BAD);
    ck_assert_str_eq(why, "a TLV longer than the header");
    n = v2(buf, 0x21, 0x11, body, 12 + 2);
    ck_assert_int_eq(parse(buf, n, PX_PP_AUTO), PX_PP_BAD);
    ck_assert_str_eq(why, "a TLV cut short");
}
END_TEST

START_TEST(v2_lengths)
{
    /* the most a header can announce: 64 KiB of TLVs after the addresses */
    size_t total = PX_PP_V2_MAX;
    uint8_t *big = calloc(1, total + 4);
    uint8_t *body = calloc(1, 65535);
    memcpy(body, inet, 12);
    size_t left = 65535 - 12, at = 12;
    while (left) {
        size_t v = left - 3 > 65535 ? 65535 : left - 3;
        body[at] = 0x04;
        body[at + 1] = (uint8_t)(v >> 8);
        body[at + 2] = (uint8_t)v;
        at += 3 + v;
        left -= 3 + v;
    }
    ck_assert_uint_eq(v2(big, 0x21, 0x11, body, 65535), total);
    ck_assert_int_eq(parse(big, total, PX_PP_V2), PX_PP_DONE);
    ck_assert_uint_eq(h.len, total);
    ck_assert_int_eq(parse(big, total - 1, PX_PP_V2), PX_PP_AGAIN);
    ck_assert_uint_eq(h.len, total); /* the whole length is known early */
    ck_assert_int_eq(parse(big, 16, PX_PP_V2), PX_PP_AGAIN);
    ck_assert_uint_eq(h.len, total);
    free(big);
    free(body);
    /* addresses longer than the header says */
    uint8_t buf[64];
    size_t n = v2(buf, 0x21, 0x11, inet, 11);
    ck_assert_int_eq(parse(buf, n, PX_PP_V2), PX_PP_BAD);
    ck_assert_str_eq(why, "addresses longer than the header");
    n = v2(buf, 0x21, 0x21, inet, 12);
    ck_assert_int_eq(parse(buf, n, PX_PP_V2), PX_PP_BAD);
}
END_TEST

START_TEST(v2_malformed)
{
    uint8_t buf[64];
    const struct {
        uint8_t ver_cmd, fam;
        const char *why;
    } cases[] = {
        { 0x11, 0x11, "version 2 signature with another version" },
        { 0x31, 0x11, "version 2 signature with another version" },
        { 0x22, 0x11, "command neither LOCAL nor PROXY" },
        { 0x2f, 0x11, "command neither LOCAL nor PROXY" },
        { 0x21, 0x41, "unknown address family or transport" },
        { 0x21, 0x13, "unknown address family or transport" },
        { 0x21, 0x12, "not a stream (TCP) connection" },
        { 0x21, 0x10, "not a stream (TCP) connection" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = v2(buf, cases[i].ver_cmd, cases[i].fam, inet, sizeof inet);
        ck_assert_int_eq(parse(buf, n, PX_PP_AUTO), PX_PP_BAD);
        ck_assert_str_eq(why, cases[i].why);
    }
}
END_TEST

START_TEST(not_a_header)
{
    ck_assert_int_eq(parse("", 0, PX_PP_AUTO), PX_PP_AGAIN);
    ck_assert_int_eq(parse("G", 1, PX_PP_AUTO), PX_PP_NONE);
    ck_assert_int_eq(parse("\x16\x03\x01", 3, PX_PP_AUTO), PX_PP_NONE); /* a TLS ClientHello */
    ck_assert_int_eq(parse("PRO", 3, PX_PP_AUTO), PX_PP_AGAIN);
    ck_assert_int_eq(parse("PROPFIND / HTTP/1.1\r\n", 21, PX_PP_AUTO), PX_PP_NONE);
    ck_assert_int_eq(parse("PROXY", 5, PX_PP_AUTO), PX_PP_AGAIN);
    ck_assert_int_eq(parse("PROXY/", 6, PX_PP_AUTO), PX_PP_NONE);
    ck_assert_int_eq(parse("\r\n\r\n\0", 5, PX_PP_AUTO), PX_PP_AGAIN);
    ck_assert_int_eq(parse("\r\n\r\nX", 5, PX_PP_AUTO), PX_PP_NONE);
    /* each mode reads its version only; off reads none */
    const char *line = "PROXY UNKNOWN\r\n";
    uint8_t buf[64];
    size_t n = v2(buf, 0x21, 0x11, inet, sizeof inet);
    ck_assert_int_eq(parse(line, strlen(line), PX_PP_V2), PX_PP_NONE);
    ck_assert_int_eq(parse(buf, n, PX_PP_V1), PX_PP_NONE);
    ck_assert_int_eq(parse(line, strlen(line), PX_PP_OFF), PX_PP_NONE);
    ck_assert_int_eq(parse(buf, n, PX_PP_OFF), PX_PP_NONE);
    ck_assert_int_eq(parse(line, strlen(line), PX_PP_V1), PX_PP_DONE);
    ck_assert_int_eq(parse(buf, n, PX_PP_V2), PX_PP_DONE);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_proxyproto");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, v1_tcp4_tcp6_unknown);
    tcase_add_test(tc, v1_length_bounds);
    tcase_add_test(tc, v1_malformed);
    tcase_add_test(tc, v2_proxy_inet_inet6);
    tcase_add_test(tc, v2_local_unspec_unix);
    tcase_add_test(tc, v2_tlvs_skipped);
    tcase_add_test(tc, v2_lengths);
    tcase_add_test(tc, v2_malformed);
    tcase_add_test(tc, not_a_header);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

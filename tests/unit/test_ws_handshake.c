/* test_ws_handshake.c: Check tests for the WebSocket opening handshake
 * (proxy/ws/ws_handshake.c): RFC 6455's own example key and accept value,
 * keys that are not base64 of 16 bytes, the method, body, key and version
 * rules (400 or 426), RFC 8441's version rule, and the request fields the
 * worker does not see. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ws_handshake.h"

#define S(x) (const uint8_t *)(x), (uint32_t)strlen(x)

static tp_header field(const char *n, const char *v) { return (tp_header){ { S(n) }, { S(v) } }; }

static const tp_str get = { (const uint8_t *)"GET", 3 };

START_TEST(test_accept_value)
{
    char out[WS_ACCEPT_LEN + 1];
    /* RFC 6455 §1.3 */
    ws_accept_value(S("dGhlIHNhbXBsZSBub25jZQ=="), out);
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

START_TEST(test_key_valid)
{
    ck_assert(ws_key_valid(S("dGhlIHNhbXBsZSBub25jZQ==")));
    ck_assert(ws_key_valid(S("AAAAAAAAAAAAAAAAAAAAAA==")));
    ck_assert(ws_key_valid(S("/+/+/+/+/+/+/+/+/+/+/w==")));
    ck_assert(!ws_key_valid(S("")));
    ck_assert(!ws_key_valid(S("dGhlIHNhbXBsZSBub25jZQ=")));   /* 23 */
    ck_assert(!ws_key_valid(S("dGhlIHNhbXBsZSBub25jZQ==="))); /* 25 */
    ck_assert(!ws_key_valid(S("dGhlIHNhbXBsZSBub25jZR==")));  /* bits past 16 bytes */
    ck_assert(!ws_key_valid(S("dGhlIHNhbXBsZSBub25j-Q==")));  /* base64url is not base64 */
    ck_assert(!ws_key_valid(S("dGhlIHNhbXBsZSBub25jZQAA")));  /* 18 bytes */
    ck_assert(!ws_key_valid(S("dGhlIHNhbXBsZSBub25jZ Q=")));
}
END_TEST

START_TEST(test_h1_rules)
{
    char acc[WS_ACCEPT_LEN + 1];
    const char *why = NULL;
    tp_header h[4] = { field("Host", "x"), field("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                       field("Sec-WebSocket-Version", "13"), field("Origin", "http://x") };
    ck_assert_int_eq(ws_handshake_h1(get, 0, h, 4, acc, &why), WS_HS_OK);
    ck_assert_str_eq(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ck_assert_int_eq(ws_handshake_h1((tp_str){ S("POST") }, 0, h, 4, acc, &why), WS_HS_BAD);
    ck_assert_int_eq(ws_handshake_h1(get, 1, h, 4, acc, &why), WS_HS_BAD);
    ck_assert_ptr_nonnull(why);
    /* version: missing is malformed, another one asks for 13 */
    h[2] = field("sec-websocket-version", "8");
    ck_assert_int_eq(ws_handshake_h1(get, 0, h, 4, acc, &why), WS_HS_VERSION);
    h[2] = field("X-Other", "13");
    ck_assert_int_eq(ws_handshake_h1(get, 0, h, 4, acc, &why), WS_HS_BAD);
    h[2] = field("Sec-WebSocket-Version", "13");
    /* key: missing, malformed, or twice */
    h[1] = field("Sec-WebSocket-Key", "short");
    ck_assert_int_eq(ws_handshake_h1(get, 0, h, 4, acc, &why), WS_HS_BAD);
    h[1] = field("X-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    ck_assert_int_eq(ws_handshake_h1(get, 0, h, 4, acc, &why), WS_HS_BAD);
    h[1] = field("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    h[3] = h[1];
    ck_assert_int_eq(ws_handshake_h1(get, 0, h, 4, acc, &why), WS_HS_BAD);
    /* two versions, even both 13 */
    h[3] = h[2];
    ck_assert_int_eq(ws_handshake_h1(get, 0, h, 4, acc, &why), WS_HS_VERSION);
}
END_TEST

START_TEST(test_h2_rules)
{
    const char *why;
    tp_header h[2] = { field("sec-websocket-version", "13"), field("origin", "x") };
    ck_assert_int_eq(ws_handshake_h2(h, 2, &why), WS_HS_OK);
    ck_assert_int_eq(ws_handshake_h2(h + 1, 1, &why), WS_HS_OK); /* RFC 8441 has no key */
    h[0] = field("sec-websocket-version", "12");
    ck_assert_int_eq(ws_handshake_h2(h, 2, &why), WS_HS_VERSION);
}
END_TEST

START_TEST(test_dropped_fields)
{
    tp_header h[7] = { field("Host", "x"),
                       field("Upgrade", "websocket"),
                       field("Connection", "Upgrade"),
                       field("Sec-WebSocket-Key", "k"),
                       field("Sec-WebSocket-Extensions", "permessage-deflate"),
                       field("Sec-WebSocket-Protocol", "chat"),
                       field("sec-websocket-version", "13") };
    uint32_t n = 7;
    ws_drop_fields(h, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(h[0].name.ptr, "Host", 4);
    ck_assert_mem_eq(h[1].name.ptr, "Sec-WebSocket-Protocol", 22);
    ck_assert_mem_eq(h[2].name.ptr, "sec-websocket-version", 21);
}
END_TEST

START_TEST(test_subprotocol_offered)
{
    tp_header f[3] = { field("Host", "x"), field("Sec-WebSocket-Protocol", "chat, super chat"),
                       field("sec-websocket-protocol", "v2.json ,x") };
    tp_request_head h = { 0 };
    h.headers = f;
    h.nheaders = 3;
    ck_assert(ws_subprotocol_offered(&h, S("chat")));
    ck_assert(ws_subprotocol_offered(&h, S("super chat")));
    ck_assert(ws_subprotocol_offered(&h, S("v2.json")));
    ck_assert(ws_subprotocol_offered(&h, S("x")));
    ck_assert(!ws_subprotocol_offered(&h, S("Chat"))); /* case-sensitive */
    ck_assert(!ws_subprotocol_offered(&h, S("cha")));
    ck_assert(!ws_subprotocol_offered(&h, S("chat, super chat")));
    ck_assert(!ws_subprotocol_offered(&h, S("")));
    h.nheaders = 1;
    ck_assert(!ws_subprotocol_offered(&h, S("chat")));
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ws_handshake");
    TCase *tc = tcase_create("handshake");
    tcase_add_test(tc, test_accept_value);
    tcase_add_test(tc, test_key_valid);
    tcase_add_test(tc, test_h1_rules);
    tcase_add_test(tc, test_h2_rules);
    tcase_add_test(tc, test_dropped_fields);
    tcase_add_test(tc, test_subprotocol_offered);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

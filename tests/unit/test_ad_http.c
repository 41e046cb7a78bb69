/* test_ad_http.c: Check tests for the HTTP rules tandem-appd's WSGI layer
 * applies (appd/ad_http.c): PATH_INFO percent-decoding, header name ->
 * environ key, duplicate joining, authority splitting, status lines.  The
 * field rules shared with the proxy are tested in test_tc_http.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_http.h"

#define B(s) ((const uint8_t *)(s))

static const char *decode(const char *in)
{
    static char out[256];
    size_t n = ad_pct_decode(B(in), strlen(in), (uint8_t *)out);
    out[n] = '\0';
    return out;
}

START_TEST(pct_decode)
{
    ck_assert_str_eq(decode("/a%20b"), "/a b");
    ck_assert_str_eq(decode("/caf%C3%A9"), "/caf\xc3\xa9");
    ck_assert_str_eq(decode("/x%2Fy%2fz"), "/x/y/z"); /* like Gunicorn's unquote */
    ck_assert_str_eq(decode("%"), "%");
    ck_assert_str_eq(decode("%4"), "%4");
    ck_assert_str_eq(decode("a%zz%4g"), "a%zz%4g"); /* malformed stays */
    ck_assert_str_eq(decode("%41%42"), "AB");
    ck_assert_str_eq(decode("+"), "+"); /* not a form: '+' stays */
    ck_assert_str_eq(decode(""), "");
    /* NUL and high bytes decode to themselves */
    uint8_t out[8];
    ck_assert_uint_eq(ad_pct_decode(B("%00%ff"), 6, out), 2);
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[1], 0xff);
    /* in place */
    char buf[] = "/a%2Bb";
    size_t n = ad_pct_decode(B(buf), strlen(buf), (uint8_t *)buf);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, "/a+b", 4);
}
END_TEST

static int key(const char *name, char *out)
{
    size_t kl = 0;
    int k = ad_env_key(B(name), strlen(name), out, 64, &kl);
    if (k == AD_HK_HTTP)
        ck_assert_uint_eq(kl, strlen(out));
    return k;
}

START_TEST(env_keys)
{
    char k[64];
    ck_assert_int_eq(key("user-agent", k), AD_HK_HTTP);
    ck_assert_str_eq(k, "HTTP_USER_AGENT");
    ck_assert_int_eq(key("X-Forwarded-For", k), AD_HK_HTTP);
    ck_assert_str_eq(k, "HTTP_X_FORWARDED_FOR");
    ck_assert_int_eq(key("accept", k), AD_HK_HTTP);
    ck_assert_str_eq(k, "HTTP_ACCEPT");
    ck_assert_int_eq(key("Content-Type", k), AD_HK_CONTENT_TYPE);
    ck_assert_int_eq(key("content-length", k), AD_HK_CONTENT_LENGTH);
    ck_assert_int_eq(key("HOST", k), AD_HK_HOST);
    /* '_' would alias '-' (X_Forwarded_For vs X-Forwarded-For): dropped */
    ck_assert_int_eq(key("X_Forwarded_For", k), AD_HK_DROP);
    ck_assert_int_eq(key("x-a_b", k), AD_HK_DROP);
    ck_assert_int_eq(key("", k), AD_HK_DROP);
    ck_assert_int_eq(key("bad name", k), AD_HK_DROP);
    ck_assert_int_eq(key("bad:name", k), AD_HK_DROP);
    /* too long for the buffer: dropped, never truncated */
    char longname[100];
    memset(longname, 'a', 99);
    longname[99] = '\0';
    ck_assert_int_eq(key(longname, k), AD_HK_DROP);
}
END_TEST

static tp_header H(const char *n, const char *v)
{
    tp_header h = { { B(n), (uint32_t)strlen(n) }, { B(v), (uint32_t)strlen(v) } };
    return h;
}

START_TEST(duplicates_joined)
{
    tp_header h[] = { H("Accept", "a"),   H("cookie", "x=1"), H("accept", "b"), H("X-One", "1"),
                      H("Cookie", "y=2"), H("ACCEPT", "c"),   H("x-empty", "") };
    uint32_t n = sizeof h / sizeof h[0], g[7];
    ad_hdr_group(h, n, g);
    ck_assert_uint_eq(g[0], 0);
    ck_assert_uint_eq(g[1], 1);
    ck_assert_uint_eq(g[2], 0);
    ck_assert_uint_eq(g[3], 3);
    ck_assert_uint_eq(g[4], 1);
    ck_assert_uint_eq(g[5], 0);
    ck_assert_uint_eq(g[6], 6);
    uint8_t out[64];
    size_t len = ad_hdr_join(h, n, g, 0, out, sizeof out);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(out, "a,b,c", 5);
    len = ad_hdr_join(h, n, g, 1, out, sizeof out);
    ck_assert_uint_eq(len, 8);
    ck_assert_mem_eq(out, "x=1; y=2", 8); /* Cookie joins with "; " */
    len = ad_hdr_join(h, n, g, 3, out, sizeof out);
    ck_assert_uint_eq(len, 1);
    /* sizing call: the full length is reported even when cap is too small */
    ck_assert_uint_eq(ad_hdr_join(h, n, g, 0, NULL, 0), 5);
    ck_assert_uint_eq(ad_hdr_join(h, n, g, 0, out, 3), 5);
    ck_assert_str_eq(ad_hdr_join_sep(B("COOKIE"), 6), "; ");
    ck_assert_str_eq(ad_hdr_join_sep(B("accept"), 6), ",");
}
END_TEST

/* The linear grouping agrees with the quadratic one and chains each group
 * in order. */
START_TEST(duplicates_linked)
{
    tp_header h[] = { H("Accept", "a"),   H("cookie", "x=1"), H("accept", "b"), H("X-One", "1"),
                      H("Cookie", "y=2"), H("ACCEPT", "c"),   H("x-empty", "") };
    uint32_t n = sizeof h / sizeof h[0], g[7], lg[7], next[7], table[16];
    ck_assert_uint_eq(ad_hdr_table_size(n), 16);
    ad_hdr_group(h, n, g);
    ad_hdr_group_linked(h, n, lg, next, table);
    ck_assert_mem_eq(g, lg, sizeof g);
    ck_assert_uint_eq(next[0], 2);
    ck_assert_uint_eq(next[2], 5);
    ck_assert_uint_eq(next[5], AD_HDR_NONE);
    ck_assert_uint_eq(next[3], AD_HDR_NONE);
    uint8_t out[64];
    ck_assert_uint_eq(ad_hdr_join_linked(h, next, 0, out, sizeof out), 5);
    ck_assert_mem_eq(out, "a,b,c", 5);
    ck_assert_uint_eq(ad_hdr_join_linked(h, next, 1, out, sizeof out), 8);
    ck_assert_mem_eq(out, "x=1; y=2", 8);
    ck_assert_uint_eq(ad_hdr_join_linked(h, next, 0, out, 3), 5);
}
END_TEST

/* 10,000 fields, 5,000 names each twice: grouped and joined right (the
 * quadratic version took 50 million comparisons here). */
START_TEST(many_fields_linked)
{
    enum { N = 10000 };
    static char names[N][16];
    static tp_header h[N];
    static uint32_t group[N], next[N], table[32768];
    for (uint32_t i = 0; i < N; i++) {
        int len = snprintf(names[i], sizeof names[i], "%s-%u", i % 2 ? "x" : "X", i / 2);
        h[i] = (tp_header){ { B(names[i]), (uint32_t)len }, { B("v"), 1 } };
    }
    ck_assert_uint_le(ad_hdr_table_size(N), 32768);
    ad_hdr_group_linked(h, N, group, next, table);
    for (uint32_t i = 0; i < N; i++) {
        ck_assert_uint_eq(group[i], i & ~1u);
        ck_assert_uint_eq(next[i], i % 2 ? AD_HDR_NONE : i + 1);
    }
    uint8_t out[8];
    ck_assert_uint_eq(ad_hdr_join_linked(h, next, 9998, out, sizeof out), 3);
    ck_assert_mem_eq(out, "v,v", 3);
}
END_TEST

static void split(const char *a, int rc, const char *host, const char *port)
{
    const uint8_t *hp, *pp;
    size_t hl, pl;
    ck_assert_int_eq(ad_split_authority(B(a), strlen(a), &hp, &hl, &pp, &pl), rc);
    if (rc != 0)
        return;
    ck_assert_uint_eq(hl, strlen(host));
    ck_assert_mem_eq(hp, host, hl);
    ck_assert_uint_eq(pl, strlen(port));
    if (pl)
        ck_assert_mem_eq(pp, port, pl);
}

START_TEST(authority)
{
    split("example.com", 0, "example.com", "");
    split("example.com:8443", 0, "example.com", "8443");
    split("[::1]:8000", 0, "[::1]", "8000");
    split("[::1]", 0, "[::1]", "");
    split("h:", 0, "h", "");
    split("[::1", -1, NULL, NULL);
    split("[::1]x", -1, NULL, NULL);
    split("h:80a", -1, NULL, NULL);
    split("", 0, "", "");
}
END_TEST

static int status(const char *s, unsigned *code)
{
    const char *why = NULL;
    int rc = ad_status_parse(s, strlen(s), code, &why);
    if (rc != 0)
        ck_assert_ptr_nonnull(why);
    return rc;
}

START_TEST(status_lines)
{
    unsigned c = 0;
    ck_assert_int_eq(status("200 OK", &c), 0);
    ck_assert_uint_eq(c, 200);
    ck_assert_int_eq(status("404 Not Found", &c), 0);
    ck_assert_uint_eq(c, 404);
    ck_assert_int_eq(status("599 ", &c), 0);            /* empty reason is legal */
    ck_assert_int_eq(status("103 Early Hints", &c), 0); /* range is start_response's job */
    ck_assert_int_eq(status("999 Max", &c), 0);
    ck_assert_int_eq(status("200 Tab\there", &c), 0);
    ck_assert_int_eq(status("200", &c), -1);
    ck_assert_int_eq(status("200OK", &c), -1);
    ck_assert_int_eq(status("20 OK", &c), -1);
    ck_assert_int_eq(status("2000 OK", &c), -1);
    ck_assert_int_eq(status("OK 200", &c), -1);
    ck_assert_int_eq(status("099 Low", &c), -1);
    ck_assert_int_eq(status("200 OK\r\nX: y", &c), -1);
    ck_assert_int_eq(status("200 OK\n", &c), -1);
    ck_assert_int_eq(ad_status_parse("200 O\0K", 7, &c, &(const char *){ NULL }), -1);
    ck_assert_int_eq(status("", &c), -1);
}
END_TEST

/* The Content-Length parser this test had moved to test_tc_http.c with the
 * response header and trailer checks (common/tc_http). */
START_TEST(status_has_body)
{
    ck_assert(ad_status_has_body(200));
    ck_assert(!ad_status_has_body(204));
    ck_assert(!ad_status_has_body(304));
    ck_assert(!ad_status_has_body(103));
    ck_assert(ad_status_has_body(500));
}
END_TEST

START_TEST(decimal)
{
    const struct {
        uint64_t v;
        const char *s;
    } cases[] = { { 0, "0" },        { 7, "7" },   { 10, "10" }, { 443, "443" },
                  { 65535, "65535" }, { UINT64_MAX, "18446744073709551615" } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[AD_DEC_MAX];
        size_t n = ad_dec_u64(b, cases[i].v);
        ck_assert_uint_eq(n, strlen(cases[i].s));
        ck_assert(memcmp(b, cases[i].s, n) == 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ad_http");
    TCase *tc = tcase_create("http");
    tcase_add_test(tc, pct_decode);
    tcase_add_test(tc, env_keys);
    tcase_add_test(tc, duplicates_joined);
    tcase_add_test(tc, duplicates_linked);
    tcase_add_test(tc, many_fields_linked);
    tcase_add_test(tc, authority);
    tcase_add_test(tc, status_lines);
    tcase_add_test(tc, status_has_body);
    tcase_add_test(tc, decimal);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

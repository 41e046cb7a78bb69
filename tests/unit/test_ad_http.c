/* test_ad_http.c: Check tests for the HTTP rules tandem-appd's WSGI layer
 * applies (appd/ad_http.c): PATH_INFO percent-decoding, header name ->
 * environ key, duplicate joining, authority splitting, status lines,
 * response header and trailer field validation. */
#include <check.h>
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
    ck_assert_str_eq(decode("/x%2Fy%2fz"), "/x/y/z");          /* like Gunicorn's unquote */
    ck_assert_str_eq(decode("%"), "%");
    ck_assert_str_eq(decode("%4"), "%4");
    ck_assert_str_eq(decode("a%zz%4g"), "a%zz%4g");            /* malformed stays */
    ck_assert_str_eq(decode("%41%42"), "AB");
    ck_assert_str_eq(decode("+"), "+");                        /* not a form: '+' stays */
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
    if (k == AD_HK_HTTP) ck_assert_uint_eq(kl, strlen(out));
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
    tp_header h = {{B(n), (uint32_t)strlen(n)}, {B(v), (uint32_t)strlen(v)}};
    return h;
}

START_TEST(duplicates_joined)
{
    tp_header h[] = {H("Accept", "a"), H("cookie", "x=1"), H("accept", "b"), H("X-One", "1"),
                     H("Cookie", "y=2"), H("ACCEPT", "c"), H("x-empty", "")};
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
    ck_assert_mem_eq(out, "x=1; y=2", 8);                  /* Cookie joins with "; " */
    len = ad_hdr_join(h, n, g, 3, out, sizeof out);
    ck_assert_uint_eq(len, 1);
    /* sizing call: the full length is reported even when cap is too small */
    ck_assert_uint_eq(ad_hdr_join(h, n, g, 0, NULL, 0), 5);
    ck_assert_uint_eq(ad_hdr_join(h, n, g, 0, out, 3), 5);
    ck_assert_str_eq(ad_hdr_join_sep(B("COOKIE"), 6), "; ");
    ck_assert_str_eq(ad_hdr_join_sep(B("accept"), 6), ",");
}
END_TEST

static void split(const char *a, int rc, const char *host, const char *port)
{
    const uint8_t *hp, *pp;
    size_t hl, pl;
    ck_assert_int_eq(ad_split_authority(B(a), strlen(a), &hp, &hl, &pp, &pl), rc);
    if (rc != 0) return;
    ck_assert_uint_eq(hl, strlen(host));
    ck_assert_mem_eq(hp, host, hl);
    ck_assert_uint_eq(pl, strlen(port));
    if (pl) ck_assert_mem_eq(pp, port, pl);
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
    if (rc != 0) ck_assert_ptr_nonnull(why);
    return rc;
}

START_TEST(status_lines)
{
    unsigned c = 0;
    ck_assert_int_eq(status("200 OK", &c), 0);
    ck_assert_uint_eq(c, 200);
    ck_assert_int_eq(status("404 Not Found", &c), 0);
    ck_assert_uint_eq(c, 404);
    ck_assert_int_eq(status("599 ", &c), 0);               /* empty reason is legal */
    ck_assert_int_eq(status("103 Early Hints", &c), 0);   /* range is start_response's job */
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
    ck_assert_int_eq(ad_status_parse("200 O\0K", 7, &c, &(const char *){NULL}), -1);
    ck_assert_int_eq(status("", &c), -1);
}
END_TEST

START_TEST(response_headers)
{
    ck_assert(ad_hdr_name_ok(B("Content-Type"), 12));
    ck_assert(ad_hdr_name_ok(B("x!#$%&'*+-.^_`|~9"), 17));
    ck_assert(!ad_hdr_name_ok(B(""), 0));
    ck_assert(!ad_hdr_name_ok(B("a b"), 3));
    ck_assert(!ad_hdr_name_ok(B("a:b"), 3));
    ck_assert(!ad_hdr_name_ok(B("a\r"), 2));
    ck_assert(!ad_hdr_name_ok(B("\xe9"), 1));
    ck_assert(ad_hdr_value_ok(B("text/html; charset=utf-8"), 24));
    ck_assert(ad_hdr_value_ok(B("a\tb"), 3));
    ck_assert(ad_hdr_value_ok(B("caf\xe9"), 4));            /* latin-1 obs-text */
    ck_assert(ad_hdr_value_ok(B(""), 0));
    ck_assert(!ad_hdr_value_ok(B("a\r\nInjected: 1"), 14));
    ck_assert(!ad_hdr_value_ok(B("a\nb"), 3));
    ck_assert(!ad_hdr_value_ok(B("a\0b"), 3));
    ck_assert(!ad_hdr_value_ok(B("a\x7f"), 2));
    ck_assert(ad_hdr_hop_by_hop(B("Connection"), 10));
    ck_assert(ad_hdr_hop_by_hop(B("transfer-encoding"), 17));
    ck_assert(ad_hdr_hop_by_hop(B("Keep-Alive"), 10));
    ck_assert(ad_hdr_hop_by_hop(B("UPGRADE"), 7));
    ck_assert(ad_hdr_hop_by_hop(B("TE"), 2));
    ck_assert(!ad_hdr_hop_by_hop(B("Trailer"), 7));
    ck_assert(!ad_hdr_hop_by_hop(B("Content-Length"), 14));
    ck_assert(!ad_hdr_hop_by_hop(B("Connectionx"), 11));
}
END_TEST

static int trl(const char *name)
{
    return ad_trailer_name_check(B(name), strlen(name));
}

START_TEST(trailer_names)
{
    /* what trailers are for */
    ck_assert_int_eq(trl("x-checksum"), AD_TRL_OK);
    ck_assert_int_eq(trl("server-timing"), AD_TRL_OK);
    ck_assert_int_eq(trl("grpc-status"), AD_TRL_OK);
    ck_assert_int_eq(trl("grpc-message"), AD_TRL_OK);
    ck_assert_int_eq(trl("Digest"), AD_TRL_OK);
    ck_assert_int_eq(trl("Content-MD5"), AD_TRL_OK);          /* prefix of a refused name: fine */
    ck_assert_int_eq(trl("content-lengths"), AD_TRL_OK);
    ck_assert_int_eq(trl("tee"), AD_TRL_OK);
    ck_assert_int_eq(trl("x"), AD_TRL_OK);
    /* pseudo-headers, whatever follows the colon */
    ck_assert_int_eq(trl(":status"), AD_TRL_PSEUDO);
    ck_assert_int_eq(trl(":path"), AD_TRL_PSEUDO);
    ck_assert_int_eq(trl(":"), AD_TRL_PSEUDO);
    ck_assert_int_eq(trl(":bad name"), AD_TRL_PSEUDO);
    /* not tokens */
    ck_assert_int_eq(trl(""), AD_TRL_SYNTAX);
    ck_assert_int_eq(trl("bad name"), AD_TRL_SYNTAX);
    ck_assert_int_eq(trl("x-a:b"), AD_TRL_SYNTAX);
    ck_assert_int_eq(trl("x\r\nInjected: 1"), AD_TRL_SYNTAX);  /* response splitting */
    ck_assert_int_eq(trl("x\tY"), AD_TRL_SYNTAX);
    ck_assert_int_eq(ad_trailer_name_check(B("x\0y"), 3), AD_TRL_SYNTAX);
    ck_assert_int_eq(trl("caf\xe9"), AD_TRL_SYNTAX);
    ck_assert_int_eq(trl("x(y)"), AD_TRL_SYNTAX);
    /* refused fields, any case */
    ck_assert_int_eq(trl("content-length"), AD_TRL_FRAMING);
    ck_assert_int_eq(trl("Content-Length"), AD_TRL_FRAMING);
    ck_assert_int_eq(trl("TRANSFER-ENCODING"), AD_TRL_FRAMING);
    ck_assert_int_eq(trl("trailer"), AD_TRL_FRAMING);
    ck_assert_int_eq(trl("TE"), AD_TRL_FRAMING);
    ck_assert_int_eq(trl("connection"), AD_TRL_CONNECTION);
    ck_assert_int_eq(trl("Keep-Alive"), AD_TRL_CONNECTION);
    ck_assert_int_eq(trl("proxy-connection"), AD_TRL_CONNECTION);
    ck_assert_int_eq(trl("upgrade"), AD_TRL_CONNECTION);
    ck_assert_int_eq(trl("Host"), AD_TRL_ROUTING);
    ck_assert_int_eq(trl("max-forwards"), AD_TRL_ROUTING);
    ck_assert_int_eq(trl("authorization"), AD_TRL_AUTH);
    ck_assert_int_eq(trl("WWW-Authenticate"), AD_TRL_AUTH);
    ck_assert_int_eq(trl("proxy-authenticate"), AD_TRL_AUTH);
    ck_assert_int_eq(trl("proxy-authorization"), AD_TRL_AUTH);
    ck_assert_int_eq(trl("set-cookie"), AD_TRL_AUTH);
    ck_assert_int_eq(trl("cookie"), AD_TRL_AUTH);
    ck_assert_int_eq(trl("cache-control"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("expires"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("age"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("date"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("location"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("retry-after"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("vary"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("pragma"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("expect"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("range"), AD_TRL_CONTROL);
    ck_assert_int_eq(trl("content-type"), AD_TRL_CONTENT);
    ck_assert_int_eq(trl("Content-Encoding"), AD_TRL_CONTENT);
    ck_assert_int_eq(trl("content-range"), AD_TRL_CONTENT);
    /* a length that stops short of a refused name is a different name */
    ck_assert_int_eq(ad_trailer_name_check(B("content-length"), 7), AD_TRL_OK);   /* "content" */
    ck_assert_int_eq(ad_trailer_name_check(B("hostname"), 4), AD_TRL_ROUTING);    /* "host" */
}
END_TEST

START_TEST(trailer_reasons)
{
    int v[] = {AD_TRL_PSEUDO, AD_TRL_SYNTAX, AD_TRL_FRAMING, AD_TRL_CONNECTION, AD_TRL_ROUTING,
               AD_TRL_AUTH, AD_TRL_CONTROL, AD_TRL_CONTENT};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const char *why = ad_trailer_why(v[i]);
        ck_assert_ptr_nonnull(why);
        ck_assert(strstr(why, "trailers") != NULL || strstr(why, "token") != NULL);
        for (size_t j = 0; j < i; j++) ck_assert_str_ne(why, ad_trailer_why(v[j]));
    }
    ck_assert_str_eq(ad_trailer_why(AD_TRL_OK), "allowed");
    ck_assert_str_eq(ad_trailer_why(-1), "not allowed in trailers");
    /* trailer values follow the header value rules */
    ck_assert(ad_hdr_value_ok(B("sha256=abc"), 10));
    ck_assert(ad_hdr_value_ok(B("app;dur=1.5, db;dur=0.2"), 23));
    ck_assert(!ad_hdr_value_ok(B("0\r\nx-injected: 1"), 18));
    ck_assert(!ad_hdr_value_ok(B("a\0"), 2));
    ck_assert(!ad_hdr_value_ok(B("\x1b[31m"), 6));
}
END_TEST

START_TEST(content_length)
{
    uint64_t v;
    ck_assert_int_eq(ad_parse_content_length(B("0"), 1, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(ad_parse_content_length(B("1234567890"), 10, &v), 0);
    ck_assert_uint_eq(v, 1234567890u);
    ck_assert_int_eq(ad_parse_content_length(B("9999999999999999999"), 19, &v), 0);
    ck_assert_int_eq(ad_parse_content_length(B("99999999999999999999"), 20, &v), -1);
    ck_assert_int_eq(ad_parse_content_length(B(""), 0, &v), -1);
    ck_assert_int_eq(ad_parse_content_length(B("-1"), 2, &v), -1);
    ck_assert_int_eq(ad_parse_content_length(B("+1"), 2, &v), -1);
    ck_assert_int_eq(ad_parse_content_length(B(" 1"), 2, &v), -1);
    ck_assert_int_eq(ad_parse_content_length(B("1,1"), 3, &v), -1);
    ck_assert(ad_status_has_body(200));
    ck_assert(!ad_status_has_body(204));
    ck_assert(!ad_status_has_body(304));
    ck_assert(!ad_status_has_body(103));
    ck_assert(ad_status_has_body(500));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ad_http");
    TCase *tc = tcase_create("http");
    tcase_add_test(tc, pct_decode);
    tcase_add_test(tc, env_keys);
    tcase_add_test(tc, duplicates_joined);
    tcase_add_test(tc, authority);
    tcase_add_test(tc, status_lines);
    tcase_add_test(tc, response_headers);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, trailer_names);
    tcase_add_test(tc, trailer_reasons);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

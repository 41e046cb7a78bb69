/* test_tc_http.c: the HTTP field rules both daemons share (common/tc_http):
 * character classes for every byte, names, values, Content-Length and its
 * list form, hop-by-hop fields and fields refused in trailers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tc_http.h"

#define B(s) ((const uint8_t *)(s))
#define S(x) (const uint8_t *)(x), strlen(x)

/* The RFC 9110 grammar, spelled independently of the table under test. */
static int rfc_tchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int rfc_field_vchar(int c) { return (c >= 0x21 && c <= 0x7e) || c >= 0x80; }

START_TEST(classes_every_byte)
{
    for (int c = 0; c < 256; c++) {
        uint8_t b = (uint8_t)c;
        ck_assert_msg(tc_http_is_tchar(b) == rfc_tchar(c), "tchar 0x%02x", c);
        ck_assert_msg(tc_http_is_vchar(b) == rfc_field_vchar(c), "field-vchar 0x%02x", c);
        ck_assert_msg(tc_http_is_ows(b) == (c == ' ' || c == '\t'), "OWS 0x%02x", c);
        ck_assert_msg(tc_http_is_digit(b) == (c >= '0' && c <= '9'), "DIGIT 0x%02x", c);
        ck_assert_msg(tc_http_is_value_char(b) == (rfc_field_vchar(c) || c == ' ' || c == '\t'),
                      "value byte 0x%02x", c);
        /* every token character is a field-vchar */
        ck_assert(!tc_http_is_tchar(b) || tc_http_is_vchar(b));
    }
}
END_TEST

/* Moved from test_h1_fields.c (px_h1_is_tchar is gone: the parser uses this). */
START_TEST(tchar_set)
{
    const char *yes = "!#$%&'*+-.^_`|~09AZaz";
    const char *no = "\"(),/:;<=>?@[\\]{} \t";
    for (const char *p = yes; *p; p++)
        ck_assert_msg(tc_http_is_tchar((uint8_t)*p), "'%c' should be a tchar", *p);
    for (const char *p = no; *p; p++)
        ck_assert_msg(!tc_http_is_tchar((uint8_t)*p), "'%c' should not be a tchar", *p);
    ck_assert(!tc_http_is_tchar(0));
    ck_assert(!tc_http_is_tchar(0x7f));
    ck_assert(!tc_http_is_tchar(0x80));
    ck_assert(!tc_http_is_tchar(0xff));
}
END_TEST

START_TEST(name_compare)
{
    ck_assert(tc_http_name_is(S("Content-Length"), "content-length"));
    ck_assert(tc_http_name_is(S("CONTENT-LENGTH"), "content-length"));
    ck_assert(!tc_http_name_is(S("Content-Lengt"), "content-length"));
    ck_assert(!tc_http_name_is(S("Content-Lengthx"), "content-length"));
    ck_assert(tc_http_name_is(S(""), ""));
    ck_assert(!tc_http_name_is(S(""), "te"));
    ck_assert(tc_http_name_is(S("T"), "t"));
    ck_assert(!tc_http_name_is(S("T"), "u"));
    ck_assert(tc_http_name_eq(B("TEx"), 2, "te", 2));
    /* only A-Z fold: '@'|0x20 is '`', 0xC0|0x20 is 0xE0, '[' | 0x20 is '{' */
    ck_assert(!tc_http_name_is(S("@"), "`"));
    ck_assert(!tc_http_name_is(S("["), "{"));
    ck_assert(!tc_http_name_is(S("\xc0"), "\xe0"));
    for (int c = 0; c < 256; c++) {
        uint8_t b = (uint8_t)c;
        char lower[2] = { (char)((c >= 'A' && c <= 'Z') ? c + 32 : c), 0 };
        if (c != 0)
            ck_assert_msg(tc_http_name_is(&b, 1, lower), "0x%02x", c);
    }
}
END_TEST

START_TEST(trim)
{
    const uint8_t *p = B(" \t a b \t ");
    size_t n = 9;
    tc_http_trim_ows(&p, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(memcmp(p, "a b", 3), 0);
    p = B(" \t ");
    n = 3;
    tc_http_trim_ows(&p, &n);
    ck_assert_uint_eq(n, 0);
    p = B("x");
    n = 1;
    tc_http_trim_ows(&p, &n);
    ck_assert_uint_eq(n, 1);
    p = B("\r x\n"); /* CR and LF are not OWS */
    n = 4;
    tc_http_trim_ows(&p, &n);
    ck_assert_uint_eq(n, 4);
    n = 0;
    tc_http_trim_ows(&p, &n);
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* Moved from test_px_hdr.c (px_hdr_list_has), with more edges. */
START_TEST(list_membership)
{
    ck_assert(tc_http_list_has(S("gzip, trailers"), "trailers"));
    ck_assert(tc_http_list_has(S("Trailers;q=1"), "trailers"));
    ck_assert(!tc_http_list_has(S("trailersx"), "trailers"));
    ck_assert(tc_http_list_has(S("keep-alive, Close"), "close"));
    ck_assert(tc_http_list_has(S("close"), "close"));
    ck_assert(tc_http_list_has(S(",,\t close \t,,"), "close"));
    ck_assert(tc_http_list_has(S("a;x=1, b ; y=2,close"), "close"));
    ck_assert(tc_http_list_has(S("trailers ;q=0.5"), "trailers"));
    ck_assert(!tc_http_list_has(S("x;close"), "close")); /* a parameter, not an element */
    ck_assert(!tc_http_list_has(S("clo se"), "close"));
    ck_assert(!tc_http_list_has(S("closed, xclose"), "close"));
    ck_assert(!tc_http_list_has(S(""), "close"));
    ck_assert(!tc_http_list_has(S(","), "close"));
    ck_assert(!tc_http_list_has(S(" "), "close"));
    ck_assert(!tc_http_list_has(S("c"), "close"));
}
END_TEST

START_TEST(field_names)
{
    /* moved from test_ad_http.c (ad_hdr_name_ok) */
    ck_assert(tc_http_name_ok(B("Content-Type"), 12));
    ck_assert(tc_http_name_ok(B("x!#$%&'*+-.^_`|~9"), 17));
    ck_assert(!tc_http_name_ok(B(""), 0));
    ck_assert(!tc_http_name_ok(B("a b"), 3));
    ck_assert(!tc_http_name_ok(B("a:b"), 3));
    ck_assert(!tc_http_name_ok(B("a\r"), 2));
    ck_assert(!tc_http_name_ok(B("\xe9"), 1));
    ck_assert(!tc_http_name_ok(B(":status"), 7));
    ck_assert(!tc_http_name_ok(B("a\0b"), 3));
    /* every one-byte name, and the same byte after a valid one */
    for (int c = 0; c < 256; c++) {
        uint8_t two[2] = { 'x', (uint8_t)c };
        ck_assert_int_eq(tc_http_name_ok(two + 1, 1), rfc_tchar(c));
        ck_assert_int_eq(tc_http_name_ok(two, 2), rfc_tchar(c));
    }
}
END_TEST

START_TEST(field_values)
{
    /* moved from test_ad_http.c (ad_hdr_value_ok) */
    ck_assert(tc_http_value_ok(B("text/html; charset=utf-8"), 24));
    ck_assert(tc_http_value_ok(B("a\tb"), 3));
    ck_assert(tc_http_value_ok(B("caf\xe9"), 4)); /* latin-1 obs-text */
    ck_assert(tc_http_value_ok(B(""), 0));
    ck_assert(!tc_http_value_ok(B("a\r\nInjected: 1"), 14));
    ck_assert(!tc_http_value_ok(B("a\nb"), 3));
    ck_assert(!tc_http_value_ok(B("a\0b"), 3));
    ck_assert(!tc_http_value_ok(B("a\x7f"), 2));
    ck_assert(!tc_http_value_ok(B("\x1b[31m"), 5));
    ck_assert(!tc_http_value_ok(B("a\x01z"), 3)); /* the proxy used to pass it */
    ck_assert(tc_http_value_ok(B("a  \t b"), 6)); /* inner whitespace is content */
    /* leading and trailing whitespace is not part of a value */
    ck_assert(!tc_http_value_ok(B(" a"), 2));
    ck_assert(!tc_http_value_ok(B("a "), 2));
    ck_assert(!tc_http_value_ok(B("\ta"), 2));
    ck_assert(!tc_http_value_ok(B("a\t"), 2));
    ck_assert(!tc_http_value_ok(B(" "), 1));
    /* every byte: alone, and inside a value */
    for (int c = 0; c < 256; c++) {
        uint8_t one = (uint8_t)c, three[3] = { 'a', (uint8_t)c, 'z' };
        ck_assert_msg(tc_http_value_ok(&one, 1) == rfc_field_vchar(c), "alone 0x%02x", c);
        ck_assert_msg(tc_http_value_ok(three, 3) == (rfc_field_vchar(c) || c == ' ' || c == '\t'),
                      "inside 0x%02x", c);
    }
    /* both, as the proxy checks a worker's field (was px_hdr_valid_response_field) */
    ck_assert(tc_http_field_ok(S("X-Ok"), S("fine value")));
    ck_assert(!tc_http_field_ok(S("X-Bad"), S("a\r\nSet-Cookie: x")));
    ck_assert(!tc_http_field_ok(S("Bad Name"), S("v")));
    ck_assert(!tc_http_field_ok(S(""), S("v")));
    ck_assert(tc_http_field_ok(S("x"), S("")));
}
END_TEST

static int cl(const char *s, uint64_t *v) { return tc_http_content_length(B(s), strlen(s), v); }

/* Moved from test_px_hdr.c and test_ad_http.c: one parser now.  The
 * appd copy refused " 1" because its caller trimmed first; the trimming is
 * in the parser now.  Above 2^63-1 is refused by both daemons. */
START_TEST(content_length)
{
    uint64_t v = 77;
    ck_assert_int_eq(cl("0", &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(cl("1234567890", &v), 0);
    ck_assert_uint_eq(v, 1234567890u);
    ck_assert_int_eq(cl(" 1048576 ", &v), 0);
    ck_assert_uint_eq(v, 1048576);
    ck_assert_int_eq(cl("\t5\t", &v), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(cl(" 1", &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(cl("007", &v), 0);
    ck_assert_uint_eq(v, 7);
    /* leading zeros do not count against the range */
    ck_assert_int_eq(cl("00000000000000000000000000000042", &v), 0);
    ck_assert_uint_eq(v, 42);
    /* the edge of the range, and every way past it */
    ck_assert_int_eq(cl("9223372036854775807", &v), 0);
    ck_assert_uint_eq(v, TC_HTTP_LENGTH_MAX);
    v = 77;
    ck_assert_int_eq(cl("9223372036854775808", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("9999999999999999999", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("18446744073709551615", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("18446744073709551616", &v), TC_HTTP_CL_INVALID); /* wraps to 0 */
    ck_assert_int_eq(cl("99999999999999999999", &v), TC_HTTP_CL_INVALID);
    ck_assert_uint_eq(v, 77); /* untouched on error */
    /* not 1*DIGIT */
    ck_assert_int_eq(cl("", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl(" ", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("-1", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("+1", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("1,1", &v), TC_HTTP_CL_INVALID); /* the list form is not for this one */
    ck_assert_int_eq(cl("1 1", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("0x10", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("1e3", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("5\r", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cl("\v5", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(tc_http_content_length(B("5\0"), 2, &v), TC_HTTP_CL_INVALID);
    /* every one-byte value */
    for (int c = 0; c < 256; c++) {
        uint8_t b = (uint8_t)c;
        int want = (c >= '0' && c <= '9') ? 0 : TC_HTTP_CL_INVALID;
        ck_assert_int_eq(tc_http_content_length(&b, 1, &v), want);
        if (want == 0)
            ck_assert_uint_eq(v, (uint64_t)(c - '0'));
    }
    ck_assert_int_eq(tc_http_content_length(NULL, 0, &v), TC_HTTP_CL_INVALID);
}
END_TEST

static int cll(const char *s, uint64_t *v)
{
    return tc_http_content_length_list(B(s), strlen(s), v, NULL, NULL);
}

START_TEST(content_length_list)
{
    uint64_t v = 77;
    const uint8_t *e;
    size_t el;
    ck_assert_int_eq(cll("42", &v), 0);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(cll("42, 42", &v), 0);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(cll("42,42,42", &v), 0);
    ck_assert_int_eq(cll(" 42 ,\t42\t", &v), 0);
    const char *in = "  0010 , 0010";
    ck_assert_int_eq(tc_http_content_length_list(B(in), strlen(in), &v, &e, &el), 0);
    ck_assert_uint_eq(v, 10);
    ck_assert_ptr_eq(e, B(in) + 2);
    ck_assert_uint_eq(el, 4);
    /* the same number spelled differently is a conflict, not a merge */
    v = 77;
    ck_assert_int_eq(cll("5, 05", &v), TC_HTTP_CL_CONFLICT);
    ck_assert_int_eq(cll("5, 6", &v), TC_HTTP_CL_CONFLICT);
    ck_assert_int_eq(cll("5,5,6", &v), TC_HTTP_CL_CONFLICT);
    /* a bad element is invalid wherever it is */
    ck_assert_int_eq(cll("5, x", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll("x, 5", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll("5, -5", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll("5, 99999999999999999999", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll("9223372036854775808, 9223372036854775808", &v), TC_HTTP_CL_INVALID);
    /* empty elements are refused on this framing field */
    ck_assert_int_eq(cll("5,", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll(",5", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll("5,,5", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll("5, ,5", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll(",", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll("", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(cll(" ", &v), TC_HTTP_CL_INVALID);
    ck_assert_int_eq(tc_http_content_length_list(NULL, 0, &v, NULL, NULL), TC_HTTP_CL_INVALID);
    ck_assert_uint_eq(v, 77);
    ck_assert_int_eq(cll("9223372036854775807,9223372036854775807", &v), 0);
    ck_assert_uint_eq(v, TC_HTTP_LENGTH_MAX);
}
END_TEST

START_TEST(hop_by_hop)
{
    /* moved from test_ad_http.c (ad_hdr_hop_by_hop) and test_px_hdr.c
     * (px_hdr_conn_specific, which left out TE) */
    const char *yes[] = { "Connection",
                          "connection",
                          "keep-alive",
                          "Keep-Alive",
                          "Transfer-Encoding",
                          "transfer-encoding",
                          "UPGRADE",
                          "upgrade",
                          "Proxy-Connection",
                          "TE",
                          "te" };
    const char *no[] = {
        "content-type",   "Trailer",     "Content-Length", "Connectionx", "tee", "t", "",
        "http2-settings", "keep-alivex", "upgrades",       "host"
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        ck_assert_msg(tc_http_hop_by_hop(S(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        ck_assert_msg(!tc_http_hop_by_hop(S(no[i])), "%s", no[i]);
    ck_assert(!tc_http_hop_by_hop(B("connection"), 9));
    /* h2 requests keep a TE that offers trailers (RFC 9113 §8.2.2) */
    ck_assert(!tc_http_h2_request_drops(S("TE"), S("trailers")));
    ck_assert(!tc_http_h2_request_drops(S("te"), S("gzip, Trailers;q=1")));
    ck_assert(tc_http_h2_request_drops(S("te"), S("gzip")));
    ck_assert(tc_http_h2_request_drops(S("te"), S("")));
    ck_assert(tc_http_h2_request_drops(S("connection"), S("trailers")));
    ck_assert(tc_http_h2_request_drops(S("Upgrade"), S("h2c")));
    ck_assert(!tc_http_h2_request_drops(S("accept"), S("*/*")));
}
END_TEST

static int trl(const char *name) { return tc_http_trailer_check(B(name), strlen(name)); }

/* Moved from test_ad_http.c (ad_trailer_name_check) and test_px_hdr.c
 * (px_hdr_forbidden_trailer, whose nine names are all here). */
START_TEST(trailer_names)
{
    /* what trailers are for */
    ck_assert_int_eq(trl("x-checksum"), TC_HTTP_TRL_OK);
    ck_assert_int_eq(trl("server-timing"), TC_HTTP_TRL_OK);
    ck_assert_int_eq(trl("grpc-status"), TC_HTTP_TRL_OK);
    ck_assert_int_eq(trl("grpc-message"), TC_HTTP_TRL_OK);
    ck_assert_int_eq(trl("Digest"), TC_HTTP_TRL_OK);
    ck_assert_int_eq(trl("Content-MD5"), TC_HTTP_TRL_OK); /* prefix of a refused name: fine */
    ck_assert_int_eq(trl("content-lengths"), TC_HTTP_TRL_OK);
    ck_assert_int_eq(trl("tee"), TC_HTTP_TRL_OK);
    ck_assert_int_eq(trl("x"), TC_HTTP_TRL_OK);
    /* pseudo-headers, whatever follows the colon */
    ck_assert_int_eq(trl(":status"), TC_HTTP_TRL_PSEUDO);
    ck_assert_int_eq(trl(":path"), TC_HTTP_TRL_PSEUDO);
    ck_assert_int_eq(trl(":"), TC_HTTP_TRL_PSEUDO);
    ck_assert_int_eq(trl(":bad name"), TC_HTTP_TRL_PSEUDO);
    /* not tokens */
    ck_assert_int_eq(trl(""), TC_HTTP_TRL_SYNTAX);
    ck_assert_int_eq(trl("bad name"), TC_HTTP_TRL_SYNTAX);
    ck_assert_int_eq(trl("x-a:b"), TC_HTTP_TRL_SYNTAX);
    ck_assert_int_eq(trl("x\r\nInjected: 1"), TC_HTTP_TRL_SYNTAX); /* response splitting */
    ck_assert_int_eq(trl("x\tY"), TC_HTTP_TRL_SYNTAX);
    ck_assert_int_eq(tc_http_trailer_check(B("x\0y"), 3), TC_HTTP_TRL_SYNTAX);
    ck_assert_int_eq(trl("caf\xe9"), TC_HTTP_TRL_SYNTAX);
    ck_assert_int_eq(trl("x(y)"), TC_HTTP_TRL_SYNTAX);
    /* refused fields, any case */
    ck_assert_int_eq(trl("content-length"), TC_HTTP_TRL_FRAMING);
    ck_assert_int_eq(trl("Content-Length"), TC_HTTP_TRL_FRAMING);
    ck_assert_int_eq(trl("TRANSFER-ENCODING"), TC_HTTP_TRL_FRAMING);
    ck_assert_int_eq(trl("trailer"), TC_HTTP_TRL_FRAMING);
    ck_assert_int_eq(trl("Trailer"), TC_HTTP_TRL_FRAMING);
    ck_assert_int_eq(trl("TE"), TC_HTTP_TRL_FRAMING);
    ck_assert_int_eq(trl("connection"), TC_HTTP_TRL_CONNECTION);
    ck_assert_int_eq(trl("Keep-Alive"), TC_HTTP_TRL_CONNECTION);
    ck_assert_int_eq(trl("proxy-connection"), TC_HTTP_TRL_CONNECTION);
    ck_assert_int_eq(trl("upgrade"), TC_HTTP_TRL_CONNECTION);
    ck_assert_int_eq(trl("Host"), TC_HTTP_TRL_ROUTING);
    ck_assert_int_eq(trl("max-forwards"), TC_HTTP_TRL_ROUTING);
    ck_assert_int_eq(trl("authorization"), TC_HTTP_TRL_AUTH);
    ck_assert_int_eq(trl("WWW-Authenticate"), TC_HTTP_TRL_AUTH);
    ck_assert_int_eq(trl("proxy-authenticate"), TC_HTTP_TRL_AUTH);
    ck_assert_int_eq(trl("proxy-authorization"), TC_HTTP_TRL_AUTH);
    ck_assert_int_eq(trl("set-cookie"), TC_HTTP_TRL_AUTH);
    ck_assert_int_eq(trl("cookie"), TC_HTTP_TRL_AUTH);
    ck_assert_int_eq(trl("cache-control"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("expires"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("age"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("date"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("location"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("retry-after"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("vary"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("pragma"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("expect"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("range"), TC_HTTP_TRL_CONTROL);
    ck_assert_int_eq(trl("content-type"), TC_HTTP_TRL_CONTENT);
    ck_assert_int_eq(trl("Content-Encoding"), TC_HTTP_TRL_CONTENT);
    ck_assert_int_eq(trl("content-range"), TC_HTTP_TRL_CONTENT);
    /* a length that stops short of a refused name is a different name */
    ck_assert_int_eq(tc_http_trailer_check(B("content-length"), 7), TC_HTTP_TRL_OK);
    ck_assert_int_eq(tc_http_trailer_check(B("hostname"), 4), TC_HTTP_TRL_ROUTING);
    /* every field the proxy used to drop is still refused */
    const char *proxy_list[] = {
        ":status",    "Content-Length", "transfer-encoding", "Host",   "TE", "connection",
        "Keep-Alive", "upgrade",        "proxy-connection",  "Trailer"
    };
    for (size_t i = 0; i < sizeof proxy_list / sizeof proxy_list[0]; i++)
        ck_assert_msg(trl(proxy_list[i]) != TC_HTTP_TRL_OK, "%s allowed", proxy_list[i]);
    /* every one-byte name: a tchar is fine, ':' is a pseudo-header, the rest syntax */
    for (int c = 0; c < 256; c++) {
        uint8_t b = (uint8_t)c;
        int want = c == ':'       ? TC_HTTP_TRL_PSEUDO
                   : rfc_tchar(c) ? TC_HTTP_TRL_OK
                                  : TC_HTTP_TRL_SYNTAX;
        ck_assert_msg(tc_http_trailer_check(&b, 1) == want, "0x%02x", c);
    }
}
END_TEST

/* Moved from test_ad_http.c (ad_trailer_why): appd names the category. */
START_TEST(trailer_reasons)
{
    int v[] = { TC_HTTP_TRL_PSEUDO,     TC_HTTP_TRL_SYNTAX,  TC_HTTP_TRL_FRAMING,
                TC_HTTP_TRL_CONNECTION, TC_HTTP_TRL_ROUTING, TC_HTTP_TRL_AUTH,
                TC_HTTP_TRL_CONTROL,    TC_HTTP_TRL_CONTENT };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const char *why = tc_http_trailer_why(v[i]);
        ck_assert_ptr_nonnull(why);
        ck_assert(strstr(why, "trailers") != NULL || strstr(why, "token") != NULL);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(why, tc_http_trailer_why(v[j]));
    }
    ck_assert_str_eq(tc_http_trailer_why(TC_HTTP_TRL_OK), "allowed");
    ck_assert_str_eq(tc_http_trailer_why(-1), "not allowed in trailers");
    ck_assert_str_eq(tc_http_trailer_why(TC_HTTP_TRL_AUTH),
                     "authentication and cookie fields are not allowed in trailers");
    /* trailer values follow the header value rules */
    ck_assert(tc_http_value_ok(B("sha256=abc"), 10));
    ck_assert(tc_http_value_ok(B("app;dur=1.5, db;dur=0.2"), 23));
    ck_assert(!tc_http_value_ok(B("0\r\nx-injected: 1"), 16)); /* was 18: past the literal */
    ck_assert(!tc_http_value_ok(B("a\0"), 2));
    ck_assert(!tc_http_value_ok(B("\x1b[31m"), 6));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tc_http");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, classes_every_byte);
    tcase_add_test(tc, tchar_set);
    tcase_add_test(tc, name_compare);
    tcase_add_test(tc, trim);
    tcase_add_test(tc, list_membership);
    tcase_add_test(tc, field_names);
    tcase_add_test(tc, field_values);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, content_length_list);
    tcase_add_test(tc, hop_by_hop);
    tcase_add_test(tc, trailer_names);
    tcase_add_test(tc, trailer_reasons);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

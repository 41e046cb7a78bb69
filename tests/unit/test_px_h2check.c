/* test_px_h2check.c: Check tests for the HTTP/2 request-target rules
 * (proxy/h2/h2_check.c): what HTTP/1 refuses in a request-target is
 * refused in :scheme, :authority, :path and Host too. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "h2_check.h"
#include "px_hdr.h"

static tp_str str(const char *s) { return (tp_str){ (const uint8_t *)s, (uint32_t)strlen(s) }; }

/* method, scheme, authority, :path (split at '?'), :protocol, one Host
 * field or NULL: the status the check answers. */
static int check(const char *m, const char *sc, const char *a, const char *p, const char *proto,
                 const char *host)
{
    px_h2_target t = { str(m), str(sc), str(a), { NULL, 0 }, { NULL, 0 }, str(proto),
                       { NULL, 0 }, 0 };
    size_t pl, ql;
    const uint8_t *q;
    px_split_path((const uint8_t *)p, strlen(p), &pl, &q, &ql);
    t.path = (tp_str){ (const uint8_t *)p, (uint32_t)pl };
    t.query = (tp_str){ q, (uint32_t)ql };
    if (host) {
        t.host = str(host);
        t.host_count = 1;
    }
    const char *why = NULL;
    int rc = px_h2_check_target(&t, &why);
    ck_assert_int_eq(rc != 0, why != NULL);
    return rc;
}

START_TEST(good_heads)
{
    ck_assert_int_eq(check("GET", "https", "localhost", "/", "", NULL), 0);
    ck_assert_int_eq(check("GET", "HTTP", "127.0.0.1:8080", "/a?b=c&d=%20", "", NULL), 0);
    ck_assert_int_eq(check("GET", "https", "[::1]:443", "/x?", "", "localhost"), 0);
    ck_assert_int_eq(check("GET", "https", "", "/", "", "example.com:80"), 0);
    ck_assert_int_eq(check("OPTIONS", "https", "localhost", "*", "", NULL), 0);
    ck_assert_int_eq(check("CONNECT", "", "example.com:443", "", "", NULL), 0);
    ck_assert_int_eq(check("CONNECT", "https", "localhost", "/chat", "websocket", NULL), 0);
}
END_TEST

START_TEST(authority_and_host)
{
    ck_assert_int_eq(check("GET", "https", "user@localhost", "/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "u:p@localhost:443", "/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "local host", "/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost:8x", "/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost/a", "/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "/", "", "u@localhost"), 400);
    ck_assert_int_eq(check("CONNECT", "", "example.com", "", "", NULL), 400); /* no port */
    ck_assert_int_eq(check("CONNECT", "", "", "", "", NULL), 400);
    ck_assert_int_eq(check("CONNECT", "https", "example.com:443", "/", "", NULL), 400);
    px_h2_target t = { str("GET"), str("https"), str("a"), str("/"), str(""), str(""),
                       str("a"), 2 };
    const char *why = NULL;
    ck_assert_int_eq(px_h2_check_target(&t, &why), 400); /* two Host fields */
}
END_TEST

START_TEST(scheme_and_path)
{
    ck_assert_int_eq(check("GET", "ftp", "localhost", "/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "", "localhost", "/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "a/b", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "?q", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "http://h/", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "*", "", NULL), 400);
    ck_assert_int_eq(check("OPTIONS", "https", "localhost", "*?x", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "/a#f", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "/a?b#f", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "/a b", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "/caf\xc3\xa9", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "/a\x7f", "", NULL), 400);
    ck_assert_int_eq(check("GET", "https", "localhost", "/a\t", "", NULL), 400);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_h2check");
    TCase *tc = tcase_create("h2check");
    tcase_add_test(tc, good_heads);
    tcase_add_test(tc, authority_and_host);
    tcase_add_test(tc, scheme_and_path);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

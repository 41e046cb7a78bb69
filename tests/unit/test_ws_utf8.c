/* test_ws_utf8.c: Check tests for the incremental UTF-8 validator of
 * WebSocket text (proxy/ws/ws_utf8.c), with the Autobahn-style cases of
 * RFC 3629: every boundary of each sequence length, overlong forms,
 * surrogates, code points past U+10FFFF, stray and missing continuation
 * bytes; each fed whole, byte by byte and split at every point, where a
 * valid text must stay valid and an invalid one must fail at its first bad
 * byte, never later. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ws_utf8.h"

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct {
    const char *bytes;
    int valid;
    int bad_at; /* invalid: index of the first byte that cannot be part of valid text;
                        -1 when only the end is wrong (truncated) */
} utf8_case;

static const utf8_case cases[] = {
    { "", 1, 0 },
    { "hello, world", 1, 0 },
    { "\x7f", 1, 0 },
    { "\xc2\x80", 1, 0 },                                     /* U+0080, the first 2-byte */
    { "\xdf\xbf", 1, 0 },                                     /* U+07FF */
    { "\xe0\xa0\x80", 1, 0 },                                 /* U+0800 */
    { "\xed\x9f\xbf", 1, 0 },                                 /* U+D7FF, below the surrogates */
    { "\xee\x80\x80", 1, 0 },                                 /* U+E000, above them */
    { "\xef\xbf\xbf", 1, 0 },                                 /* U+FFFF */
    { "\xf0\x90\x80\x80", 1, 0 },                             /* U+10000 */
    { "\xf4\x8f\xbf\xbf", 1, 0 },                             /* U+10FFFF, the last */
    { "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 1, 0 }, /* "kosme" in Greek */
    { "a\xf0\x9f\x98\x80z", 1, 0 },                           /* an emoji between ASCII */
    { "\x80", 0, 0 },                                         /* a lone continuation byte */
    { "\xbf", 0, 0 },
    { "a\x80", 0, 1 },
    { "\xc0\x80", 0, 0 },                 /* overlong NUL */
    { "\xc1\xbf", 0, 0 },                 /* overlong U+007F */
    { "\xe0\x80\x80", 0, 1 },             /* overlong 3-byte */
    { "\xe0\x9f\xbf", 0, 1 },             /* overlong U+07FF */
    { "\xf0\x80\x80\x80", 0, 1 },         /* overlong 4-byte */
    { "\xf0\x8f\xbf\xbf", 0, 1 },         /* overlong U+FFFF */
    { "\xed\xa0\x80", 0, 1 },             /* U+D800 */
    { "\xed\xbf\xbf", 0, 1 },             /* U+DFFF */
    { "\xed\xa0\x80\xed\xb0\x80", 0, 1 }, /* a surrogate pair in CESU-8 */
    { "\xf4\x90\x80\x80", 0, 1 },         /* U+110000 */
    { "\xf5\x80\x80\x80", 0, 0 },         /* F5..FF start nothing */
    { "\xf8\x88\x80\x80\x80", 0, 0 },     /* the old 5-byte form */
    { "\xfe", 0, 0 },
    { "\xff", 0, 0 },
    { "\xc2", 0, -1 },         /* truncated 2-byte */
    { "\xe0\xa0", 0, -1 },     /* truncated 3-byte */
    { "\xf0\x90\x80", 0, -1 }, /* truncated 4-byte */
    { "\xc2\x41", 0, 1 },      /* a missing continuation */
    { "\xe1\x80\x41", 0, 2 },
    { "\xf1\x80\x80\xc2\x80", 0, 3 },
    { "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
      "edited",
      0, 12 },
    { "0123456789abcdef\xc3\x28", 0, 17 }, /* after the 8-byte ASCII fast path */
};

/* Feeds bytes in pieces cut at the given points; the result of the feeds
 * and whether the end is complete. */
static int feed_split(const char *s, size_t n, size_t cut1, size_t cut2, int *complete)
{
    ws_utf8 u;
    int rc = 0;
    ws_utf8_init(&u);
    rc |= ws_utf8_feed(&u, (const uint8_t *)s, cut1);
    rc |= ws_utf8_feed(&u, (const uint8_t *)s + cut1, cut2 - cut1);
    rc |= ws_utf8_feed(&u, (const uint8_t *)s + cut2, n - cut2);
    *complete = ws_utf8_complete(&u);
    return rc;
}

START_TEST(test_whole_and_split)
{
    const utf8_case *c = &cases[_i];
    size_t n = strlen(c->bytes);
    ck_assert_int_eq(ws_utf8_valid((const uint8_t *)c->bytes, n), c->valid);
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++) {
            int complete, rc = feed_split(c->bytes, n, a, b, &complete);
            ck_assert_int_eq(rc == 0 && complete, c->valid);
            /* only a truncated text passes every feed and fails at the end */
            ck_assert_int_eq(rc == 0, c->valid || c->bad_at < 0);
        }
}
END_TEST

START_TEST(test_fails_at_first_bad_byte)
{
    const utf8_case *c = &cases[_i];
    size_t n = strlen(c->bytes);
    ws_utf8 u;
    if (c->valid || c->bad_at < 0)
        return;
    ws_utf8_init(&u);
    for (size_t i = 0; i < n; i++) {
        int rc = ws_utf8_feed(&u, (const uint8_t *)c->bytes + i, 1);
        ck_assert_int_eq(rc, i >= (size_t)c->bad_at ? -1 : 0);
    }
    /* once bad, always bad: even valid bytes after it */
    ck_assert_int_eq(ws_utf8_feed(&u, (const uint8_t *)"ok", 2), -1);
    ck_assert(!ws_utf8_complete(&u));
}
END_TEST

/* Every code point, encoded by the book, is valid; every surrogate is not. */
START_TEST(test_every_code_point)
{
    uint8_t b[4];
    unsigned wrong = 0, first_wrong = 0;
    for (unsigned cp = 0; cp <= 0x10ffff; cp++) {
        size_t n;
        if (cp < 0x80) {
            b[0] = (uint8_t)cp;
            n = 1;
        } else if (cp < 0x800) {
            b[0] = (uint8_t)(0xc0 | cp >> 6);
            b[1] = (uint8_t)(0x80 | (cp & 0x3f));
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = (uint8_t)(0xe0 | cp >> 12);
            b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            b[2] = (uint8_t)(0x80 | (cp & 0x3f));
            n = 3;
        } else {
            b[0] = (uint8_t)(0xf0 | cp >> 18);
            b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
            b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            b[3] = (uint8_t)(0x80 | (cp & 0x3f));
            n = 4;
        }
        int surrogate = cp >= 0xd800 && cp <= 0xdfff;
        /* one assertion at the end: a million ck_assert calls outlast the timeout under ASan */
        if (ws_utf8_valid(b, n) != !surrogate && wrong++ == 0)
            first_wrong = cp;
    }
    ck_assert_msg(wrong == 0, "%u code points judged wrongly, the first U+%04X", wrong, first_wrong);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ws_utf8");
    TCase *tc = tcase_create("utf8");
    tcase_add_loop_test(tc, test_whole_and_split, 0, NELEM(cases));
    tcase_add_loop_test(tc, test_fails_at_first_bad_byte, 0, NELEM(cases));
    tcase_add_test(tc, test_every_code_point);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

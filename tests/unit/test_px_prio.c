/* test_px_prio.c: Check tests for RFC 9218 priority signals
 * (proxy/px_prio.c): the Priority field as a structured-field dictionary
 * and the PRIORITY_UPDATE frame's payload. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_prio.h"

static int prio(const char *v, int *u, int *i)
{
    uint8_t uu = 99, ii = 99;
    int rc = px_prio_parse((const uint8_t *)v, strlen(v), &uu, &ii);
    *u = uu;
    *i = ii;
    return rc;
}

START_TEST(priority_field)
{
    int u, i;
    ck_assert_int_eq(prio("u=0", &u, &i), 0);
    ck_assert_int_eq(u, 0);
    ck_assert_int_eq(i, 0);
    ck_assert_int_eq(prio("u=7, i", &u, &i), 0);
    ck_assert_int_eq(u, 7);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(prio("i, u=2", &u, &i), 0);
    ck_assert_int_eq(u, 2);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(prio("  u=1,i=?0 ", &u, &i), 0);
    ck_assert_int_eq(u, 1);
    ck_assert_int_eq(i, 0);
    ck_assert_int_eq(prio("i=?1", &u, &i), 0);
    ck_assert_int_eq(u, 3); /* absent: the default */
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(prio("", &u, &i), 0);
    ck_assert_int_eq(u, 3);
    ck_assert_int_eq(i, 0);
    /* Out of range or of the wrong type: that member is ignored. */
    ck_assert_int_eq(prio("u=8, i", &u, &i), 0);
    ck_assert_int_eq(u, 3);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(prio("u=-1", &u, &i), 0);
    ck_assert_int_eq(u, 3);
    ck_assert_int_eq(prio("u=1.5", &u, &i), 0);
    ck_assert_int_eq(u, 3);
    ck_assert_int_eq(prio("u=\"1\", i=1", &u, &i), 0);
    ck_assert_int_eq(u, 3);
    ck_assert_int_eq(i, 0);
    /* The last of repeated keys counts, even when it is the invalid one. */
    ck_assert_int_eq(prio("u=1, u=5", &u, &i), 0);
    ck_assert_int_eq(u, 5);
    ck_assert_int_eq(prio("u=1, u=9", &u, &i), 0);
    ck_assert_int_eq(u, 3);
    /* Unknown members of every type, and parameters, are skipped. */
    ck_assert_int_eq(
        prio("x=\"a,\\\"b\", u=4;p=1, y=(1 2 tok);q, z=:AAE=:, w=?1, t=a/b:c, i", &u, &i), 0);
    ck_assert_int_eq(u, 4);
    ck_assert_int_eq(i, 1);
    /* Not a dictionary at all: the whole field is ignored. */
    u = i = 42;
    uint8_t uu = 5, ii = 1;
    const char *bad[] = { "u=1,", "U=1",     "u=1 i", "u=",   "u==1",     ",u=1",
                          "u=1;", "u=(1",    "u=\"x", "u=1.", "u=1.2345", "u=1234567890123456",
                          "u=?2", "u=1\x01", "u=1,,i" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_msg(px_prio_parse((const uint8_t *)bad[k], strlen(bad[k]), &uu, &ii) == -1,
                      "accepted '%s'", bad[k]);
        ck_assert_int_eq(uu, 5); /* untouched */
        ck_assert_int_eq(ii, 1);
    }
}
END_TEST

START_TEST(priority_update_payload)
{
    const uint8_t p[] = { 0x80, 0, 0, 5, 'u', '=', '0' };
    uint32_t id;
    const uint8_t *v;
    size_t vl;
    ck_assert_int_eq(px_prio_update_decode(p, sizeof p, &id, &v, &vl), 0);
    ck_assert_uint_eq(id, 5); /* the reserved bit is dropped */
    ck_assert_uint_eq(vl, 3);
    ck_assert_int_eq(memcmp(v, "u=0", 3), 0);
    ck_assert_int_eq(px_prio_update_decode(p, 4, &id, &v, &vl), 0);
    ck_assert_uint_eq(vl, 0);
    ck_assert_int_eq(px_prio_update_decode(p, 3, &id, &v, &vl), -1);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_prio");
    TCase *tc = tcase_create("prio");
    tcase_add_test(tc, priority_field);
    tcase_add_test(tc, priority_update_payload);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

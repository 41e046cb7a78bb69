/* test_tp_buf.c: Check tests for the output buffer encoders append to
 * (protocol/tp_buf.c): geometric growth, reserve, refusal of impossible
 * sizes without losing the contents, and consuming what was written. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tp_check.h"

START_TEST(test_buf_growth)
{
    tp_buf b = { 0 };
    size_t i, last_cap = 0, grows = 0, bad = 0;
    uint8_t c;

    /* plain counters in the loops: a ck_assert per byte costs a pipe write */
    for (i = 0; i < 100000; i++) {
        c = (uint8_t)(i * 7);
        bad += tp_buf_append(&b, &c, 1) != TP_OK || b.cap < b.len;
        if (b.cap != last_cap) {
            grows++;
            last_cap = b.cap;
        }
    }
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(b.len, 100000);
    for (i = 0; i < b.len; i++)
        bad += b.data[i] != (uint8_t)(i * 7);
    ck_assert_uint_eq(bad, 0);
    /* geometric growth: a handful of reallocations, not one per append */
    ck_assert_uint_le(grows, 20);
    tp_buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_buf_reserve)
{
    tp_buf b;
    uint8_t *data;
    size_t cap;

    tp_buf_init(&b);
    ck_assert_int_eq(tp_buf_reserve(&b, 0), TP_OK);
    ck_assert_int_eq(tp_buf_reserve(&b, 1000), TP_OK);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_ge(b.cap, 1000);
    data = b.data;
    cap = b.cap;
    ck_assert_int_eq(tp_buf_append(&b, "abc", 3), TP_OK);
    ck_assert_int_eq(tp_buf_reserve(&b, cap - 3), TP_OK);
    ck_assert_ptr_eq(b.data, data); /* enough room: no reallocation */
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_int_eq(tp_buf_reserve(&b, cap - 2), TP_OK);
    ck_assert_uint_gt(b.cap, cap);
    ck_assert_mem_eq(b.data, "abc", 3);
    ck_assert_int_eq(tp_buf_append(&b, NULL, 0), TP_OK);
    ck_assert_uint_eq(b.len, 3);
    tp_buf_free(&b);
    tp_buf_free(&b); /* idempotent */
}
END_TEST

START_TEST(test_buf_nomem)
{
    tp_buf b = { 0 };
    uint8_t *data;
    size_t cap;

    ck_assert_int_eq(tp_buf_append(&b, "hello", 5), TP_OK);
    data = b.data;
    cap = b.cap;
    ck_assert_int_eq(tp_buf_reserve(&b, SIZE_MAX), TP_E_NOMEM);
    ck_assert_int_eq(tp_buf_reserve(&b, SIZE_MAX - 4), TP_E_NOMEM);
    ck_assert_int_eq(tp_buf_reserve(&b, (size_t)PTRDIFF_MAX), TP_E_NOMEM);
    ck_assert_int_eq(tp_buf_append(&b, "x", SIZE_MAX), TP_E_NOMEM);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_mem_eq(b.data, "hello", 5);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_buf_consume)
{
    tp_buf b = { 0 };

    ck_assert_int_eq(tp_buf_append(&b, "0123456789", 10), TP_OK);
    tp_buf_consume(&b, 0);
    ck_assert_uint_eq(b.len, 10);
    tp_buf_consume(&b, 3);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_mem_eq(b.data, "3456789", 7);
    tp_buf_consume(&b, 6);
    ck_assert_uint_eq(b.len, 1);
    ck_assert_uint_eq(b.data[0], '9');
    ck_assert_int_eq(tp_buf_append(&b, "ab", 2), TP_OK);
    ck_assert_mem_eq(b.data, "9ab", 3);
    tp_buf_consume(&b, 3);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(tp_buf_append(&b, "xy", 2), TP_OK);
    tp_buf_consume(&b, SIZE_MAX);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_gt(b.cap, 0); /* memory kept for the next batch */
    tp_buf_free(&b);
}
END_TEST

static Suite *tp_buf_suite(void)
{
    Suite *s = suite_create("tp_buf");
    TCase *tc;

    tc = tcase_create("buf");
    tcase_add_test(tc, test_buf_growth);
    tcase_add_test(tc, test_buf_reserve);
    tcase_add_test(tc, test_buf_nomem);
    tcase_add_test(tc, test_buf_consume);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(tp_buf_suite()); }

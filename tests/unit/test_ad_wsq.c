/* test_ad_wsq.c: a WebSocket stream's incoming message queue
 * (appd/ad_wsq.c): message boundaries across frames, text and binary,
 * empty messages, the ring growing while it wraps, and the credit rule
 * (credited on arrival while no whole message waits, held while one does,
 * released when the app takes the last one). */
#include <check.h>
#include <stdlib.h>

#include "ad_wsq.h"

START_TEST(frames_make_messages)
{
    ad_wsq q = { 0 };
    size_t len;
    int text;
    ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 0);
    ck_assert_int_eq(ad_wsq_feed(&q, 100, 0, 1), 0);
    ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 0); /* still arriving */
    ck_assert_int_eq(ad_wsq_feed(&q, 50, 1, 1), 0);
    ck_assert_int_eq(ad_wsq_feed(&q, 0, 1, 0), 0); /* an empty binary message */
    ck_assert_int_eq(ad_wsq_feed(&q, 7, 0, 0), 0); /* the next, partial */
    ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 1);
    ck_assert_uint_eq(len, 150);
    ck_assert_int_eq(text, 1);
    ad_wsq_pop(&q);
    ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 1);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(text, 0);
    ad_wsq_pop(&q);
    ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 0);
    ck_assert_int_eq(ad_wsq_feed(&q, 3, 1, 0), 0);
    ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 1);
    ck_assert_uint_eq(len, 10);
    ad_wsq_pop(&q);
    ad_wsq_pop(&q); /* popping an empty queue changes nothing */
    ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 0);
    ad_wsq_free(&q);
}
END_TEST

START_TEST(credit_while_no_whole_message_waits)
{
    ad_wsq q = { 0 };
    /* A message larger than any window: credited as it arrives. */
    ad_wsq_feed(&q, 1000, 0, 0);
    ck_assert_uint_eq(ad_wsq_credit(&q), 1000);
    ck_assert_uint_eq(ad_wsq_credit(&q), 0);
    ad_wsq_feed(&q, 500, 1, 0);
    /* Whole now, and the app has not taken it: nothing more is credited. */
    ck_assert_uint_eq(ad_wsq_credit(&q), 0);
    ad_wsq_feed(&q, 300, 0, 0);
    ck_assert_uint_eq(ad_wsq_credit(&q), 0);
    ad_wsq_pop(&q);
    /* Taken: the message's rest and what came after it are credited. */
    ck_assert_uint_eq(ad_wsq_credit(&q), 800);
    ad_wsq_free(&q);
}
END_TEST

START_TEST(ring_grows_while_wrapped)
{
    ad_wsq q = { 0 };
    size_t len;
    int text;
    uint32_t next_in = 1, next_out = 1;
    /* Keep a few messages queued while many pass, so the ring wraps, then
     * queue many more so it grows from a wrapped state. */
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 5; i++, next_in++)
            ck_assert_int_eq(ad_wsq_feed(&q, next_in, 1, (int)(next_in & 1)), 0);
        for (int i = 0; i < 4; i++, next_out++) {
            ck_assert_int_eq(ad_wsq_peek(&q, &len, &text), 1);
            ck_assert_uint_eq(len, next_out);
            ck_assert_int_eq(text, (int)(next_out & 1));
            ad_wsq_pop(&q);
        }
    }
    for (int i = 0; i < 100; i++, next_in++)
        ck_assert_int_eq(ad_wsq_feed(&q, next_in, 1, 0), 0);
    while (ad_wsq_peek(&q, &len, &text)) {
        ck_assert_uint_eq(len, next_out++);
        ad_wsq_pop(&q);
    }
    ck_assert_uint_eq(next_out, next_in);
    ad_wsq_reset(&q);
    ck_assert_uint_eq(ad_wsq_credit(&q), 0);
    ad_wsq_free(&q);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ad_wsq");
    TCase *tc = tcase_create("messages");
    tcase_add_test(tc, frames_make_messages);
    tcase_add_test(tc, credit_while_no_whole_message_waits);
    tcase_add_test(tc, ring_grows_while_wrapped);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_proxy_logic.c: tandem-proxy's pure logic: least-loaded worker choice
 * and capacity, the shared worker table, the wait queue and its bound, and
 * the header helpers used to translate between HTTP/1 and HTTP/2. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_balance.h"
#include "px_hdr.h"
#include "px_queue.h"

START_TEST(pick_least_loaded)
{
    px_balance_cand c[3] = { { 3, 4 }, { 1, 4 }, { 2, 4 } };
    ck_assert_int_eq(px_balance_pick(c, 3), 1);
    /* Relative to capacity: 2/8 beats 1/2. */
    px_balance_cand d[2] = { { 1, 2 }, { 2, 8 } };
    ck_assert_int_eq(px_balance_pick(d, 2), 1);
    /* Equal ratio: the one with more free slots. */
    px_balance_cand e[2] = { { 1, 2 }, { 4, 8 } };
    ck_assert_int_eq(px_balance_pick(e, 2), 1);
    /* Equal everything: the first. */
    px_balance_cand f[2] = { { 0, 1 }, { 0, 1 } };
    ck_assert_int_eq(px_balance_pick(f, 2), 0);
}
END_TEST

START_TEST(pick_honors_capacity)
{
    px_balance_cand c[2] = { { 1, 1 }, { 4, 4 } };
    ck_assert_int_eq(px_balance_pick(c, 2), -1);
    c[1].outstanding = 3;
    ck_assert_int_eq(px_balance_pick(c, 2), 1);
    px_balance_cand z[1] = { { 0, 0 } };
    ck_assert_int_eq(px_balance_pick(z, 1), -1);
    ck_assert_int_eq(px_balance_pick(NULL, 0), -1);
}
END_TEST

START_TEST(worker_table)
{
    px_workers_init();
    int a = px_workers_ref(100, 2);
    int b = px_workers_ref(200, 1);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ne(a, b);
    /* Same pid from another thread's connection: same slot. */
    ck_assert_int_eq(px_workers_ref(100, 2), a);
    ck_assert_int_eq(px_worker_try_acquire(a), 1);
    ck_assert_int_eq(px_worker_try_acquire(a), 1);
    ck_assert_int_eq(px_worker_try_acquire(a), 0); /* capacity 2 is never exceeded */
    ck_assert_uint_eq(px_worker_outstanding(a), 2);
    px_worker_release(a);
    ck_assert_int_eq(px_worker_try_acquire(a), 1);
    ck_assert_int_eq(px_worker_try_acquire(b), 1);
    ck_assert_int_eq(px_worker_try_acquire(b), 0);
    px_worker_release(b);
    px_worker_release(b); /* never below zero */
    ck_assert_uint_eq(px_worker_outstanding(b), 0);
    px_workers_unref(a);
    px_workers_unref(a);
    px_workers_unref(b);
    int c = px_workers_ref(300, 5);
    ck_assert_int_ge(c, 0);
    ck_assert_uint_eq(px_worker_outstanding(c), 0);
    ck_assert_uint_eq(px_worker_capacity(c), 5);
}
END_TEST

typedef struct {
    px_queue_link q;
    int id;
} item;

START_TEST(queue_fifo)
{
    px_queue q;
    item it[4];
    px_queue_init(&q);
    ck_assert_ptr_null(px_queue_pop(&q));
    for (int i = 0; i < 4; i++) {
        memset(&it[i], 0, sizeof it[i]);
        it[i].id = i;
        px_queue_push(&q, &it[i].q);
    }
    px_queue_push(&q, &it[0].q); /* already queued: no-op */
    ck_assert_uint_eq(px_queue_len(&q), 4);
    px_queue_remove(&q, &it[2].q); /* a cancelled request leaves */
    px_queue_remove(&q, &it[2].q);
    ck_assert_uint_eq(px_queue_len(&q), 3);
    ck_assert_int_eq(((item *)px_queue_pop(&q))->id, 0);
    ck_assert_int_eq(((item *)px_queue_peek(&q))->id, 1);
    ck_assert_int_eq(((item *)px_queue_pop(&q))->id, 1);
    ck_assert_int_eq(((item *)px_queue_pop(&q))->id, 3);
    ck_assert_ptr_null(px_queue_pop(&q));
    ck_assert_uint_eq(px_queue_len(&q), 0);
}
END_TEST

START_TEST(queue_bound)
{
    ck_assert(px_queue_admit(0, 1));
    ck_assert(!px_queue_admit(1, 1));
    ck_assert(!px_queue_admit(0, 0));
    ck_assert(px_queue_admit(1023, 1024));
    ck_assert(!px_queue_admit(1024, 1024));
    px_workers_init();
    px_waiting_add(3);
    ck_assert_uint_eq(px_waiting_total(), 3);
    px_waiting_add(-3);
    ck_assert_uint_eq(px_waiting_total(), 0);
}
END_TEST

#define S(x) (const uint8_t *)(x), strlen(x)

START_TEST(header_helpers)
{
    ck_assert(px_hdr_conn_specific(S("Connection")));
    ck_assert(px_hdr_conn_specific(S("keep-alive")));
    ck_assert(px_hdr_conn_specific(S("Transfer-Encoding")));
    ck_assert(px_hdr_conn_specific(S("UPGRADE")));
    ck_assert(px_hdr_conn_specific(S("Proxy-Connection")));
    ck_assert(!px_hdr_conn_specific(S("content-type")));
    ck_assert(!px_hdr_conn_specific(S("te")));
    ck_assert(px_hdr_is(S("Content-Length"), "content-length"));
    ck_assert(!px_hdr_is(S("Content-Lengt"), "content-length"));
    uint8_t buf[32];
    px_hdr_lower(buf, (const uint8_t *)"X-Custom-HEADER", 15);
    ck_assert_int_eq(memcmp(buf, "x-custom-header", 15), 0);
    ck_assert(px_hdr_valid_response_field(S("X-Ok"), S("fine value")));
    ck_assert(!px_hdr_valid_response_field(S("X-Bad"), S("a\r\nSet-Cookie: x")));
    ck_assert(!px_hdr_valid_response_field(S("Bad Name"), S("v")));
    ck_assert(!px_hdr_valid_response_field(S(""), S("v")));
    ck_assert(px_hdr_list_has(S("gzip, trailers"), "trailers"));
    ck_assert(px_hdr_list_has(S("Trailers;q=1"), "trailers"));
    ck_assert(!px_hdr_list_has(S("trailersx"), "trailers"));
    ck_assert(px_hdr_list_has(S("keep-alive, Close"), "close"));
}
END_TEST

START_TEST(content_length)
{
    uint64_t v;
    ck_assert_int_eq(px_parse_content_length(S("0"), &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(px_parse_content_length(S(" 1048576 "), &v), 0);
    ck_assert_uint_eq(v, 1048576);
    ck_assert_int_eq(px_parse_content_length(S("-1"), &v), -1);
    ck_assert_int_eq(px_parse_content_length(S("1,1"), &v), -1);
    ck_assert_int_eq(px_parse_content_length(S(""), &v), -1);
    ck_assert_int_eq(px_parse_content_length(S("99999999999999999999"), &v), -1);
}
END_TEST

START_TEST(status_date_path)
{
    ck_assert_str_eq(px_status_reason(200), "OK");
    ck_assert_str_eq(px_status_reason(103), "Early Hints");
    ck_assert_str_eq(px_status_reason(502), "Bad Gateway");
    ck_assert_str_eq(px_status_reason(599), "Unknown");
    char d[32];
    ck_assert_uint_eq(px_http_date(784111777, d), 29);
    ck_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    size_t pl, ql;
    const uint8_t *q;
    const char *p = "/a/b?x=1&y=2?z";
    px_split_path((const uint8_t *)p, strlen(p), &pl, &q, &ql);
    ck_assert_uint_eq(pl, 4);
    ck_assert_uint_eq(ql, 9);
    ck_assert_int_eq(memcmp(q, "x=1&y=2?z", 9), 0);
    px_split_path((const uint8_t *)"/", 1, &pl, &q, &ql);
    ck_assert_uint_eq(pl, 1);
    ck_assert_uint_eq(ql, 0);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("proxy_logic");
    TCase *tc = tcase_create("logic");
    tcase_add_test(tc, pick_least_loaded);
    tcase_add_test(tc, pick_honors_capacity);
    tcase_add_test(tc, worker_table);
    tcase_add_test(tc, queue_fifo);
    tcase_add_test(tc, queue_bound);
    tcase_add_test(tc, header_helpers);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, status_date_path);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_proxy_logic.c: tandem-proxy's pure logic: least-loaded worker choice
 * and capacity, the shared worker table, the priority wait queue and its
 * bound, RFC 9218 priority signals, and the header helpers used to
 * translate between HTTP/1 and HTTP/2. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_balance.h"
#include "px_hdr.h"
#include "px_prio.h"
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

static item *mk(item *it, int id, uint8_t urgency, uint16_t weight)
{
    memset(it, 0, sizeof *it);
    it->id = id;
    it->q.urgency = urgency;
    it->q.weight = weight;
    return it;
}

static int pop_id(px_queue *q)
{
    item *it = (item *)px_queue_pop(q);
    return it ? it->id : -1;
}

START_TEST(queue_urgency_then_weight_then_fifo)
{
    px_queue q;
    item it[8];
    px_queue_init(&q);
    /* Arrival order 0..7; expected service order below. */
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[0], 0, 7, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[1], 1, 7, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[2], 2, 3, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[3], 3, 0, 1)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[4], 4, 3, 256)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[5], 5, 3, 16)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[6], 6, 7, 200)->q), 0);
    ck_assert_int_eq(px_queue_push(&q, &mk(&it[7], 7, 0, 1)->q), 0);
    ck_assert_uint_eq(px_queue_len(&q), 8);
    ck_assert_uint_eq(px_queue_best(&q), it[3].q.key);
    /* u=0 first (FIFO among them), then u=3 by weight (256 before 16,
     * 16s in arrival order), then u=7 (weight 200 first, then FIFO). */
    int want[8] = { 3, 7, 4, 2, 5, 6, 0, 1 };
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pop_id(&q), want[i]);
    ck_assert_int_eq(pop_id(&q), -1);
    ck_assert_uint_eq(px_queue_best(&q), UINT64_MAX);
    px_queue_free(&q);
}
END_TEST

START_TEST(queue_remove_and_update)
{
    px_queue q;
    item it[6];
    px_queue_init(&q);
    for (int i = 0; i < 6; i++)
        px_queue_push(&q, &mk(&it[i], i, 5, 16)->q);
    /* A request cancelled from the middle leaves; the rest keep their order. */
    px_queue_remove(&q, &it[2].q);
    ck_assert(!it[2].q.queued);
    px_queue_remove(&q, &it[2].q); /* twice: no-op */
    ck_assert_uint_eq(px_queue_len(&q), 5);
    /* A PRIORITY_UPDATE while waiting: 4 becomes urgent, 0 less so; an
     * update of something not queued changes nothing. */
    it[4].q.urgency = 1;
    px_queue_update(&q, &it[4].q);
    it[0].q.urgency = 6;
    px_queue_update(&q, &it[0].q);
    it[2].q.urgency = 0;
    px_queue_update(&q, &it[2].q);
    ck_assert(!it[2].q.queued);
    /* Equal new priority keeps the original arrival order: 1 before 3. */
    int want[5] = { 4, 1, 3, 5, 0 };
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(pop_id(&q), want[i]);
    px_queue_free(&q);
}
END_TEST

START_TEST(queue_random_against_sorted)
{
    enum { N = 2000 };
    static item it[N];
    px_queue q;
    px_queue_init(&q);
    srand(7);
    for (int i = 0; i < N; i++)
        px_queue_push(&q, &mk(&it[i], i, (uint8_t)(rand() % 8), (uint16_t)(1 + rand() % 256))->q);
    for (int i = 0; i < N; i += 3)
        px_queue_remove(&q, &it[i].q);
    for (int i = 1; i < N; i += 7) {
        it[i].q.urgency = (uint8_t)(rand() % 8);
        px_queue_update(&q, &it[i].q);
    }
    /* Popped keys never decrease, and every key still says what it was
     * built from (urgency, weight). */
    uint64_t last = 0;
    size_t n = 0;
    item *x;
    while ((x = (item *)px_queue_pop(&q))) {
        ck_assert_uint_ge(x->q.key, last);
        ck_assert_uint_eq(x->q.key >> 61, x->q.urgency);
        ck_assert_uint_eq((x->q.key >> 53) & 0xff, 256 - x->q.weight);
        last = x->q.key;
        n++;
    }
    ck_assert_uint_eq(n, N - (N + 2) / 3);
    px_queue_free(&q);
}
END_TEST

START_TEST(queue_keys)
{
    /* Urgency dominates weight, weight dominates arrival. */
    ck_assert_uint_lt(px_queue_key(0, 1, 999), px_queue_key(1, 256, 0));
    ck_assert_uint_lt(px_queue_key(3, 256, 999), px_queue_key(3, 255, 0));
    ck_assert_uint_lt(px_queue_key(3, 16, 1), px_queue_key(3, 16, 2));
    /* Out-of-range inputs are clamped, not wrapped. */
    ck_assert_uint_eq(px_queue_key(9, 16, 0), px_queue_key(7, 16, 0));
    ck_assert_uint_eq(px_queue_key(3, 0, 0), px_queue_key(3, 1, 0));
    ck_assert_uint_eq(px_queue_key(3, 300, 0), px_queue_key(3, 256, 0));
    /* "Would arrive now" sorts after everything of the same priority. */
    ck_assert_uint_gt(px_queue_key_last(3, 16), px_queue_key(3, 16, PX_QUEUE_SEQ_MASK - 1));
    ck_assert_uint_lt(px_queue_key_last(2, 16), px_queue_key(3, 16, 0));
}
END_TEST

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
    ck_assert_int_eq(prio("x=\"a,\\\"b\", u=4;p=1, y=(1 2 tok);q, z=:AAE=:, w=?1, t=a/b:c, i",
                          &u, &i), 0);
    ck_assert_int_eq(u, 4);
    ck_assert_int_eq(i, 1);
    /* Not a dictionary at all: the whole field is ignored. */
    u = i = 42;
    uint8_t uu = 5, ii = 1;
    const char *bad[] = { "u=1,", "U=1", "u=1 i", "u=", "u==1", ",u=1", "u=1;", "u=(1", "u=\"x",
                          "u=1.", "u=1.2345", "u=1234567890123456", "u=?2", "u=1\x01", "u=1,,i" };
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

START_TEST(trailer_fields)
{
    const char *bad[] = { ":status", "Content-Length", "transfer-encoding", "Host", "TE",
                          "connection", "Keep-Alive", "upgrade", "proxy-connection", "Trailer" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(px_hdr_forbidden_trailer(S(bad[i])), "%s allowed", bad[i]);
    ck_assert(!px_hdr_forbidden_trailer(S("x-checksum")));
    ck_assert(!px_hdr_forbidden_trailer(S("grpc-status")));
    ck_assert(!px_hdr_forbidden_trailer(S("server-timing")));
    ck_assert(!px_hdr_forbidden_trailer(S("tee")));
}
END_TEST

START_TEST(base64url)
{
    uint8_t out[16];
    /* SETTINGS_MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=65535 */
    const uint8_t want[12] = { 0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 0xff, 0xff };
    ck_assert_int_eq(px_base64url_decode(S("AAMAAABkAAQAAP__"), out, sizeof out), 12);
    ck_assert_int_eq(memcmp(out, want, 12), 0);
    ck_assert_int_eq(px_base64url_decode(S(""), out, sizeof out), 0);
    ck_assert_int_eq(px_base64url_decode(S("_-8"), out, sizeof out), 2);
    ck_assert_uint_eq(out[0], 0xff);
    ck_assert_uint_eq(out[1], 0xef);
    ck_assert_int_eq(px_base64url_decode(S("AA=="), out, sizeof out), 1); /* padding tolerated */
    ck_assert_int_eq(px_base64url_decode(S("AAMAAABkAAQAAP//"), out, sizeof out), -1); /* not url */
    ck_assert_int_eq(px_base64url_decode(S("A"), out, sizeof out), -1);
    ck_assert_int_eq(px_base64url_decode(S("AAMA AAB"), out, sizeof out), -1);
    ck_assert_int_eq(px_base64url_decode(S("AAMAAABkAAQAAP__"), out, 11), -1); /* no room */
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
    tcase_add_test(tc, queue_urgency_then_weight_then_fifo);
    tcase_add_test(tc, queue_remove_and_update);
    tcase_add_test(tc, queue_random_against_sorted);
    tcase_add_test(tc, queue_keys);
    tcase_add_test(tc, priority_field);
    tcase_add_test(tc, priority_update_payload);
    tcase_add_test(tc, queue_bound);
    tcase_add_test(tc, header_helpers);
    tcase_add_test(tc, trailer_fields);
    tcase_add_test(tc, base64url);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, status_date_path);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

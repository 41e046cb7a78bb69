/* test_ad_sched.c: the worker's scheduler (appd/ad_sched.c) with fake streams
 * and connections: queue order, O(1) removal anywhere, admission limits,
 * lookup by (connection, id) through many inserts and removals, and the
 * stop/quit states.  No Python, no threads: the scheduler has neither. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ad_sched.h"
#include "ad_stream.h"

/* Connections are keys only: any distinct addresses will do. */
static char conn_a_mem, conn_b_mem;
#define CONN_A ((ad_conn *)(void *)&conn_a_mem)
#define CONN_B ((ad_conn *)(void *)&conn_b_mem)

static ad_stream *fake(ad_conn *c, uint32_t id)
{
    ad_stream *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    s->conn = c;
    s->id = id;
    return s;
}

static void close_on_wire(ad_stream *s)
{
    s->resp_ended = 1;
    s->req_ended = 1;
}

START_TEST(fifo_order)
{
    ad_sched q;
    ck_assert_int_eq(ad_sched_init(&q, 4, 4), 0);
    ad_stream *s[3];
    for (int i = 0; i < 3; i++) {
        s[i] = fake(CONN_A, (uint32_t)i + 1);
        ck_assert_int_eq(ad_sched_enqueue(&q, s[i]), 0);
        ck_assert_int_eq(s[i]->state, AD_ST_QUEUED);
    }
    ck_assert_uint_eq(ad_sched_queued(&q), 3);
    for (int i = 0; i < 3; i++) {
        ad_stream *n = ad_sched_next(&q);
        ck_assert_ptr_eq(n, s[i]);
        ck_assert_int_eq(n->state, AD_ST_RUNNING);
        ck_assert_uint_eq(ad_sched_queued(&q), 2 - (uint32_t)i);
        ck_assert_uint_eq(ad_sched_running(&q), (uint32_t)i + 1);
    }
    ck_assert_ptr_null(ad_sched_next(&q));
    /* Interleaved: what arrives later still runs after what waits. */
    ad_sched_retire(&q, s[0]);
    ad_stream *t = fake(CONN_A, 10), *u = fake(CONN_A, 11);
    ad_sched_enqueue(&q, t);
    ad_sched_enqueue(&q, u);
    ck_assert_ptr_eq(ad_sched_next(&q), t);
    ad_stream *v = fake(CONN_B, 10);
    ad_sched_enqueue(&q, v);
    ck_assert_ptr_eq(ad_sched_next(&q), u);
    ck_assert_ptr_eq(ad_sched_next(&q), v);
    ck_assert_ptr_null(ad_sched_next(&q));
    ad_sched_free(&q);
    for (int i = 0; i < 3; i++)
        free(s[i]);
    free(t);
    free(u);
    free(v);
}
END_TEST

static void expect_order(ad_sched *q, ad_stream **want, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_ptr_eq(ad_sched_next(q), want[i]);
    ck_assert_ptr_null(ad_sched_next(q));
}

START_TEST(remove_anywhere)
{
    ad_sched q;
    ck_assert_int_eq(ad_sched_init(&q, 8, 8), 0);
    ad_stream *s[6];
    for (int i = 0; i < 6; i++) {
        s[i] = fake(CONN_A, (uint32_t)i + 1);
        ad_sched_enqueue(&q, s[i]);
    }
    ad_sched_unqueue(&q, s[2]); /* middle */
    ad_sched_unqueue(&q, s[0]); /* head */
    ad_sched_unqueue(&q, s[5]); /* tail */
    ck_assert_uint_eq(ad_sched_queued(&q), 3);
    ck_assert_ptr_null(ad_sched_find(&q, CONN_A, 1));
    ck_assert_ptr_null(ad_sched_find(&q, CONN_A, 3));
    ck_assert_ptr_null(ad_sched_find(&q, CONN_A, 6));
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_A, 4), s[3]);
    /* The tail moved back correctly: a new stream lands after s[4]. */
    ad_stream *late = fake(CONN_A, 7);
    ad_sched_enqueue(&q, late);
    ad_stream *want[] = { s[1], s[3], s[4], late };
    expect_order(&q, want, 4);
    ck_assert_uint_eq(ad_sched_running(&q), 4);

    /* Emptying the queue by removal leaves it usable. */
    ad_stream *only = fake(CONN_B, 1);
    ad_sched_enqueue(&q, only);
    ad_sched_unqueue(&q, only);
    ck_assert_uint_eq(ad_sched_queued(&q), 0);
    ck_assert_ptr_null(ad_sched_next(&q));
    ad_sched_enqueue(&q, only);
    ck_assert_ptr_eq(ad_sched_next(&q), only);

    /* Running streams leave from anywhere too, and the walk sees the rest. */
    ad_sched_retire(&q, s[3]);
    ad_sched_retire(&q, only);
    int seen = 0;
    for (ad_stream *r = ad_sched_first_running(&q); r; r = r->q_next) {
        ck_assert(r == s[1] || r == s[4] || r == late);
        seen++;
    }
    ck_assert_int_eq(seen, 3);
    ck_assert_uint_eq(ad_sched_running(&q), 3);
    ad_sched_free(&q);
    for (int i = 0; i < 6; i++)
        free(s[i]);
    free(late);
    free(only);
}
END_TEST

START_TEST(admission_limits)
{
    ad_sched q;
    ck_assert_int_eq(ad_sched_init(&q, 2, 1), 0);
    ad_stream *s[4];
    for (int i = 0; i < 3; i++) {
        ck_assert(ad_sched_admits(&q));
        s[i] = fake(CONN_A, (uint32_t)i + 1);
        ad_sched_enqueue(&q, s[i]);
    }
    ck_assert(!ad_sched_admits(&q)); /* 2 running + 1 waiting, or 3 waiting: full */
    ad_sched_next(&q);
    ad_sched_next(&q);
    ck_assert(!ad_sched_admits(&q)); /* running ones still count */
    ad_sched_retire(&q, s[0]);
    ck_assert(ad_sched_admits(&q));
    s[3] = fake(CONN_A, 4);
    ad_sched_enqueue(&q, s[3]);
    ck_assert(!ad_sched_admits(&q));
    ad_sched_unqueue(&q, s[3]); /* a queued stream reset by the proxy frees a place */
    ck_assert(ad_sched_admits(&q));

    /* No capacity at all admits nothing. */
    ad_sched z;
    ck_assert_int_eq(ad_sched_init(&z, 0, 0), 0);
    ck_assert(!ad_sched_admits(&z));
    ad_sched_free(&z);
    ad_sched_free(&q);
    for (int i = 0; i < 4; i++)
        free(s[i]);
}
END_TEST

START_TEST(stop_and_quit)
{
    ad_sched q;
    ck_assert_int_eq(ad_sched_init(&q, 4, 4), 0);
    ad_stream *a = fake(CONN_A, 1), *b = fake(CONN_A, 2);
    ad_sched_enqueue(&q, a);
    ad_sched_enqueue(&q, b);
    ck_assert(!ad_sched_stopping(&q));
    ad_sched_stop(&q);
    ck_assert(ad_sched_stopping(&q));
    ck_assert(!ad_sched_quitting(&q));
    ck_assert(!ad_sched_admits(&q));        /* a graceful stop admits nothing new... */
    ck_assert_ptr_eq(ad_sched_next(&q), a); /* ...but what was admitted still runs */
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_A, 2), b);

    ad_sched_quit(&q);
    ck_assert(ad_sched_quitting(&q));
    ck_assert(ad_sched_stopping(&q));
    ck_assert_ptr_eq(ad_sched_next(&q), b); /* consumers drain the queue before leaving */
    ck_assert_ptr_null(ad_sched_next(&q));
    ck_assert(!ad_sched_admits(&q));

    /* quit alone implies stop */
    ad_sched r;
    ck_assert_int_eq(ad_sched_init(&r, 1, 1), 0);
    ad_sched_quit(&r);
    ck_assert(ad_sched_stopping(&r));
    ck_assert(!ad_sched_admits(&r));
    ad_sched_free(&r);
    ad_sched_free(&q);
    free(a);
    free(b);
}
END_TEST

START_TEST(lookup_skips_closed_and_other_conns)
{
    ad_sched q;
    ck_assert_int_eq(ad_sched_init(&q, 4, 4), 0);
    ad_stream *a = fake(CONN_A, 5), *b = fake(CONN_B, 5);
    ad_sched_enqueue(&q, a);
    ad_sched_enqueue(&q, b);
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_A, 5), a);
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_B, 5), b);
    ck_assert_ptr_null(ad_sched_find(&q, CONN_A, 6));

    /* a closes on the wire while its app still runs close(); the proxy reuses
     * id 5 on the same connection: the lookup finds the new stream. */
    ck_assert_ptr_eq(ad_sched_next(&q), a);
    close_on_wire(a);
    ck_assert_ptr_null(ad_sched_find(&q, CONN_A, 5));
    ad_stream *a2 = fake(CONN_A, 5);
    ad_sched_enqueue(&q, a2);
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_A, 5), a2);
    ad_sched_retire(&q, a);
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_A, 5), a2);
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_B, 5), b);

    /* Half-closed is still open: only both directions ended close it. */
    b->resp_ended = 1;
    ck_assert_ptr_eq(ad_sched_find(&q, CONN_B, 5), b);
    b->reset_recv = 1;
    ck_assert_ptr_null(ad_sched_find(&q, CONN_B, 5));
    ad_sched_free(&q);
    free(a);
    free(a2);
    free(b);
}
END_TEST

/* A simple deterministic generator, so a failure replays. */
static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

START_TEST(lookup_after_many_inserts_and_removals)
{
    enum { N = 3000, IDS = 64 };
    ad_sched q;
    /* Small on purpose: the index grows past its initial size. */
    ck_assert_int_eq(ad_sched_init(&q, 2, 2), 0);
    ad_stream **live = calloc(N, sizeof *live);
    uint32_t nlive = 0;
    ck_assert_ptr_nonnull(live);
    for (int step = 0; step < 20000; step++) {
        uint32_t op = rnd(10);
        if ((op < 5 || nlive == 0) && nlive < N) {
            ad_conn *c = rnd(2) ? CONN_A : CONN_B;
            uint32_t id = rnd(IDS) + 1;
            if (ad_sched_find(&q, c, id))
                continue; /* ids are unique among open streams */
            ad_stream *s = fake(c, id);
            ck_assert_int_eq(ad_sched_enqueue(&q, s), 0);
            live[nlive++] = s;
        } else if (op < 7) {
            ad_stream *s = ad_sched_next(&q);
            if (s)
                ck_assert_int_eq(s->state, AD_ST_RUNNING);
        } else {
            uint32_t i = rnd(nlive);
            ad_stream *s = live[i];
            if (s->state == AD_ST_QUEUED)
                ad_sched_unqueue(&q, s);
            else
                ad_sched_retire(&q, s);
            free(s);
            live[i] = live[--nlive];
        }
        /* Every live stream is found, and nothing else is. */
        if (step % 97 == 0) {
            for (uint32_t i = 0; i < nlive; i++)
                ck_assert_ptr_eq(ad_sched_find(&q, live[i]->conn, live[i]->id), live[i]);
            uint32_t found = 0;
            for (uint32_t id = 1; id <= IDS; id++)
                found += (ad_sched_find(&q, CONN_A, id) != NULL) +
                         (ad_sched_find(&q, CONN_B, id) != NULL);
            ck_assert_uint_eq(found, nlive);
            ck_assert_uint_eq(ad_sched_queued(&q) + ad_sched_running(&q), nlive);
        }
    }
    for (uint32_t i = 0; i < nlive; i++)
        free(live[i]);
    free(live);
    ad_sched_free(&q);
}
END_TEST

START_TEST(colliding_ids_survive_removal)
{
    /* Many streams with one id on distinct connections share probe runs;
     * removing any of them must keep the others reachable. */
    enum { N = 40 };
    static char conns[N];
    ad_sched q;
    ck_assert_int_eq(ad_sched_init(&q, 4, 4), 0);
    ad_stream *s[N];
    for (int i = 0; i < N; i++) {
        s[i] = fake((ad_conn *)(void *)&conns[i], 1);
        ad_sched_enqueue(&q, s[i]);
    }
    for (int i = 0; i < N; i += 3)
        ad_sched_unqueue(&q, s[i]);
    for (int i = 0; i < N; i++) {
        ad_stream *f = ad_sched_find(&q, (ad_conn *)(void *)&conns[i], 1);
        if (i % 3 == 0)
            ck_assert_ptr_null(f);
        else
            ck_assert_ptr_eq(f, s[i]);
    }
    ad_sched_free(&q);
    for (int i = 0; i < N; i++)
        free(s[i]);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ad_sched");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fifo_order);
    tcase_add_test(tc, remove_anywhere);
    tcase_add_test(tc, admission_limits);
    tcase_add_test(tc, stop_and_quit);
    tcase_add_test(tc, lookup_skips_closed_and_other_conns);
    tcase_add_test(tc, lookup_after_many_inserts_and_removals);
    tcase_add_test(tc, colliding_ids_survive_removal);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

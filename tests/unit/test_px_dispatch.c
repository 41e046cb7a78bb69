/* test_px_dispatch.c: Check tests for requests to workers (proxy/
 * px_dispatch.c with px_stream.c): dispatch and completion, waiting and
 * draining, 503 when the queue is full or the wait times out, 502/431, a
 * client leaving the queue, priority reordering the queue; against the
 * fakes of px_world.h. */
#include "px_world.h"

/* ---- to a worker, and back ---- */

START_TEST(submit_dispatches_and_completes)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_UP);
    ck_assert_int_eq(cl.dispatched, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 1);
    head(s, 200, 1);
    ck_assert_int_eq(cl.head, 1);
    ck_assert_uint_eq(cl.status, 200);
    /* The worker's part is over: its slot is free before the client reads. */
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    ck_assert_int_eq(s->state, PX_ST_DONE);
    ck_assert_int_eq(wk.forgets, 1);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(no_capacity_waits_then_drains)
{
    attach_answer = 0;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_QUEUED);
    ck_assert_uint_eq(px_waiting_total(), 1);
    ck_assert_int_eq(cl.dispatched, 0);
    attach_answer = 1;
    px_dispatch_drain(&th);
    ck_assert_int_eq(s->state, PX_ST_UP);
    ck_assert_uint_eq(px_waiting_total(), 0);
    ck_assert_int_eq(cl.dispatched, 1);
    px_stream_client_gone(s); /* the worker still runs: cancelled, not freed */
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_CANCEL);
    ck_assert_int_eq(cl.recycled, 0);
    px_stream_on_reset(s, TP_RESET_NO_ERROR); /* the worker's final frame */
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

START_TEST(full_queue_answers_503)
{
    attach_answer = 0;
    lim.max_queue = 0;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_uint_eq(cl.status, 503);
    ck_assert_str_eq(cl.body, "Service Unavailable: server busy\n");
    ck_assert_uint_eq(px_waiting_total(), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(unreachable_and_oversized_heads)
{
    attach_answer = -1;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_uint_eq(cl.status, 502);
    ck_assert_str_eq(cl.body, "Bad Gateway: application server unreachable\n");
    px_stream_client_gone(s);
    attach_answer = -2;
    s = new_request();
    px_dispatch_submit(s);
    ck_assert_uint_eq(cl.status, 431);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 2);
}
END_TEST

START_TEST(queue_timeout_answers_503)
{
    attach_answer = 0;
    lim.tv_queue = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_QUEUED);
    RUN_UNTIL(cl.head == 1);
    ck_assert_uint_eq(cl.status, 503);
    ck_assert_uint_eq(px_waiting_total(), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(queued_client_gone_leaves_queue)
{
    attach_answer = 0;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_client_gone(s);
    ck_assert_uint_eq(px_waiting_total(), 0);
    ck_assert_uint_eq(px_queue_len(&th.queue), 0);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(priority_orders_the_queue)
{
    attach_answer = 0;
    px_stream *a = new_request(), *b = new_request();
    px_dispatch_submit(a);
    px_dispatch_submit(b);
    b->head.prio_urgency = 0; /* a PRIORITY_UPDATE while it waits */
    px_dispatch_reprioritize(b);
    attach_answer = 1; /* one slot: the more urgent goes first */
    px_dispatch_drain(&th);
    ck_assert_int_eq(b->state, PX_ST_UP);
    ck_assert_int_eq(a->state, PX_ST_QUEUED);
    px_stream_client_gone(a);
    px_stream_client_gone(b);
    px_stream_on_reset(b, TP_RESET_NO_ERROR);
    ck_assert_int_eq(cl.recycled, 2);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_dispatch");
    TCase *tc = tcase_create("life");
    tcase_add_checked_fixture(tc, px_world_setup, px_world_teardown);
    tcase_add_test(tc, submit_dispatches_and_completes);
    tcase_add_test(tc, no_capacity_waits_then_drains);
    tcase_add_test(tc, full_queue_answers_503);
    tcase_add_test(tc, unreachable_and_oversized_heads);
    tcase_add_test(tc, queue_timeout_answers_503);
    tcase_add_test(tc, queued_client_gone_leaves_queue);
    tcase_add_test(tc, priority_orders_the_queue);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

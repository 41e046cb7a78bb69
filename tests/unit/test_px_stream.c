/* test_px_stream.c: Check tests for a request's life in the proxy
 * (proxy/px_stream.c): the worker failing (REFUSED_STREAM retries, resets,
 * lost connections, timeouts, credit overflow), bodies both ways under the
 * windows, trailers, stalled clients and events after the client left;
 * against the fakes of px_world.h. */
#include "px_world.h"

/* ---- the worker fails ---- */

START_TEST(refused_stream_is_retried)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_on_reset(s, TP_RESET_REFUSED_STREAM);
    ck_assert_int_eq(wk.attaches, 2);
    ck_assert_int_eq(s->state, PX_ST_UP);
    ck_assert_int_eq(s->retries, 1);
    ck_assert_int_eq(cl.head, 0);
    ck_assert_uint_eq(px_worker_outstanding(slot), 1);
    head(s, 204, 1);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

START_TEST(refused_without_kept_head_fails)
{
    px_stream *s = new_request();
    s->head_kept = 0; /* its bytes are gone: cannot run elsewhere */
    px_dispatch_submit(s);
    px_stream_on_reset(s, TP_RESET_REFUSED_STREAM);
    ck_assert_int_eq(wk.attaches, 1);
    ck_assert_uint_eq(cl.status, 502);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(reset_after_head_aborts)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 0);
    px_stream_on_reset(s, TP_RESET_INTERNAL_ERROR);
    ck_assert_int_eq(cl.aborts, 1);
    ck_assert_int_eq(cl.why, PX_ABORT_INTERNAL);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(timeout_reset_is_504)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_on_reset(s, TP_RESET_TIMEOUT);
    ck_assert_uint_eq(cl.status, 504);
    ck_assert_str_eq(cl.body, "Gateway Timeout\n");
    px_stream_client_gone(s);
}
END_TEST

START_TEST(worker_lost_before_head_is_502)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_upstream_forget(s); /* what the closing connection does first */
    px_stream_on_up_lost(s, 0);
    ck_assert_uint_eq(cl.status, 502);
    ck_assert_str_eq(cl.body, "Bad Gateway\n");
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

/* A head the worker never received runs again rather than fail. */
START_TEST(worker_lost_before_it_read_the_head_retries)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_upstream_forget(s);
    px_stream_on_up_lost(s, 1);
    ck_assert_uint_eq(cl.status, 0);
    ck_assert_ptr_nonnull(s->up);
    ck_assert_uint_eq(px_worker_outstanding(slot), 1);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(no_progress_is_504_and_resets_the_worker)
{
    lim.tv_timeout = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    RUN_UNTIL(cl.head == 1);
    ck_assert_uint_eq(cl.status, 504);
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_CANCEL);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    lim.tv_timeout = &tv_long;
    px_stream_client_gone(s);
}
END_TEST

START_TEST(credit_overflow_is_a_flow_error)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_on_credit(s, (uint32_t)TP_MAX_WINDOW);
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_FLOW_CONTROL_ERROR);
    ck_assert_uint_eq(cl.status, 502);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(cancelled_worker_that_never_answers)
{
    lim.tv_timeout = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 0);
    RUN_UNTIL(cl.recycled == 1); /* the slot is taken back */
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

/* ---- bodies both ways ---- */

START_TEST(request_body_moves_under_the_window)
{
    px_stream *s = new_request();
    s->req_end = 0;
    px_dispatch_submit(s);
    s->send_window = 1000;
    evbuffer_add(s->req, "0123456789", 10);
    for (int i = 0; i < 299; i++)
        evbuffer_add(s->req, "0123456789", 10);
    px_stream_pump_request(s);
    ck_assert_uint_eq(wk.data_bytes, 1000);
    ck_assert_int_eq(cl.consumed, 1000);
    ck_assert_uint_eq(evbuffer_get_length(s->req), 2000);
    s->req_end = 1;
    px_stream_on_credit(s, 5000);
    ck_assert_int_eq(cl.pump, 1); /* the protocol moves it */
    px_stream_pump_request(s);
    ck_assert_uint_eq(wk.data_bytes, 3000);
    ck_assert_int_eq(wk.end_sent, 1);
    ck_assert(s->req_end_sent);
    head(s, 200, 1);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(response_credit_in_batches)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 0);
    struct evbuffer *in = evbuffer_new();
    static char chunk[100000];
    evbuffer_add(in, chunk, sizeof chunk);
    s->resp_window -= sizeof chunk;
    px_stream_on_data(s, in, sizeof chunk, 0);
    ck_assert_int_eq(cl.data_ready, 1);
    ck_assert_uint_eq(evbuffer_get_length(s->resp), sizeof chunk);
    px_stream_resp_passed(s, PX_RESP_WINDOW / 4 - 1);
    ck_assert_int_eq(wk.credits, 0);
    px_stream_resp_passed(s, 1);
    ck_assert_int_eq(wk.credits, 1);
    ck_assert_uint_eq(wk.credited, PX_RESP_WINDOW / 4);
    evbuffer_free(in);
    px_stream_on_reset(s, TP_RESET_NO_ERROR); /* ends a started response cleanly */
    ck_assert_int_eq(cl.aborts, 0);
    ck_assert(s->resp_end);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(body_of_head_request_is_dropped_and_credited)
{
    px_stream *s = new_request();
    s->is_head = 1;
    px_dispatch_submit(s);
    head(s, 200, 0);
    struct evbuffer *in = evbuffer_new();
    evbuffer_add(in, "abcdef", 6);
    px_stream_on_data(s, in, 6, 0);
    ck_assert_uint_eq(evbuffer_get_length(s->resp), 0);
    ck_assert_uint_eq(wk.credited, 6);
    evbuffer_free(in);
    px_stream_client_gone(s);
    px_stream_on_reset(s, TP_RESET_NO_ERROR);
}
END_TEST

START_TEST(trailers_keep_only_allowed_fields)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 0);
    tp_header f[3] = {
        { { (const uint8_t *)"x-checksum", 10 }, { (const uint8_t *)"abc", 3 } },
        { { (const uint8_t *)"content-length", 14 }, { (const uint8_t *)"5", 1 } },
        { { (const uint8_t *)"x-bad", 5 }, { (const uint8_t *)"a\r\nb", 4 } },
    };
    tp_response_head h = { 0, 3, f };
    px_stream_on_trailers(s, &h);
    ck_assert_uint_eq(s->ntrailers, 1);
    ck_assert(s->has_trailers);
    ck_assert(s->resp_end);
    ck_assert_int_eq(cl.data_ready, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
}
END_TEST

START_TEST(stalled_client_reset_or_closed)
{
    lim.tv_timeout = &tv_short;
    px_stream *s = new_request();
    px_dispatch_submit(s);
    head(s, 200, 1);
    stall_answer = PX_STALL_RESET;
    RUN_UNTIL(cl.aborts == 1);
    ck_assert_int_eq(cl.why, PX_ABORT_CANCEL);
    stall_answer = PX_STALL_CLOSE;
    px_stream_set_timer(s, lim.tv_timeout);
    RUN_UNTIL(cl.closes == 1);
    lim.tv_timeout = &tv_long;
    px_stream_client_gone(s);
}
END_TEST

START_TEST(events_after_the_client_left)
{
    px_stream *s = new_request();
    px_dispatch_submit(s);
    px_stream_client_gone(s);
    struct evbuffer *in = evbuffer_new();
    evbuffer_add(in, "xyz", 3);
    head(s, 200, 0);
    px_stream_on_data(s, in, 3, 0);
    ck_assert_uint_eq(evbuffer_get_length(in), 0);
    ck_assert_int_eq(cl.head, 0);
    ck_assert_int_eq(cl.recycled, 0);
    evbuffer_add(in, "xyz", 3);
    px_stream_on_data(s, in, 3, 1); /* the final frame frees it */
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    evbuffer_free(in);
}
END_TEST

START_TEST(local_response_to_a_head_request_has_no_body)
{
    px_stream *s = new_request();
    s->is_head = 1;
    px_stream_local_response(s, 503, "busy\n");
    ck_assert_uint_eq(cl.status, 503);
    ck_assert_str_eq(cl.body, "");
    px_stream_client_gone(s);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_stream");
    TCase *tc = tcase_create("life");
    tcase_add_checked_fixture(tc, px_world_setup, px_world_teardown);
    tcase_add_test(tc, refused_stream_is_retried);
    tcase_add_test(tc, refused_without_kept_head_fails);
    tcase_add_test(tc, reset_after_head_aborts);
    tcase_add_test(tc, timeout_reset_is_504);
    tcase_add_test(tc, worker_lost_before_head_is_502);
    tcase_add_test(tc, worker_lost_before_it_read_the_head_retries);
    tcase_add_test(tc, no_progress_is_504_and_resets_the_worker);
    tcase_add_test(tc, credit_overflow_is_a_flow_error);
    tcase_add_test(tc, cancelled_worker_that_never_answers);
    tcase_add_test(tc, request_body_moves_under_the_window);
    tcase_add_test(tc, response_credit_in_batches);
    tcase_add_test(tc, body_of_head_request_is_dropped_and_credited);
    tcase_add_test(tc, trailers_keep_only_allowed_fields);
    tcase_add_test(tc, stalled_client_reset_or_closed);
    tcase_add_test(tc, events_after_the_client_left);
    tcase_add_test(tc, local_response_to_a_head_request_has_no_body);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

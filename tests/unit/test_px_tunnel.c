/* test_px_tunnel.c: Check tests for a stream a 101 turned into a message
 * tunnel (proxy/px_tunnel.c with px_stream.c): no timeout once open,
 * messages both ways under the window, WS_CLOSE both ways freeing the
 * worker's slot, no RESET after the proxy's WS_CLOSE, and resets; against
 * the fakes of px_world.h. */
#include "px_world.h"

static px_stream *open_tunnel(void)
{
    px_stream *s = new_request();
    s->head.flags |= TP_REQ_WEBSOCKET;
    s->req_end = 0;
    px_dispatch_submit(s);
    ck_assert_int_eq(s->state, PX_ST_UP);
    head(s, 101, 0);
    ck_assert(s->tunnel);
    return s;
}

START_TEST(tunnel_opens_on_101_without_timeout)
{
    px_stream *s = open_tunnel();
    ck_assert_uint_eq(cl.status, 101);
    /* kept alive by pings, not by --timeout; the slot stays held */
    ck_assert(!event_pending(&s->timer, EV_TIMEOUT, NULL));
    px_stream_progress(s);
    ck_assert(!event_pending(&s->timer, EV_TIMEOUT, NULL));
    ck_assert_uint_eq(px_worker_outstanding(slot), 1);
    /* the worker's DATA is a message for the tunnel, flags and all */
    struct evbuffer *in = evbuffer_new();
    evbuffer_add(in, "hello", 5);
    px_stream_on_data(s, in, 5, TP_FLAG_TEXT | TP_FLAG_MESSAGE_END);
    ck_assert_int_eq(cl.messages, 1);
    ck_assert_uint_eq(cl.msg_bytes, 5);
    ck_assert_uint_eq(cl.msg_flags, TP_FLAG_TEXT | TP_FLAG_MESSAGE_END);
    ck_assert_int_eq(cl.data_ready, 0);
    /* and a message to the worker spends its window */
    evbuffer_add(s->req, "abc", 3);
    int64_t w = s->send_window;
    px_stream_send_message(s, s->req, 3, TP_FLAG_MESSAGE_END);
    ck_assert_int_eq(s->send_window, w - 3);
    ck_assert_uint_eq(wk.message_flags, TP_FLAG_MESSAGE_END);
    evbuffer_free(in);
    px_stream_close_tunnel(s, 1000, NULL, 0);
    tp_str none = { NULL, 0 };
    px_stream_on_ws_close(s, 1000, none);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(worker_close_is_answered_and_frees_the_slot)
{
    px_stream *s = open_tunnel();
    tp_str reason = { (const uint8_t *)"bye", 3 };
    px_stream_on_ws_close(s, 4002, reason);
    ck_assert_int_eq(cl.peer_closes, 1);
    ck_assert_uint_eq(cl.peer_code, 4002);
    /* answered with the same code: both directions over, the worker free */
    ck_assert_int_eq(wk.ws_closes, 1);
    ck_assert_uint_eq(wk.ws_close_code, 4002);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    ck_assert_int_eq(s->state, PX_ST_DONE);
    /* the client side finishes its close handshake on its own */
    px_stream_client_gone(s);
    ck_assert_int_eq(wk.resets, 0);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(client_gone_after_our_close_sends_no_reset)
{
    px_stream *s = open_tunnel();
    px_stream_close_tunnel(s, 4001, NULL, 0);
    ck_assert(s->req_end_sent);
    ck_assert_uint_eq(px_worker_outstanding(slot), 1); /* until the worker answers */
    px_stream_client_gone(s);
    ck_assert_int_eq(wk.resets, 0); /* the close said it all */
    ck_assert_int_eq(cl.recycled, 0);
    tp_str none = { NULL, 0 };
    px_stream_on_ws_close(s, 4001, none); /* the answer frees it */
    ck_assert_int_eq(cl.peer_closes, 0);
    ck_assert_int_eq(cl.recycled, 1);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
}
END_TEST

START_TEST(client_gone_from_an_open_tunnel_cancels)
{
    px_stream *s = open_tunnel();
    px_stream_client_gone(s);
    ck_assert_int_eq(wk.resets, 1);
    ck_assert_uint_eq(wk.reset_reason, TP_RESET_CANCEL);
    px_stream_on_reset(s, TP_RESET_CANCEL);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

START_TEST(worker_reset_after_101_aborts_the_tunnel)
{
    px_stream *s = open_tunnel();
    px_stream_on_reset(s, TP_RESET_INTERNAL_ERROR);
    ck_assert_int_eq(cl.aborts, 1);
    ck_assert_int_eq(cl.why, PX_ABORT_INTERNAL);
    ck_assert_uint_eq(px_worker_outstanding(slot), 0);
    px_stream_client_gone(s);
    ck_assert_int_eq(cl.recycled, 1);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_tunnel");
    TCase *tc = tcase_create("tunnel");
    tcase_add_checked_fixture(tc, px_world_setup, px_world_teardown);
    tcase_add_test(tc, tunnel_opens_on_101_without_timeout);
    tcase_add_test(tc, worker_close_is_answered_and_frees_the_slot);
    tcase_add_test(tc, client_gone_after_our_close_sends_no_reset);
    tcase_add_test(tc, client_gone_from_an_open_tunnel_cancels);
    tcase_add_test(tc, worker_reset_after_101_aborts_the_tunnel);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

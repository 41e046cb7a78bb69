/* test_px_settings.c: Check tests for tandem-proxy's settings
 * (proxy/px_settings.c): the table's ranges and defaults, flags, cross-field
 * validation, protocol lists and ALPN selection, h2c modes, and the warning
 * for HTTP/2 settings that cannot apply. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "px_check.h"

START_TEST(defaults)
{
    ck_assert_int_eq(s.http2_max_concurrent_streams, 100);
    ck_assert_int_eq(s.http2_initial_window_size, 65536);
    ck_assert_int_eq(s.http2_max_frame_size, 16384);
    ck_assert_int_eq(s.http2_max_header_list_size, 65536);
    ck_assert_int_eq(s.keepalive, 2);
    ck_assert_int_eq(s.timeout, 30);
    ck_assert_int_eq(s.graceful_timeout, 30);
    ck_assert_int_eq(s.backlog, 2048);
    ck_assert_int_eq(s.limit_request_line, 4094);
    ck_assert_int_eq(s.limit_request_fields, 100);
    ck_assert_int_eq(s.limit_request_field_size, 8190);
    /* Gunicorn's defaults for the issue 13 rows; limit_request_body is tandem's */
    ck_assert_int_eq(s.limit_request_body, 0);
    ck_assert_int_eq(s.proxy_protocol, 0); /* off */
    ck_assert_uint_eq(s.proxy_allow_ips.n, 2);
    ck_assert_uint_eq(s.secure_scheme_headers.n, 6);
    ck_assert_str_eq(s.secure_scheme_headers.items[2], "X-FORWARDED-PROTO");
    ck_assert_str_eq(s.secure_scheme_headers.items[3], "https");
    ck_assert_int_eq(s.cert_reqs, 0);
    ck_assert_ptr_null(s.ca_certs);
    ck_assert_ptr_null(s.ciphers);
    ck_assert_int_eq(s.tls_min_version, PX_TLS_MIN_12);
    ck_assert_int_eq(s.suppress_ragged_eofs, 1);
    ck_assert_int_eq(s.do_handshake_on_connect, 0);
    ck_assert_str_eq(s.upstream, "unix:/run/tandem/app.sock");
    ck_assert_uint_eq(s.bind.n, 1);
    ck_assert_str_eq(s.bind.items[0], "127.0.0.1:8000");
    /* No certificate: cleartext HTTP/1.1 only, whatever the default list says. */
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(s.tls, 0);
    ck_assert_int_eq(s.h2, 0);
    ck_assert_int_eq(s.h1, 1);
    ck_assert_int_ge(s.nthreads, 1);
}
END_TEST

START_TEST(frame_size_range)
{
    ck_assert_int_eq(set("http2_max_frame_size", "1000"), -1);
    ck_assert_ptr_nonnull(strstr(err, "http2_max_frame_size"));
    ck_assert_ptr_nonnull(strstr(err, "1000"));
    ck_assert_ptr_nonnull(strstr(err, "16384..16777215"));
    ck_assert_int_eq(set("http2_max_frame_size", "16777216"), -1);
    ck_assert_int_eq(set("http2_max_frame_size", "16777215"), 0);
    ck_assert_int_eq(s.http2_max_frame_size, 16777215);
}
END_TEST

START_TEST(streams_zero)
{
    ck_assert_int_eq(set("http2_max_concurrent_streams", "0"), -1);
    ck_assert_ptr_nonnull(strstr(err, "http2_max_concurrent_streams"));
    ck_assert_ptr_nonnull(strstr(err, "1..2147483647"));
    ck_assert_int_eq(set("http2_max_concurrent_streams", "1"), 0);
}
END_TEST

START_TEST(other_ranges)
{
    ck_assert_int_eq(set("http2_initial_window_size", "2147483648"), -1);
    ck_assert_int_eq(set("http2_initial_window_size", "0"), 0);
    ck_assert_int_eq(set("http2_max_header_list_size", "0"), -1);
    ck_assert_int_eq(set("limit_request_line", "8191"), -1);
    ck_assert_ptr_nonnull(strstr(err, "0..8190"));
    ck_assert_int_eq(set("limit_request_fields", "32769"), -1);
    ck_assert_int_eq(set("proxy_threads", "abc"), -1);
    ck_assert_ptr_nonnull(strstr(err, "threads"));
}
END_TEST

START_TEST(websocket_rows)
{
    ck_assert_int_eq(s.websocket_max_message_size, 16777216);
    ck_assert_int_eq(s.websocket_ping_interval, 20);
    ck_assert_int_eq(s.websocket_ping_timeout, 20);
    ck_assert_int_eq(set("websocket_max_message_size", "0"), -1);
    ck_assert_ptr_nonnull(strstr(err, "websocket_max_message_size"));
    ck_assert_int_eq(set("websocket_max_message_size", "2147483648"), -1);
    ck_assert_int_eq(set("websocket_ping_interval", "0"), 0); /* no pings */
    ck_assert_int_eq(set("websocket_ping_timeout", "0"), -1); /* an answer needs time */
    ck_assert_int_eq(set("websocket_ping_timeout", "86401"), -1);
}
END_TEST

START_TEST(flags_parse)
{
    char *argv[] = { "tandem-proxy",     "-b",    "[::1]:9000",
                     "--bind",           ":9001", "--http2-max-concurrent-streams=7",
                     "--http-protocols", "h1",    NULL };
    char *pos[1];
    int npos = 0;
    ck_assert_int_eq(
        tc_opt_parse_argv(px_settings_table, &s, 8, argv, pos, 0, &npos, err, sizeof err), 0);
    ck_assert_uint_eq(s.bind.n, 2);
    ck_assert_str_eq(s.bind.items[0], "[::1]:9000");
    ck_assert_int_eq(s.http2_max_concurrent_streams, 7);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(s.nprotos, 1);
    ck_assert_int_eq(s.protos[0], PX_PROTO_H1);
}
END_TEST

START_TEST(unknown_flag)
{
    char *argv[] = { "tandem-proxy", "--no-such-flag", NULL };
    char *pos[1];
    int npos = 0;
    ck_assert_int_eq(
        tc_opt_parse_argv(px_settings_table, &s, 2, argv, pos, 0, &npos, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--no-such-flag"));
}
END_TEST

static int protos(const char *csv, uint8_t out[2], int *n)
{
    tc_strlist l = { 0 };
    tc_strlist_add(&l, csv);
    int rc = px_protocols_parse(&l, out, n, err, sizeof err);
    tc_strlist_free(&l);
    return rc;
}

START_TEST(protocol_lists)
{
    uint8_t p[2];
    int n;
    ck_assert_int_eq(protos("h2,h1", p, &n), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(p[0], PX_PROTO_H2);
    ck_assert_int_eq(p[1], PX_PROTO_H1);
    ck_assert_int_eq(protos(" h1 , h2 ", p, &n), 0);
    ck_assert_int_eq(p[0], PX_PROTO_H1);
    ck_assert_int_eq(p[1], PX_PROTO_H2);
    ck_assert_int_eq(protos("h1", p, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(protos("h2,spdy", p, &n), -1);
    ck_assert_ptr_nonnull(strstr(err, "spdy"));
    ck_assert_ptr_nonnull(strstr(err, "http_protocols"));
    ck_assert_int_eq(protos("h2,h2", p, &n), -1);
    ck_assert_int_eq(protos("", p, &n), -1);
}
END_TEST

START_TEST(tls_pairs)
{
    ck_assert_int_eq(set("certfile", "/tmp/c.pem"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--keyfile"));
    ck_assert_int_eq(set("keyfile", "/tmp/k.pem"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(s.tls, 1);
    ck_assert_int_eq(s.h2, 1);
    ck_assert_int_eq(s.protos[0], PX_PROTO_H2);
}
END_TEST

START_TEST(tls_options_need_tls_and_a_ca)
{
    const char *rows[][2] = { { "ca_certs", "/tmp/ca.pem" },
                              { "cert_reqs", "1" },
                              { "ciphers", "HIGH" },
                              { "tls_ciphersuites", "TLS_AES_128_GCM_SHA256" },
                              { "tls_min_version", "1.3" } };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        teardown();
        setup();
        ck_assert_int_eq(set(rows[i][0], rows[i][1]), 0);
        ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), -1);
        ck_assert_msg(strstr(err, rows[i][0]) &&
                          strstr(err, "needs TLS (--certfile and --keyfile)"),
                      "%s", err);
    }
    teardown();
    setup();
    ck_assert_int_eq(set("certfile", "/tmp/c.pem"), 0);
    ck_assert_int_eq(set("keyfile", "/tmp/k.pem"), 0);
    ck_assert_int_eq(set("cert_reqs", "2"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), -1);
    ck_assert_str_eq(err, "cert_reqs (--cert-reqs) 2 needs ca_certs (--ca-certs): the CA "
                          "certificates that client certificates must chain to");
    ck_assert_int_eq(set("ca_certs", "/tmp/ca.pem"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(set("cert_reqs", "3"), -1);
    ck_assert_str_eq(err, "cert_reqs (--cert-reqs): 3 is out of range (allowed: 0..2)");
    ck_assert_int_eq(set("tls_min_version", "1.1"), -1);
    ck_assert_str_eq(err, "tls_min_version (--tls-min-version): '1.1' is not one of 1.2, 1.3");
}
END_TEST

START_TEST(h2_only_without_tls)
{
    ck_assert_int_eq(set("http_protocols", "h2"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "TLS"));
}
END_TEST

START_TEST(bad_loglevel)
{
    ck_assert_int_eq(set("loglevel", "loud"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "loud"));
}
END_TEST

static int parse(char **argv, int argc)
{
    char *pos[1];
    int npos = 0;
    if (tc_opt_parse_argv(px_settings_table, &s, argc, argv, pos, 0, &npos, err, sizeof err) < 0)
        return -1;
    return px_settings_validate(&s, err, sizeof err);
}

START_TEST(h2c_modes)
{
    ck_assert_int_eq(s.http2_cleartext, PX_H2C_OFF);
    ck_assert_int_eq(set("http2_cleartext", "prior-knowledge"), 0);
    ck_assert_int_eq(s.http2_cleartext, PX_H2C_PRIOR);
    ck_assert_int_eq(set("http2_cleartext", "upgrade"), 0);
    ck_assert_int_eq(s.http2_cleartext, PX_H2C_UPGRADE);
    ck_assert_int_eq(set("http2_cleartext", "BOTH"), 0);
    ck_assert_int_eq(s.http2_cleartext, PX_H2C_BOTH);
    ck_assert_int_eq(set("http2_cleartext", "yes"), -1);
    ck_assert_ptr_nonnull(strstr(err, "http2_cleartext"));
    ck_assert_ptr_nonnull(strstr(err, "'yes'"));
    ck_assert_ptr_nonnull(strstr(err, "prior-knowledge"));
    /* Cleartext with h2 listed: h2 is on, for h2c. */
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(s.h2, 1);
    ck_assert_int_eq(px_h2c_mode(&s), PX_H2C_BOTH);
    ck_assert_int_eq(s.nprotos, 1);
    ck_assert_int_eq(s.protos[0], PX_PROTO_H1);
    /* ...but not without h2 in http_protocols, nor with TLS. */
    ck_assert_int_eq(set("http_protocols", "h1"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(s.h2, 0);
    ck_assert_int_eq(px_h2c_mode(&s), PX_H2C_OFF);
}
END_TEST

START_TEST(h2c_tls_ignores_cleartext)
{
    char *argv[] = { "p",     "--certfile",        "c.pem", "--keyfile",
                     "k.pem", "--http2-cleartext", "both",  NULL };
    ck_assert_int_eq(parse(argv, 7), 0);
    ck_assert_int_eq(s.h2, 1);
    ck_assert_int_eq(px_h2c_mode(&s), PX_H2C_OFF);
    char msg[512];
    ck_assert_int_eq(px_settings_h2_unused(&s, msg, sizeof msg), 1);
    ck_assert_ptr_nonnull(strstr(msg, "http2_cleartext"));
    ck_assert_ptr_nonnull(strstr(msg, "TLS"));
}
END_TEST

START_TEST(h2_settings_unused_warning)
{
    char msg[512];
    /* Defaults are not "given": no warning on a plain HTTP/1 proxy. */
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(px_settings_h2_unused(&s, msg, sizeof msg), 0);
    char *argv[] = { "p", "--http2-max-frame-size", "32768", "--http2-initial-window-size=0",
                     NULL };
    ck_assert_int_eq(parse(argv, 4), 0);
    ck_assert_int_eq(s.http2_max_frame_size, 32768);
    ck_assert_int_eq(s.explicit_set, PX_SET_H2_FRAME | PX_SET_H2_WINDOW);
    ck_assert_int_eq(px_settings_h2_unused(&s, msg, sizeof msg), 1);
    ck_assert_ptr_nonnull(strstr(msg, "http2_max_frame_size"));
    ck_assert_ptr_nonnull(strstr(msg, "http2_initial_window_size"));
    ck_assert_ptr_null(strstr(msg, "http2_max_concurrent_streams"));
    ck_assert_ptr_nonnull(strstr(msg, "http2_cleartext is off"));
    /* With h2c on they apply: no warning. */
    ck_assert_int_eq(set("http2_cleartext", "prior-knowledge"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(px_settings_h2_unused(&s, msg, sizeof msg), 0);
    /* h1 only: whatever the rest says. */
    ck_assert_int_eq(set("http_protocols", "h1"), 0);
    ck_assert_int_eq(px_settings_validate(&s, err, sizeof err), 0);
    ck_assert_int_eq(px_settings_h2_unused(&s, msg, sizeof msg), 1);
    ck_assert_ptr_nonnull(strstr(msg, "http_protocols does not include h2"));
    ck_assert_ptr_nonnull(strstr(msg, "http2_cleartext"));
}
END_TEST

START_TEST(h2_int_rows_still_checked)
{
    /* The HTTP/2 rows record that they were set but check like any other. */
    ck_assert_int_eq(set("http2_max_frame_size", "abc"), -1);
    ck_assert_ptr_nonnull(strstr(err, "http2_max_frame_size"));
    ck_assert_ptr_nonnull(strstr(err, "16384..16777215"));
    ck_assert_int_eq(set("http2_max_header_list_size", "0"), -1);
    ck_assert_ptr_nonnull(strstr(err, "1..4294967295"));
    ck_assert_int_eq(s.explicit_set, 0);
    ck_assert_int_eq(s.http2_max_frame_size, 16384);
}
END_TEST

START_TEST(alpn_select_order)
{
    static const unsigned char client[] = "\x08http/1.1\x02h2";
    const unsigned char *out;
    unsigned char outlen;
    uint8_t h2first[2] = { PX_PROTO_H2, PX_PROTO_H1 };
    uint8_t h1first[2] = { PX_PROTO_H1, PX_PROTO_H2 };
    ck_assert_int_eq(px_alpn_select(h2first, 2, client, sizeof client - 1, &out, &outlen),
                     PX_PROTO_H2);
    ck_assert_int_eq(outlen, 2);
    ck_assert_int_eq(memcmp(out, "h2", 2), 0);
    ck_assert_int_eq(px_alpn_select(h1first, 2, client, sizeof client - 1, &out, &outlen),
                     PX_PROTO_H1);
    ck_assert_int_eq(outlen, 8);
    uint8_t h1only[1] = { PX_PROTO_H1 };
    static const unsigned char h2client[] = "\x02h2";
    ck_assert_int_eq(px_alpn_select(h1only, 1, h2client, sizeof h2client - 1, &out, &outlen),
                     PX_PROTO_NONE);
    /* Malformed list: a length past the end is not read. */
    static const unsigned char bad[] = "\x09h2";
    ck_assert_int_eq(px_alpn_select(h2first, 2, bad, sizeof bad - 1, &out, &outlen), PX_PROTO_NONE);
    ck_assert_int_eq(px_alpn_select(h2first, 2, NULL, 0, &out, &outlen), PX_PROTO_NONE);
}
END_TEST

/* Gunicorn's spellings, and tandem's earlier ones kept as aliases. */
START_TEST(gunicorn_spellings)
{
    char *argv[] = { "tandem-proxy",
                     "--keep-alive",
                     "7",
                     "--limit-request-field_size=100",
                     "--log-file",
                     "/tmp/x.log",
                     "--proxy-threads",
                     "3",
                     NULL };
    char *pos[1];
    int npos = 0;
    ck_assert_int_eq(
        tc_opt_parse_argv(px_settings_table, &s, 8, argv, pos, 0, &npos, err, sizeof err), 0);
    ck_assert_int_eq(s.keepalive, 7);
    ck_assert_int_eq(s.limit_request_field_size, 100);
    ck_assert_str_eq(s.errorlog, "/tmp/x.log");
    ck_assert_int_eq(s.threads, 3);
    char *old[] = { "tandem-proxy",
                    "--keepalive=8",
                    "--limit-request-field-size",
                    "200",
                    "--error-logfile=-",
                    "--threads=4",
                    NULL };
    ck_assert_int_eq(
        tc_opt_parse_argv(px_settings_table, &s, 6, old, pos, 0, &npos, err, sizeof err), 0);
    ck_assert_int_eq(s.keepalive, 8);
    ck_assert_int_eq(s.limit_request_field_size, 200);
    ck_assert_str_eq(s.errorlog, "-");
    ck_assert_int_eq(s.threads, 4);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_settings");
    TCase *tc = tcase_create("settings");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, frame_size_range);
    tcase_add_test(tc, streams_zero);
    tcase_add_test(tc, other_ranges);
    tcase_add_test(tc, websocket_rows);
    tcase_add_test(tc, flags_parse);
    tcase_add_test(tc, unknown_flag);
    tcase_add_test(tc, protocol_lists);
    tcase_add_test(tc, tls_pairs);
    tcase_add_test(tc, tls_options_need_tls_and_a_ca);
    tcase_add_test(tc, h2_only_without_tls);
    tcase_add_test(tc, bad_loglevel);
    tcase_add_test(tc, alpn_select_order);
    tcase_add_test(tc, h2c_modes);
    tcase_add_test(tc, h2c_tls_ignores_cleartext);
    tcase_add_test(tc, h2_settings_unused_warning);
    tcase_add_test(tc, h2_int_rows_still_checked);
    tcase_add_test(tc, gunicorn_spellings);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

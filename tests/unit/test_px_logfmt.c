/* test_px_logfmt.c: Check tests for the access-log format (proxy/px_logfmt.c
 * and px_logenv.c): Gunicorn's default line byte for byte, every atom,
 * tandem's own, environ names as tandem-appd builds them, escapes,
 * Python's width and precision, and each format refused at start-up with
 * the atom named. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "px_logfmt.h"

#define STR(x) ((tp_str){ (const uint8_t *)(x), (uint32_t)strlen(x) })
#define FIELD(n, v) ((tp_header){ STR(n), STR(v) })

static tp_header fields[16];
static tp_str resp[PX_LOGFMT_MAX_RESP];
static px_logreq req;
static char line[4096];

/* A GET over HTTP/1.1 from 10.0.0.7, answered 200 with 1234 bytes by worker 4321. */
static void setup(void)
{
    memset(&req, 0, sizeof req);
    memset(resp, 0, sizeof resp);
    fields[0] = FIELD("Host", "example.com:8443");
    fields[1] = FIELD("User-Agent", "curl/7.88.1");
    fields[2] = FIELD("Referer", "https://example.com/start");
    fields[3] = FIELD("X-Trace", "a");
    fields[4] = FIELD("x-trace", "b");
    req.method = STR("GET");
    req.path = STR("/caf%C3%A9/x%2Fy");
    req.query = STR("q=1&r=%20");
    req.scheme = STR("https");
    req.peer_addr = STR("10.0.0.7");
    req.local_addr = STR("10.0.0.1");
    req.peer_port = 51000;
    req.local_port = 8443;
    req.http_major = 1;
    req.http_minor = 1;
    req.tls = 1;
    req.status = 200;
    req.content_length = TP_LENGTH_UNKNOWN;
    req.sent = 1234;
    req.usec = 2345678;
    req.clf_time = "[10/Oct/2026:13:55:36 +0000]";
    req.worker_pid = 4321;
    req.proxy_pid = 99;
    req.wire_stream = 7;
    req.conn_id = 12;
    req.headers = fields;
    req.nheaders = 5;
    req.resp = resp;
}

/* The line for fmt, without its newline. */
static const char *fmt_line(const char *fmt)
{
    px_logfmt *f;
    char err[512];
    ck_assert_msg(px_logfmt_compile(fmt, &f, err, sizeof err) == 0, "%s: %s", fmt, err);
    size_t n = px_logfmt_line(f, &req, line, sizeof line);
    ck_assert_uint_ge(n, 1);
    ck_assert_int_eq(line[n - 1], '\n');
    line[n - 1] = '\0';
    px_logfmt_free(f);
    return line;
}

static const char *refused(const char *fmt)
{
    static char err[512];
    px_logfmt *f = NULL;
    ck_assert_msg(px_logfmt_compile(fmt, &f, err, sizeof err) == -1, "%s compiled", fmt);
    ck_assert_ptr_null(f);
    return err;
}

START_TEST(gunicorn_default_line)
{
    ck_assert_str_eq(fmt_line(PX_LOGFMT_DEFAULT),
                     "10.0.0.7 - - [10/Oct/2026:13:55:36 +0000] \"GET /caf%C3%A9/x%2Fy?q=1&r=%20 "
                     "HTTP/1.1\" 200 1234 \"https://example.com/start\" \"curl/7.88.1\"");
    req.nheaders = 1; /* no Referer, no User-Agent */
    req.query = STR("");
    req.sent = 0;
    ck_assert_str_eq(fmt_line(PX_LOGFMT_DEFAULT), "10.0.0.7 - - [10/Oct/2026:13:55:36 +0000] "
                                                  "\"GET /caf%C3%A9/x%2Fy HTTP/1.1\" 200 0 \"-\" "
                                                  "\"-\"");
}
END_TEST

START_TEST(every_letter)
{
    ck_assert_str_eq(fmt_line("%(h)s|%(l)s|%(u)s|%(s)s|%(m)s|%(q)s|%(H)s|%(b)s|%(B)s"),
                     "10.0.0.7|-|-|200|GET|q=1&r=%20|HTTP/1.1|1234|1234");
    /* U is PATH_INFO: percent-decoded; bytes beyond ASCII escaped */
    ck_assert_str_eq(fmt_line("%(U)s"), "/caf\\xc3\\xa9/x/y");
    ck_assert_str_eq(fmt_line("%(T)s %(D)s %(M)s %(L)s"), "2 2345678 2345 2.345678");
    ck_assert_str_eq(fmt_line("%(p)s %(t)s"), "<4321> [10/Oct/2026:13:55:36 +0000]");
    req.worker_pid = 0; /* answered by the proxy: its own pid */
    ck_assert_str_eq(fmt_line("%(p)s"), "<99>");
    ck_assert_str_eq(fmt_line("%(f)s %(a)s"), "https://example.com/start curl/7.88.1");
}
END_TEST

START_TEST(http2_request)
{
    req.http_major = 2;
    req.http_minor = 0;
    req.h2_stream = 13;
    req.authority = STR("h2.example");
    fields[0] = FIELD("user-agent", "h2load");
    req.nheaders = 1;
    ck_assert_str_eq(fmt_line("%(H)s %(r)s {%({stream_id}t)s} %({host}i)s"),
                     "HTTP/2.0 GET /caf%C3%A9/x%2Fy?q=1&r=%20 HTTP/2.0 {13} h2.example");
    ck_assert_str_eq(fmt_line("%({HTTP_HOST}e)s %({SERVER_NAME}e)s %({SERVER_PORT}e)s"),
                     "h2.example h2.example 443");
    ck_assert_str_eq(fmt_line("%({tandem.h2_stream_id}e)s %({tandem.stream_id}e)s"), "13 7");
}
END_TEST

START_TEST(tandem_atoms)
{
    ck_assert_str_eq(fmt_line("%({stream_id}t)s %({worker_pid}t)s %({connection}t)s"), "- 4321 12");
    req.worker_pid = 0;
    ck_assert_str_eq(fmt_line("%({WORKER_PID}t)s"), "-");
}
END_TEST

START_TEST(request_and_response_fields)
{
    /* any case; the last of repeated fields, as Gunicorn's dict keeps it */
    ck_assert_str_eq(fmt_line("%({user-agent}i)s %({X-TRACE}i)s %({missing}i)s"),
                     "curl/7.88.1 b -");
    px_logfmt *f;
    char err[256];
    ck_assert_int_eq(px_logfmt_compile("%({Content-Type}o)s %({x-id}O)s %({content-type}o)s", &f,
                                       err, sizeof err),
                     0);
    ck_assert_uint_eq(px_logfmt_resp_count(f), 2);
    ck_assert_int_eq(px_logfmt_resp_slot(f, (const uint8_t *)"CONTENT-TYPE", 12), 0);
    ck_assert_int_eq(px_logfmt_resp_slot(f, (const uint8_t *)"x-id", 4), 1);
    ck_assert_int_eq(px_logfmt_resp_slot(f, (const uint8_t *)"server", 6), -1);
    resp[0] = STR("text/html");
    size_t n = px_logfmt_line(f, &req, line, sizeof line);
    ck_assert_int_eq(memcmp(line, "text/html - text/html\n", n), 0);
    req.resp = NULL;
    n = px_logfmt_line(f, &req, line, sizeof line);
    ck_assert_int_eq(memcmp(line, "- - -\n", n), 0);
    px_logfmt_free(f);
}
END_TEST

START_TEST(environ_names)
{
    fields[5] = FIELD("Content-Type", "text/plain");
    fields[6] = FIELD("Content-Length", "5, 5");
    fields[7] = FIELD("Cookie", "a=1");
    fields[8] = FIELD("cookie", "b=2");
    fields[9] = FIELD("X_Under", "dropped");
    req.nheaders = 10;
    ck_assert_str_eq(fmt_line("%({REQUEST_METHOD}e)s %({path_info}e)s %({QUERY_STRING}e)s "
                              "%({RAW_URI}e)s %({SERVER_PROTOCOL}e)s"),
                     "GET /caf\\xc3\\xa9/x/y q=1&r=%20 /caf%C3%A9/x%2Fy?q=1&r=%20 HTTP/1.1");
    ck_assert_str_eq(fmt_line("%({REMOTE_ADDR}e)s:%({REMOTE_PORT}e)s %({wsgi.url_scheme}e)s "
                              "%({HTTP_HOST}e)s %({SERVER_NAME}e)s %({SERVER_PORT}e)s"),
                     "10.0.0.7:51000 https example.com:8443 example.com 8443");
    ck_assert_str_eq(fmt_line("%({CONTENT_TYPE}e)s %({CONTENT_LENGTH}e)s %({HTTP_X_TRACE}e)s "
                              "%({HTTP_COOKIE}e)s %({HTTP_X_UNDER}e)s %({HTTP_CONTENT_TYPE}e)s"),
                     "text/plain 5 a,b a=1; b=2 - -");
    ck_assert_str_eq(fmt_line("%({SERVER_SOFTWARE}e)s"), PACKAGE_NAME "/" PACKAGE_VERSION);
    /* no Host at all: the local address, as appd does */
    req.nheaders = 1;
    fields[0] = FIELD("Accept", "*/*");
    req.tls = 0;
    req.scheme = STR("http");
    req.content_length = 42;
    ck_assert_str_eq(fmt_line("%({SERVER_NAME}e)s %({SERVER_PORT}e)s %({wsgi.url_scheme}e)s "
                              "%({HTTP_HOST}e)s %({CONTENT_LENGTH}e)s"),
                     "10.0.0.1 8443 http - 42");
}
END_TEST

START_TEST(basic_user)
{
    fields[0] = FIELD("Authorization", "Basic dXNlcjpwYXNz"); /* user:pass */
    ck_assert_str_eq(fmt_line("%(u)s"), "user");
    fields[0] = FIELD("Authorization", "basic ZG9lOg=="); /* doe: */
    ck_assert_str_eq(fmt_line("%(u)s"), "doe");
    fields[0] = FIELD("Authorization", "Basic bm9jb2xvbg=="); /* nocolon */
    ck_assert_str_eq(fmt_line("%(u)s"), "-");
    fields[0] = FIELD("Authorization", "Basic dXNlcjpwYXN"); /* bad padding */
    ck_assert_str_eq(fmt_line("%(u)s"), "-");
    fields[0] = FIELD("Authorization", "Bearer dXNlcjpwYXNz");
    ck_assert_str_eq(fmt_line("%(u)s"), "-");
    fields[0] = FIELD("Authorization", "Basic //46eA=="); /* ff fe ':' 'x': not UTF-8 */
    ck_assert_str_eq(fmt_line("%(u)s"), "-");
}
END_TEST

START_TEST(escapes)
{
    fields[1] = FIELD("User-Agent", "say \"hi\"\x1b[31m\x7f\xff\\");
    ck_assert_str_eq(fmt_line("\"%(a)s\""), "\"say \\\"hi\\\"\\x1b[31m\\x7f\\xff\\\"");
    /* the format's own text is the operator's: kept as written */
    ck_assert_str_eq(fmt_line("100%% \"%(s)s\"\ttab"), "100% \"200\"\ttab");
}
END_TEST

START_TEST(width_precision)
{
    ck_assert_str_eq(fmt_line("[%(h)12s][%(h)-12s][%(h).4s][%(m)-5.2s]"),
                     "[    10.0.0.7][10.0.0.7    ][10.0][GE   ]");
    ck_assert_str_eq(fmt_line("[%(B)8d][%(M)08d][%(T)-4i][%(D)ld]"),
                     "[    1234][00002345][2   ][2345678]");
    ck_assert_str_eq(fmt_line("%(s)05s"), "  200"); /* '0' pads numbers only */
}
END_TEST

START_TEST(not_understood)
{
    /* A 400 to bytes that were no request: no method, path or protocol. */
    req.http_major = req.http_minor = 0;
    req.method = req.path = req.query = (tp_str){ NULL, 0 };
    req.nheaders = 0;
    req.status = 400;
    req.worker_pid = 0;
    ck_assert_str_eq(fmt_line(PX_LOGFMT_DEFAULT + 0),
                     "10.0.0.7 - - [10/Oct/2026:13:55:36 +0000] \"-\" 400 1234 \"-\" \"-\"");
    ck_assert_str_eq(fmt_line("%(m)s %(U)s %(q)s %(H)s %({RAW_URI}e)s %(p)s"), "- - - - - <99>");
}
END_TEST

START_TEST(long_line_keeps_newline)
{
    px_logfmt *f;
    char err[256], small[16];
    ck_assert_int_eq(px_logfmt_compile("%(h)s %(a)s %(f)s", &f, err, sizeof err), 0);
    size_t n = px_logfmt_line(f, &req, small, sizeof small);
    ck_assert_uint_eq(n, sizeof small);
    ck_assert_int_eq(memcmp(small, "10.0.0.7 curl/7", 15), 0);
    ck_assert_int_eq(small[15], '\n');
    /* a width never writes past the end either */
    px_logfmt_free(f);
    ck_assert_int_eq(px_logfmt_compile("%(h)100s", &f, err, sizeof err), 0);
    n = px_logfmt_line(f, &req, small, sizeof small);
    ck_assert_uint_eq(n, sizeof small);
    ck_assert_int_eq(small[15], '\n');
    px_logfmt_free(f);
}
END_TEST

START_TEST(refused_formats)
{
    const char *e = refused("%(h)s %(z)s");
    ck_assert_msg(strstr(e, "unknown atom 'z'") != NULL, "%s", e);
    ck_assert_msg(strstr(e, "{header}i") != NULL, "%s", e);
    e = refused("%({x-id}x)s");
    ck_assert_msg(strstr(e, "unknown atom '{x-id}x'") != NULL, "%s", e);
    e = refused("%({nosuch}t)s");
    ck_assert_msg(strstr(e, "'{nosuch}t'") != NULL, "%s", e);
    e = refused("%({}i)s");
    ck_assert_msg(strstr(e, "'{}i'") != NULL, "%s", e);
    e = refused("%({SCRIPT_NAME}e)s");
    ck_assert_msg(strstr(e, "environ variable '{SCRIPT_NAME}e'") != NULL, "%s", e);
    e = refused("%({wsgi.input}e)s");
    ck_assert_msg(strstr(e, "wsgi.input") != NULL, "%s", e);
    e = refused("%(h)r");
    ck_assert_msg(strstr(e, "conversion '%(h)r' is not supported") != NULL, "%s", e);
    e = refused("%(s)d");
    ck_assert_msg(strstr(e, "B T D M only") != NULL, "%s", e);
    e = refused("%s");
    ck_assert_msg(strstr(e, "'%s' has no (name)") != NULL, "%s", e);
    e = refused("50%");
    ck_assert_msg(strstr(e, "'%' has no (name)") != NULL, "%s", e);
    e = refused("%(h");
    ck_assert_msg(strstr(e, "unclosed '%(h'") != NULL, "%s", e);
    e = refused("%(h)");
    ck_assert_msg(strstr(e, "incomplete") != NULL, "%s", e);
    e = refused("%(h)+s");
    ck_assert_msg(strstr(e, "flag") != NULL, "%s", e);
    e = refused("%(h)*s");
    ck_assert_msg(strstr(e, "'*'") != NULL, "%s", e);
    e = refused("%(hh)s");
    ck_assert_msg(strstr(e, "unknown atom 'hh'") != NULL, "%s", e);
    char many[1024] = "";
    for (int i = 0; i < 17; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%%({x-%d}o)s ", i);
    e = refused(many);
    ck_assert_msg(strstr(e, "16 at most") != NULL, "%s", e);
}
END_TEST

START_TEST(accepted_formats)
{
    /* Python's nesting of parentheses in a key, and literal text only */
    ck_assert_str_eq(fmt_line("no atoms at all"), "no atoms at all");
    ck_assert_str_eq(fmt_line(""), "");
    ck_assert_str_eq(fmt_line("%({x-(a)}i)s"), "-");
}
END_TEST

START_TEST(clf_time)
{
    char b[64];
    setenv("TZ", "UTC", 1);
    size_t n = px_logfmt_clf_time(784111777, b, sizeof b);
    ck_assert_uint_eq(n, strlen("[06/Nov/1994:08:49:37 +0000]"));
    ck_assert_str_eq(b, "[06/Nov/1994:08:49:37 +0000]");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("px_logfmt");
    TCase *tc = tcase_create("format");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, gunicorn_default_line);
    tcase_add_test(tc, every_letter);
    tcase_add_test(tc, http2_request);
    tcase_add_test(tc, tandem_atoms);
    tcase_add_test(tc, request_and_response_fields);
    tcase_add_test(tc, environ_names);
    tcase_add_test(tc, basic_user);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, width_precision);
    tcase_add_test(tc, not_understood);
    tcase_add_test(tc, long_line_keeps_newline);
    tcase_add_test(tc, refused_formats);
    tcase_add_test(tc, accepted_formats);
    tcase_add_test(tc, clf_time);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

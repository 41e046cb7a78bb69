/* tp_check.c: the helpers tp_check.h declares, shared by the protocol/ unit
 * tests so that no test file carries its own copy. */
#include <stdlib.h>
#include <string.h>

#include "tp_check.h"

/* ---- raw writers ---- */

void raw8(tp_buf *b, uint8_t v) { ck_assert_int_eq(tp_buf_append(b, &v, 1), TP_OK); }

void raw16(tp_buf *b, uint16_t v)
{
    raw8(b, (uint8_t)(v >> 8));
    raw8(b, (uint8_t)v);
}

void raw32(tp_buf *b, uint32_t v)
{
    raw16(b, (uint16_t)(v >> 16));
    raw16(b, (uint16_t)v);
}

void raw64(tp_buf *b, uint64_t v)
{
    raw32(b, (uint32_t)(v >> 32));
    raw32(b, (uint32_t)v);
}

void rawstr(tp_buf *b, tp_str s)
{
    raw32(b, s.len);
    ck_assert_int_eq(tp_buf_append(b, s.ptr, s.len), TP_OK);
}

void raw_headers(tp_buf *b, uint32_t n, const tp_header *h)
{
    uint32_t i;

    raw32(b, n);
    for (i = 0; i < n; i++) {
        rawstr(b, h[i].name);
        rawstr(b, h[i].value);
    }
}

/* ---- comparisons ---- */

void assert_str_eq(tp_str a, tp_str b)
{
    ck_assert_uint_eq(a.len, b.len);
    if (a.len)
        ck_assert_mem_eq(a.ptr, b.ptr, a.len);
}

void assert_headers_eq(uint32_t n, const tp_header *a, const tp_header *b)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        assert_str_eq(a[i].name, b[i].name);
        assert_str_eq(a[i].value, b[i].value);
    }
}

void assert_request_eq(const tp_request_head *a, const tp_request_head *b)
{
    ck_assert_uint_eq(a->http_major, b->http_major);
    ck_assert_uint_eq(a->http_minor, b->http_minor);
    ck_assert_uint_eq(a->flags, b->flags);
    ck_assert_uint_eq(a->content_length, b->content_length);
    ck_assert_uint_eq(a->prio_weight, b->prio_weight);
    ck_assert_uint_eq(a->prio_depends_on, b->prio_depends_on);
    ck_assert_uint_eq(a->prio_exclusive, b->prio_exclusive);
    ck_assert_uint_eq(a->prio_urgency, b->prio_urgency);
    ck_assert_uint_eq(a->prio_incremental, b->prio_incremental);
    ck_assert_uint_eq(a->peer_port, b->peer_port);
    ck_assert_uint_eq(a->local_port, b->local_port);
    ck_assert_uint_eq(a->conn_id, b->conn_id);
    ck_assert_uint_eq(a->h2_stream_id, b->h2_stream_id);
    ck_assert_uint_eq(a->proxy_port, b->proxy_port);
    assert_str_eq(a->method, b->method);
    assert_str_eq(a->scheme, b->scheme);
    assert_str_eq(a->authority, b->authority);
    assert_str_eq(a->path, b->path);
    assert_str_eq(a->query, b->query);
    assert_str_eq(a->peer_addr, b->peer_addr);
    assert_str_eq(a->local_addr, b->local_addr);
    assert_str_eq(a->tls_version, b->tls_version);
    assert_str_eq(a->tls_cipher, b->tls_cipher);
    assert_str_eq(a->alpn, b->alpn);
    assert_str_eq(a->sni, b->sni);
    assert_str_eq(a->proxy_protocol, b->proxy_protocol);
    assert_str_eq(a->proxy_addr, b->proxy_addr);
    assert_str_eq(a->client_verify, b->client_verify);
    assert_str_eq(a->client_cert, b->client_cert);
    assert_str_eq(a->client_s_dn, b->client_s_dn);
    assert_str_eq(a->client_i_dn, b->client_i_dn);
    assert_str_eq(a->client_serial, b->client_serial);
    assert_str_eq(a->client_v_start, b->client_v_start);
    assert_str_eq(a->client_v_end, b->client_v_end);
    ck_assert_uint_eq(a->nheaders, b->nheaders);
    assert_headers_eq(a->nheaders, a->headers, b->headers);
}

/* ---- sample frames ---- */

const tp_header sample_hdrs[SAMPLE_NHDRS] = {
    { STR("user-agent"), STR("curl/8.0") },
    { STR("accept"), STR("*/*") },
    { STR("x-empty"), STR("") },
    { STR("x-bin"), { (const uint8_t *)"\0\xff\x01", 3 } },
};

void sample_request(tp_request_head *h)
{
    memset(h, 0, sizeof *h);
    h->http_major = 2;
    h->http_minor = 0;
    h->flags = TP_REQ_TLS | TP_REQ_HAS_PRIORITY | TP_REQ_TE_TRAILERS | TP_REQ_EARLY_HINTS;
    h->content_length = 0x0102030405060708ull;
    h->prio_weight = 256;
    h->prio_depends_on = 0x7fffffff;
    h->prio_exclusive = 1;
    h->prio_urgency = 7;
    h->prio_incremental = 1;
    h->peer_port = 54321;
    h->local_port = 443;
    h->conn_id = 0xdeadbeef;
    h->h2_stream_id = 0x7ffffffd;
    h->method = STR("POST");
    h->scheme = STR("https");
    h->authority = STR("example.com:8443");
    h->path = STR("/a%20b/c");
    h->query = STR("x=1&y=2");
    h->peer_addr = STR("2001:db8::1");
    h->local_addr = STR("::1");
    h->tls_version = STR("TLSv1.3");
    h->tls_cipher = STR("TLS_AES_128_GCM_SHA256");
    h->alpn = STR("h2");
    h->sni = STR("example.com");
    h->proxy_port = 8443;
    h->proxy_protocol = STR("TCP6");
    h->proxy_addr = STR("2001:db8::80");
    h->client_verify = STR("SUCCESS");
    h->client_cert = STR("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    h->client_s_dn = STR("CN=client,O=tandem");
    h->client_i_dn = STR("CN=test CA");
    h->client_serial = STR("1A2B");
    h->client_v_start = STR("Jan  1 00:00:00 2025 GMT");
    h->client_v_end = STR("Jan  1 00:00:00 2035 GMT");
    h->nheaders = NELEM(sample_hdrs);
    h->headers = (tp_header *)(uintptr_t)sample_hdrs;
}

void sample_payload(tp_buf *b)
{
    tp_request_head h;

    sample_request(&h);
    tp_buf_init(b);
    ck_assert_int_eq(tp_encode_request_head(b, 1, 0, &h), TP_OK);
    tp_buf_consume(b, TP_HEADER_SIZE);
}

const tp_header resp_hdrs[RESP_NHDRS] = {
    { STR("content-type"), STR("text/plain") },
    { STR("link"), STR("</style.css>; rel=preload; as=style") },
    { STR("x-empty"), STR("") },
};

tp_hello worker_hello(void)
{
    tp_hello h = { 0 };

    h.version = TP_VERSION;
    h.role = TP_ROLE_WORKER;
    h.worker_class = TP_CLASS_GTHREAD;
    h.pid = 0x00123456;
    h.capacity = 8;
    h.worker_index = 3;
    h.worker_count = 4;
    h.initial_window = TP_DEFAULT_WINDOW;
    h.max_frame = TP_DEFAULT_MAX_FRAME;
    h.generation = 0x01020304;
    return h;
}

/* ---- truncation ---- */

void assert_every_prefix(const uint8_t *p, size_t len, tp_decode_fn decode, void *ctx, int want)
{
    uint8_t *copy;
    size_t n;

    for (n = 0; n < len; n++) {
        copy = malloc(n ? n : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, p, n);
        ck_assert_int_eq(decode(copy, n, ctx), want);
        free(copy);
    }
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

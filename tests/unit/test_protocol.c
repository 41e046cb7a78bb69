/* test_protocol.c: Check tests for the wire codec (protocol/): every frame type
 * round-trips, the byte layout matches tandem-protocol(7), and every malformed
 * input is refused with the documented error and without touching the output. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

#define STR(s) ((tp_str){(const uint8_t *)(s), (uint32_t)(sizeof(s) - 1)})
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static const tp_header sample_hdrs[] = {
    {STR("user-agent"), STR("curl/8.0")},
    {STR("accept"), STR("*/*")},
    {STR("x-empty"), STR("")},
    {STR("x-bin"), {(const uint8_t *)"\0\xff\x01", 3}},
};

static void sample_request(tp_request_head *h)
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
    h->nheaders = NELEM(sample_hdrs);
    h->headers = (tp_header *)(uintptr_t)sample_hdrs;
}

static void minimal_request(tp_request_head *h)
{
    memset(h, 0, sizeof *h);
    h->http_major = 1;
    h->http_minor = 0;
    h->method = STR("GET");
}

static void assert_str_eq(tp_str a, tp_str b)
{
    ck_assert_uint_eq(a.len, b.len);
    if (a.len)
        ck_assert_mem_eq(a.ptr, b.ptr, a.len);
}

static void assert_headers_eq(uint32_t n, const tp_header *a, const tp_header *b)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        assert_str_eq(a[i].name, b[i].name);
        assert_str_eq(a[i].value, b[i].value);
    }
}

static void assert_request_eq(const tp_request_head *a, const tp_request_head *b)
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
    ck_assert_uint_eq(a->nheaders, b->nheaders);
    assert_headers_eq(a->nheaders, a->headers, b->headers);
}

/* Raw big-endian writers: the tests build payloads from the man page's
 * layout by hand, independently of the encoders. */
static void raw8(tp_buf *b, uint8_t v)
{
    ck_assert_int_eq(tp_buf_append(b, &v, 1), TP_OK);
}

static void raw16(tp_buf *b, uint16_t v)
{
    raw8(b, (uint8_t)(v >> 8));
    raw8(b, (uint8_t)v);
}

static void raw32(tp_buf *b, uint32_t v)
{
    raw16(b, (uint16_t)(v >> 16));
    raw16(b, (uint16_t)v);
}

static void raw64(tp_buf *b, uint64_t v)
{
    raw32(b, (uint32_t)(v >> 32));
    raw32(b, (uint32_t)v);
}

static void rawstr(tp_buf *b, tp_str s)
{
    raw32(b, s.len);
    ck_assert_int_eq(tp_buf_append(b, s.ptr, s.len), TP_OK);
}

static void raw_headers(tp_buf *b, uint32_t n, const tp_header *h)
{
    uint32_t i;

    raw32(b, n);
    for (i = 0; i < n; i++) {
        rawstr(b, h[i].name);
        rawstr(b, h[i].value);
    }
}

static void raw_request_fixed(tp_buf *b, const tp_request_head *h)
{
    raw8(b, h->http_major);
    raw8(b, h->http_minor);
    raw16(b, h->flags);
    raw64(b, h->content_length);
    raw16(b, h->prio_weight);
    raw32(b, h->prio_depends_on);
    raw8(b, h->prio_exclusive);
    raw8(b, h->prio_urgency);
    raw8(b, h->prio_incremental);
    raw16(b, h->peer_port);
    raw16(b, h->local_port);
    raw32(b, h->conn_id);
    raw32(b, h->h2_stream_id);
}

static void raw_request(tp_buf *b, const tp_request_head *h)
{
    raw_request_fixed(b, h);
    rawstr(b, h->method);
    rawstr(b, h->scheme);
    rawstr(b, h->authority);
    rawstr(b, h->path);
    rawstr(b, h->query);
    rawstr(b, h->peer_addr);
    rawstr(b, h->local_addr);
    rawstr(b, h->tls_version);
    rawstr(b, h->tls_cipher);
    rawstr(b, h->alpn);
    rawstr(b, h->sni);
    raw_headers(b, h->nheaders, h->headers);
}

static void raw_header(uint8_t out[TP_HEADER_SIZE], uint32_t length, uint8_t type, uint8_t flags,
                       uint32_t stream)
{
    tp_frame_header h = {length, type, flags, stream};

    tp_frame_header_encode(out, &h);
}

static int decode_raw_header(uint32_t length, uint8_t type, uint8_t flags, uint32_t stream)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;

    raw_header(p, length, type, flags, stream);
    return tp_frame_header_decode(p, sizeof p, TP_MAX_PAYLOAD, &h);
}

/* A valid (length, flags, stream) for each type, for table-driven tests. */
static const struct {
    uint8_t type;
    uint32_t size;    /* fixed payload size, 0 = variable */
    uint8_t flags;    /* the flags the type allows */
    int on_conn;
} types[] = {
    {TP_FRAME_HELLO, 36, 0, 1},
    {TP_FRAME_REQUEST_HEAD, 0, TP_FLAG_END_STREAM, 0},
    {TP_FRAME_REQUEST_DATA, 0, TP_FLAG_END_STREAM, 0},
    {TP_FRAME_RESPONSE_INFO, 0, 0, 0},
    {TP_FRAME_RESPONSE_HEAD, 0, TP_FLAG_END_STREAM, 0},
    {TP_FRAME_RESPONSE_DATA, 0, TP_FLAG_END_STREAM, 0},
    {TP_FRAME_TRAILERS, 0, 0, 0},
    {TP_FRAME_RESET, 4, 0, 0},
    {TP_FRAME_CREDIT, 4, 0, 0},
    {TP_FRAME_PING, 8, TP_FLAG_ACK, 1},
    {TP_FRAME_DRAIN, 4, 0, 1},
};

static uint32_t valid_len(unsigned i)
{
    return types[i].size ? types[i].size : 100;
}

static uint32_t valid_stream(unsigned i)
{
    return types[i].on_conn ? 0 : 7;
}

/* ---- frame header ---- */

START_TEST(test_header_layout)
{
    static const uint8_t want[TP_HEADER_SIZE] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x01,
                                                 0x00, 0x00, 0x0a, 0x0b, 0x0c, 0x0d};
    tp_frame_header h = {0x01020304, TP_FRAME_RESPONSE_HEAD, TP_FLAG_END_STREAM, 0x0a0b0c0d};
    uint8_t out[TP_HEADER_SIZE];

    tp_frame_header_encode(out, &h);
    ck_assert_mem_eq(out, want, sizeof want);
}
END_TEST

START_TEST(test_header_roundtrip)
{
    unsigned i = (unsigned)_i;
    uint8_t p[TP_HEADER_SIZE + 1];
    tp_frame_header in = {valid_len(i), types[i].type, types[i].flags, valid_stream(i)};
    tp_frame_header out;

    if (!types[i].on_conn)
        in.stream = 0xffffffffu;
    tp_frame_header_encode(p, &in);
    p[TP_HEADER_SIZE] = 0xee; /* bytes after the header are not looked at */
    memset(&out, 0x55, sizeof out);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, TP_MAX_PAYLOAD, &out), TP_OK);
    ck_assert_uint_eq(out.length, in.length);
    ck_assert_uint_eq(out.type, in.type);
    ck_assert_uint_eq(out.flags, in.flags);
    ck_assert_uint_eq(out.stream, in.stream);
    ck_assert_str_ne(tp_frame_type_name(in.type), "UNKNOWN");
}
END_TEST

START_TEST(test_header_again)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;
    size_t n;

    raw_header(p, 4, TP_FRAME_RESET, 0, 1);
    for (n = 0; n < TP_HEADER_SIZE; n++)
        ck_assert_int_eq(tp_frame_header_decode(p, n, TP_MAX_PAYLOAD, &h), TP_E_AGAIN);
    ck_assert_int_eq(tp_frame_header_decode(p, n, TP_MAX_PAYLOAD, &h), TP_OK);
}
END_TEST

START_TEST(test_header_reserved_bits)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;
    unsigned bit;

    for (bit = 0; bit < 16; bit++) {
        raw_header(p, 4, TP_FRAME_RESET, 0, 1);
        p[6 + bit / 8] = (uint8_t)(1u << (bit % 8));
        ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, TP_MAX_PAYLOAD, &h), TP_E_RESERVED);
    }
}
END_TEST

START_TEST(test_header_unknown_type)
{
    static const uint8_t bad[] = {0x00, TP_FRAME_MAX_ + 1, 0x7f, 0x80, 0xff};
    unsigned i;

    for (i = 0; i < NELEM(bad); i++) {
        ck_assert_int_eq(decode_raw_header(4, bad[i], 0, 1), TP_E_TYPE);
        ck_assert_str_eq(tp_frame_type_name(bad[i]), "UNKNOWN");
    }
}
END_TEST

START_TEST(test_header_too_big)
{
    uint8_t p[TP_HEADER_SIZE];
    tp_frame_header h;

    raw_header(p, 1000, TP_FRAME_REQUEST_DATA, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, 1000, &h), TP_OK);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, 999, &h), TP_E_TOO_BIG);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, 0, &h), TP_E_TOO_BIG);
    /* the hard ceiling holds whatever the caller allows */
    raw_header(p, TP_MAX_PAYLOAD, TP_FRAME_REQUEST_DATA, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_OK);
    raw_header(p, TP_MAX_PAYLOAD + 1, TP_FRAME_REQUEST_DATA, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_E_TOO_BIG);
    raw_header(p, UINT32_MAX, TP_FRAME_REQUEST_HEAD, 0, 1);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_E_TOO_BIG);
    /* a fixed-size frame that claims a huge length is refused as too big */
    raw_header(p, UINT32_MAX, TP_FRAME_PING, 0, 0);
    ck_assert_int_eq(tp_frame_header_decode(p, sizeof p, UINT32_MAX, &h), TP_E_TOO_BIG);
}
END_TEST

START_TEST(test_header_stream)
{
    unsigned i = (unsigned)_i;
    uint32_t wrong = types[i].on_conn ? 1 : 0;

    ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0, valid_stream(i)), TP_OK);
    ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0, wrong), TP_E_STREAM);
    if (types[i].on_conn)
        ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0, UINT32_MAX),
                         TP_E_STREAM);
}
END_TEST

START_TEST(test_header_flags)
{
    unsigned i = (unsigned)_i;
    unsigned bit;
    uint8_t f;

    for (bit = 0; bit < 8; bit++) {
        f = (uint8_t)(1u << bit);
        ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, f, valid_stream(i)),
                         (f & types[i].flags) ? TP_OK : TP_E_RESERVED);
    }
    ck_assert_int_eq(decode_raw_header(valid_len(i), types[i].type, 0xff, valid_stream(i)),
                     TP_E_RESERVED);
}
END_TEST

START_TEST(test_header_fixed_size)
{
    unsigned i = (unsigned)_i;
    uint8_t t = types[i].type;
    uint32_t s = valid_stream(i), size = types[i].size;

    if (!size) {
        ck_assert_int_eq(decode_raw_header(0, t, 0, s), TP_OK);
        ck_assert_int_eq(decode_raw_header(TP_DEFAULT_MAX_FRAME, t, 0, s), TP_OK);
        return;
    }
    ck_assert_int_eq(decode_raw_header(size, t, 0, s), TP_OK);
    ck_assert_int_eq(decode_raw_header(0, t, 0, s), TP_E_TRUNCATED);
    ck_assert_int_eq(decode_raw_header(size - 1, t, 0, s), TP_E_TRUNCATED);
    ck_assert_int_eq(decode_raw_header(size + 1, t, 0, s), TP_E_TRAILING);
    ck_assert_int_eq(decode_raw_header(1000, t, 0, s), TP_E_TRAILING);
}
END_TEST

START_TEST(test_names)
{
    static const int codes[] = {TP_OK, TP_E_AGAIN, TP_E_TOO_BIG, TP_E_TYPE, TP_E_STREAM,
                                TP_E_TRUNCATED, TP_E_TRAILING, TP_E_RESERVED, TP_E_VALUE,
                                TP_E_TOO_MANY, TP_E_NOMEM};
    const char *unknown = tp_strerror(-1000);
    unsigned i, j;

    ck_assert_ptr_nonnull(unknown);
    for (i = 0; i < NELEM(codes); i++) {
        ck_assert_str_ne(tp_strerror(codes[i]), unknown);
        for (j = 0; j < i; j++)
            ck_assert_str_ne(tp_strerror(codes[i]), tp_strerror(codes[j]));
    }
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_HELLO), "HELLO");
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_REQUEST_HEAD), "REQUEST_HEAD");
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_TRAILERS), "TRAILERS");
    ck_assert_str_eq(tp_frame_type_name(TP_FRAME_DRAIN), "DRAIN");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_NO_ERROR), "NO_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_PROTOCOL_ERROR), "PROTOCOL_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_INTERNAL_ERROR), "INTERNAL_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_FLOW_CONTROL_ERROR), "FLOW_CONTROL_ERROR");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_CANCEL), "CANCEL");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_REFUSED_STREAM), "REFUSED_STREAM");
    ck_assert_str_eq(tp_reset_reason_name(TP_RESET_TIMEOUT), "TIMEOUT");
    ck_assert_str_eq(tp_reset_reason_name(0x4), "UNKNOWN");
}
END_TEST

/* ---- tp_buf ---- */

START_TEST(test_buf_growth)
{
    tp_buf b = {0};
    size_t i, last_cap = 0, grows = 0, bad = 0;
    uint8_t c;

    /* plain counters in the loops: a ck_assert per byte costs a pipe write */
    for (i = 0; i < 100000; i++) {
        c = (uint8_t)(i * 7);
        bad += tp_buf_append(&b, &c, 1) != TP_OK || b.cap < b.len;
        if (b.cap != last_cap) {
            grows++;
            last_cap = b.cap;
        }
    }
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(b.len, 100000);
    for (i = 0; i < b.len; i++)
        bad += b.data[i] != (uint8_t)(i * 7);
    ck_assert_uint_eq(bad, 0);
    /* geometric growth: a handful of reallocations, not one per append */
    ck_assert_uint_le(grows, 20);
    tp_buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_buf_reserve)
{
    tp_buf b;
    uint8_t *data;
    size_t cap;

    tp_buf_init(&b);
    ck_assert_int_eq(tp_buf_reserve(&b, 0), TP_OK);
    ck_assert_int_eq(tp_buf_reserve(&b, 1000), TP_OK);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_ge(b.cap, 1000);
    data = b.data;
    cap = b.cap;
    ck_assert_int_eq(tp_buf_append(&b, "abc", 3), TP_OK);
    ck_assert_int_eq(tp_buf_reserve(&b, cap - 3), TP_OK);
    ck_assert_ptr_eq(b.data, data); /* enough room: no reallocation */
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_int_eq(tp_buf_reserve(&b, cap - 2), TP_OK);
    ck_assert_uint_gt(b.cap, cap);
    ck_assert_mem_eq(b.data, "abc", 3);
    ck_assert_int_eq(tp_buf_append(&b, NULL, 0), TP_OK);
    ck_assert_uint_eq(b.len, 3);
    tp_buf_free(&b);
    tp_buf_free(&b); /* idempotent */
}
END_TEST

START_TEST(test_buf_nomem)
{
    tp_buf b = {0};
    uint8_t *data;
    size_t cap;

    ck_assert_int_eq(tp_buf_append(&b, "hello", 5), TP_OK);
    data = b.data;
    cap = b.cap;
    ck_assert_int_eq(tp_buf_reserve(&b, SIZE_MAX), TP_E_NOMEM);
    ck_assert_int_eq(tp_buf_reserve(&b, SIZE_MAX - 4), TP_E_NOMEM);
    ck_assert_int_eq(tp_buf_reserve(&b, (size_t)PTRDIFF_MAX), TP_E_NOMEM);
    ck_assert_int_eq(tp_buf_append(&b, "x", SIZE_MAX), TP_E_NOMEM);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_mem_eq(b.data, "hello", 5);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_buf_consume)
{
    tp_buf b = {0};

    ck_assert_int_eq(tp_buf_append(&b, "0123456789", 10), TP_OK);
    tp_buf_consume(&b, 0);
    ck_assert_uint_eq(b.len, 10);
    tp_buf_consume(&b, 3);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_mem_eq(b.data, "3456789", 7);
    tp_buf_consume(&b, 6);
    ck_assert_uint_eq(b.len, 1);
    ck_assert_uint_eq(b.data[0], '9');
    ck_assert_int_eq(tp_buf_append(&b, "ab", 2), TP_OK);
    ck_assert_mem_eq(b.data, "9ab", 3);
    tp_buf_consume(&b, 3);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(tp_buf_append(&b, "xy", 2), TP_OK);
    tp_buf_consume(&b, SIZE_MAX);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_gt(b.cap, 0); /* memory kept for the next batch */
    tp_buf_free(&b);
}
END_TEST

/* ---- HELLO ---- */

static tp_hello worker_hello(void)
{
    tp_hello h = {0};

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

static tp_hello proxy_hello(void)
{
    tp_hello h = {0};

    h.version = TP_VERSION;
    h.role = TP_ROLE_PROXY;
    h.pid = 4242;
    h.initial_window = TP_MAX_WINDOW;
    h.max_frame = TP_MAX_PAYLOAD;
    return h;
}

static void assert_hello_eq(const tp_hello *a, const tp_hello *b)
{
    ck_assert_uint_eq(a->version, b->version);
    ck_assert_uint_eq(a->role, b->role);
    ck_assert_uint_eq(a->worker_class, b->worker_class);
    ck_assert_uint_eq(a->pid, b->pid);
    ck_assert_uint_eq(a->capacity, b->capacity);
    ck_assert_uint_eq(a->worker_index, b->worker_index);
    ck_assert_uint_eq(a->worker_count, b->worker_count);
    ck_assert_uint_eq(a->initial_window, b->initial_window);
    ck_assert_uint_eq(a->max_frame, b->max_frame);
    ck_assert_uint_eq(a->generation, b->generation);
    ck_assert_uint_eq(a->reserved, b->reserved);
}

/* Encodes h by hand (the documented layout), bypassing the encoder's checks. */
static void raw_hello(uint8_t out[TP_HELLO_SIZE], const tp_hello *h)
{
    tp_buf b = {0};

    raw16(&b, h->version);
    raw8(&b, h->role);
    raw8(&b, h->worker_class);
    raw32(&b, h->pid);
    raw32(&b, h->capacity);
    raw32(&b, h->worker_index);
    raw32(&b, h->worker_count);
    raw32(&b, h->initial_window);
    raw32(&b, h->max_frame);
    raw32(&b, h->generation);
    raw32(&b, h->reserved);
    ck_assert_uint_eq(b.len, TP_HELLO_SIZE);
    memcpy(out, b.data, TP_HELLO_SIZE);
    tp_buf_free(&b);
}

static void hello_roundtrip(const tp_hello *in)
{
    tp_buf b = {0};
    tp_frame_header fh;
    tp_hello out;
    uint8_t raw[TP_HELLO_SIZE];

    ck_assert_int_eq(tp_encode_hello(&b, in), TP_OK);
    ck_assert_uint_eq(b.len, TP_HEADER_SIZE + TP_HELLO_SIZE);
    ck_assert_int_eq(tp_frame_header_decode(b.data, b.len, TP_MIN_MAX_FRAME, &fh), TP_OK);
    ck_assert_uint_eq(fh.type, TP_FRAME_HELLO);
    ck_assert_uint_eq(fh.stream, 0);
    ck_assert_uint_eq(fh.length, TP_HELLO_SIZE);
    raw_hello(raw, in);
    ck_assert_mem_eq(b.data + TP_HEADER_SIZE, raw, TP_HELLO_SIZE);
    ck_assert_int_eq(tp_decode_hello(b.data + TP_HEADER_SIZE, TP_HELLO_SIZE, &out), TP_OK);
    assert_hello_eq(in, &out);
    tp_buf_free(&b);
}

START_TEST(test_hello_roundtrip)
{
    tp_hello w = worker_hello(), p = proxy_hello();

    hello_roundtrip(&w);
    hello_roundtrip(&p);
    w.worker_class = TP_CLASS_SYNC;
    w.worker_index = w.worker_count = 1;
    w.capacity = 1;
    w.initial_window = 0;
    w.max_frame = TP_MIN_MAX_FRAME;
    hello_roundtrip(&w);
    w.worker_class = TP_CLASS_EVENTLET;
    w.worker_index = w.worker_count = UINT32_MAX;
    w.pid = UINT32_MAX;
    hello_roundtrip(&w);
}
END_TEST

/* The hello is refused by the encoder (buffer untouched) and, written by
 * hand, by the decoder; the decoder still fills out for the log line. */
static void hello_refused(const tp_hello *h, int want)
{
    tp_buf b = {0};
    uint8_t raw[TP_HELLO_SIZE];
    tp_hello out;

    ck_assert_int_eq(tp_encode_hello(&b, h), want);
    ck_assert_uint_eq(b.len, 0);
    raw_hello(raw, h);
    memset(&out, 0, sizeof out);
    ck_assert_int_eq(tp_decode_hello(raw, sizeof raw, &out), want);
    assert_hello_eq(h, &out);
    tp_buf_free(&b);
}

START_TEST(test_hello_bad_version)
{
    static const uint16_t bad[] = {0, TP_VERSION + 1, 0x0100, 0xffff};
    tp_hello h = worker_hello();
    unsigned i;

    for (i = 0; i < NELEM(bad); i++) {
        h.version = bad[i];
        hello_refused(&h, TP_E_VALUE);
    }
    /* version wins over other faults so mismatches are always reported as such */
    h.reserved = 1;
    h.role = 9;
    hello_refused(&h, TP_E_VALUE);
}
END_TEST

START_TEST(test_hello_bad_role)
{
    static const uint8_t bad[] = {0, 3, 0x81, 0xff};
    tp_hello h = worker_hello();
    unsigned i;

    for (i = 0; i < NELEM(bad); i++) {
        h.role = bad[i];
        hello_refused(&h, TP_E_VALUE);
    }
}
END_TEST

START_TEST(test_hello_worker_fields)
{
    tp_hello h;

    h = worker_hello(); h.worker_class = TP_CLASS_NONE; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.worker_class = TP_CLASS_EVENTLET + 1; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.pid = 0; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.capacity = 0; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.worker_index = 0; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.worker_index = 5; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.worker_count = 0; h.worker_index = 0; hello_refused(&h, TP_E_VALUE);
}
END_TEST

START_TEST(test_hello_proxy_fields)
{
    tp_hello h;

    h = proxy_hello(); h.worker_class = TP_CLASS_SYNC; hello_refused(&h, TP_E_VALUE);
    h = proxy_hello(); h.capacity = 1; hello_refused(&h, TP_E_VALUE);
    h = proxy_hello(); h.worker_index = 1; hello_refused(&h, TP_E_VALUE);
    h = proxy_hello(); h.worker_count = 1; hello_refused(&h, TP_E_VALUE);
    h = proxy_hello(); h.generation = 1; hello_refused(&h, TP_E_VALUE);
    h = proxy_hello(); h.pid = 0; hello_roundtrip(&h); /* pid is informational from a proxy */
}
END_TEST

START_TEST(test_hello_limits)
{
    tp_hello h;

    h = worker_hello(); h.reserved = 1; hello_refused(&h, TP_E_RESERVED);
    h = worker_hello(); h.reserved = 0x80000000u; hello_refused(&h, TP_E_RESERVED);
    h = worker_hello(); h.initial_window = TP_MAX_WINDOW + 1; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.initial_window = UINT32_MAX; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.max_frame = TP_MIN_MAX_FRAME - 1; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.max_frame = 0; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.max_frame = TP_MAX_PAYLOAD + 1; hello_refused(&h, TP_E_VALUE);
    h = worker_hello(); h.max_frame = TP_MAX_PAYLOAD; hello_roundtrip(&h);
}
END_TEST

START_TEST(test_hello_size)
{
    tp_hello h = worker_hello(), out;
    uint8_t raw[TP_HELLO_SIZE + 1] = {0};
    size_t n;

    raw_hello(raw, &h);
    for (n = 0; n < TP_HELLO_SIZE; n++)
        ck_assert_int_eq(tp_decode_hello(raw, n, &out), TP_E_TRUNCATED);
    ck_assert_int_eq(tp_decode_hello(raw, TP_HELLO_SIZE + 1, &out), TP_E_TRAILING);
    ck_assert_int_eq(tp_decode_hello(raw, TP_HELLO_SIZE, &out), TP_OK);
}
END_TEST

/* ---- REQUEST_HEAD ---- */

static void request_roundtrip(const tp_request_head *in, uint32_t stream, uint8_t flags)
{
    tp_buf b = {0}, raw = {0};
    tp_frame_header fh;
    tp_request_head out;
    tp_header hdrs[8];

    ck_assert_int_eq(tp_encode_request_head(&b, stream, flags, in), TP_OK);
    ck_assert_int_eq(tp_frame_header_decode(b.data, b.len, TP_MAX_PAYLOAD, &fh), TP_OK);
    ck_assert_uint_eq(fh.type, TP_FRAME_REQUEST_HEAD);
    ck_assert_uint_eq(fh.stream, stream);
    ck_assert_uint_eq(fh.flags, flags);
    ck_assert_uint_eq(fh.length, b.len - TP_HEADER_SIZE);
    ck_assert_uint_eq(tp_request_head_size(in), fh.length);
    raw_request(&raw, in); /* the man page's layout, written by hand */
    ck_assert_uint_eq(raw.len, fh.length);
    ck_assert_mem_eq(raw.data, b.data + TP_HEADER_SIZE, raw.len);
    memset(&out, 0x5a, sizeof out);
    ck_assert_int_eq(tp_decode_request_head(b.data + TP_HEADER_SIZE, fh.length, &out, hdrs, 8),
                     TP_OK);
    assert_request_eq(in, &out);
    ck_assert_ptr_eq(out.headers, hdrs);
    /* decoded strings point into the input, not into copies */
    ck_assert_ptr_eq(out.method.ptr, b.data + TP_HEADER_SIZE + 33 + 4);
    tp_buf_free(&b);
    tp_buf_free(&raw);
}

START_TEST(test_request_roundtrip)
{
    tp_request_head h;

    sample_request(&h);
    request_roundtrip(&h, 1, 0);
    request_roundtrip(&h, UINT32_MAX, TP_FLAG_END_STREAM);
    h.content_length = TP_LENGTH_UNKNOWN;
    h.http_major = 1;
    h.http_minor = 1;
    h.flags = TP_REQ_EXPECT_CONTINUE;
    h.prio_weight = 0; /* meaningless without TP_REQ_HAS_PRIORITY */
    h.prio_depends_on = UINT32_MAX;
    request_roundtrip(&h, 3, 0);
    minimal_request(&h);
    request_roundtrip(&h, 5, TP_FLAG_END_STREAM);
}
END_TEST

START_TEST(test_request_layout)
{
    tp_request_head h;
    tp_buf b = {0};
    const uint8_t *p;

    sample_request(&h);
    ck_assert_int_eq(tp_encode_request_head(&b, 9, 0, &h), TP_OK);
    p = b.data + TP_HEADER_SIZE;
    ck_assert_uint_eq(p[0], 2);                       /* http_major */
    ck_assert_uint_eq(p[1], 0);                       /* http_minor */
    ck_assert_uint_eq(p[3], h.flags);                 /* flags, low byte */
    ck_assert_mem_eq(p + 4, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    ck_assert_mem_eq(p + 12, "\x01\x00", 2);          /* weight 256 */
    ck_assert_mem_eq(p + 29, "\x7f\xff\xff\xfd", 4);  /* h2_stream_id */
    ck_assert_mem_eq(p + 33, "\0\0\0\4POST\0\0\0\5https", 17);
    tp_buf_free(&b);
}
END_TEST

/* Encodes the sample request, returns its payload in *b (header dropped). */
static void sample_payload(tp_buf *b)
{
    tp_request_head h;

    sample_request(&h);
    tp_buf_init(b);
    ck_assert_int_eq(tp_encode_request_head(b, 1, 0, &h), TP_OK);
    tp_buf_consume(b, TP_HEADER_SIZE);
}

START_TEST(test_request_every_prefix)
{
    tp_buf b;
    tp_request_head out;
    tp_header hdrs[8];
    uint8_t *copy;
    size_t n;

    sample_payload(&b);
    for (n = 0; n < b.len; n++) {
        /* an exact-size heap copy, so ASan sees any read past the cut */
        copy = malloc(n ? n : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, b.data, n);
        ck_assert_int_eq(tp_decode_request_head(copy, n, &out, hdrs, 8), TP_E_TRUNCATED);
        free(copy);
    }
    ck_assert_int_eq(tp_decode_request_head(b.data, n, &out, hdrs, 8), TP_OK);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_request_trailing)
{
    tp_buf b;
    tp_request_head out;
    tp_header hdrs[8];
    size_t good, extra;

    sample_payload(&b);
    good = b.len;
    for (extra = 1; extra <= 9; extra++) {
        raw8(&b, 0);
        ck_assert_int_eq(tp_decode_request_head(b.data, good + extra, &out, hdrs, 8),
                         TP_E_TRAILING);
    }
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_request_too_many_headers)
{
    tp_buf b;
    tp_request_head out;
    tp_header hdrs[8];

    sample_payload(&b);
    ck_assert_int_eq(tp_decode_request_head(b.data, b.len, &out, hdrs, 3), TP_E_TOO_MANY);
    ck_assert_int_eq(tp_decode_request_head(b.data, b.len, &out, NULL, 0), TP_E_TOO_MANY);
    ck_assert_int_eq(tp_decode_request_head(b.data, b.len, &out, hdrs, 4), TP_OK);
    ck_assert_uint_eq(out.nheaders, 4);
    tp_buf_free(&b);
}
END_TEST

/* Overwrites the u32 at off in the sample payload and decodes it. */
static int request_patched32(size_t off, uint32_t v, uint32_t max_hdrs)
{
    tp_buf b;
    tp_request_head out;
    tp_header hdrs[8];
    int rc;

    sample_payload(&b);
    ck_assert_uint_le(off + 4, b.len);
    b.data[off] = (uint8_t)(v >> 24);
    b.data[off + 1] = (uint8_t)(v >> 16);
    b.data[off + 2] = (uint8_t)(v >> 8);
    b.data[off + 3] = (uint8_t)v;
    rc = tp_decode_request_head(b.data, b.len, &out, hdrs, max_hdrs);
    tp_buf_free(&b);
    return rc;
}

START_TEST(test_request_hostile_lengths)
{
    tp_request_head h;
    size_t size, count_off, i;

    sample_request(&h);
    size = (size_t)tp_request_head_size(&h);
    count_off = size - 4;
    for (i = 0; i < NELEM(sample_hdrs); i++)
        count_off -= 8 + sample_hdrs[i].name.len + sample_hdrs[i].value.len;
    ck_assert_int_eq(request_patched32(count_off, 4, 8), TP_OK); /* found the count */
    /* method length: values that overshoot, including ones that would wrap a
     * pointer addition; a wrong but small one leaves bytes to misparse */
    ck_assert_int_eq(request_patched32(33, 0x7fffffff, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(33, 0xfffffff0, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(33, UINT32_MAX, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(33, (uint32_t)size, 8), TP_E_TRUNCATED);
    ck_assert_int_ne(request_patched32(33, 5, 8), TP_OK);
    ck_assert_int_ne(request_patched32(33, 3, 8), TP_OK);
    /* a header count the payload cannot hold is a framing error, not TOO_MANY */
    ck_assert_int_eq(request_patched32(count_off, 5, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(count_off, UINT32_MAX, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(count_off, UINT32_MAX, UINT32_MAX), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(count_off, 3, 8), TP_E_TRAILING);
    /* the last header's value length (its value is 3 bytes) */
    ck_assert_int_eq(request_patched32(size - 3 - 4, 4, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(size - 3 - 4, UINT32_MAX, 8), TP_E_TRUNCATED);
    ck_assert_int_eq(request_patched32(size - 3 - 4, 2, 8), TP_E_TRAILING);
}
END_TEST

/* Both ends refuse: the encoder with the buffer untouched, the decoder on
 * the same request written by hand. */
static void request_refused(const tp_request_head *h, int want)
{
    tp_buf b = {0}, raw = {0};
    tp_request_head out;
    tp_header hdrs[8];

    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, h), want);
    ck_assert_uint_eq(b.len, 0);
    raw_request(&raw, h);
    ck_assert_int_eq(tp_decode_request_head(raw.data, raw.len, &out, hdrs, 8), want);
    tp_buf_free(&b);
    tp_buf_free(&raw);
}

START_TEST(test_request_values)
{
    static const uint8_t bad_versions[][2] = {{0, 9}, {1, 2}, {1, 9}, {2, 1}, {3, 0}, {0, 0}};
    tp_request_head h;
    unsigned i;

    for (i = 0; i < NELEM(bad_versions); i++) {
        sample_request(&h);
        h.http_major = bad_versions[i][0];
        h.http_minor = bad_versions[i][1];
        request_refused(&h, TP_E_VALUE);
    }
    sample_request(&h); h.flags |= 0x20; request_refused(&h, TP_E_RESERVED);
    sample_request(&h); h.flags |= 0x8000; request_refused(&h, TP_E_RESERVED);
    sample_request(&h); h.method = STR(""); request_refused(&h, TP_E_VALUE);
    sample_request(&h); h.prio_weight = 0; request_refused(&h, TP_E_VALUE);
    sample_request(&h); h.prio_weight = 257; request_refused(&h, TP_E_VALUE);
    sample_request(&h); h.prio_depends_on = 0x80000000u; request_refused(&h, TP_E_VALUE);
    sample_request(&h); h.prio_urgency = 8; request_refused(&h, TP_E_VALUE);
    sample_request(&h); h.prio_incremental = 2; request_refused(&h, TP_E_VALUE);
    sample_request(&h); h.prio_exclusive = 2; request_refused(&h, TP_E_VALUE);
    sample_request(&h); h.prio_weight = 1; request_roundtrip(&h, 1, 0);
}
END_TEST

START_TEST(test_request_encode_errors)
{
    static const uint8_t one;
    tp_request_head h;
    tp_buf b = {0};

    ck_assert_int_eq(tp_buf_append(&b, "keep", 4), TP_OK);
    sample_request(&h);
    ck_assert_int_eq(tp_encode_request_head(&b, 0, 0, &h), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_request_head(&b, 1, TP_FLAG_ACK, &h), TP_E_RESERVED);
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0x80, &h), TP_E_RESERVED);
    h.sni.ptr = NULL;
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &h), TP_E_VALUE);
    sample_request(&h);
    h.headers = NULL;
    ck_assert_uint_gt(tp_request_head_size(&h), TP_MAX_PAYLOAD); /* "cannot be sent" */
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &h), TP_E_VALUE);
    /* never read: the size is refused first (ASan would see a read) */
    sample_request(&h);
    h.path = (tp_str){&one, TP_MAX_PAYLOAD};
    ck_assert_uint_gt(tp_request_head_size(&h), TP_MAX_PAYLOAD);
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &h), TP_E_TOO_BIG);
    h.path = (tp_str){&one, UINT32_MAX};
    h.query = (tp_str){&one, UINT32_MAX};
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &h), TP_E_TOO_BIG);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_mem_eq(b.data, "keep", 4);
    /* a legal encode appends after what was there */
    minimal_request(&h);
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &h), TP_OK);
    ck_assert_mem_eq(b.data, "keep", 4);
    ck_assert_uint_eq(b.len, 4 + TP_HEADER_SIZE + tp_request_head_size(&h));
    tp_buf_free(&b);
}
END_TEST

/* ---- RESPONSE_INFO / RESPONSE_HEAD / TRAILERS ---- */

static const tp_header resp_hdrs[] = {
    {STR("content-type"), STR("text/plain")},
    {STR("link"), STR("</style.css>; rel=preload; as=style")},
    {STR("x-empty"), STR("")},
};

static int encode_resp(tp_buf *b, uint8_t type, uint32_t stream, uint8_t flags,
                       const tp_response_head *h)
{
    switch (type) {
    case TP_FRAME_RESPONSE_INFO: return tp_encode_response_info(b, stream, h);
    case TP_FRAME_RESPONSE_HEAD: return tp_encode_response_head(b, stream, flags, h);
    default: return tp_encode_trailers(b, stream, h->nheaders, h->headers);
    }
}

static void response_roundtrip(uint8_t type, uint16_t status, uint8_t flags, uint32_t n)
{
    tp_response_head in = {status, n, (tp_header *)(uintptr_t)resp_hdrs}, out;
    tp_buf b = {0}, raw = {0};
    tp_frame_header fh;
    tp_header hdrs[4];

    ck_assert_int_eq(encode_resp(&b, type, 11, flags, &in), TP_OK);
    ck_assert_int_eq(tp_frame_header_decode(b.data, b.len, TP_MAX_PAYLOAD, &fh), TP_OK);
    ck_assert_uint_eq(fh.type, type);
    ck_assert_uint_eq(fh.flags, flags);
    ck_assert_uint_eq(fh.stream, 11);
    ck_assert_uint_eq(fh.length, tp_response_head_size(type, &in));
    if (type != TP_FRAME_TRAILERS)
        raw16(&raw, status);
    raw_headers(&raw, n, resp_hdrs);
    ck_assert_uint_eq(raw.len, fh.length);
    ck_assert_mem_eq(raw.data, b.data + TP_HEADER_SIZE, raw.len);
    memset(&out, 0x5a, sizeof out);
    ck_assert_int_eq(tp_decode_response_head(type, b.data + TP_HEADER_SIZE, fh.length, &out,
                                             hdrs, 4), TP_OK);
    ck_assert_uint_eq(out.status, type == TP_FRAME_TRAILERS ? 0 : status);
    ck_assert_uint_eq(out.nheaders, n);
    ck_assert_ptr_eq(out.headers, hdrs);
    assert_headers_eq(n, resp_hdrs, hdrs);
    tp_buf_free(&b);
    tp_buf_free(&raw);
}

START_TEST(test_response_roundtrip)
{
    response_roundtrip(TP_FRAME_RESPONSE_INFO, 103, 0, 2);
    response_roundtrip(TP_FRAME_RESPONSE_INFO, 100, 0, 0);
    response_roundtrip(TP_FRAME_RESPONSE_INFO, 199, 0, 3);
    response_roundtrip(TP_FRAME_RESPONSE_HEAD, 200, 0, 3);
    response_roundtrip(TP_FRAME_RESPONSE_HEAD, 204, TP_FLAG_END_STREAM, 0);
    response_roundtrip(TP_FRAME_RESPONSE_HEAD, 999, TP_FLAG_END_STREAM, 1);
    response_roundtrip(TP_FRAME_TRAILERS, 0, 0, 3);
    response_roundtrip(TP_FRAME_TRAILERS, 0, 0, 0);
}
END_TEST

static void response_status_refused(uint8_t type, uint16_t status)
{
    tp_response_head in = {status, 1, (tp_header *)(uintptr_t)resp_hdrs}, out;
    tp_buf b = {0}, raw = {0};
    tp_header hdrs[4];

    ck_assert_int_eq(encode_resp(&b, type, 1, 0, &in), TP_E_VALUE);
    ck_assert_uint_eq(b.len, 0);
    raw16(&raw, status);
    raw_headers(&raw, 1, resp_hdrs);
    ck_assert_int_eq(tp_decode_response_head(type, raw.data, raw.len, &out, hdrs, 4), TP_E_VALUE);
    ck_assert_uint_eq(out.status, status); /* kept for the log line */
    tp_buf_free(&b);
    tp_buf_free(&raw);
}

START_TEST(test_response_status_ranges)
{
    response_status_refused(TP_FRAME_RESPONSE_INFO, 0);
    response_status_refused(TP_FRAME_RESPONSE_INFO, 99);
    response_status_refused(TP_FRAME_RESPONSE_INFO, 200);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 0);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 103);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 199);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 1000);
    response_status_refused(TP_FRAME_RESPONSE_HEAD, 0xffff);
}
END_TEST

START_TEST(test_response_wrong_type)
{
    static const uint8_t bad[] = {0, TP_FRAME_HELLO, TP_FRAME_REQUEST_HEAD,
                                  TP_FRAME_RESPONSE_DATA, TP_FRAME_RESET, 0xff};
    tp_response_head out;
    tp_header hdrs[4];
    tp_buf raw = {0};
    unsigned i;

    raw16(&raw, 200);
    raw_headers(&raw, 0, NULL);
    for (i = 0; i < NELEM(bad); i++)
        ck_assert_int_eq(tp_decode_response_head(bad[i], raw.data, raw.len, &out, hdrs, 4),
                         TP_E_TYPE);
    tp_buf_free(&raw);
}
END_TEST

START_TEST(test_response_malformed)
{
    tp_response_head in = {200, 3, (tp_header *)(uintptr_t)resp_hdrs}, out;
    tp_buf b = {0};
    tp_header hdrs[4];
    const uint8_t *p;
    uint8_t *copy;
    size_t n, len;

    ck_assert_int_eq(tp_encode_response_head(&b, 1, 0, &in), TP_OK);
    p = b.data + TP_HEADER_SIZE;
    len = b.len - TP_HEADER_SIZE;
    for (n = 0; n < len; n++) {
        copy = malloc(n ? n : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, p, n);
        ck_assert_int_eq(tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, copy, n, &out, hdrs, 4),
                         TP_E_TRUNCATED);
        free(copy);
    }
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, p, len, &out, hdrs, 2),
                     TP_E_TOO_MANY);
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, p, len, &out, hdrs, 3),
                     TP_OK);
    raw8(&b, 0);
    p = b.data + TP_HEADER_SIZE; /* the append may have moved the buffer */
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_RESPONSE_HEAD, p, len + 1, &out, hdrs, 4),
                     TP_E_TRAILING);
    /* the same bytes read as TRAILERS: 0x00c8 is no count, the status is
     * taken for half a count */
    ck_assert_int_ne(tp_decode_response_head(TP_FRAME_TRAILERS, p, len, &out, hdrs, 4), TP_OK);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_response_hostile_count)
{
    tp_response_head out;
    tp_header hdrs[4];
    tp_buf raw = {0};

    raw32(&raw, UINT32_MAX); /* trailers: count first */
    raw32(&raw, 0);
    raw32(&raw, 0);
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_TRAILERS, raw.data, raw.len, &out, hdrs,
                                             UINT32_MAX), TP_E_TRUNCATED);
    raw.data[3] = 1; /* count 0xffffff01 */
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_TRAILERS, raw.data, raw.len, &out, hdrs, 4),
                     TP_E_TRUNCATED);
    memset(raw.data, 0, 3);
    ck_assert_int_eq(tp_decode_response_head(TP_FRAME_TRAILERS, raw.data, raw.len, &out, hdrs, 4),
                     TP_OK);
    ck_assert_uint_eq(out.nheaders, 1);
    ck_assert_uint_eq(hdrs[0].name.len, 0);
    tp_buf_free(&raw);
}
END_TEST

START_TEST(test_response_encode_errors)
{
    static const uint8_t one;
    tp_response_head h = {200, 3, (tp_header *)(uintptr_t)resp_hdrs};
    tp_header big[1] = {{{&one, TP_MAX_PAYLOAD}, STR("")}};
    tp_buf b = {0};

    ck_assert_int_eq(tp_encode_response_head(&b, 0, 0, &h), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_response_head(&b, 1, TP_FLAG_ACK, &h), TP_E_RESERVED);
    h.status = 103;
    ck_assert_int_eq(tp_encode_response_info(&b, 0, &h), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_trailers(&b, 0, 3, resp_hdrs), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 3, NULL), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 1, big), TP_E_TOO_BIG);
    big[0].name.ptr = NULL;
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 1, big), TP_E_VALUE);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 0, NULL), TP_OK);
    ck_assert_uint_eq(b.len, TP_HEADER_SIZE + 4);
    tp_buf_free(&b);
}
END_TEST

/* ---- RESET, CREDIT, PING, DRAIN, DATA ---- */

/* Decodes the single frame in b and checks its header. */
static const uint8_t *one_frame(const tp_buf *b, uint8_t type, uint8_t flags, uint32_t stream,
                                uint32_t length)
{
    tp_frame_header fh;

    ck_assert_uint_eq(b->len, TP_HEADER_SIZE + length);
    ck_assert_int_eq(tp_frame_header_decode(b->data, b->len, TP_MIN_MAX_FRAME, &fh), TP_OK);
    ck_assert_uint_eq(fh.type, type);
    ck_assert_uint_eq(fh.flags, flags);
    ck_assert_uint_eq(fh.stream, stream);
    ck_assert_uint_eq(fh.length, length);
    return b->data + TP_HEADER_SIZE;
}

START_TEST(test_reset)
{
    static const uint32_t reasons[] = {TP_RESET_NO_ERROR, TP_RESET_CANCEL, TP_RESET_TIMEOUT,
                                       0xdeadbeef};
    tp_buf b = {0};
    uint32_t v;
    unsigned i;

    for (i = 0; i < NELEM(reasons); i++) {
        b.len = 0;
        ck_assert_int_eq(tp_encode_reset(&b, 77, reasons[i]), TP_OK);
        ck_assert_int_eq(tp_decode_u32(one_frame(&b, TP_FRAME_RESET, 0, 77, 4), 4, &v), TP_OK);
        ck_assert_uint_eq(v, reasons[i]);
    }
    ck_assert_mem_eq(b.data + TP_HEADER_SIZE, "\xde\xad\xbe\xef", 4);
    b.len = 0;
    ck_assert_int_eq(tp_encode_reset(&b, 0, TP_RESET_CANCEL), TP_E_STREAM);
    ck_assert_uint_eq(b.len, 0);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_credit)
{
    tp_buf b = {0};
    uint32_t v;

    ck_assert_int_eq(tp_encode_credit(&b, 5, 65536), TP_OK);
    ck_assert_int_eq(tp_decode_credit(one_frame(&b, TP_FRAME_CREDIT, 0, 5, 4), 4, &v), TP_OK);
    ck_assert_uint_eq(v, 65536);
    b.len = 0;
    ck_assert_int_eq(tp_encode_credit(&b, 5, TP_MAX_WINDOW), TP_OK);
    ck_assert_int_eq(tp_decode_credit(b.data + TP_HEADER_SIZE, 4, &v), TP_OK);
    ck_assert_uint_eq(v, TP_MAX_WINDOW);
    b.len = 0;
    ck_assert_int_eq(tp_encode_credit(&b, 5, 0), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_credit(&b, 5, TP_MAX_WINDOW + 1), TP_E_VALUE);
    ck_assert_int_eq(tp_encode_credit(&b, 0, 1), TP_E_STREAM);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\0\0\0\0", 4, &v), TP_E_VALUE);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\x80\0\0\0", 4, &v), TP_E_VALUE);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\xff\xff\xff\xff", 4, &v), TP_E_VALUE);
    ck_assert_int_eq(tp_decode_credit((const uint8_t *)"\0\0\1", 3, &v), TP_E_TRUNCATED);
    /* the generic decoder takes any u32 (RESET, DRAIN use it) */
    ck_assert_int_eq(tp_decode_u32((const uint8_t *)"\0\0\0\0", 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_u32_sizes)
{
    static const uint8_t p[5] = {1, 2, 3, 4, 5};
    uint32_t v = 0;
    size_t n;

    for (n = 0; n < 4; n++) {
        ck_assert_int_eq(tp_decode_u32(p, n, &v), TP_E_TRUNCATED);
        ck_assert_int_eq(tp_decode_credit(p, n, &v), TP_E_TRUNCATED);
    }
    ck_assert_int_eq(tp_decode_u32(p, 5, &v), TP_E_TRAILING);
    ck_assert_int_eq(tp_decode_credit(p, 5, &v), TP_E_TRAILING);
    ck_assert_int_eq(tp_decode_u32(p, 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0x01020304);
}
END_TEST

START_TEST(test_ping)
{
    static const uint8_t opaque[8] = {1, 2, 3, 4, 5, 6, 7, 0xff};
    static const uint8_t zero[8];
    tp_buf b = {0};

    ck_assert_int_eq(tp_encode_ping(&b, 0, opaque), TP_OK);
    ck_assert_mem_eq(one_frame(&b, TP_FRAME_PING, 0, 0, 8), opaque, 8);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ping(&b, TP_FLAG_ACK, opaque), TP_OK);
    ck_assert_mem_eq(one_frame(&b, TP_FRAME_PING, TP_FLAG_ACK, 0, 8), opaque, 8);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ping(&b, 0, NULL), TP_OK);
    ck_assert_mem_eq(one_frame(&b, TP_FRAME_PING, 0, 0, 8), zero, 8);
    b.len = 0;
    ck_assert_int_eq(tp_encode_ping(&b, TP_FLAG_END_STREAM, opaque), TP_E_RESERVED);
    ck_assert_int_eq(tp_encode_ping(&b, 0x80, opaque), TP_E_RESERVED);
    ck_assert_uint_eq(b.len, 0);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_drain)
{
    tp_buf b = {0};
    uint32_t v = 1;

    ck_assert_int_eq(tp_encode_drain(&b, 0), TP_OK);
    ck_assert_int_eq(tp_decode_u32(one_frame(&b, TP_FRAME_DRAIN, 0, 0, 4), 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0);
    b.len = 0;
    ck_assert_int_eq(tp_encode_drain(&b, 0xfffffffe), TP_OK);
    ck_assert_int_eq(tp_decode_u32(one_frame(&b, TP_FRAME_DRAIN, 0, 0, 4), 4, &v), TP_OK);
    ck_assert_uint_eq(v, 0xfffffffe);
    tp_buf_free(&b);
}
END_TEST

START_TEST(test_data_header)
{
    tp_buf b = {0};
    uint8_t raw[TP_HEADER_SIZE];

    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_RESPONSE_DATA, 3, TP_FLAG_END_STREAM,
                                           1000), TP_OK);
    ck_assert_uint_eq(b.len, TP_HEADER_SIZE); /* the body is the caller's */
    tp_data_header(raw, TP_FRAME_RESPONSE_DATA, 3, TP_FLAG_END_STREAM, 1000);
    ck_assert_mem_eq(raw, b.data, TP_HEADER_SIZE);
    ck_assert_mem_eq(raw, "\0\0\x03\xe8\x06\x01\0\0\0\0\0\x03", TP_HEADER_SIZE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, 0, 0), TP_OK);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, 0, TP_MAX_PAYLOAD),
                     TP_OK);
    ck_assert_uint_eq(b.len, 3 * TP_HEADER_SIZE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_HELLO, 1, 0, 1), TP_E_TYPE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_HEAD, 1, 0, 1), TP_E_TYPE);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 0, 0, 1), TP_E_STREAM);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, TP_FLAG_ACK, 1),
                     TP_E_RESERVED);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_RESPONSE_DATA, 1, 0,
                                           TP_MAX_PAYLOAD + 1), TP_E_TOO_BIG);
    ck_assert_uint_eq(b.len, 3 * TP_HEADER_SIZE);
    tp_buf_free(&b);
}
END_TEST

/* A whole exchange in one buffer, read back the way a daemon's read loop
 * does: header, payload, consume. */
START_TEST(test_conversation)
{
    static const uint8_t types_seen[] = {TP_FRAME_HELLO, TP_FRAME_REQUEST_HEAD,
                                         TP_FRAME_REQUEST_DATA, TP_FRAME_CREDIT,
                                         TP_FRAME_RESPONSE_INFO, TP_FRAME_RESPONSE_HEAD,
                                         TP_FRAME_RESPONSE_DATA, TP_FRAME_TRAILERS,
                                         TP_FRAME_PING, TP_FRAME_RESET, TP_FRAME_DRAIN};
    tp_hello hello = worker_hello(), hello_out;
    tp_request_head req, req_out;
    tp_response_head info = {103, 1, (tp_header *)(uintptr_t)&resp_hdrs[1]}, head = {200, 1,
        (tp_header *)(uintptr_t)resp_hdrs}, resp_out;
    tp_header hdrs[8];
    tp_frame_header fh;
    tp_buf b = {0};
    unsigned n = 0;
    uint32_t v;

    sample_request(&req);
    ck_assert_int_eq(tp_encode_hello(&b, &hello), TP_OK);
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &req), TP_OK);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_REQUEST_DATA, 1, TP_FLAG_END_STREAM, 5),
                     TP_OK);
    ck_assert_int_eq(tp_buf_append(&b, "hello", 5), TP_OK);
    ck_assert_int_eq(tp_encode_credit(&b, 1, 5), TP_OK);
    ck_assert_int_eq(tp_encode_response_info(&b, 1, &info), TP_OK);
    ck_assert_int_eq(tp_encode_response_head(&b, 1, 0, &head), TP_OK);
    ck_assert_int_eq(tp_encode_data_header(&b, TP_FRAME_RESPONSE_DATA, 1, 0, 2), TP_OK);
    ck_assert_int_eq(tp_buf_append(&b, "ok", 2), TP_OK);
    ck_assert_int_eq(tp_encode_trailers(&b, 1, 1, resp_hdrs), TP_OK);
    ck_assert_int_eq(tp_encode_ping(&b, TP_FLAG_ACK, NULL), TP_OK);
    ck_assert_int_eq(tp_encode_reset(&b, 3, TP_RESET_REFUSED_STREAM), TP_OK);
    ck_assert_int_eq(tp_encode_drain(&b, 1), TP_OK);

    while (b.len) {
        const uint8_t *p = b.data + TP_HEADER_SIZE;

        ck_assert_int_eq(tp_frame_header_decode(b.data, b.len, TP_DEFAULT_MAX_FRAME, &fh), TP_OK);
        ck_assert_uint_ge(b.len, TP_HEADER_SIZE + fh.length);
        ck_assert_uint_lt(n, NELEM(types_seen));
        ck_assert_uint_eq(fh.type, types_seen[n]);
        switch (fh.type) {
        case TP_FRAME_HELLO:
            ck_assert_int_eq(tp_decode_hello(p, fh.length, &hello_out), TP_OK);
            ck_assert_uint_eq(hello_out.pid, hello.pid);
            break;
        case TP_FRAME_REQUEST_HEAD:
            ck_assert_int_eq(tp_decode_request_head(p, fh.length, &req_out, hdrs, 8), TP_OK);
            assert_request_eq(&req, &req_out);
            break;
        case TP_FRAME_REQUEST_DATA:
            ck_assert_uint_eq(fh.flags, TP_FLAG_END_STREAM);
            ck_assert_mem_eq(p, "hello", 5);
            break;
        case TP_FRAME_RESPONSE_DATA:
            ck_assert_mem_eq(p, "ok", 2);
            break;
        case TP_FRAME_RESPONSE_INFO:
        case TP_FRAME_RESPONSE_HEAD:
        case TP_FRAME_TRAILERS:
            ck_assert_int_eq(tp_decode_response_head(fh.type, p, fh.length, &resp_out, hdrs, 8),
                             TP_OK);
            ck_assert_uint_eq(resp_out.nheaders, 1);
            break;
        case TP_FRAME_RESET:
        case TP_FRAME_DRAIN:
            ck_assert_int_eq(tp_decode_u32(p, fh.length, &v), TP_OK);
            break;
        case TP_FRAME_CREDIT:
            ck_assert_int_eq(tp_decode_credit(p, fh.length, &v), TP_OK);
            ck_assert_uint_eq(v, 5);
            break;
        default:
            break;
        }
        tp_buf_consume(&b, TP_HEADER_SIZE + fh.length);
        n++;
    }
    ck_assert_uint_eq(n, NELEM(types_seen));
    ck_assert_uint_eq(v, 1);
    tp_buf_free(&b);
}
END_TEST

static Suite *protocol_suite(void)
{
    Suite *s = suite_create("protocol");
    TCase *tc;
    int ntypes = (int)NELEM(types);

    tc = tcase_create("header");
    tcase_add_test(tc, test_header_layout);
    tcase_add_loop_test(tc, test_header_roundtrip, 0, ntypes);
    tcase_add_test(tc, test_header_again);
    tcase_add_test(tc, test_header_reserved_bits);
    tcase_add_test(tc, test_header_unknown_type);
    tcase_add_test(tc, test_header_too_big);
    tcase_add_loop_test(tc, test_header_stream, 0, ntypes);
    tcase_add_loop_test(tc, test_header_flags, 0, ntypes);
    tcase_add_loop_test(tc, test_header_fixed_size, 0, ntypes);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("buf");
    tcase_add_test(tc, test_buf_growth);
    tcase_add_test(tc, test_buf_reserve);
    tcase_add_test(tc, test_buf_nomem);
    tcase_add_test(tc, test_buf_consume);
    suite_add_tcase(s, tc);

    tc = tcase_create("hello");
    tcase_add_test(tc, test_hello_roundtrip);
    tcase_add_test(tc, test_hello_bad_version);
    tcase_add_test(tc, test_hello_bad_role);
    tcase_add_test(tc, test_hello_worker_fields);
    tcase_add_test(tc, test_hello_proxy_fields);
    tcase_add_test(tc, test_hello_limits);
    tcase_add_test(tc, test_hello_size);
    suite_add_tcase(s, tc);

    tc = tcase_create("request");
    tcase_add_test(tc, test_request_roundtrip);
    tcase_add_test(tc, test_request_layout);
    tcase_add_test(tc, test_request_every_prefix);
    tcase_add_test(tc, test_request_trailing);
    tcase_add_test(tc, test_request_too_many_headers);
    tcase_add_test(tc, test_request_hostile_lengths);
    tcase_add_test(tc, test_request_values);
    tcase_add_test(tc, test_request_encode_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("response");
    tcase_add_test(tc, test_response_roundtrip);
    tcase_add_test(tc, test_response_status_ranges);
    tcase_add_test(tc, test_response_wrong_type);
    tcase_add_test(tc, test_response_malformed);
    tcase_add_test(tc, test_response_hostile_count);
    tcase_add_test(tc, test_response_encode_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("control");
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_credit);
    tcase_add_test(tc, test_u32_sizes);
    tcase_add_test(tc, test_ping);
    tcase_add_test(tc, test_drain);
    tcase_add_test(tc, test_data_header);
    tcase_add_test(tc, test_conversation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(protocol_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

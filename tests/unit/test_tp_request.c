/* test_tp_request.c: Check tests for REQUEST_HEAD (protocol/tp_request.c):
 * round trips against the layout written by hand, truncation and trailing
 * bytes, the value rules (version, priority, method) checked by encoder and
 * decoder alike, and encoder refusals that leave the buffer untouched. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tp_check.h"

static void minimal_request(tp_request_head *h)
{
    memset(h, 0, sizeof *h);
    h->http_major = 1;
    h->http_minor = 0;
    h->method = STR("GET");
}

/* REQUEST_HEAD as tandem-protocol(7) lays it out, written by hand. */
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
    raw16(b, h->proxy_port);
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
    rawstr(b, h->proxy_protocol);
    rawstr(b, h->proxy_addr);
    rawstr(b, h->client_verify);
    rawstr(b, h->client_cert);
    rawstr(b, h->client_s_dn);
    rawstr(b, h->client_i_dn);
    rawstr(b, h->client_serial);
    rawstr(b, h->client_v_start);
    rawstr(b, h->client_v_end);
    raw_headers(b, h->nheaders, h->headers);
}

static void request_roundtrip(const tp_request_head *in, uint32_t stream, uint8_t flags)
{
    tp_buf b = { 0 }, raw = { 0 };
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
    ck_assert_ptr_eq(out.method.ptr, b.data + TP_HEADER_SIZE + 35 + 4);
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
    h.flags = TP_REQ_WEBSOCKET | TP_REQ_TLS; /* version 2: a WebSocket request */
    request_roundtrip(&h, 4, 0);
    minimal_request(&h);
    request_roundtrip(&h, 5, TP_FLAG_END_STREAM);
}
END_TEST

START_TEST(test_request_layout)
{
    tp_request_head h;
    tp_buf b = { 0 };
    const uint8_t *p;

    sample_request(&h);
    ck_assert_int_eq(tp_encode_request_head(&b, 9, 0, &h), TP_OK);
    p = b.data + TP_HEADER_SIZE;
    ck_assert_uint_eq(p[0], 2);       /* http_major */
    ck_assert_uint_eq(p[1], 0);       /* http_minor */
    ck_assert_uint_eq(p[3], h.flags); /* flags, low byte */
    ck_assert_mem_eq(p + 4, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    ck_assert_mem_eq(p + 12, "\x01\x00", 2);         /* weight 256 */
    ck_assert_mem_eq(p + 29, "\x7f\xff\xff\xfd", 4); /* h2_stream_id */
    ck_assert_mem_eq(p + 33, "\x20\xfb", 2);         /* proxy_port 8443 (version 3) */
    ck_assert_mem_eq(p + 35, "\0\0\0\4POST\0\0\0\5https", 17);
    tp_buf_free(&b);
}
END_TEST

static int decode_request(const uint8_t *p, size_t len, void *ctx)
{
    tp_request_head out;
    tp_header hdrs[8];

    (void)ctx;
    return tp_decode_request_head(p, len, &out, hdrs, 8);
}

START_TEST(test_request_every_prefix)
{
    tp_buf b;
    tp_request_head out;
    tp_header hdrs[8];

    sample_payload(&b);
    assert_every_prefix(b.data, b.len, decode_request, NULL, TP_E_TRUNCATED);
    ck_assert_int_eq(tp_decode_request_head(b.data, b.len, &out, hdrs, 8), TP_OK);
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

/* Both ends refuse: the encoder with the buffer untouched, the decoder on
 * the same request written by hand. */
static void request_refused(const tp_request_head *h, int want)
{
    tp_buf b = { 0 }, raw = { 0 };
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
    static const uint8_t bad_versions[][2] = { { 0, 9 }, { 1, 2 }, { 1, 9 },
                                               { 2, 1 }, { 3, 0 }, { 0, 0 } };
    tp_request_head h;
    unsigned i;

    for (i = 0; i < NELEM(bad_versions); i++) {
        sample_request(&h);
        h.http_major = bad_versions[i][0];
        h.http_minor = bad_versions[i][1];
        request_refused(&h, TP_E_VALUE);
    }
    sample_request(&h);
    h.flags |= 0x40; /* 0x20 is WEBSOCKET (version 2) */
    request_refused(&h, TP_E_RESERVED);
    sample_request(&h);
    h.flags |= 0x8000;
    request_refused(&h, TP_E_RESERVED);
    sample_request(&h);
    h.method = STR("");
    request_refused(&h, TP_E_VALUE);
    sample_request(&h);
    h.prio_weight = 0;
    request_refused(&h, TP_E_VALUE);
    sample_request(&h);
    h.prio_weight = 257;
    request_refused(&h, TP_E_VALUE);
    sample_request(&h);
    h.prio_depends_on = 0x80000000u;
    request_refused(&h, TP_E_VALUE);
    sample_request(&h);
    h.prio_urgency = 8;
    request_refused(&h, TP_E_VALUE);
    sample_request(&h);
    h.prio_incremental = 2;
    request_refused(&h, TP_E_VALUE);
    sample_request(&h);
    h.prio_exclusive = 2;
    request_refused(&h, TP_E_VALUE);
    sample_request(&h);
    h.prio_weight = 1;
    request_roundtrip(&h, 1, 0);
}
END_TEST

START_TEST(test_request_encode_errors)
{
    static const uint8_t one;
    tp_request_head h;
    tp_buf b = { 0 };

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
    h.path = (tp_str){ &one, TP_MAX_PAYLOAD };
    ck_assert_uint_gt(tp_request_head_size(&h), TP_MAX_PAYLOAD);
    ck_assert_int_eq(tp_encode_request_head(&b, 1, 0, &h), TP_E_TOO_BIG);
    h.path = (tp_str){ &one, UINT32_MAX };
    h.query = (tp_str){ &one, UINT32_MAX };
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

static Suite *tp_request_suite(void)
{
    Suite *s = suite_create("tp_request");
    TCase *tc;

    tc = tcase_create("request");
    tcase_add_test(tc, test_request_roundtrip);
    tcase_add_test(tc, test_request_layout);
    tcase_add_test(tc, test_request_every_prefix);
    tcase_add_test(tc, test_request_trailing);
    tcase_add_test(tc, test_request_values);
    tcase_add_test(tc, test_request_encode_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(tp_request_suite()); }

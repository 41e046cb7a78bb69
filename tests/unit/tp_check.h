/* tp_check.h: helpers the protocol/ unit tests (test_tp_*.c) share: payloads
 * written by hand from tandem-protocol(7)'s layout, sample frames, field-by-
 * field comparisons and the truncation loop.  Every check is a Check
 * assertion, so these run only inside a test; buffers are the caller's. */
#ifndef TANDEM_TP_CHECK_H
#define TANDEM_TP_CHECK_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "tp.h"

#define STR(s) ((tp_str){ (const uint8_t *)(s), (uint32_t)(sizeof(s) - 1) })
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Raw big-endian writers: the tests build payloads from the man page's
 * layout by hand, independently of the encoders.  Each appends to b. */
void raw8(tp_buf *b, uint8_t v);
void raw16(tp_buf *b, uint16_t v);
void raw32(tp_buf *b, uint32_t v);
void raw64(tp_buf *b, uint64_t v);
void rawstr(tp_buf *b, tp_str s);
void raw_headers(tp_buf *b, uint32_t n, const tp_header *h);

void assert_str_eq(tp_str a, tp_str b);
void assert_headers_eq(uint32_t n, const tp_header *a, const tp_header *b);
void assert_request_eq(const tp_request_head *a, const tp_request_head *b);

/* A request head that sets every field, with these headers (empty and
 * binary values included). */
enum { SAMPLE_NHDRS = 4 };
extern const tp_header sample_hdrs[SAMPLE_NHDRS];
void sample_request(tp_request_head *h);
/* The sample request encoded; its payload in *b (frame header dropped),
 * which the caller frees. */
void sample_payload(tp_buf *b);

/* Response headers for RESPONSE_INFO / RESPONSE_HEAD / TRAILERS. */
enum { RESP_NHDRS = 3 };
extern const tp_header resp_hdrs[RESP_NHDRS];

/* A valid HELLO from a gthread worker (3 of 4, capacity 8). */
tp_hello worker_hello(void);

/* Decodes len bytes at p; ctx is the test's. */
typedef int (*tp_decode_fn)(const uint8_t *p, size_t len, void *ctx);

/* Decodes every proper prefix of p[0..len), each from an exact-size heap
 * copy so that ASan sees any read past the cut; each must return want. */
void assert_every_prefix(const uint8_t *p, size_t len, tp_decode_fn decode, void *ctx, int want);

/* Runs every test of s; the exit status for main(). */
int run_suite(Suite *s);

#endif

/* fuzz_proxyproto.c: libFuzzer target for the PROXY protocol parser
 * (proxy/px_proxyproto.c): each mode over the input and over every prefix
 * the input's first byte picks, aborting when a promise of px_proxyproto.h
 * is broken: a header never longer than its version allows or than the
 * bytes given, addresses that are real ones, answers that do not change
 * as more bytes arrive. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "px_proxyproto.h"

#define CHECK(cond) FUZZ_CHECK("fuzz_proxyproto", cond)

static void check_done(const px_pp_header *h, size_t len)
{
    uint8_t bin[16];
    CHECK(h->len > 0 && h->len <= len);
    CHECK(h->version == 1 || h->version == 2);
    CHECK(h->len <= (h->version == 1 ? (size_t)PX_PP_V1_MAX : (size_t)PX_PP_V2_MAX));
    CHECK(h->proto != NULL);
    if (h->has_addr) {
        int family = strcmp(h->proto, "TCP4") == 0 ? AF_INET : AF_INET6;
        CHECK(strcmp(h->proto, "TCP4") == 0 || strcmp(h->proto, "TCP6") == 0);
        CHECK(inet_pton(family, h->src, bin) == 1);
        CHECK(inet_pton(family, h->dst, bin) == 1);
    }
}

/* One mode: the answer for the whole input, then for a prefix, which may
 * only ask for more where the whole gave an answer (or agree with it). */
static void one_mode(const uint8_t *data, size_t size, int mode, size_t cut)
{
    px_pp_header h, hp;
    const char *why, *whyp;
    int rc = px_pp_parse(data, size, mode, &h, &why);
    CHECK(rc == PX_PP_DONE || rc == PX_PP_AGAIN || rc == PX_PP_NONE || rc == PX_PP_BAD);
    CHECK((rc == PX_PP_BAD) == (why != NULL));
    if (rc == PX_PP_DONE)
        check_done(&h, size);
    if (rc == PX_PP_AGAIN)
        CHECK(h.len == 0 || h.len > size);
    if (mode == PX_PP_OFF)
        CHECK(rc == PX_PP_NONE);
    if (cut > size)
        cut = size;
    int rp = px_pp_parse(data, cut, mode, &hp, &whyp);
    if (rp == PX_PP_AGAIN)
        return;
    CHECK(rp == rc);
    if (rp == PX_PP_DONE)
        CHECK(hp.len == h.len && hp.version == h.version && hp.has_addr == h.has_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > PX_PP_V2_MAX + 64)
        return 0;
    size_t cut = size ? (size_t)data[0] * size / 256 : 0;
    for (int mode = PX_PP_OFF; mode <= PX_PP_AUTO; mode++)
        one_mode(data, size, mode, cut);
    return 0;
}

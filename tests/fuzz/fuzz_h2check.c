/* fuzz_h2check.c: libFuzzer target for the HTTP/2 request-target rules
 * (proxy/h2/h2_check.c).  The input is split at NUL bytes into :method,
 * :scheme, :authority, :path, :protocol and Host values; whatever the
 * check lets through is verified here against the rules restated simply,
 * and the check must be a pure function of its input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "h2_check.h"
#include "px_hdr.h"

#define CHECK(cond) FUZZ_CHECK("fuzz_h2check", cond)

#define FIELDS 8

static int eq(tp_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static int ieq(tp_str s, const char *lit)
{
    if (s.len != strlen(lit))
        return 0;
    for (uint32_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)lit[i])
            return 0;
    }
    return 1;
}

/* An authority that passed names a host: no userinfo, no space or control. */
static void check_authority(tp_str a)
{
    for (uint32_t i = 0; i < a.len; i++)
        CHECK(a.ptr[i] != '@' && a.ptr[i] > 0x20 && a.ptr[i] < 0x7f && a.ptr[i] != '/');
}

static void check_target_bytes(tp_str s)
{
    for (uint32_t i = 0; i < s.len; i++)
        CHECK(s.ptr[i] > 0x20 && s.ptr[i] < 0x7f && s.ptr[i] != '#');
}

static void check_accepted(const px_h2_target *t)
{
    check_authority(t->authority);
    CHECK(t->host_count <= 1);
    check_authority(t->host);
    if (eq(t->method, "CONNECT") && !t->protocol.len) {
        CHECK(t->authority.len && !t->scheme.len && !t->path.len && !t->query.len);
        return;
    }
    CHECK(ieq(t->scheme, "http") || ieq(t->scheme, "https"));
    check_target_bytes(t->path);
    check_target_bytes(t->query);
    CHECK(t->path.len > 0);
    CHECK(t->path.ptr[0] == '/' || (eq(t->path, "*") && eq(t->method, "OPTIONS")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_str f[FIELDS] = { { NULL, 0 } };
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < FIELDS; i++)
        if (i == size || data[i] == 0) {
            f[n++] = (tp_str){ data + start, (uint32_t)(i - start) };
            start = i + 1;
        }
    px_h2_target t = { f[0], f[1], f[2], { NULL, 0 }, { NULL, 0 }, f[4], { NULL, 0 }, 0 };
    size_t pl, ql;
    const uint8_t *q;
    if (f[3].ptr) {
        px_split_path(f[3].ptr, f[3].len, &pl, &q, &ql);
        t.path = (tp_str){ f[3].ptr, (uint32_t)pl };
        t.query = (tp_str){ q, (uint32_t)ql };
    }
    for (size_t i = 5; i < n; i++) {
        t.host = f[i];
        t.host_count++;
    }
    const char *why = NULL, *why2 = NULL;
    int rc = px_h2_check_target(&t, &why);
    CHECK(rc == 0 || rc == 400);
    CHECK((rc != 0) == (why != NULL));
    CHECK(px_h2_check_target(&t, &why2) == rc && why2 == why);
    if (rc == 0)
        check_accepted(&t);
    return 0;
}

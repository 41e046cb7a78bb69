/* h2_check.c: HTTP/2 request pseudo-header fields held to the rules of an
 * HTTP/1 request-target (h2_check.h).  nghttp2 checks only that they are
 * present and made of printable bytes; '@', '#' and non-ASCII pass it. */
#include "config.h"
#include "h2_check.h"
#include "h1_internal.h" /* the HTTP/1 character classes and authority rule */

static int is_method(tp_str m, const char *lit, uint32_t n)
{
    return m.len == n && memcmp(m.ptr, lit, n) == 0;
}

/* Bytes of a request-target: VCHAR except '#' (RFC 3986 via RFC 9112 §3.2). */
static int target_bytes(tp_str s)
{
    for (uint32_t i = 0; i < s.len; i++)
        if (!px_h1_is(s.ptr[i], PX_H1_TARGET))
            return 0;
    return 1;
}

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return 400;
}

static int check_path(const px_h2_target *t, const char **why)
{
    if (!t->path.len && !t->query.len)
        return fail(why, "missing :path");
    if (!target_bytes(t->path) || !target_bytes(t->query))
        return fail(why, "invalid byte in :path (fragment, control, space or non-ASCII)");
    if (t->path.len == 1 && t->path.ptr[0] == '*' && !t->query.len) {
        if (!is_method(t->method, "OPTIONS", 7))
            return fail(why, ":path * is only for OPTIONS");
        return 0;
    }
    if (!t->path.len || t->path.ptr[0] != '/')
        return fail(why, ":path not in origin-form");
    return 0;
}

static int check_scheme(tp_str s, const char **why)
{
    if (PX_H1_IEQ(s.ptr, s.len, "http") || PX_H1_IEQ(s.ptr, s.len, "https"))
        return 0;
    return fail(why, s.len ? ":scheme other than http or https" : "missing :scheme");
}

int px_h2_check_target(const px_h2_target *t, const char **why)
{
    int connect = is_method(t->method, "CONNECT", 7) && !t->protocol.len;
    if (t->authority.len && !px_h1_valid_authority(t->authority.ptr, t->authority.len, connect))
        return fail(why, "invalid :authority (userinfo, or not host[:port])");
    if (t->host_count > 1)
        return fail(why, "more than one Host field");
    if (t->host_count && t->host.len && !px_h1_valid_authority(t->host.ptr, t->host.len, 0))
        return fail(why, "invalid Host field");
    if (connect) {
        if (!t->authority.len)
            return fail(why, "CONNECT without :authority");
        if (t->scheme.len || t->path.len || t->query.len)
            return fail(why, "CONNECT with :scheme or :path");
        return 0;
    }
    int rc = check_scheme(t->scheme, why);
    return rc ? rc : check_path(t, why);
}

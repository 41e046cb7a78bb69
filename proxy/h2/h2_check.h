/* h2_check.h: the HTTP/2 request's pseudo-header fields judged as strictly
 * as HTTP/1's request-target (RFC 9113 §8.3.1, RFC 9112 §3.2): pure, so
 * unit-tested and fuzzed (tests/fuzz/fuzz_h2check.c) without a session. */
#ifndef TANDEM_H2_CHECK_H
#define TANDEM_H2_CHECK_H

#include "tp.h"

/* What a complete HTTP/2 request head said, as received: spans into the
 * caller's memory, a zero length for a field that was absent.  path and
 * query are the :path split at its first '?' (px_split_path). */
typedef struct {
    tp_str method, scheme, authority, path, query, protocol;
    tp_str host;         /* the last Host field, if any */
    uint32_t host_count; /* Host fields seen */
} px_h2_target;

/* 0 when the head may go on; otherwise the status to answer (400) and
 * *why a static reason for the log.  The rules: :scheme http or https;
 * :authority and Host without userinfo, in uri-host [":" port] form, and
 * one Host at most; :path in origin-form (or "*" for OPTIONS), of the
 * bytes HTTP/1 allows in a target (VCHAR but '#': no fragment, no
 * control, space or non-ASCII byte).  A CONNECT without :protocol has
 * neither :scheme nor :path but must name a host and port; whether it is
 * served is not decided here. */
int px_h2_check_target(const px_h2_target *t, const char **why);

#endif

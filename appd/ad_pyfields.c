/* ad_pyfields.c: the response field rules both Python interfaces apply
 * (ad_pyfields.h), over common/tc_http.c's. */
#include "config.h"

#include "ad_pyfields.h"

#include "ad_response.h"
#include "tc_http.h"
#include "tc_log.h"

int ad_pyfields_name(PyObject *name, const uint8_t *np, size_t nl, int trailer)
{
    if (np && trailer) {
        /* Refused, not dropped: a trailer the app counts on (grpc-status,
         * a checksum) must not vanish silently. */
        int v = tc_http_trailer_check(np, nl);
        if (v != TC_HTTP_TRL_OK) {
            PyErr_Format(PyExc_ValueError, "invalid trailer %R: %s", name, tc_http_trailer_why(v));
            return -1;
        }
    }
    if (np == NULL || !tc_http_name_ok(np, nl)) {
        PyErr_Format(PyExc_ValueError, "invalid header name %R (must be an HTTP token)", name);
        return -1;
    }
    return 0;
}

/* PEP 3333 forbids hop-by-hop fields; wsgiref asserts, but real apps set
 * "Connection: close", so they are dropped (the proxy owns the client
 * connection) with one warning per worker. */
static void warn_hop_by_hop(const uint8_t *np, size_t nl)
{
    static int warned;
    if (warned)
        return;
    warned = 1;
    tc_warn("dropping hop-by-hop response header %.*s (the proxy manages "
            "connections; warned once per worker)",
            (int)nl, (const char *)np);
}

int ad_pyfields_value(PyObject *name, PyObject *value, const uint8_t *np, size_t nl,
                      const uint8_t *vp, size_t vl, int hints, const uint8_t **tp, size_t *tl,
                      uint64_t *clen)
{
    /* Blanks around the value are not part of it (RFC 9110 5.5): stripped
     * before the check, which then sees the value as it will be sent. */
    *tp = vp;
    *tl = vl;
    tc_http_trim_ows(tp, tl);
    if (!tc_http_value_ok(*tp, *tl)) {
        PyErr_Format(PyExc_ValueError,
                     "header %R: value %R contains a control character (CR, LF, NUL...)", name,
                     value);
        return -1;
    }
    if (tc_http_hop_by_hop(np, nl)) {
        warn_hop_by_hop(np, nl);
        return AD_PYFIELD_DROP;
    }
    if (!tc_http_name_is(np, nl, "content-length"))
        return AD_PYFIELD_KEEP;
    if (hints) {
        /* RFC 9110 8.6: never in a 1xx response. */
        PyErr_Format(PyExc_ValueError, "header %R is not allowed in 103 Early Hints", name);
        return -1;
    }
    uint64_t v;
    if (tc_http_content_length(*tp, *tl, &v) != 0 || (*clen != AD_RESP_NO_LENGTH && *clen != v)) {
        PyErr_Format(PyExc_ValueError, "invalid Content-Length %R", value);
        return -1;
    }
    *clen = v;
    return AD_PYFIELD_KEEP;
}

/* h1_fields.c: field lines of an HTTP/1 request head (RFC 9112 §5) and the
 * fields that decide framing and connection handling (RFC 9110/9112). */
#include "h1_internal.h"

#include <string.h>

/* Content-Length: 1*DIGIT, or a list repeating the very same digits, in
 * one field line or several (RFC 9110 §8.6, tc_http_content_length_list:
 * "5, 05" is refused, values above 2^63-1 too). */
static int on_content_length(px_h1_request *req, px_h1_fields *fs, tp_str value)
{
    const uint8_t *e;
    size_t elen;
    uint64_t v;
    int rc = tc_http_content_length_list(value.ptr, value.len, &v, &e, &elen);

    if (rc == TC_HTTP_CL_CONFLICT)
        return px_h1_fail(req, 400, "conflicting Content-Length values");
    if (rc < 0)
        return px_h1_fail(req, 400, "invalid Content-Length");
    if (!fs->cl_seen) {
        fs->cl_seen = 1;
        fs->cl_text.ptr = e;
        fs->cl_text.len = (uint32_t)elen;
        fs->cl = v;
    } else if (elen != fs->cl_text.len || memcmp(e, fs->cl_text.ptr, elen) != 0) {
        return px_h1_fail(req, 400, "conflicting Content-Length values");
    }
    return 0;
}

/* Transfer-Encoding: a list of bare codings.  Syntax errors (empty members,
 * parameters, non-tokens) are 400 here; which codings were listed is judged
 * in px_h1_finish_fields once Content-Length is known too.  Empty list
 * members, which RFC 9110 §5.6.1 asks recipients to ignore, are refused on
 * this framing field: ", chunked" is exactly the kind of value two parsers
 * disagree on. */
static int on_transfer_encoding(px_h1_request *req, px_h1_fields *fs, tp_str value)
{
    px_h1_list l;
    tp_str e;

    /* RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty
     * framing; we refuse it rather than guess. */
    if (req->http_minor == 0)
        return px_h1_fail(req, 400, "Transfer-Encoding in an HTTP/1.0 request");
    fs->te_seen = 1;
    px_h1_list_init(&l, value);
    while (px_h1_list_next(&l, &e)) {
        if (!px_h1_is_token(e))
            return px_h1_fail(req, 400, "malformed Transfer-Encoding");
        if (PX_H1_IEQ(e.ptr, e.len, "chunked")) {
            fs->te_chunked++;
            fs->te_last_chunked = 1;
        } else {
            fs->te_unknown = 1;
            fs->te_last_chunked = 0;
        }
    }
    return 0;
}

/* Connection options we act on; others (TE, HTTP2-Settings, junk) are
 * ignored, as the field only names hop-by-hop fields. */
static int on_connection(px_h1_fields *fs, tp_str value)
{
    px_h1_list l;
    tp_str e;

    px_h1_list_init(&l, value);
    while (px_h1_list_next(&l, &e)) {
        if (PX_H1_IEQ(e.ptr, e.len, "close"))
            fs->conn_close = 1;
        else if (PX_H1_IEQ(e.ptr, e.len, "keep-alive"))
            fs->conn_keep_alive = 1;
        else if (PX_H1_IEQ(e.ptr, e.len, "upgrade"))
            fs->conn_upgrade = 1;
    }
    return 0;
}

static int on_upgrade(px_h1_fields *fs, tp_str value)
{
    px_h1_list l;
    tp_str e;

    fs->upgrade_hdr = 1;
    px_h1_list_init(&l, value);
    while (px_h1_list_next(&l, &e))
        if (PX_H1_IEQ(e.ptr, e.len, "h2c"))
            fs->upgrade_h2c = 1;
        else if (PX_H1_IEQ(e.ptr, e.len, "websocket"))
            fs->upgrade_websocket = 1;
    return 0;
}

/* RFC 9110 §10.1.1: 100-continue is the only expectation; we answer any
 * other with 417.  HTTP/1.0 clients cannot take a 100 response, so the
 * whole field is ignored on 1.0 (the RFC requires that for 100-continue and
 * allows it for the rest). */
static int on_expect(px_h1_request *req, px_h1_fields *fs, tp_str value)
{
    px_h1_list l;
    tp_str e;

    if (req->http_minor == 0)
        return 0;
    px_h1_list_init(&l, value);
    while (px_h1_list_next(&l, &e)) {
        if (PX_H1_IEQ(e.ptr, e.len, "100-continue"))
            fs->expect_continue = 1;
        else if (e.len != 0)
            return px_h1_fail(req, 417, "unsupported expectation");
    }
    return 0;
}

/* TE: t-codings with optional parameters; only "trailers" matters. */
static int on_te(px_h1_fields *fs, tp_str value)
{
    if (tc_http_list_has(value.ptr, value.len, "trailers"))
        fs->te_trailers = 1;
    return 0;
}

/* RFC 9112 §3.2: a Host with an invalid value is a 400.  An empty value is
 * valid (the target URI had no authority). */
static int on_host(px_h1_request *req, px_h1_fields *fs, tp_str value)
{
    fs->host_count++;
    fs->host = value;
    if (value.len != 0 && !px_h1_valid_authority(value.ptr, value.len, 0))
        return px_h1_fail(req, 400, "invalid Host");
    return 0;
}

/* Dispatch on length first: most fields match no case and cost one switch. */
static int on_field(px_h1_request *req, px_h1_fields *fs, tp_str n, tp_str v)
{
    switch (n.len) {
    case 2: return PX_H1_IEQ(n.ptr, n.len, "te") ? on_te(fs, v) : 0;
    case 4: return PX_H1_IEQ(n.ptr, n.len, "host") ? on_host(req, fs, v) : 0;
    case 6: return PX_H1_IEQ(n.ptr, n.len, "expect") ? on_expect(req, fs, v) : 0;
    case 7: return PX_H1_IEQ(n.ptr, n.len, "upgrade") ? on_upgrade(fs, v) : 0;
    case 10: return PX_H1_IEQ(n.ptr, n.len, "connection") ? on_connection(fs, v) : 0;
    case 14:
        if (PX_H1_IEQ(n.ptr, n.len, "content-length"))
            return on_content_length(req, fs, v);
        if (PX_H1_IEQ(n.ptr, n.len, "http2-settings"))
            fs->settings_count++;
        return 0;
    case 17:
        return PX_H1_IEQ(n.ptr, n.len, "transfer-encoding") ? on_transfer_encoding(req, fs, v) : 0;
    default: return 0;
    }
}

/* One field line at buf[*pos]: name ":" OWS value OWS CRLF.  Returns the
 * line's name/value spans and advances *pos past its CRLF. */
static int parse_field_line(const uint8_t *buf, size_t *pos, size_t end, px_h1_request *req,
                            tp_header *h)
{
    const uint8_t *p = buf + *pos;
    size_t i = 0, vs, ve;

    /* obs-fold (RFC 9112 §5.2) or whitespace before the first field: a
     * classic way to hide a field from one parser and not another. */
    if (px_h1_is(p[0], PX_H1_OWS))
        return px_h1_fail(req, 400, "obs-fold or leading whitespace in field line");
    while (px_h1_is(p[i], PX_H1_TCHAR))
        i++;
    if (p[i] != ':') {
        if (px_h1_is(p[i], PX_H1_OWS))
            return px_h1_fail(req, 400, "whitespace between field name and colon");
        return px_h1_fail(req, 400, "invalid field name");
    }
    if (i == 0)
        return px_h1_fail(req, 400, "empty field name");
    vs = i + 1;
    while (px_h1_is(p[vs], PX_H1_OWS))
        vs++;
    ve = px_h1_skip_fval(p, vs, end - *pos);
    if (p[ve] != '\r')
        return px_h1_fail(req, 400, "invalid character in field value");
    if (p[ve + 1] != '\n')
        return px_h1_fail(req, 400, "bare CR in field line");
    *pos += ve + 2;
    while (ve > vs && px_h1_is(p[ve - 1], PX_H1_OWS))
        ve--;
    h->name.ptr = p;
    h->name.len = (uint32_t)i;
    h->value.ptr = p + vs;
    h->value.len = (uint32_t)(ve - vs);
    return 0;
}

int px_h1_parse_fields(const uint8_t *buf, size_t pos, size_t end, const px_h1_limits *lim,
                       uint32_t max_hdrs, px_h1_request *req, px_h1_fields *fs)
{
    uint32_t max = max_hdrs;

    if (lim->max_fields != 0 && lim->max_fields < max)
        max = lim->max_fields;
    while (pos < end) {
        tp_header *h;
        if (req->nheaders >= max)
            return px_h1_fail(req, 431, "too many header fields");
        h = &req->headers[req->nheaders];
        if (parse_field_line(buf, &pos, end, req, h) < 0)
            return PX_H1_ERROR;
        req->nheaders++;
        if (on_field(req, fs, h->name, h->value) < 0)
            return PX_H1_ERROR;
    }
    return 0;
}

/* RFC 9112 §6.3: a request with both Transfer-Encoding and Content-Length
 * is the request-smuggling pattern; the RFC lets a server let TE win, we
 * refuse it (400).  Unknown codings are 501 (RFC 9112 §6.1); chunked listed
 * twice or not last is 400 (RFC 9112 §6.3, §7). */
static int finish_framing(px_h1_request *req, const px_h1_fields *fs)
{
    if (fs->te_seen) {
        if (fs->cl_seen)
            return px_h1_fail(req, 400, "both Transfer-Encoding and Content-Length");
        if (fs->te_unknown)
            return px_h1_fail(req, 501, "unsupported transfer coding");
        if (fs->te_chunked != 1 || !fs->te_last_chunked)
            return px_h1_fail(req, 400, "chunked must be applied exactly once, last");
        req->chunked = 1;
        req->content_length = TP_LENGTH_UNKNOWN;
    } else {
        req->content_length = fs->cl_seen ? fs->cl : 0;
    }
    return 0;
}

int px_h1_finish_fields(px_h1_request *req, const px_h1_fields *fs, int authority_in_target)
{
    int http11 = req->http_minor == 1;

    /* RFC 9112 §3.2: more than one Host is a 400 for any version; 1.1
     * requires one even when the target carries the authority. */
    if (fs->host_count > 1)
        return px_h1_fail(req, 400, "more than one Host");
    if (http11 && fs->host_count == 0)
        return px_h1_fail(req, 400, "missing Host");
    if (!authority_in_target && fs->host_count == 1)
        req->host = fs->host;
    if (finish_framing(req, fs) < 0)
        return PX_H1_ERROR;
    req->keep_alive = http11 ? !fs->conn_close : (fs->conn_keep_alive && !fs->conn_close);
    /* RFC 9110 §7.8: Upgrade needs the "upgrade" connection option and is
     * ignored on HTTP/1.0.  RFC 7540 §3.2.1: h2c needs exactly one
     * HTTP2-Settings. */
    req->upgrade = http11 && fs->conn_upgrade && fs->upgrade_hdr;
    req->h2c_upgrade = req->upgrade && fs->upgrade_h2c && fs->settings_count == 1;
    req->ws_upgrade = req->upgrade && fs->upgrade_websocket;
    req->expect_continue = fs->expect_continue;
    req->te_trailers = fs->te_trailers;
    return 0;
}

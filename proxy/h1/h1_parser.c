/* h1_parser.c: finds an HTTP/1 request head in the caller's bytes and parses
 * its request line (RFC 9112 §2-3); field lines are in h1_fields.c. */
#include "h1_internal.h"

#include <string.h>

/* Defaults when the caller passes no limits (gunicorn's, plus a head bound).
 * In a caller's px_h1_limits, 0 means unlimited for every field, as
 * gunicorn's limit_request_* do; the hdrs array still caps the field count. */
#define PX_H1_DEF_REQUEST_LINE 4094u
#define PX_H1_DEF_FIELDS 100u
#define PX_H1_DEF_FIELD_SIZE 8190u
#define PX_H1_DEF_HEAD 65536u

/* RFC 9112 §2.2 lets a server skip empty lines before the request line
 * (clients that send a CRLF after a POST body).  A handful is plenty; more
 * is a client feeding us newlines to hold the connection. */
#define PX_H1_MAX_EMPTY_LINES 8

/* What the request line told us beyond px_h1_request. */
typedef struct {
    int authority; /* absolute-form or authority-form: host comes from here */
    int major;
} px_h1_line;

static const uint8_t px_h1_slash[] = "/";

/* Line endings: RFC 9112 §2.2 allows a recipient to accept a bare LF as a
 * line terminator (nginx and picohttpparser do).  We do not: a proxy in
 * front of us that ends lines only at CRLF would see different fields than
 * we do, which is how smuggling starts.  A bare CR is 400 too (RFC 9112
 * §2.2 allows rejecting or replacing it). */
static int skip_empty_lines(const uint8_t *buf, size_t len, size_t *start, px_h1_request *req)
{
    size_t i = 0;
    int n = 0;

    while (i < len && buf[i] == '\r') {
        if (i + 1 == len)
            return PX_H1_AGAIN;
        if (buf[i + 1] != '\n')
            return px_h1_fail(req, 400, "bare CR");
        if (++n > PX_H1_MAX_EMPTY_LINES)
            return px_h1_fail(req, 400, "too many empty lines before the request");
        i += 2;
    }
    if (i < len && buf[i] == '\n')
        return px_h1_fail(req, 400, "bare LF");
    *start = i;
    return i < len ? PX_H1_OK : PX_H1_AGAIN;
}

/* A head still arriving must at least start with a method and a SP: this
 * turns away a TLS ClientHello or other binary sent to a plain-text port at
 * once instead of after a timeout.  Checked on every incomplete call, so an
 * error never depends on how the bytes were split. */
static int check_method_prefix(const uint8_t *buf, size_t len, px_h1_scan *sc, px_h1_request *req)
{
    size_t i = sc->start;

    if (sc->method_ok)
        return PX_H1_AGAIN;
    while (i < len && px_h1_is(buf[i], PX_H1_TCHAR))
        i++;
    if (i < len && (i == sc->start || buf[i] != ' '))
        return px_h1_fail(req, 400, "invalid method");
    sc->method_ok = i < len; /* a method and its SP: no need to look again */
    return PX_H1_AGAIN;
}

/* limit_request_field_size bounds a field line as sent, name to CRLF
 * inclusive, as Gunicorn counts it: OWS and the CRLF count. */
static int field_line_over(size_t bytes_with_crlf, const px_h1_limits *lim)
{
    return lim->max_field_size != 0 && bytes_with_crlf > lim->max_field_size;
}

/* Limits on input that has no end of head yet: the request line or field
 * line is at least what we have (less a CR that may start its CRLF), and
 * the head is at least one byte longer than what we have. */
static int check_partial(const uint8_t *buf, size_t len, px_h1_scan *sc, size_t ls,
                         const px_h1_limits *lim, px_h1_request *req)
{
    size_t seen = len - ls - (buf[len - 1] == '\r');
    if (ls == sc->start && lim->max_request_line != 0 && seen > lim->max_request_line)
        return px_h1_fail(req, 414, "request line too long");
    if (ls != sc->start && seen > 0 && field_line_over(seen + 2, lim))
        return px_h1_fail(req, 431, "header field too large");
    if (check_method_prefix(buf, len, sc, req) == PX_H1_ERROR)
        return PX_H1_ERROR;
    if (lim->max_head != 0 && len >= lim->max_head)
        return px_h1_fail(req, 431, "request head too large");
    return PX_H1_AGAIN;
}

/* A field line found complete by the scan: its size and the count.  The
 * caller's array bounds the count too; hdrs_full tells the caller that it,
 * not the limit, ran out. */
static int check_field_line(size_t bytes, uint32_t lines, const px_h1_limits *lim,
                            uint32_t max_hdrs, px_h1_request *req)
{
    if (field_line_over(bytes, lim))
        return px_h1_fail(req, 431, "header field too large");
    if (lim->max_fields != 0 && lines > lim->max_fields)
        return px_h1_fail(req, 431, "too many header fields");
    if (lines > max_hdrs) {
        req->hdrs_full = 1;
        return px_h1_fail(req, 431, "too many header fields");
    }
    return 0;
}

/* Finds the empty line ending the head with memchr, checking on the way
 * that every LF follows a CR and that the request line, field lines and
 * field count fit their limits, so oversized input fails before it is
 * complete.  An earlier call on the same head left in sc where its lines
 * and its search stopped: what it checked is not looked at again, so each
 * byte of a head is searched once however the head arrives. */
static int scan_head(const uint8_t *buf, size_t len, const px_h1_limits *lim, uint32_t max_hdrs,
                     px_h1_scan *sc, px_h1_request *req)
{
    size_t ls = sc->line > sc->start ? sc->line : sc->start;
    size_t from = sc->searched > ls ? sc->searched : ls;
    uint32_t lines = sc->lines;
    const uint8_t *lf;

    while ((lf = memchr(buf + from, '\n', len - from)) != NULL) {
        size_t p = (size_t)(lf - buf);
        sc->work += p + 1 - from;
        if (p == ls || buf[p - 1] != '\r')
            return px_h1_fail(req, 400, "bare LF");
        if (ls == sc->start) {
            if (lim->max_request_line != 0 && p - 1 - ls > lim->max_request_line)
                return px_h1_fail(req, 414, "request line too long");
            sc->line_end = p - 1;
            sc->fields = p + 1;
        } else if (p - ls == 1) {
            sc->end = p - 1;
            if (lim->max_head != 0 && p + 1 > lim->max_head)
                return px_h1_fail(req, 431, "request head too large");
            return PX_H1_OK;
        } else if (check_field_line(p + 1 - ls, ++lines, lim, max_hdrs, req) < 0) {
            return PX_H1_ERROR;
        }
        ls = from = p + 1;
    }
    sc->work += len - from;
    sc->line = ls;
    sc->searched = len;
    sc->lines = lines;
    return check_partial(buf, len, sc, ls, lim, req);
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3). */
static int parse_version(const uint8_t *v, size_t n, px_h1_line *rl, px_h1_request *req)
{
    unsigned major, minor;

    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.')
        return px_h1_fail(req, 400, "malformed HTTP version");
    major = (unsigned)(v[5] - '0');
    minor = (unsigned)(v[7] - '0');
    if (major > 9 || minor > 9)
        return px_h1_fail(req, 400, "malformed HTTP version");
    rl->major = (int)major;
    if (major == 2 && minor == 0)
        return 0; /* only as the h2 preface; checked by the caller */
    /* HTTP/1.2+ is refused rather than downgraded: we only speak what we
     * can frame for sure. */
    if (major != 1 || minor > 1)
        return px_h1_fail(req, 505, "HTTP version not supported");
    req->http_minor = (uint8_t)minor;
    return 0;
}

/* Splits a path-and-query at the first '?'. */
static void split_query(const uint8_t *p, size_t n, px_h1_request *req)
{
    const uint8_t *q = memchr(p, '?', n);
    size_t plen = q ? (size_t)(q - p) : n;

    req->path.ptr = p;
    req->path.len = (uint32_t)plen;
    req->query.ptr = q ? q + 1 : p + n;
    req->query.len = q ? (uint32_t)(n - plen - 1) : 0;
}

/* absolute-form (RFC 9112 §3.2.2): only http and https, a non-empty
 * authority without userinfo.  With no path, path is the static "/" (the
 * only span not inside the caller's buffer). */
static int parse_absolute(const uint8_t *t, size_t n, px_h1_request *req)
{
    size_t s = 0, a;

    while (s < n && t[s] != ':')
        s++;
    if (!(PX_H1_IEQ(t, s, "http") || PX_H1_IEQ(t, s, "https")))
        return px_h1_fail(req, 400, "unsupported request-target");
    if (n - s < 3 || t[s + 1] != '/' || t[s + 2] != '/')
        return px_h1_fail(req, 400, "malformed absolute-form target");
    s += 3;
    for (a = s; a < n && t[a] != '/' && t[a] != '?'; a++)
        ;
    if (!px_h1_valid_authority(t + s, a - s, 0))
        return px_h1_fail(req, 400, "invalid authority in request-target");
    req->host.ptr = t + s;
    req->host.len = (uint32_t)(a - s);
    if (a < n && t[a] == '/') {
        split_query(t + a, n - a, req);
    } else {
        req->path.ptr = px_h1_slash;
        req->path.len = 1;
        req->query.ptr = a < n ? t + a + 1 : t + n;
        req->query.len = a < n ? (uint32_t)(n - a - 1) : 0;
    }
    return 0;
}

/* The four forms of RFC 9112 §3.2; CONNECT takes only authority-form and
 * authority-form only comes with CONNECT; '*' only with OPTIONS. */
static int parse_target(px_h1_request *req, px_h1_line *rl)
{
    const uint8_t *t = req->target.ptr;
    size_t n = req->target.len;
    tp_str m = req->method;

    if (m.len == 7 && memcmp(m.ptr, "CONNECT", 7) == 0) {
        if (!px_h1_valid_authority(t, n, 1))
            return px_h1_fail(req, 400, "CONNECT needs an authority-form target");
        req->host = req->target;
        req->path.ptr = t + n;
        req->query.ptr = t + n;
        rl->authority = 1;
        return 0;
    }
    if (t[0] == '/') {
        split_query(t, n, req);
        return 0;
    }
    if (n == 1 && t[0] == '*') {
        if (!(m.len == 7 && memcmp(m.ptr, "OPTIONS", 7) == 0))
            return px_h1_fail(req, 400, "asterisk-form is only for OPTIONS");
        req->path = req->target;
        req->query.ptr = t + n;
        return 0;
    }
    rl->authority = 1;
    return parse_absolute(t, n, req);
}

/* request-line = method SP request-target SP HTTP-version, single SPs.
 * The target may hold no CTL, SP, DEL, '#' or byte >= 0x80 (RFC 3986). */
static int parse_request_line(const uint8_t *line, size_t n, px_h1_line *rl, px_h1_request *req)
{
    size_t i = 0, t;

    while (i < n && px_h1_is(line[i], PX_H1_TCHAR))
        i++;
    if (i == 0 || i == n || line[i] != ' ')
        return px_h1_fail(req, 400, "invalid method");
    t = ++i;
    while (i < n && px_h1_is(line[i], PX_H1_TARGET))
        i++;
    if (i == t)
        return px_h1_fail(req, 400, "empty request-target");
    if (i == n || line[i] != ' ')
        return px_h1_fail(req, 400, "invalid character in request-target");
    req->method.ptr = line;
    req->method.len = (uint32_t)(t - 1);
    req->target.ptr = line + t;
    req->target.len = (uint32_t)(i - t);
    return parse_version(line + i + 1, n - i - 1, rl, req);
}

/* "PRI * HTTP/2.0" then an empty line: the start of the HTTP/2 preface
 * (RFC 9113 §3.4).  Anything else claiming 2.0 is a version we do not
 * speak over HTTP/1. */
static int check_preface(const px_h1_scan *sc, px_h1_request *req)
{
    if (req->method.len != 3 || memcmp(req->method.ptr, "PRI", 3) != 0 || req->target.len != 1 ||
        req->target.ptr[0] != '*')
        return px_h1_fail(req, 505, "HTTP version not supported");
    if (sc->fields != sc->end)
        return px_h1_fail(req, 400, "malformed HTTP/2 preface");
    req->h2_preface = 1;
    return PX_H1_OK;
}

static void resolve_limits(const px_h1_limits *in, px_h1_limits *out)
{
    if (in != NULL) {
        *out = *in;
    } else {
        out->max_request_line = PX_H1_DEF_REQUEST_LINE;
        out->max_fields = PX_H1_DEF_FIELDS;
        out->max_field_size = PX_H1_DEF_FIELD_SIZE;
        out->max_head = PX_H1_DEF_HEAD;
    }
    /* "Unlimited" still keeps every span length within tp_str's uint32_t. */
    if (out->max_head == 0)
        out->max_head = UINT32_MAX;
}

/* Parses everything after the head is known to be complete: one pass. */
static int parse_head(const uint8_t *buf, const px_h1_scan *sc, const px_h1_limits *lim,
                      uint32_t max_hdrs, px_h1_request *req)
{
    px_h1_line rl = { 0, 0 };
    px_h1_fields fs;

    if (parse_request_line(buf + sc->start, sc->line_end - sc->start, &rl, req) < 0)
        return PX_H1_ERROR;
    if (rl.major == 2)
        return check_preface(sc, req);
    if (parse_target(req, &rl) < 0)
        return PX_H1_ERROR;
    memset(&fs, 0, sizeof fs);
    if (px_h1_parse_fields(buf, sc->fields, sc->end, lim, max_hdrs, req, &fs) < 0)
        return PX_H1_ERROR;
    return px_h1_finish_fields(req, &fs, rl.authority);
}

int px_h1_parse_request(const uint8_t *buf, size_t len, const px_h1_limits *limits,
                        px_h1_request *req, tp_header *hdrs, uint32_t max_hdrs, size_t *consumed)
{
    px_h1_scan sc;

    memset(&sc, 0, sizeof sc);
    return px_h1_parse_request_from(&sc, buf, len, limits, req, hdrs, max_hdrs, consumed);
}

int px_h1_parse_request_from(px_h1_scan *sc, const uint8_t *buf, size_t len,
                             const px_h1_limits *limits, px_h1_request *req, tp_header *hdrs,
                             uint32_t max_hdrs, size_t *consumed)
{
    px_h1_limits lim;
    int r;

    memset(req, 0, sizeof *req);
    req->headers = hdrs;
    *consumed = 0;
    resolve_limits(limits, &lim);
    r = skip_empty_lines(buf, len, &sc->start, req);
    if (r != PX_H1_OK)
        return r;
    r = scan_head(buf, len, &lim, max_hdrs, sc, req);
    if (r != PX_H1_OK)
        return r;
    r = parse_head(buf, sc, &lim, max_hdrs, req);
    if (r != PX_H1_OK)
        return r;
    /* The h2 preface is handed over whole: nghttp2 wants to read it. */
    *consumed = req->h2_preface ? sc->start : sc->end + 2;
    return PX_H1_OK;
}

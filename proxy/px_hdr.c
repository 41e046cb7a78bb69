/* px_hdr.c: header field helpers shared by the h1 and h2 sides (pure). */
#include "config.h"
#include <string.h>
#include "px_hdr.h"
#include "tc_http.h"

static inline uint8_t lc(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

int px_hdr_response_field(const tp_header *f, tp_str *value)
{
    const uint8_t *v = f->value.ptr;
    size_t n = f->value.len;
    tc_http_trim_ows(&v, &n);
    value->ptr = v;
    value->len = (uint32_t)n;
    return tc_http_field_ok(f->name.ptr, f->name.len, v, n);
}

void px_hdr_lower(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = lc(src[i]);
}

const char *px_status_reason(unsigned s)
{
    switch (s) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

void px_status_digits(char dst[3], unsigned status)
{
    dst[0] = (char)('0' + status / 100 % 10);
    dst[1] = (char)('0' + status / 10 % 10);
    dst[2] = (char)('0' + status % 10);
}

size_t px_http_date(time_t t, char *buf)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char mons[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    gmtime_r(&t, &tm);
    /* Fixed width by construction; snprintf keeps it locale-free. */
    memcpy(buf, days[tm.tm_wday], 3);
    buf[3] = ',';
    buf[4] = ' ';
    buf[5] = (char)('0' + tm.tm_mday / 10);
    buf[6] = (char)('0' + tm.tm_mday % 10);
    buf[7] = ' ';
    memcpy(buf + 8, mons[tm.tm_mon], 3);
    buf[11] = ' ';
    int y = tm.tm_year + 1900;
    buf[12] = (char)('0' + (y / 1000) % 10);
    buf[13] = (char)('0' + (y / 100) % 10);
    buf[14] = (char)('0' + (y / 10) % 10);
    buf[15] = (char)('0' + y % 10);
    buf[16] = ' ';
    buf[17] = (char)('0' + tm.tm_hour / 10);
    buf[18] = (char)('0' + tm.tm_hour % 10);
    buf[19] = ':';
    buf[20] = (char)('0' + tm.tm_min / 10);
    buf[21] = (char)('0' + tm.tm_min % 10);
    buf[22] = ':';
    buf[23] = (char)('0' + tm.tm_sec / 10);
    buf[24] = (char)('0' + tm.tm_sec % 10);
    memcpy(buf + 25, " GMT", 4);
    buf[29] = 0;
    return 29;
}

void px_split_path(const uint8_t *p, size_t len, size_t *path_len, const uint8_t **query,
                   size_t *query_len)
{
    const uint8_t *q = memchr(p, '?', len);
    if (!q) {
        *path_len = len;
        *query = p + len;
        *query_len = 0;
        return;
    }
    *path_len = (size_t)(q - p);
    *query = q + 1;
    *query_len = len - *path_len - 1;
}

int px_base64_digit(uint8_t c, uint8_t c62, uint8_t c63)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == c62)
        return 62;
    if (c == c63)
        return 63;
    return -1;
}

long px_base64url_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    /* RFC 7540 §3.2.1: token68 in base64url without padding; tolerate the
     * '=' padding some clients add anyway. */
    while (len && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > cap)
        return -1;
    uint32_t acc = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = px_base64_digit(in[i], '-', '_');
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (len % 4 == 2) {
        out[o++] = (uint8_t)(acc >> 4);
    } else if (len % 4 == 3) {
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    return (long)o;
}

/* px_logenv.c: the access log's view of a request as tandem-appd's WSGI
 * environ shows it ({NAME}e, U, f, a, u), computed from what the proxy
 * knows with the same rules (appd/ad_http.h), so that the log and the app
 * agree.  Pure: no allocation. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ad_http.h"
#include "px_hdr.h"
#include "px_logfmt_int.h"
#include "tc_http.h"
#include "ws_utf8.h"

static const struct {
    const char *name;
    uint16_t env;
} names[] = {
    { "REQUEST_METHOD", PX_ENV_REQUEST_METHOD },   { "PATH_INFO", PX_ENV_PATH_INFO },
    { "QUERY_STRING", PX_ENV_QUERY_STRING },       { "RAW_URI", PX_ENV_RAW_URI },
    { "SERVER_PROTOCOL", PX_ENV_SERVER_PROTOCOL }, { "REMOTE_ADDR", PX_ENV_REMOTE_ADDR },
    { "REMOTE_PORT", PX_ENV_REMOTE_PORT },         { "SERVER_NAME", PX_ENV_SERVER_NAME },
    { "SERVER_PORT", PX_ENV_SERVER_PORT },         { "HTTP_HOST", PX_ENV_HTTP_HOST },
    { "CONTENT_TYPE", PX_ENV_CONTENT_TYPE },       { "CONTENT_LENGTH", PX_ENV_CONTENT_LENGTH },
    { "wsgi.url_scheme", PX_ENV_URL_SCHEME },      { "SERVER_SOFTWARE", PX_ENV_SERVER_SOFTWARE },
    { "tandem.stream_id", PX_ENV_STREAM_ID },      { "tandem.h2_stream_id", PX_ENV_H2_STREAM_ID },
};

int px_logenv_find(const char *name, size_t len, uint16_t *env)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0) {
            *env = names[i].env;
            return 0;
        }
    if (len > 5 && strncasecmp(name, "HTTP_", 5) == 0) {
        *env = PX_ENV_HTTP;
        return 0;
    }
    return -1;
}

const tp_header *px_logenv_field(const px_logreq *r, const char *name, size_t len)
{
    const tp_header *found = NULL;
    for (uint32_t i = 0; i < r->nheaders; i++)
        if (tc_http_name_eq(r->headers[i].name.ptr, r->headers[i].name.len, name, len))
            found = &r->headers[i]; /* the last one, as Gunicorn's dict keeps it */
    return found;
}

/* Whether f becomes the environ entry of field (appd's ad_env_key): the
 * same name in any case, and not one appd files under another key. */
static int field_is(const tp_header *f, const char *field, size_t len)
{
    return tc_http_name_eq(f->name.ptr, f->name.len, field, len) &&
           !tc_http_name_is(f->name.ptr, f->name.len, "content-type") &&
           !tc_http_name_is(f->name.ptr, f->name.len, "content-length") &&
           !tc_http_name_is(f->name.ptr, f->name.len, "host");
}

/* The fields that make an entry, joined as appd joins repeats; 0 when none.
 * special: CONTENT_TYPE, which comes from content-type. */
static int write_joined(px_logout *o, const px_logreq *r, const char *field, size_t len,
                        int special)
{
    int n = 0;
    const char *sep = ",";
    for (uint32_t i = 0; i < r->nheaders; i++) {
        const tp_header *f = &r->headers[i];
        if (special ? !tc_http_name_eq(f->name.ptr, f->name.len, field, len)
                    : !field_is(f, field, len))
            continue;
        if (n++)
            px_logout_str(o, sep);
        sep = ad_hdr_join_sep(f->name.ptr, f->name.len);
        px_logout_value(o, f->value.ptr, f->value.len);
    }
    return n;
}

void px_logenv_path_info(px_logout *o, const px_logreq *r)
{
    /* Decoded in pieces: a %XX never spans more than 3 input bytes. */
    uint8_t chunk[256];
    size_t i = 0, n = r->path.len;
    while (i < n) {
        size_t take = n - i > 240 ? 240 : n - i;
        while (i + take < n && take > 0 &&
               (r->path.ptr[i + take - 1] == '%' || (take > 1 && r->path.ptr[i + take - 2] == '%')))
            take--;
        if (take == 0)
            take = n - i < 3 ? n - i : 3;
        size_t dl = ad_pct_decode(r->path.ptr + i, take, chunk);
        px_logout_value(o, chunk, dl);
        i += take;
    }
}

static void host_and_port(px_logout *o, const px_logreq *r, int want_port)
{
    tp_str auth = r->authority;
    const tp_header *h = auth.len ? NULL : px_logenv_field(r, "host", 4);
    if (h)
        auth = h->value;
    const uint8_t *hp, *pp;
    size_t hl, pl;
    if (auth.len && ad_split_authority(auth.ptr, auth.len, &hp, &hl, &pp, &pl) == 0 && hl) {
        if (!want_port)
            px_logout_value(o, hp, hl);
        else if (pl)
            px_logout_value(o, pp, pl);
        else
            px_logout_str(o, r->tls ? "443" : "80");
        return;
    }
    if (want_port)
        px_logout_u64(o, r->local_port);
    else
        px_logout_value(o, r->local_addr.ptr, r->local_addr.len);
}

static void url_scheme(px_logout *o, const px_logreq *r)
{
    tp_str s = r->scheme;
    if (r->tls || (s.len == 5 && memcmp(s.ptr, "https", 5) == 0))
        px_logout_str(o, "https");
    else if (s.len == 0 || (s.len == 4 && memcmp(s.ptr, "http", 4) == 0))
        px_logout_str(o, "http");
    else
        px_logout_value(o, s.ptr, s.len);
}

/* CONTENT_LENGTH: the client's field ("5, 5" read as its one length),
 * else the length the proxy measured; 0 when neither. */
static int content_length(px_logout *o, const px_logreq *r)
{
    const tp_header *f = px_logenv_field(r, "content-length", 14);
    if (f) {
        const uint8_t *e;
        size_t elen;
        uint64_t v;
        if (tc_http_content_length_list(f->value.ptr, f->value.len, &v, &e, &elen) == 0)
            px_logout_value(o, e, elen);
        else
            px_logout_value(o, f->value.ptr, f->value.len);
        return 1;
    }
    if (r->content_length == TP_LENGTH_UNKNOWN || r->content_length == 0)
        return 0;
    px_logout_u64(o, r->content_length);
    return 1;
}

static void raw_uri(px_logout *o, const px_logreq *r)
{
    px_logout_value(o, r->path.ptr, r->path.len);
    if (r->query.len) {
        px_logout_raw(o, "?", 1);
        px_logout_value(o, r->query.ptr, r->query.len);
    }
}

/* The entries only a request the proxy understood has; 0 when not one. */
static int request_entry(px_logout *o, const px_logreq *r, unsigned env)
{
    if (r->http_major == 0)
        return 0;
    switch (env) {
    case PX_ENV_REQUEST_METHOD: px_logout_value(o, r->method.ptr, r->method.len); return 1;
    case PX_ENV_PATH_INFO: px_logenv_path_info(o, r); return 1;
    case PX_ENV_QUERY_STRING: px_logout_value(o, r->query.ptr, r->query.len); return 1;
    case PX_ENV_RAW_URI: raw_uri(o, r); return 1;
    case PX_ENV_SERVER_PROTOCOL:
        px_logout_str(o, r->http_major >= 2 ? "HTTP/2.0" : r->http_minor ? "HTTP/1.1" : "HTTP/1.0");
        return 1;
    case PX_ENV_SERVER_NAME: host_and_port(o, r, 0); return 1;
    case PX_ENV_SERVER_PORT: host_and_port(o, r, 1); return 1;
    case PX_ENV_URL_SCHEME: url_scheme(o, r); return 1;
    default: return 0;
    }
}

static int connection_entry(px_logout *o, const px_logreq *r, unsigned env)
{
    switch (env) {
    case PX_ENV_REMOTE_ADDR: px_logout_value(o, r->peer_addr.ptr, r->peer_addr.len); return 1;
    case PX_ENV_REMOTE_PORT: px_logout_u64(o, r->peer_port); return 1;
    case PX_ENV_SERVER_SOFTWARE: px_logout_str(o, PACKAGE_NAME "/" PACKAGE_VERSION); return 1;
    case PX_ENV_STREAM_ID:
        if (!r->wire_stream)
            return 0;
        px_logout_u64(o, r->wire_stream);
        return 1;
    case PX_ENV_H2_STREAM_ID:
        if (!r->h2_stream)
            return 0;
        px_logout_u64(o, r->h2_stream);
        return 1;
    default: return 0;
    }
}

static int field_entry(px_logout *o, const px_logreq *r, unsigned env, const char *field,
                       size_t fieldlen)
{
    switch (env) {
    case PX_ENV_HTTP_HOST: {
        const tp_header *h = r->authority.len ? NULL : px_logenv_field(r, "host", 4);
        tp_str v = h ? h->value : r->authority;
        if (!v.len)
            return 0;
        px_logout_value(o, v.ptr, v.len);
        return 1;
    }
    case PX_ENV_CONTENT_TYPE: return write_joined(o, r, "content-type", 12, 1);
    case PX_ENV_CONTENT_LENGTH: return content_length(o, r);
    case PX_ENV_HTTP: return write_joined(o, r, field, fieldlen, 0);
    default: return 0;
    }
}

void px_logenv_write(px_logout *o, const px_logreq *r, unsigned env, const char *field,
                     size_t fieldlen)
{
    if (!request_entry(o, r, env) && !connection_entry(o, r, env) &&
        !field_entry(o, r, env, field, fieldlen))
        px_logout_raw(o, "-", 1);
}

/* ---- u: the user of Basic authentication ---- */

/* As Python's base64.b64decode: characters outside the alphabet skipped,
 * the padding required.  The length, or -1. */
static long b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    size_t data = 0, pad = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '=') {
            pad++;
            continue;
        }
        int v = px_base64_digit(in[i], '+', '/');
        if (v < 0)
            continue;
        if (pad)
            return -1; /* data after padding */
        acc = acc << 6 | (uint32_t)v;
        if (++data % 4 == 0) {
            if (k + 3 > cap)
                return -1;
            out[k++] = (uint8_t)(acc >> 16);
            out[k++] = (uint8_t)(acc >> 8);
            out[k++] = (uint8_t)acc;
            acc = 0;
        }
    }
    size_t rest = data % 4;
    if (rest == 1 || (rest && pad < 4 - rest) || k + 2 > cap)
        return -1;
    if (rest == 2)
        out[k++] = (uint8_t)(acc >> 4);
    else if (rest == 3) {
        out[k++] = (uint8_t)(acc >> 10);
        out[k++] = (uint8_t)(acc >> 2);
    }
    return (long)k;
}

int px_logenv_user(px_logout *o, const px_logreq *r)
{
    const tp_header *h = px_logenv_field(r, "authorization", 13);
    if (h == NULL || h->value.len < 6 || strncasecmp((const char *)h->value.ptr, "basic", 5) != 0)
        return 0;
    const uint8_t *sp = memchr(h->value.ptr, ' ', h->value.len);
    if (sp == NULL)
        return 0;
    uint8_t user[512];
    const uint8_t *b64 = sp + 1;
    long n = b64_decode(b64, (size_t)(h->value.ptr + h->value.len - b64), user, sizeof user);
    if (n < 0 || !ws_utf8_valid(user, (size_t)n))
        return 0;
    const uint8_t *colon = memchr(user, ':', (size_t)n);
    if (colon == NULL || colon == user)
        return 0;
    px_logout_value(o, user, (size_t)(colon - user));
    return 1;
}

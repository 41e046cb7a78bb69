/* wsgi_environ.c: builds the PEP 3333 environ dict from a decoded
 * REQUEST_HEAD, plus the stream priority under Gunicorn's keys.  Constant
 * entries live in a template dict copied per request; keys (and common
 * header keys and methods) are interned once per worker. */
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "ad_http.h"
#include "tc_http.h"
#include "wsgi_req.h"

/* Tables laid out by hand. */
/* clang-format off */
enum {
    K_REQUEST_METHOD, K_SCRIPT_NAME, K_PATH_INFO, K_QUERY_STRING, K_RAW_URI, K_CONTENT_TYPE,
    K_CONTENT_LENGTH, K_SERVER_NAME, K_SERVER_PORT, K_SERVER_PROTOCOL, K_REMOTE_ADDR,
    K_REMOTE_PORT, K_HTTP_HOST, K_URL_SCHEME, K_INPUT, K_STREAM_ID, K_H2_STREAM_ID,
    K_PRIO_WEIGHT, K_PRIO_DEPENDS_ON, K_PRIO_URGENCY, K_PRIO_INCREMENTAL,
    K_PROXY_PROTOCOL, K_PROXY_ADDR, K_PROXY_PORT,
    K_SSL_CLIENT_VERIFY, K_SSL_CLIENT_CERT, K_SSL_CLIENT_S_DN, K_SSL_CLIENT_I_DN,
    K_SSL_CLIENT_M_SERIAL, K_SSL_CLIENT_V_START, K_SSL_CLIENT_V_END, K__COUNT
};
static const char *const key_names[K__COUNT] = {
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "RAW_URI", "CONTENT_TYPE",
    "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR",
    "REMOTE_PORT", "HTTP_HOST", "wsgi.url_scheme", "wsgi.input", "tandem.stream_id",
    "tandem.h2_stream_id", "gunicorn.http2.priority_weight",
    "gunicorn.http2.priority_depends_on", "tandem.priority_urgency",
    "tandem.priority_incremental",
    "PROXY_PROTOCOL", "PROXY_ADDR", "PROXY_PORT",
    "SSL_CLIENT_VERIFY", "SSL_CLIENT_CERT", "SSL_CLIENT_S_DN", "SSL_CLIENT_I_DN",
    "SSL_CLIENT_M_SERIAL", "SSL_CLIENT_V_START", "SSL_CLIENT_V_END",
};
static PyObject *keys[K__COUNT];
/* Set by wsgi_environ_build for every request, whatever its head. */
static const int always_set[] = {
    K_REQUEST_METHOD, K_PATH_INFO, K_QUERY_STRING, K_RAW_URI, K_SERVER_PROTOCOL, K_URL_SCHEME,
    K_SERVER_NAME, K_SERVER_PORT, K_REMOTE_ADDR, K_REMOTE_PORT, K_INPUT, K_STREAM_ID,
    K_PRIO_URGENCY, K_PRIO_INCREMENTAL,
};

/* Header keys most requests carry, so their HTTP_* strings are made once. */
static const char *const common_headers[] = {
    "accept", "accept-encoding", "accept-language", "authorization", "cache-control",
    "connection", "cookie", "dnt", "if-modified-since", "if-none-match", "origin", "pragma",
    "referer", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user",
    "te", "upgrade-insecure-requests", "user-agent", "x-forwarded-for", "x-forwarded-proto",
    "x-forwarded-host", "x-real-ip", "x-request-id", "x-requested-with", "forwarded",
    "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
};
/* clang-format on */
#define N_COMMON (sizeof common_headers / sizeof common_headers[0])
static PyObject *common_keys[N_COMMON];

static const char *const methods[] = { "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH" };
static PyObject *method_objs[7];
static PyObject *proto10, *proto11, *proto20, *scheme_http, *scheme_https, *empty_str;
/* The environ's constant part, one per protocol version (1.0, 1.1, 2) and
 * scheme (http, https): SERVER_PROTOCOL, wsgi.url_scheme and the priority
 * defaults are copied with it, not set per request (PyDict_SetItem costs
 * ~200 instructions a key). */
static PyObject *templates[3][2];
/* RFC 9218's defaults, and RFC 7540's weight. */
enum { PRIO_URGENCY_DEFAULT = 3, PRIO_WEIGHT_DEFAULT = 16 };
static char *script_name;
static size_t script_name_len;

/* Steals value. */
static int set(PyObject *env, PyObject *key, PyObject *value);

static PyObject *make_template(PyObject *base, PyObject *proto, PyObject *scheme, int h2)
{
    PyObject *d = PyDict_Copy(base);
    if (d == NULL)
        return NULL;
    if (PyDict_SetItem(d, keys[K_SERVER_PROTOCOL], proto) != 0 ||
        PyDict_SetItem(d, keys[K_URL_SCHEME], scheme) != 0 ||
        set(d, keys[K_PRIO_URGENCY], PyLong_FromLong(PRIO_URGENCY_DEFAULT)) != 0 ||
        PyDict_SetItem(d, keys[K_PRIO_INCREMENTAL], Py_False) != 0 ||
        (h2 && (set(d, keys[K_PRIO_WEIGHT], PyLong_FromLong(PRIO_WEIGHT_DEFAULT)) != 0 ||
                set(d, keys[K_PRIO_DEPENDS_ON], PyLong_FromLong(0)) != 0))) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static int make_templates(PyObject *base)
{
    PyObject *protos[3] = { proto10, proto11, proto20 };
    PyObject *schemes[2] = { scheme_http, scheme_https };
    for (int v = 0; v < 3; v++)
        for (int sc = 0; sc < 2; sc++)
            if ((templates[v][sc] = make_template(base, protos[v], schemes[sc], v == 2)) == NULL)
                return -1;
    return 0;
}

int wsgi_environ_init(const ad_settings *settings)
{
    for (int i = 0; i < K__COUNT; i++)
        if ((keys[i] = PyUnicode_InternFromString(key_names[i])) == NULL)
            return -1;
    for (size_t i = 0; i < N_COMMON; i++) {
        char k[64];
        size_t kl;
        const char *h = common_headers[i];
        if (ad_env_key((const uint8_t *)h, strlen(h), k, sizeof k, &kl) != AD_HK_HTTP)
            continue;
        if ((common_keys[i] = PyUnicode_InternFromString(k)) == NULL)
            return -1;
    }
    for (size_t i = 0; i < 7; i++)
        if ((method_objs[i] = PyUnicode_InternFromString(methods[i])) == NULL)
            return -1;
    proto10 = PyUnicode_InternFromString("HTTP/1.0");
    proto11 = PyUnicode_InternFromString("HTTP/1.1");
    proto20 = PyUnicode_InternFromString("HTTP/2.0");
    scheme_http = PyUnicode_InternFromString("http");
    scheme_https = PyUnicode_InternFromString("https");
    empty_str = PyUnicode_FromString("");
    if (!proto10 || !proto11 || !proto20 || !scheme_http || !scheme_https || !empty_str)
        return -1;

    /* SCRIPT_NAME from the process environment (-e SCRIPT_NAME=/prefix), as
     * Gunicorn does; PATH_INFO then loses that prefix. */
    const char *sn = getenv("SCRIPT_NAME");
    script_name = strdup(sn ? sn : "");
    if (script_name == NULL)
        return -1;
    script_name_len = strlen(script_name);
    while (script_name_len && script_name[script_name_len - 1] == '/')
        script_name[--script_name_len] = '\0';

    PyObject *d = PyDict_New();
    if (d == NULL)
        return -1;
    PyObject *errors = wsgi_errors_new();
    PyObject *version = Py_BuildValue("(ii)", 1, 0);
    PyObject *sn_obj = PyUnicode_DecodeLatin1(script_name, (Py_ssize_t)script_name_len, NULL);
    PyObject *software = PyUnicode_FromString(PACKAGE_NAME "/" PACKAGE_VERSION);
    int rc = -1;
    if (errors && version && sn_obj && software &&
        PyDict_SetItemString(d, "wsgi.version", version) == 0 &&
        PyDict_SetItemString(d, "wsgi.errors", errors) == 0 &&
        PyDict_SetItemString(d, "wsgi.multithread", settings->threads > 1 ? Py_True : Py_False) ==
            0 &&
        PyDict_SetItemString(d, "wsgi.multiprocess", settings->workers > 1 ? Py_True : Py_False) ==
            0 &&
        PyDict_SetItemString(d, "wsgi.run_once", Py_False) == 0 &&
        PyDict_SetItemString(d, "wsgi.input_terminated", Py_True) == 0 &&
        PyDict_SetItemString(d, "wsgi.file_wrapper", (PyObject *)&wsgi_FileWrapperType) == 0 &&
        PyDict_SetItem(d, keys[K_SCRIPT_NAME], sn_obj) == 0 &&
        PyDict_SetItemString(d, "SERVER_SOFTWARE", software) == 0)
        rc = 0;
    /* The keys every request sets are in the template too (values None
     * here): the copy then has its final size, and setting them replaces a
     * value instead of growing and rehashing the dict a few times. */
    for (size_t i = 0; rc == 0 && i < sizeof always_set / sizeof always_set[0]; i++)
        rc = PyDict_SetItem(d, keys[always_set[i]], Py_None);
    Py_XDECREF(errors);
    Py_XDECREF(version);
    Py_XDECREF(sn_obj);
    Py_XDECREF(software);
    if (rc != 0) {
        Py_DECREF(d);
        return -1;
    }
    rc = make_templates(d);
    Py_DECREF(d);
    return rc;
}

static PyObject *latin1(const uint8_t *p, size_t n)
{
    if (n == 0) {
        Py_INCREF(empty_str);
        return empty_str;
    }
    return PyUnicode_DecodeLatin1((const char *)p, (Py_ssize_t)n, NULL);
}

static int set(PyObject *env, PyObject *key, PyObject *value)
{
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItem(env, key, value);
    Py_DECREF(value);
    return rc;
}

static int set_borrowed(PyObject *env, PyObject *key, PyObject *value)
{
    return PyDict_SetItem(env, key, value);
}

static PyObject *method_obj(tp_str m)
{
    for (size_t i = 0; i < 7; i++) {
        size_t l = strlen(methods[i]);
        if (l == m.len && memcmp(methods[i], m.ptr, l) == 0) {
            Py_INCREF(method_objs[i]);
            return method_objs[i];
        }
    }
    return latin1(m.ptr, m.len);
}

static PyObject *header_key(tp_str name, const char *k, size_t kl)
{
    for (size_t i = 0; i < N_COMMON; i++) {
        if (common_keys[i] && tc_http_name_is(name.ptr, name.len, common_headers[i])) {
            Py_INCREF(common_keys[i]);
            return common_keys[i];
        }
    }
    return PyUnicode_FromStringAndSize(k, (Py_ssize_t)kl);
}

/* Steals value.  RFC 9110 §8.6: the proxy takes "5, 5" (or two identical
 * fields, joined here as "5,5") as one length; the app gets that one
 * element, which int() can read.  Anything else stays as the client sent it. */
static PyObject *content_length_value(PyObject *value)
{
    if (value == NULL)
        return NULL;
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(value, &n);
    if (s == NULL) {
        Py_DECREF(value);
        return NULL;
    }
    const uint8_t *e;
    size_t elen;
    uint64_t v;
    int rc = tc_http_content_length_list((const uint8_t *)s, (size_t)n, &v, &e, &elen);
    if (rc != 0 || elen == (size_t)n)
        return value;
    PyObject *one = PyUnicode_FromStringAndSize((const char *)e, (Py_ssize_t)elen);
    Py_DECREF(value);
    return one;
}

static PyObject *dec_str(uint64_t v)
{
    char b[AD_DEC_MAX];
    return latin1((const uint8_t *)b, ad_dec_u64(b, v));
}

/* Room for the HTTP_* key of a name of n bytes: the caller's small buffer,
 * or *big grown to fit, so every name the proxy's limits let through is
 * carried (a fixed buffer once dropped names past 250 bytes).  NULL when
 * out of memory; *big is the caller's to free. */
static char *key_room(char *small, size_t cap, char **big, size_t *big_cap, size_t n)
{
    if (n + 6 <= cap)
        return small;
    if (n + 6 > *big_cap) {
        char *b = realloc(*big, n + 6);
        if (b == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        *big = b;
        *big_cap = n + 6;
    }
    return *big;
}

static int set_headers(PyObject *env, const tp_request_head *h, tp_str *host_hdr)
{
    /* group, next and the hash table, in one block */
    uint32_t n = h->nheaders, small[64 + 64 + 128];
    size_t words = 2 * (size_t)n + ad_hdr_table_size(n);
    uint32_t *group = words <= 256 ? small : malloc(words * sizeof *group);
    if (group == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    uint32_t *next = group + n;
    ad_hdr_group_linked(h->headers, n, group, next, next + n);
    int rc = 0;
    char small_key[256], *big_key = NULL;
    size_t big_cap = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (group[i] != i)
            continue; /* joined into its first occurrence */
        const tp_header *hd = &h->headers[i];
        char *k = key_room(small_key, sizeof small_key, &big_key, &big_cap, hd->name.len);
        if (k == NULL) {
            rc = -1;
            break;
        }
        size_t kl = 0;
        int kind = ad_env_key(hd->name.ptr, hd->name.len, k, (size_t)hd->name.len + 6, &kl);
        if (kind == AD_HK_DROP)
            continue;
        int dup = next[i] != AD_HDR_NONE;
        PyObject *value;
        if (!dup) {
            if (kind == AD_HK_HOST) {
                *host_hdr = hd->value;
                continue;
            }
            value = latin1(hd->value.ptr, hd->value.len);
        } else {
            size_t need = ad_hdr_join_linked(h->headers, next, i, NULL, 0);
            uint8_t *buf = malloc(need ? need : 1);
            if (buf == NULL) {
                PyErr_NoMemory();
                rc = -1;
                break;
            }
            ad_hdr_join_linked(h->headers, next, i, buf, need);
            value = latin1(buf, need);
            free(buf);
            if (kind == AD_HK_HOST) {
                /* Several Host fields: keep the first (the proxy rejects these anyway). */
                Py_XDECREF(value);
                *host_hdr = hd->value;
                continue;
            }
        }
        switch (kind) {
        case AD_HK_CONTENT_TYPE: rc = set(env, keys[K_CONTENT_TYPE], value); break;
        case AD_HK_CONTENT_LENGTH:
            rc = set(env, keys[K_CONTENT_LENGTH], content_length_value(value));
            break;
        default: {
            PyObject *key = header_key(hd->name, k, kl);
            if (key == NULL) {
                Py_XDECREF(value);
                rc = -1;
                break;
            }
            rc = set(env, key, value);
            Py_DECREF(key);
        }
        }
    }
    free(big_key);
    if (group != small)
        free(group);
    return rc;
}

/* Stream priority, for the app to use as it likes; appd runs streams in
 * arrival order, and the proxy's wait queue is what orders by it.  RFC 7540 weight and dependency under Gunicorn's keys on HTTP/2 only,
 * with RFC 7540's defaults when the client sent none (HAS_PRIORITY clear);
 * RFC 9218 urgency and incremental on every request, since the Priority
 * header applies to HTTP/1.1 too.  The codec has range-checked all four. */
static int set_priority(PyObject *env, const tp_request_head *h)
{
    /* The template holds the defaults: only what differs is set. */
    if (h->flags & TP_REQ_HAS_PRIORITY) {
        if (set(env, keys[K_PRIO_WEIGHT], PyLong_FromLong(h->prio_weight)) != 0 ||
            set(env, keys[K_PRIO_DEPENDS_ON], PyLong_FromUnsignedLong(h->prio_depends_on)) != 0)
            return -1;
    }
    if (h->prio_urgency != PRIO_URGENCY_DEFAULT &&
        set(env, keys[K_PRIO_URGENCY], PyLong_FromLong(h->prio_urgency)) != 0)
        return -1;
    return h->prio_incremental ? set_borrowed(env, keys[K_PRIO_INCREMENTAL], Py_True) : 0;
}

/* A PROXY protocol header, under Gunicorn's keys (its source is REMOTE_ADDR). */
static int set_proxy_protocol(PyObject *env, const tp_request_head *h)
{
    if (!h->proxy_protocol.len)
        return 0;
    if (set(env, keys[K_PROXY_PROTOCOL], latin1(h->proxy_protocol.ptr, h->proxy_protocol.len)))
        return -1;
    if (!h->proxy_addr.len)
        return 0; /* LOCAL, UNKNOWN: no addresses */
    if (set(env, keys[K_PROXY_ADDR], latin1(h->proxy_addr.ptr, h->proxy_addr.len)) != 0)
        return -1;
    return set(env, keys[K_PROXY_PORT], dec_str(h->proxy_port));
}

/* The TLS client certificate under mod_ssl's names (what apps behind Apache
 * and mod_wsgi read): SSL_CLIENT_VERIFY when the proxy asked for one, the
 * rest when the client sent one. */
static int set_client_cert(PyObject *env, const tp_request_head *h)
{
    const struct {
        int key;
        tp_str v;
    } f[] = {
        { K_SSL_CLIENT_VERIFY, h->client_verify },   { K_SSL_CLIENT_CERT, h->client_cert },
        { K_SSL_CLIENT_S_DN, h->client_s_dn },       { K_SSL_CLIENT_I_DN, h->client_i_dn },
        { K_SSL_CLIENT_M_SERIAL, h->client_serial }, { K_SSL_CLIENT_V_START, h->client_v_start },
        { K_SSL_CLIENT_V_END, h->client_v_end },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v.len && set(env, keys[f[i].key], latin1(f[i].v.ptr, f[i].v.len)) != 0)
            return -1;
    return 0;
}

PyObject *wsgi_environ_build(wsgi_req *r)
{
    const tp_request_head *h = &r->s->req;
    /* The proxy decided the scheme (TLS, or what a trusted front said in
     * secure_scheme_headers): tandem-protocol(7). */
    int https = h->scheme.len == 5 && memcmp(h->scheme.ptr, "https", 5) == 0;
    int version = h->http_major >= 2 ? 2 : h->http_minor == 0 ? 0 : 1;
    PyObject *env = PyDict_Copy(templates[version][https]);
    if (env == NULL)
        return NULL;

    if (set(env, keys[K_REQUEST_METHOD], method_obj(h->method)) != 0)
        goto fail;

    /* PATH_INFO: percent-decoded bytes as latin-1 (PEP 3333), SCRIPT_NAME
     * prefix removed when the path carries it. */
    {
        uint8_t small[2048];
        uint8_t *dec = h->path.len <= sizeof small ? small : malloc(h->path.len);
        if (dec == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        size_t dl = h->path.len ? ad_pct_decode(h->path.ptr, h->path.len, dec) : 0;
        size_t skip = 0;
        if (script_name_len && dl >= script_name_len &&
            memcmp(dec, script_name, script_name_len) == 0 &&
            (dl == script_name_len || dec[script_name_len] == '/'))
            skip = script_name_len;
        PyObject *pi = latin1(dec + skip, dl - skip);
        if (dec != small)
            free(dec);
        if (set(env, keys[K_PATH_INFO], pi) != 0)
            goto fail;
    }
    if (set(env, keys[K_QUERY_STRING], latin1(h->query.ptr, h->query.len)) != 0)
        goto fail;
    {
        PyObject *raw;
        if (h->query.len) {
            size_t n = (size_t)h->path.len + 1 + h->query.len;
            char *b = malloc(n);
            if (b == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
            memcpy(b, h->path.ptr, h->path.len);
            b[h->path.len] = '?';
            memcpy(b + h->path.len + 1, h->query.ptr, h->query.len);
            raw = latin1((const uint8_t *)b, n);
            free(b);
        } else {
            raw = latin1(h->path.ptr, h->path.len);
        }
        if (set(env, keys[K_RAW_URI], raw) != 0)
            goto fail;
    }
    tp_str host_hdr = { NULL, 0 };
    if (set_headers(env, h, &host_hdr) != 0)
        goto fail;
    /* CONTENT_LENGTH: the client's header; else what the proxy measured. */
    if (h->content_length != TP_LENGTH_UNKNOWN && h->content_length > 0 &&
        PyDict_GetItemWithError(env, keys[K_CONTENT_LENGTH]) == NULL) {
        if (PyErr_Occurred())
            goto fail;
        if (set(env, keys[K_CONTENT_LENGTH], dec_str(h->content_length)) != 0)
            goto fail;
    }

    /* HTTP_HOST from :authority (h2) or Host; SERVER_NAME/PORT from it too. */
    tp_str auth = h->authority.len ? h->authority : host_hdr;
    if (auth.len && set(env, keys[K_HTTP_HOST], latin1(auth.ptr, auth.len)) != 0)
        goto fail;
    const uint8_t *hp, *pp;
    size_t hl, pl;
    if (auth.len && ad_split_authority(auth.ptr, auth.len, &hp, &hl, &pp, &pl) == 0 && hl) {
        if (set(env, keys[K_SERVER_NAME], latin1(hp, hl)) != 0)
            goto fail;
        PyObject *port =
            pl ? latin1(pp, pl) : PyUnicode_FromString(https ? "443" : "80");
        if (set(env, keys[K_SERVER_PORT], port) != 0)
            goto fail;
    } else {
        if (set(env, keys[K_SERVER_NAME], latin1(h->local_addr.ptr, h->local_addr.len)) != 0 ||
            set(env, keys[K_SERVER_PORT], dec_str(h->local_port)) != 0)
            goto fail;
    }
    if (set(env, keys[K_REMOTE_ADDR], latin1(h->peer_addr.ptr, h->peer_addr.len)) != 0 ||
        set(env, keys[K_REMOTE_PORT], dec_str(h->peer_port)) != 0)
        goto fail;
    if (set(env, keys[K_INPUT], wsgi_input_for(r)) != 0)
        goto fail;
    if (set(env, keys[K_STREAM_ID], PyLong_FromUnsignedLong(r->s->id)) != 0)
        goto fail;
    if (h->h2_stream_id &&
        set(env, keys[K_H2_STREAM_ID], PyLong_FromUnsignedLong(h->h2_stream_id)) != 0)
        goto fail;
    if (set_priority(env, h) != 0 || set_proxy_protocol(env, h) != 0 ||
        set_client_cert(env, h) != 0)
        goto fail;
    return env;
fail:
    Py_DECREF(env);
    return NULL;
}

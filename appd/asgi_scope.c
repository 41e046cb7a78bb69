/* asgi_scope.c: the HTTP connection scope of the ASGI spec, built in C from
 * a decoded REQUEST_HEAD: type, asgi, http_version, method, scheme, path
 * (percent-decoded, UTF-8) and raw_path, query_string, root_path, headers
 * (lower-cased bytes, in order, repeats kept; an HTTP/2 :authority becomes
 * the host header, as the spec asks), client, server, state, extensions
 * (the ones tandem implements, and the stream priority under Gunicorn's and
 * tandem's names). */
#define PY_SSIZE_T_CLEAN
#include "config.h"

#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "ad_http.h"
#include "asgi_int.h"
#include "tc_http.h"

/* clang-format off */
enum {
    K_TYPE, K_ASGI, K_HTTP_VERSION, K_METHOD, K_SCHEME, K_PATH, K_RAW_PATH, K_QUERY_STRING,
    K_ROOT_PATH, K_HEADERS, K_CLIENT, K_SERVER, K_STATE, K_EXTENSIONS, K_WEIGHT, K_DEPENDS_ON,
    K_URGENCY, K_INCREMENTAL, K_STREAM_ID, K_SUBPROTOCOLS, K__COUNT
};
static const char *const key_names[K__COUNT] = {
    "type", "asgi", "http_version", "method", "scheme", "path", "raw_path", "query_string",
    "root_path", "headers", "client", "server", "state", "extensions", "weight", "depends_on",
    "urgency", "incremental", "stream_id", "subprotocols",
};
/* clang-format on */
static PyObject *keys[K__COUNT];
static PyObject *v_websocket, *s_ws, *s_wss, *ext_ws_response;
static PyObject *v_http, *v_10, *v_11, *v_2, *s_http, *s_https, *root_path, *asgi_info,
    *empty_bytes, *name_host, *ext_early_hint, *ext_informational, *ext_trailers, *ext_pathsend,
    *ext_priority, *ext_tandem_priority;

static const char *const methods[] = { "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH" };
static PyObject *method_objs[7];

static PyObject *intern(const char *s) { return PyUnicode_InternFromString(s); }

int asgi_scope_init(const ad_settings *s)
{
    for (int i = 0; i < K__COUNT; i++)
        if ((keys[i] = intern(key_names[i])) == NULL)
            return -1;
    for (size_t i = 0; i < 7; i++)
        if ((method_objs[i] = intern(methods[i])) == NULL)
            return -1;
    v_http = intern("http");
    v_websocket = intern("websocket");
    s_ws = intern("ws");
    s_wss = intern("wss");
    ext_ws_response = intern("websocket.http.response");
    if (!v_websocket || !s_ws || !s_wss || !ext_ws_response)
        return -1;
    v_10 = intern("1.0");
    v_11 = intern("1.1");
    v_2 = intern("2");
    s_http = intern("http");
    s_https = intern("https");
    root_path = PyUnicode_DecodeUTF8(s->root_path, (Py_ssize_t)strlen(s->root_path), "strict");
    asgi_info = Py_BuildValue("{s:s,s:s}", "version", "3.0", "spec_version", "2.4");
    empty_bytes = PyBytes_FromStringAndSize(NULL, 0);
    name_host = PyBytes_FromString("host");
    ext_early_hint = intern("http.response.early_hint");
    ext_informational = intern("http.response.informational");
    ext_trailers = intern("http.response.trailers");
    ext_pathsend = intern("http.response.pathsend");
    ext_priority = intern("http.response.priority");
    ext_tandem_priority = intern("tandem.priority");
    if (!v_http || !v_10 || !v_11 || !v_2 || !s_http || !s_https || !root_path || !asgi_info ||
        !empty_bytes || !name_host || !ext_early_hint || !ext_informational || !ext_trailers ||
        !ext_pathsend || !ext_priority || !ext_tandem_priority)
        return -1;
    return 0;
}

/* Steals value. */
static int set(PyObject *d, PyObject *key, PyObject *value)
{
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItem(d, key, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *bytes(tp_str s)
{
    if (s.len == 0)
        return Py_NewRef(empty_bytes);
    return PyBytes_FromStringAndSize((const char *)s.ptr, (Py_ssize_t)s.len);
}

static PyObject *method_obj(tp_str m)
{
    for (size_t i = 0; i < 7; i++) {
        size_t l = strlen(methods[i]);
        if (l == m.len && memcmp(methods[i], m.ptr, l) == 0)
            return Py_NewRef(method_objs[i]);
    }
    return PyUnicode_DecodeLatin1((const char *)m.ptr, (Py_ssize_t)m.len, NULL);
}

/* The path, percent-decoded, as UTF-8 text (invalid sequences replaced, as
 * urllib.parse.unquote does). */
static PyObject *path_obj(tp_str p)
{
    uint8_t small[2048];
    if (p.len == 0)
        return PyUnicode_FromStringAndSize("", 0);
    uint8_t *dec = p.len <= sizeof small ? small : malloc(p.len);
    if (dec == NULL)
        return PyErr_NoMemory();
    size_t n = ad_pct_decode(p.ptr, p.len, dec);
    PyObject *o = PyUnicode_DecodeUTF8((const char *)dec, (Py_ssize_t)n, "replace");
    if (dec != small)
        free(dec);
    return o;
}

/* A name as bytes, lower-cased (HTTP/2 names are already). */
static PyObject *lower_name(tp_str n)
{
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n.len);
    if (b == NULL)
        return NULL;
    char *d = PyBytes_AS_STRING(b);
    for (uint32_t i = 0; i < n.len; i++) {
        uint8_t c = n.ptr[i];
        d[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return b;
}

static int append_pair(PyObject *list, PyObject *name, PyObject *value)
{
    if (name == NULL || value == NULL) {
        Py_XDECREF(name);
        Py_XDECREF(value);
        return -1;
    }
    PyObject *t = PyTuple_Pack(2, name, value);
    Py_DECREF(name);
    Py_DECREF(value);
    if (t == NULL)
        return -1;
    int rc = PyList_Append(list, t);
    Py_DECREF(t);
    return rc;
}

static PyObject *headers_obj(const tp_request_head *h)
{
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    int authority_host = h->http_major >= 2 && h->authority.len;
    if (authority_host && append_pair(list, Py_NewRef(name_host), bytes(h->authority)) != 0)
        goto fail;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        if (authority_host && tc_http_name_is(f->name.ptr, f->name.len, "host"))
            continue;
        if (append_pair(list, lower_name(f->name), bytes(f->value)) != 0)
            goto fail;
    }
    return list;
fail:
    Py_DECREF(list);
    return NULL;
}

static PyObject *addr_obj(tp_str addr, unsigned port)
{
    if (addr.len == 0)
        Py_RETURN_NONE; /* a Unix listener */
    return Py_BuildValue("[s#I]", (const char *)addr.ptr, (Py_ssize_t)addr.len, port);
}

/* Gunicorn's priority extension (RFC 7540 weight and dependency, HTTP/2,
 * or when the client sent them) and tandem's RFC 9218 urgency, on every
 * request: the same facts as the WSGI environ's keys. */
static int set_priority(PyObject *ext, const tp_request_head *h, uint32_t stream_id)
{
    int has = (h->flags & TP_REQ_HAS_PRIORITY) != 0;
    if (h->http_major >= 2 || has) {
        PyObject *p = PyDict_New();
        if (p == NULL || set(p, keys[K_WEIGHT], PyLong_FromLong(has ? h->prio_weight : 16)) ||
            set(p, keys[K_DEPENDS_ON], PyLong_FromUnsignedLong(has ? h->prio_depends_on : 0)) ||
            set(ext, ext_priority, p))
            return -1;
    }
    PyObject *t = PyDict_New();
    if (t == NULL || set(t, keys[K_URGENCY], PyLong_FromLong(h->prio_urgency)) ||
        PyDict_SetItem(t, keys[K_INCREMENTAL], h->prio_incremental ? Py_True : Py_False) ||
        set(t, keys[K_STREAM_ID], PyLong_FromUnsignedLong(stream_id))) {
        Py_XDECREF(t);
        return -1;
    }
    return set(ext, ext_tandem_priority, t);
}

static PyObject *extensions_obj(const tp_request_head *h, uint32_t stream_id, int ws)
{
    PyObject *ext = PyDict_New();
    if (ext == NULL)
        return NULL;
    if ((ws ? set(ext, ext_ws_response, PyDict_New())
            : set(ext, ext_trailers, PyDict_New()) || set(ext, ext_early_hint, PyDict_New()) ||
                  set(ext, ext_informational, PyDict_New()) ||
                  set(ext, ext_pathsend, PyDict_New())) ||
        set_priority(ext, h, stream_id)) {
        Py_DECREF(ext);
        return NULL;
    }
    return ext;
}

/* The offered subprotocols: every sec-websocket-protocol field, split at
 * commas, blanks trimmed. */
static PyObject *subprotocols_obj(const tp_request_head *h)
{
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list && i < h->nheaders; i++) {
        const tp_header *f = &h->headers[i];
        if (!tc_http_name_is(f->name.ptr, f->name.len, "sec-websocket-protocol"))
            continue;
        const uint8_t *p = f->value.ptr, *e = p + f->value.len;
        while (p < e) {
            const uint8_t *c = memchr(p, ',', (size_t)(e - p));
            const uint8_t *tp = p;
            size_t tl = (size_t)((c ? c : e) - p);
            tc_http_trim_ows(&tp, &tl);
            PyObject *o =
                tl ? PyUnicode_DecodeLatin1((const char *)tp, (Py_ssize_t)tl, NULL) : NULL;
            if (tl && (o == NULL || PyList_Append(list, o) != 0))
                Py_CLEAR(list);
            Py_XDECREF(o);
            if (list == NULL)
                break;
            p = c ? c + 1 : e;
        }
    }
    return list;
}

/* The head's scheme is the proxy's decision (TLS, or a trusted front's
 * secure_scheme_headers: tandem-protocol(7)), not the connection's TLS flag. */
static PyObject *scheme_obj(const tp_request_head *h)
{
    int tls = h->scheme.len == 5 && memcmp(h->scheme.ptr, "https", 5) == 0;
    if (h->flags & TP_REQ_WEBSOCKET)
        return Py_NewRef(tls ? s_wss : s_ws);
    if (tls)
        return Py_NewRef(s_https);
    if (h->scheme.len == 0 || (h->scheme.len == 4 && memcmp(h->scheme.ptr, "http", 4) == 0))
        return Py_NewRef(s_http);
    return PyUnicode_DecodeLatin1((const char *)h->scheme.ptr, (Py_ssize_t)h->scheme.len, NULL);
}

PyObject *asgi_scope_build(ad_stream *s, PyObject *state)
{
    const tp_request_head *h = &s->req;
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    PyObject *version = h->http_major >= 2 ? v_2 : h->http_minor == 0 ? v_10 : v_11;
    int ws = (h->flags & TP_REQ_WEBSOCKET) != 0;
    if (PyDict_SetItem(d, keys[K_TYPE], ws ? v_websocket : v_http) ||
        set(d, keys[K_ASGI], PyDict_Copy(asgi_info)) ||
        PyDict_SetItem(d, keys[K_HTTP_VERSION], version) ||
        (ws ? set(d, keys[K_SUBPROTOCOLS], subprotocols_obj(h))
            : set(d, keys[K_METHOD], method_obj(h->method))) ||
        set(d, keys[K_SCHEME], scheme_obj(h)) || set(d, keys[K_PATH], path_obj(h->path)) ||
        set(d, keys[K_RAW_PATH], bytes(h->path)) || set(d, keys[K_QUERY_STRING], bytes(h->query)) ||
        PyDict_SetItem(d, keys[K_ROOT_PATH], root_path) ||
        set(d, keys[K_HEADERS], headers_obj(h)) ||
        set(d, keys[K_CLIENT], addr_obj(h->peer_addr, h->peer_port)) ||
        set(d, keys[K_SERVER], addr_obj(h->local_addr, h->local_port)) ||
        (state && set(d, keys[K_STATE], PyDict_Copy(state))) ||
        set(d, keys[K_EXTENSIONS], extensions_obj(h, s->id, ws))) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

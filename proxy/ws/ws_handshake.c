/* ws_handshake.c: the opening handshake's checks and answer (ws_handshake.h). */
#include "config.h"
#include <string.h>
#include <openssl/evp.h>
#include "ws_handshake.h"
#include "tc_http.h"

/* RFC 6455 §1.3: the GUID every server appends to the key. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int b64_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

int ws_key_valid(const uint8_t *key, size_t len)
{
    /* 16 bytes are 22 characters and "==": the last character carries
     * only 2 bits, so its low 4 must be 0 (A, Q, g or w). */
    if (len != 24 || key[22] != '=' || key[23] != '=')
        return 0;
    for (size_t i = 0; i < 22; i++)
        if (!b64_char(key[i]))
            return 0;
    return memchr("AQgw", key[21], 4) != NULL;
}

void ws_accept_value(const uint8_t *key, size_t len, char out[WS_ACCEPT_LEN + 1])
{
    uint8_t md[EVP_MAX_MD_SIZE], in[64 + sizeof ws_guid];
    unsigned mdlen = 0;
    if (len > 64)
        len = 64; /* a valid key has 24 bytes */
    memcpy(in, key, len);
    memcpy(in + len, ws_guid, sizeof ws_guid - 1);
    if (!EVP_Digest(in, len + sizeof ws_guid - 1, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
        memset(md, 0, mdlen = 20); /* cannot happen with a working libcrypto */
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
    out[WS_ACCEPT_LEN] = '\0';
}

static int named(const tp_header *f, const char *name)
{
    return tc_http_name_is(f->name.ptr, f->name.len, name);
}

/* The version field: 1 when it is exactly "13", 0 otherwise; *count how
 * many there were. */
static int version_13(const tp_header *h, uint32_t n, uint32_t *count)
{
    int ok = 0;
    *count = 0;
    for (uint32_t i = 0; i < n; i++)
        if (named(&h[i], "sec-websocket-version")) {
            (*count)++;
            ok = h[i].value.len == 2 && memcmp(h[i].value.ptr, "13", 2) == 0;
        }
    return ok && *count == 1;
}

int ws_handshake_h1(tp_str method, int has_body, const tp_header *h, uint32_t n,
                    char accept[WS_ACCEPT_LEN + 1], const char **why)
{
    const tp_header *key = NULL;
    uint32_t keys = 0, versions;
    if (method.len != 3 || memcmp(method.ptr, "GET", 3) != 0) {
        *why = "WebSocket handshake with a method other than GET";
        return WS_HS_BAD;
    }
    if (has_body) {
        *why = "WebSocket handshake with a body";
        return WS_HS_BAD;
    }
    for (uint32_t i = 0; i < n; i++)
        if (named(&h[i], "sec-websocket-key")) {
            key = &h[i];
            keys++;
        }
    if (keys != 1 || !ws_key_valid(key->value.ptr, key->value.len)) {
        *why = "WebSocket handshake without one valid Sec-WebSocket-Key";
        return WS_HS_BAD;
    }
    if (!version_13(h, n, &versions)) {
        *why = versions ? "WebSocket version other than 13" : "no Sec-WebSocket-Version";
        return versions ? WS_HS_VERSION : WS_HS_BAD;
    }
    ws_accept_value(key->value.ptr, key->value.len, accept);
    return WS_HS_OK;
}

int ws_handshake_h2(const tp_header *h, uint32_t n, const char **why)
{
    uint32_t versions;
    if (!version_13(h, n, &versions) && versions) {
        *why = "WebSocket version other than 13";
        return WS_HS_VERSION;
    }
    return WS_HS_OK;
}

/* Is the token v[0..n) an element of the comma list l[0..ln)?  Elements
 * are compared exactly (subprotocol names are case-sensitive). */
static int list_has(const uint8_t *l, size_t ln, const uint8_t *v, size_t n)
{
    size_t i = 0;
    while (i < ln) {
        while (i < ln && (l[i] == ' ' || l[i] == '\t' || l[i] == ','))
            i++;
        size_t start = i;
        while (i < ln && l[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (l[end - 1] == ' ' || l[end - 1] == '\t'))
            end--;
        if (end > start && end - start == n && memcmp(l + start, v, n) == 0)
            return 1;
    }
    return 0;
}

int ws_subprotocol_offered(const tp_request_head *h, const uint8_t *v, size_t n)
{
    if (n == 0)
        return 0;
    for (uint32_t i = 0; i < h->nheaders; i++)
        if (named(&h->headers[i], "sec-websocket-protocol") &&
            list_has(h->headers[i].value.ptr, h->headers[i].value.len, v, n))
            return 1;
    return 0;
}

int ws_field_dropped(const uint8_t *name, size_t len)
{
    return tc_http_name_is(name, len, "upgrade") || tc_http_name_is(name, len, "connection") ||
           tc_http_name_is(name, len, "sec-websocket-key") ||
           tc_http_name_is(name, len, "sec-websocket-extensions");
}

void ws_drop_fields(tp_header *h, uint32_t *n)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < *n; i++)
        if (!ws_field_dropped(h[i].name.ptr, h[i].name.len))
            h[w++] = h[i];
    *n = w;
}

/* h2c.c: HTTP/1 turning into HTTP/2 without TLS (h2c.h). */
#include "config.h"
#include <string.h>
#include <event2/buffer.h>
#include "h2c.h"
#include "h2_conn.h"
#include "px_hdr.h"
#include "px_listener.h"
#include "tc_http.h"
#include "tc_log.h"

/* A SETTINGS payload is 6 bytes per setting; no real client sends more
 * than a dozen.  Bounded by the HTTP/1 field size limit anyway. */
#define H2C_SETTINGS_MAX (6 * 256)

static int allowed(const px_conn *c, int mode)
{
    return !c->tls && c->trusted && (c->lis->h2c_mode & mode);
}

int px_h2c_prior_knowledge(px_conn *c, size_t skip)
{
    if (!allowed(c, PX_H2C_PRIOR))
        return 0;
    /* Only the empty lines before it go: nghttp2 reads the preface itself. */
    evbuffer_drain(px_conn_in(c), skip);
    tc_debug("conn %u: h2c with prior knowledge from %s", c->id, c->peer_ip);
    px_conn_switch(c, &px_h2_conn_ops);
    return 1;
}

int px_h2c_bad_preface(px_conn *c, const px_h1_request *r)
{
    int pri = r->method.len == 3 && memcmp(r->method.ptr, "PRI", 3) == 0;
    if (!allowed(c, PX_H2C_PRIOR) || (!pri && !px_h2c_h1_refused(c)))
        return 0;
    /* nghttp2 reads the bytes as a preface and refuses them. */
    tc_debug("conn %u: not HTTP/1, nor the HTTP/2 preface, from %s", c->id, c->peer_ip);
    px_conn_switch(c, &px_h2_conn_ops);
    return 1;
}

int px_h2c_h1_refused(const px_conn *c)
{
    return allowed(c, PX_H2C_PRIOR) && !allowed(c, PX_H2C_UPGRADE);
}

int px_h2c_can_upgrade(const px_conn *c, const px_h1_request *r)
{
    /* With a body the request would have to arrive whole before the
     * switch (RFC 7540 §3.2); serving it as HTTP/1.1 is simpler and allowed. */
    return r->h2c_upgrade && allowed(c, PX_H2C_UPGRADE) && !r->chunked && r->content_length == 0;
}

/* Fields that describe the HTTP/1 connection, not the request: gone on h2
 * (RFC 9113 §8.2.2, TE: trailers excepted), with HTTP2-Settings which was
 * for us. */
static int hop_by_hop(const tp_header *f)
{
    const uint8_t *n = f->name.ptr;
    size_t l = f->name.len;
    return tc_http_h2_request_drops(n, l, f->value.ptr, f->value.len) ||
           tc_http_name_is(n, l, "http2-settings");
}

/* The decoded HTTP2-Settings of the request, or -1 when malformed. */
static long settings_of(const tp_request_head *h, uint8_t *out, size_t cap)
{
    long len = -1;
    for (uint32_t i = 0; i < h->nheaders; i++)
        if (tc_http_name_is(h->headers[i].name.ptr, h->headers[i].name.len, "http2-settings"))
            len = px_base64url_decode(h->headers[i].value.ptr, h->headers[i].value.len, out, cap);
    return len < 0 || len % 6 != 0 ? -1 : len;
}

/* The session, upgraded with the client's settings (its first SETTINGS);
 * the upgrading request is stream 1, half-closed (remote): its body is
 * complete (we only upgrade bodiless requests). */
static nghttp2_session *upgraded_session(px_conn *c, const uint8_t *settings, size_t len,
                                         int is_head)
{
    nghttp2_session *session = px_h2_session_new(c);
    if (!session)
        return NULL;
    int rv = nghttp2_session_upgrade2(session, settings, len, is_head, NULL);
    if (rv != 0 || px_h2_session_settings(c, session) < 0) {
        tc_debug("conn %u: h2c upgrade refused: %s", c->id,
                 rv ? nghttp2_strerror(rv) : "cannot submit SETTINGS");
        nghttp2_session_del(session);
        return NULL;
    }
    return session;
}

/* The kept head loses its HTTP/1 connection fields; names are lower-cased
 * in place (the bytes are s->hold's), as h2 requests carry them. */
static void strip_hop_by_hop(px_stream *s)
{
    tp_request_head *h = &s->head;
    uint32_t w = 0;
    for (uint32_t i = 0; i < h->nheaders; i++) {
        tp_header f = h->headers[i];
        if (hop_by_hop(&f))
            continue;
        px_hdr_lower((uint8_t *)(uintptr_t)f.name.ptr, f.name.ptr, f.name.len);
        s->hdrs[w++] = f;
    }
    h->nheaders = w;
    h->headers = s->hdrs;
}

int px_h2c_upgrade(px_conn *c, px_stream *s)
{
    static const char switching[] =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    uint8_t settings[H2C_SETTINGS_MAX];
    long slen = settings_of(&s->head, settings, sizeof settings);
    if (slen < 0) {
        tc_debug("conn %u: Upgrade: h2c with a malformed HTTP2-Settings: served as HTTP/1.1",
                 c->id);
        return -1;
    }
    px_h2_stream *hs = px_h2_stream_new(c);
    if (!hs)
        return -1;
    nghttp2_session *session = upgraded_session(c, settings, (size_t)slen, s->is_head);
    if (!session) {
        px_stream_free(&hs->base);
        return -1;
    }
    strip_hop_by_hop(s);
    px_stream_move_request(&hs->base, s);
    px_stream_free(s);
    /* Nothing was sent yet (nghttp2 writes at the end of the turn): the
     * 101 goes first, then the server's SETTINGS. */
    evbuffer_add(px_conn_out(c), switching, sizeof switching - 1);
    px_h2_adopt_upgrade(c, session, &hs->base);
    tc_debug("conn %u: upgraded to h2c from %s; the request is stream 1", c->id, c->peer_ip);
    return 0;
}

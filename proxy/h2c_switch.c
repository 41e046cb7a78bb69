/* h2c_switch.c: a cleartext HTTP/1 connection turning into HTTP/2 (h2c),
 * by the connection preface (prior knowledge, RFC 9113 §3.3) or by
 * "Upgrade: h2c" (RFC 7540 §3.2), for peers in --forwarded-allow-ips only
 * and as --http2-cleartext allows.  h2c is meant for a trusted front proxy
 * on a private network: anyone else keeps getting HTTP/1.x, as if h2c were
 * off, so an untrusted client cannot pick a protocol the operator did not
 * expose. */
#include "config.h"
#include <string.h>
#include "px.h"
#include "px_hdr.h"
#include "tc_log.h"

/* A SETTINGS payload is 6 bytes per setting; no real client sends more
 * than a dozen.  Bounded by the HTTP/1 field size limit anyway. */
#define H2C_SETTINGS_MAX (6 * 256)

static int allowed(const px_conn *c, int mode)
{
    return !c->tls && c->trusted && (px_h2c_mode(px_g.cfg) & mode);
}

int px_h2c_prior_knowledge(px_conn *c, size_t skip)
{
    /* The preface must open the connection, not follow HTTP/1 requests. */
    if (!allowed(c, PX_H2C_PRIOR) || c->requests)
        return 0;
    /* Only the empty lines before it go: nghttp2 reads the preface itself. */
    evbuffer_drain(bufferevent_get_input(c->bev), skip);
    c->proto = PX_PROTO_H2;
    tc_debug("conn %u: h2c with prior knowledge from %s", c->id, c->peer_ip);
    if (px_h2_start(c) < 0)
        px_conn_close(c, PX_CLOSE_NOW);
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
 * (RFC 9113 §8.2.2), with HTTP2-Settings which was for us. */
static int hop_by_hop(const tp_header *f)
{
    const uint8_t *n = f->name.ptr;
    size_t l = f->name.len;
    if (px_hdr_is(n, l, "te"))
        return !px_hdr_list_has(f->value.ptr, f->value.len, "trailers");
    return px_hdr_conn_specific(n, l) || px_hdr_is(n, l, "http2-settings");
}

int px_h2c_upgrade(px_conn *c, px_stream *s)
{
    tp_request_head *h = &s->head;
    uint8_t settings[H2C_SETTINGS_MAX];
    long slen = -1;
    for (uint32_t i = 0; i < h->nheaders; i++)
        if (px_hdr_is(h->headers[i].name.ptr, h->headers[i].name.len, "http2-settings"))
            slen = px_base64url_decode(h->headers[i].value.ptr, h->headers[i].value.len, settings,
                                       sizeof settings);
    if (slen < 0 || slen % 6 != 0) {
        tc_debug("conn %u: Upgrade: h2c with a malformed HTTP2-Settings: served as HTTP/1.1",
                 c->id);
        return -1;
    }
    /* The head was copied into s->hold (ours): names are lower-cased in
     * place, as h2 requests carry them. */
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
    s->proto = PX_PROTO_H2;
    s->expect_continue = 0;
    if (px_h2_start_upgrade(c, s, settings, (size_t)slen) < 0) {
        s->proto = PX_PROTO_H1;
        return -1;
    }
    tc_debug("conn %u: upgraded to h2c from %s; the request is stream 1", c->id, c->peer_ip);
    return 0;
}

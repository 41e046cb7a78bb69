/* h2_priority.c: the priority signals of an HTTP/2 request, of both schemes.
 *
 * The request head carries RFC 7540 fields (weight, depends_on, exclusive)
 * and RFC 9218 fields (urgency, incremental); both are read here, whatever
 * nghttp2 schedules by:
 *  - RFC 7540: the HEADERS priority block (frame->headers.pri_spec, which
 *    nghttp2 1.52 fills whatever its mode), or a PRIORITY frame received
 *    before the stream is dispatched (before the HEADERS it is kept in
 *    prio_early).  h2_session.c sends SETTINGS_NO_RFC7540_PRIORITIES=1 with
 *    the server fallback option, so nghttp2 drops PRIORITY frames only from
 *    a client that announced the same (it promised not to send them);
 *    others fall back to RFC 7540.
 *  - RFC 9218: the priority header field (px_prio_parse, h2_request.c), and
 *    PRIORITY_UPDATE frames.  nghttp2's built-in PRIORITY_UPDATE handling
 *    works only when both sides disabled RFC 7540 priorities (no fallback),
 *    so the frame type is registered as a user extension instead: we get
 *    it on every connection, and mirror it into nghttp2's scheduler with
 *    nghttp2_session_change_extpri_stream_priority (a no-op in fallback).
 * The latest signal before dispatch wins, except that a PRIORITY_UPDATE
 * beats the header field (RFC 9218 §7.1: the frame reprioritises).  After
 * dispatch nothing changes the head: the wire has no update frame. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "h2_conn.h"
#include "px_dispatch.h"
#include "px_prio.h"
#include "tc_log.h"

#define PRIORITY_UPDATE 0x10 /* NGHTTP2_PRIORITY_UPDATE, RFC 9218 §7.1 */
/* A PRIORITY_UPDATE payload longer than this carries a longer field value
 * than any real one: ignored. */
#define EXT_MAX 260

int px_h2_prio_open(const px_h2_stream *s)
{
    return s->base.state == PX_ST_IDLE || s->base.state == PX_ST_QUEUED;
}

int px_h2_rfc7540_ignored(px_h2_conn *hc)
{
    return nghttp2_session_get_remote_settings(hc->session,
                                               NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES) == 1;
}

static px_h2_prio_early *early_find(px_h2_conn *hc, int32_t id)
{
    for (size_t i = 0; i < PX_H2_PRIO_EARLY; i++)
        if (hc->prio_early[i].id == id)
            return &hc->prio_early[i];
    return NULL;
}

/* The entry for idle stream id, taking the oldest slot when it has none. */
static px_h2_prio_early *early_slot(px_h2_conn *hc, int32_t id)
{
    px_h2_prio_early *e = early_find(hc, id);
    if (e)
        return e;
    e = &hc->prio_early[hc->prio_early_next++ % PX_H2_PRIO_EARLY];
    memset(e, 0, sizeof *e);
    e->id = id;
    return e;
}

void px_h2_set_7540(px_h2_stream *s, const nghttp2_priority_spec *p)
{
    s->base.head.prio_weight = (uint16_t)p->weight;
    s->base.head.prio_depends_on = (uint32_t)p->stream_id;
    s->base.head.prio_exclusive = p->exclusive ? 1 : 0;
}

void px_h2_prio_take_early(px_h2_conn *hc, px_h2_stream *s)
{
    px_h2_prio_early *e = early_find(hc, s->id);
    if (!e)
        return;
    tp_request_head *h = &s->base.head;
    if (e->has_7540) {
        h->prio_weight = e->weight;
        h->prio_depends_on = e->depends_on;
        h->prio_exclusive = e->exclusive;
    }
    if (e->has_9218) {
        h->prio_urgency = e->urgency;
        h->prio_incremental = e->incremental;
        s->prio_9218 = 1;
    }
    e->id = 0;
}

void px_h2_mirror_extpri(px_h2_conn *hc, px_h2_stream *s)
{
    nghttp2_extpri e = { s->base.head.prio_urgency, s->base.head.prio_incremental };
    (void)nghttp2_session_change_extpri_stream_priority(hc->session, s->id, &e, 0);
}

void px_h2_on_priority(px_h2_conn *hc, const nghttp2_frame *frame)
{
    int32_t id = frame->hd.stream_id;
    const nghttp2_priority_spec *p = &frame->priority.pri_spec;
    px_h2_stream *s = px_h2_get_stream(hc, id);
    if (s) {
        if (!px_h2_prio_open(s))
            return;
        px_h2_set_7540(s, p);
        px_dispatch_reprioritize(&s->base);
        tc_debug("conn %u: stream %d: PRIORITY weight %d depends on %d%s before dispatch",
                 hc->base.id, id, p->weight, p->stream_id, p->exclusive ? " (exclusive)" : "");
    } else if (id > nghttp2_session_get_last_proc_stream_id(hc->session)) {
        px_h2_prio_early *e = early_slot(hc, id);
        e->has_7540 = 1;
        e->weight = (uint16_t)p->weight;
        e->depends_on = (uint32_t)p->stream_id;
        e->exclusive = p->exclusive ? 1 : 0;
    }
}

/* ---- PRIORITY_UPDATE (a user extension type: see the top of the file) ---- */

int px_h2_on_ext_chunk(nghttp2_session *session, const nghttp2_frame_hd *hd, const uint8_t *data,
                       size_t len, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    if (hd->type != PRIORITY_UPDATE || hc->ext_drop)
        return 0;
    if (hc->ext_len + len > EXT_MAX) {
        hc->ext_drop = 1;
        return 0;
    }
    /* Allocated per frame, not carried by every connection (idle ones too). */
    if (!hc->ext_buf && !(hc->ext_buf = malloc(EXT_MAX))) {
        hc->ext_drop = 1;
        return 0;
    }
    memcpy(hc->ext_buf + hc->ext_len, data, len);
    hc->ext_len = (uint16_t)(hc->ext_len + len);
    return 0;
}

static void priority_update(px_h2_conn *hc, const nghttp2_frame_hd *hd)
{
    uint32_t id;
    const uint8_t *v;
    size_t vlen;
    uint8_t urg, inc;
    if (hd->stream_id != 0 || px_prio_update_decode(hc->ext_buf, hc->ext_len, &id, &v, &vlen) < 0 ||
        id == 0) {
        /* RFC 9218 §7.1: on a stream, or about stream 0, it is a connection error. */
        tc_debug("conn %u: malformed PRIORITY_UPDATE: PROTOCOL_ERROR", hc->base.id);
        nghttp2_session_terminate_session(hc->session, NGHTTP2_PROTOCOL_ERROR);
        return;
    }
    if (!(id & 1) || px_prio_parse(v, vlen, &urg, &inc) < 0)
        return; /* a push stream (none here), or a value to ignore */
    px_h2_stream *s = px_h2_get_stream(hc, (int32_t)id);
    if (s) {
        if (px_h2_prio_open(s)) {
            s->base.head.prio_urgency = urg;
            s->base.head.prio_incremental = inc;
            s->prio_9218 = 1;
            px_dispatch_reprioritize(&s->base);
            tc_debug("conn %u: stream %u: PRIORITY_UPDATE u=%u i=%u before dispatch", hc->base.id,
                     id, urg, inc);
        }
        nghttp2_extpri e = { urg, inc };
        (void)nghttp2_session_change_extpri_stream_priority(hc->session, (int32_t)id, &e, 0);
    } else if ((int32_t)id > nghttp2_session_get_last_proc_stream_id(hc->session)) {
        px_h2_prio_early *e = early_slot(hc, (int32_t)id);
        e->has_9218 = 1;
        e->urgency = urg;
        e->incremental = inc;
    }
}

void px_h2_ext_reset(px_h2_conn *hc)
{
    free(hc->ext_buf);
    hc->ext_buf = NULL;
    hc->ext_len = 0;
    hc->ext_drop = 0;
}

int px_h2_unpack_ext(nghttp2_session *session, void **payload, const nghttp2_frame_hd *hd, void *ud)
{
    px_h2_conn *hc = px_h2_of(ud);
    if (hd->type == PRIORITY_UPDATE && !hc->ext_drop)
        priority_update(hc, hd);
    px_h2_ext_reset(hc);
    /* Handled here: nothing for on_frame_recv. */
    return NGHTTP2_ERR_CANCEL;
}

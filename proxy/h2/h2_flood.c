/* h2_flood.c: frames that cost us work but move no request forward (empty
 * DATA, empty CONTINUATION, WINDOW_UPDATE, PRIORITY, PRIORITY_UPDATE,
 * SETTINGS, PING, unknown types) are paid from a per-connection budget;
 * real progress refills it, and a client that spends it all is answered
 * GOAWAY(ENHANCE_YOUR_CALM) and dropped (RFC 9113 §10.5). */
#include "config.h"
#include "h2_conn.h"
#include "tc_log.h"

/* Frames without progress a connection may send in a row...  */
#define FLOOD_BUDGET 1000
/* ...and what each step of real progress gives back: a downloading client
 * sends a WINDOW_UPDATE or two per DATA frame it receives, a browser a few
 * PRIORITY frames per page, far below this. */
#define FLOOD_REFILL 100

void px_h2_flood_init(px_h2_conn *hc) { hc->flood_left = FLOOD_BUDGET; }

void px_h2_flood_progress(px_h2_conn *hc)
{
    hc->flood_left =
        hc->flood_left > FLOOD_BUDGET - FLOOD_REFILL ? FLOOD_BUDGET : hc->flood_left + FLOOD_REFILL;
}

static int spend(px_h2_conn *hc, const char *what)
{
    if (hc->flood_left > 0) {
        hc->flood_left--;
        return 0;
    }
    tc_warn("conn %u: %d frames without progress (last: %s) from %s: GOAWAY(ENHANCE_YOUR_CALM)",
            hc->base.id, FLOOD_BUDGET, what, hc->base.peer_ip);
    nghttp2_session_terminate_session(hc->session, NGHTTP2_ENHANCE_YOUR_CALM);
    return -1;
}

int px_h2_flood_frame(px_h2_conn *hc, const nghttp2_frame_hd *hd)
{
    switch (hd->type) {
    case NGHTTP2_DATA:
    case NGHTTP2_HEADERS:
    case NGHTTP2_RST_STREAM: /* nghttp2's reset rate limit (h2_session.c) */
    case NGHTTP2_GOAWAY:
        return 0; /* DATA is judged once read (px_h2_flood_data) */
    case NGHTTP2_CONTINUATION:
        return hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_HEADERS)
                   ? spend(hc, "empty CONTINUATION")
                   : 0;
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
        /* Acknowledgements answer ours; the client's own cost a reply. */
        return hd->flags & NGHTTP2_FLAG_ACK ? 0 : spend(hc, "SETTINGS or PING");
    case NGHTTP2_WINDOW_UPDATE: return spend(hc, "WINDOW_UPDATE");
    case NGHTTP2_PRIORITY: return spend(hc, "PRIORITY");
    default: return spend(hc, "PRIORITY_UPDATE or unknown type");
    }
}

int px_h2_flood_data(px_h2_conn *hc, size_t payload, int end_stream)
{
    if (payload || end_stream) {
        if (payload)
            px_h2_flood_progress(hc);
        return 0;
    }
    return spend(hc, "empty DATA");
}

/* ad_stream.c: per-stream state shared by the connection reader (which feeds
 * request bytes, credit and resets in) and the code running the stream (which
 * reads the body and sends the response under flow control).  No Python
 * here: see ad_stream.h for who drops the GIL around the waits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ad_conn.h"
#include "ad_ioloop.h"
#include "ad_scoreboard.h"
#include "ad_stream.h"
#include "ad_worker.h"

/* Buffers above this are freed on recycle so one big upload does not pin
 * memory in an idle worker. */
#define AD_KEEP_BODY (256u * 1024u)
#define AD_MAX_HDRS 65536u

ad_stream *ad_stream_alloc_locked(void)
{
    ad_stream *s = W.free_streams;
    if (s) {
        W.free_streams = s->free_next;
    } else {
        s = calloc(1, sizeof *s);
        if (s == NULL)
            return NULL;
        pthread_cond_init(&s->cv, NULL);
    }
    s->q_prev = s->q_next = s->c_next = s->c_prev = s->free_next = NULL;
    s->conn = NULL;
    s->body_rd = s->body_wr = 0;
    s->req_ended = 0;
    s->reset_recv = 0;
    s->unacked = 0;
    s->resp_ended = 0;
    s->reset_sent = 0;
    s->cancel_owed = 0;
    s->cancelled = 0;
    s->cancel_reason = 0;
    /* s->waiting is not reset: a thread of the app that outlived the
     * object's last request may still be leaving its wait (it counts). */
    s->busy_since_ms = 0;
    s->wc_data = NULL;
    ad_wsq_reset(&s->ws_q);
    s->ws_closed = 0;
    return s;
}

void ad_stream_free_locked(ad_stream *s)
{
    /* A thread of the app still blocked in its wsgi.input (it outlived its
     * request) must let go now: the object is about to carry another
     * request's body.  It sees gen change and gives up (wsgi_input.c). */
    if (s->waiting)
        pthread_cond_broadcast(&s->cv);
    s->gen++;
    s->state = AD_ST_FREE;
    s->conn = NULL;
    if (s->body_cap > AD_KEEP_BODY) {
        free(s->body);
        s->body = NULL;
        s->body_cap = 0;
    }
    if (s->raw_cap > AD_KEEP_BODY) {
        free(s->raw);
        s->raw = NULL;
        s->raw_cap = 0;
    }
    s->free_next = W.free_streams;
    W.free_streams = s;
}

int ad_stream_set_head(ad_stream *s, const uint8_t *payload, uint32_t len)
{
    if (s->raw_cap < len) {
        uint8_t *p = realloc(s->raw, len);
        if (p == NULL)
            return TP_E_NOMEM;
        s->raw = p;
        s->raw_cap = len;
    }
    if (len)
        memcpy(s->raw, payload, len);
    s->raw_len = len;
    if (s->hdr_cap == 0) {
        s->hdrs = malloc(64 * sizeof *s->hdrs);
        if (s->hdrs == NULL)
            return TP_E_NOMEM;
        s->hdr_cap = 64;
    }
    for (;;) {
        int rc = tp_decode_request_head(s->raw, len, &s->req, s->hdrs, s->hdr_cap);
        if (rc != TP_E_TOO_MANY || s->hdr_cap >= AD_MAX_HDRS)
            return rc;
        tp_header *h = realloc(s->hdrs, (size_t)s->hdr_cap * 4 * sizeof *h);
        if (h == NULL)
            return TP_E_NOMEM;
        s->hdrs = h;
        s->hdr_cap *= 4;
    }
}

int ad_stream_feed_locked(ad_stream *s, const uint8_t *p, uint32_t n, int end)
{
    if (n > s->recv_window)
        return -1;
    if (s->body_wr + n > s->body_cap) {
        size_t have = s->body_wr - s->body_rd;
        if (s->body_rd) {
            memmove(s->body, s->body + s->body_rd, have);
            s->body_rd = 0;
            s->body_wr = have;
        }
        if (have + n > s->body_cap) {
            size_t cap = s->body_cap ? s->body_cap : 16384;
            while (cap < have + n)
                cap *= 2;
            uint8_t *b = realloc(s->body, cap);
            if (b == NULL)
                return -1;
            s->body = b;
            s->body_cap = cap;
        }
    }
    if (n)
        memcpy(s->body + s->body_wr, p, n);
    s->body_wr += n;
    s->recv_window -= n;
    if (end)
        s->req_ended = 1;
    return 0;
}

void ad_stream_cancel_locked(ad_stream *s, uint32_t reason)
{
    if (!s->cancelled) {
        s->cancelled = 1;
        s->cancel_reason = reason;
    }
}

void ad_stream_wake_locked(ad_stream *s)
{
    /* More than one waiter: a stale one of the object's last request is
     * among them, and a single signal could wake it instead of ours. */
    if (s->waiting > 1)
        pthread_cond_broadcast(&s->cv);
    else if (s->waiting)
        ad_worker_cond_signal(&s->cv);
}

/* Blocks on s->cv (mu held on entry and exit).  Time spent here is time
 * waiting on the client: it does not count toward --timeout, so busy_since
 * restarts afterwards.  A caller that holds the GIL drops it before calling
 * the public waits (the stream layer knows nothing of Python), which keeps
 * the lock order GIL -> W.mu. */
static void wait_locked(ad_stream *s)
{
    s->busy_since_ms = 0;
    /* A thread that leads the poll loop must not sleep with the lead: it
     * reads the sockets itself until what it waits for comes. */
    if (!ad_ioloop_wait_locked()) {
        s->waiting++;
        pthread_cond_wait(&s->cv, &W.mu);
        s->waiting--;
    }
    s->busy_since_ms = ad_now_ms();
}

/* Gives consumed body bytes back to the proxy in quarter-window steps: few
 * CREDIT frames, and the proxy never stalls with a window below 3/4. */
static void credit_locked(ad_stream *s, size_t consumed)
{
    ad_conn *c = s->conn;
    s->unacked += (uint32_t)consumed;
    if (s->req_ended || s->cancelled || c->dead)
        return;
    if (s->unacked < W.initial_window / 4 && s->recv_window != 0)
        return;
    if (s->unacked == 0)
        return;
    if (tp_encode_credit(&c->out, s->id, s->unacked) == TP_OK) {
        s->recv_window += s->unacked;
        s->unacked = 0;
        ad_conn_flush_locked(c);
    }
}

size_t ad_stream_body_take(ad_stream *s, uint8_t *dst, size_t max, int stop_nl, int *st)
{
    size_t n = 0;
    pthread_mutex_lock(&W.mu);
    if (s->cancelled) {
        *st = AD_RD_RESET;
        pthread_mutex_unlock(&W.mu);
        return 0;
    }
    size_t avail = s->body_wr - s->body_rd;
    n = avail < max ? avail : max;
    *st = AD_RD_MORE;
    if (stop_nl && n) {
        const uint8_t *nl = memchr(s->body + s->body_rd, '\n', n);
        if (nl) {
            n = (size_t)(nl - (s->body + s->body_rd)) + 1;
            *st = AD_RD_NL;
        }
    }
    if (n) {
        memcpy(dst, s->body + s->body_rd, n);
        s->body_rd += n;
        if (s->body_rd == s->body_wr)
            s->body_rd = s->body_wr = 0;
        credit_locked(s, n);
    }
    if (*st == AD_RD_MORE && s->body_rd == s->body_wr && s->req_ended)
        *st = AD_RD_EOF;
    pthread_mutex_unlock(&W.mu);
    return n;
}

int ad_stream_body_state(ad_stream *s, size_t *avail)
{
    pthread_mutex_lock(&W.mu);
    *avail = s->body_wr - s->body_rd;
    int st = s->cancelled ? AD_RD_RESET : *avail == 0 && s->req_ended ? AD_RD_EOF : AD_RD_MORE;
    pthread_mutex_unlock(&W.mu);
    return st;
}

void ad_stream_body_wait(ad_stream *s, uint32_t gen)
{
    pthread_mutex_lock(&W.mu);
    while (s->gen == gen && s->body_rd == s->body_wr && !s->req_ended && !s->cancelled)
        wait_locked(s);
    pthread_mutex_unlock(&W.mu);
}

static int send_gone_locked(const ad_stream *s)
{
    const ad_conn *c = s->conn;
    return s->cancelled || c->dead || c->broken || s->resp_ended;
}

/* DATA bytes the next frame of op may carry: the rest of the body, cut to
 * the proxy's max_frame and to the credit left. */
static size_t send_room_locked(const ad_stream *s, const ad_send *op)
{
    size_t left = op->len - op->off;
    size_t n = left < s->conn->peer_max_frame ? left : s->conn->peer_max_frame;
    if (s->send_credit < (int64_t)n)
        n = s->send_credit > 0 ? (size_t)s->send_credit : 0;
    return n;
}

/* Writes the frames of op that fit now (W.mu held).  The head goes out
 * alone when there is no credit yet, so the client sees it. */
static int send_locked(ad_stream *s, ad_send *op)
{
    ad_conn *c = s->conn;
    for (;;) {
        if (send_gone_locked(s))
            return AD_SEND_GONE;
        if (ad_conn_pending(c) >= AD_OUT_HWM)
            return AD_SEND_BLOCKED;
        size_t left = op->len - op->off;
        size_t n = send_room_locked(s, op);
        if (n == 0 && left > 0) {
            if (op->prelen == 0)
                return AD_SEND_BLOCKED;
            struct iovec iov = { (void *)op->pre, op->prelen };
            if (ad_conn_writev_locked(c, &iov, 1) != 0)
                return AD_SEND_GONE;
            op->prelen = 0;
            continue;
        }
        struct iovec iov[4];
        int cnt = 0;
        uint8_t hdr[TP_HEADER_SIZE];
        int end = op->end || op->postlen;
        if (op->prelen)
            iov[cnt++] = (struct iovec){ (void *)op->pre, op->prelen };
        int last = op->off + n == op->len;
        if (n > 0 || ((end || op->last_flags) && op->prelen == 0 && op->postlen == 0)) {
            uint8_t fl = op->flags | (last ? op->last_flags : 0);
            if (last && end && op->postlen == 0)
                fl |= TP_FLAG_END_STREAM;
            tp_data_header(hdr, TP_FRAME_RESPONSE_DATA, s->id, fl, (uint32_t)n);
            iov[cnt++] = (struct iovec){ hdr, TP_HEADER_SIZE };
            if (n)
                iov[cnt++] = (struct iovec){ (void *)(op->data + op->off), n };
        }
        if (last && op->postlen)
            iov[cnt++] = (struct iovec){ (void *)op->post, op->postlen };
        if (cnt && ad_conn_writev_locked(c, iov, cnt) != 0)
            return AD_SEND_GONE;
        op->prelen = 0;
        s->send_credit -= (int64_t)n;
        op->off += n;
        if (last) {
            if (end)
                s->resp_ended = 1;
            return AD_SEND_DONE;
        }
    }
}

int ad_stream_send_step(ad_stream *s, ad_send *op)
{
    pthread_mutex_lock(&W.mu);
    int rc = send_locked(s, op);
    pthread_mutex_unlock(&W.mu);
    return rc;
}

void ad_stream_send_wait(ad_stream *s, const ad_send *op)
{
    pthread_mutex_lock(&W.mu);
    /* Re-checked under the lock: the credit or room may have come since the
     * step returned, and its wake-up found nobody waiting. */
    if (!send_gone_locked(s) &&
        (ad_conn_pending(s->conn) >= AD_OUT_HWM ||
         (op->prelen == 0 && op->off < op->len && send_room_locked(s, op) == 0)))
        wait_locked(s);
    pthread_mutex_unlock(&W.mu);
}

int ad_stream_send(ad_stream *s, ad_send *op)
{
    int rc;
    while ((rc = ad_stream_send_step(s, op)) == AD_SEND_BLOCKED)
        ad_stream_send_wait(s, op);
    return rc;
}

void ad_stream_reset(ad_stream *s, uint32_t reason)
{
    ad_conn *c = s->conn;
    pthread_mutex_lock(&W.mu);
    if (!s->resp_ended && !s->cancelled && !c->dead) {
        if (tp_encode_reset(&c->out, s->id, reason) == TP_OK)
            ad_conn_flush_locked(c);
        s->reset_sent = 1;
    }
    s->resp_ended = 1;
    pthread_mutex_unlock(&W.mu);
}

int ad_stream_is_cancelled(ad_stream *s)
{
    pthread_mutex_lock(&W.mu);
    int r = s->cancelled || s->conn->dead || s->conn->broken;
    pthread_mutex_unlock(&W.mu);
    return r;
}

/* ---- WebSocket messages ---- */

/* Credits what was received once no whole message waits for the app. */
static void ws_credit_locked(ad_stream *s)
{
    uint32_t n = ad_wsq_credit(&s->ws_q);
    if (n)
        credit_locked(s, n);
}

int ad_stream_ws_feed_locked(ad_stream *s, const uint8_t *p, uint32_t n, uint8_t flags)
{
    if (ad_stream_feed_locked(s, p, n, 0) != 0 ||
        ad_wsq_feed(&s->ws_q, n, (flags & TP_FLAG_MESSAGE_END) != 0, (flags & TP_FLAG_TEXT) != 0) !=
            0)
        return -1;
    ws_credit_locked(s);
    return 0;
}

void ad_stream_ws_closed_locked(ad_stream *s, uint16_t code, tp_str reason)
{
    s->ws_closed = 1;
    s->ws_code = code;
    s->ws_reason_len = (uint8_t)(reason.len < TP_WS_REASON_MAX ? reason.len : TP_WS_REASON_MAX);
    memcpy(s->ws_reason, reason.ptr, s->ws_reason_len);
    s->req_ended = 1; /* the final frame of the proxy's direction */
}

int ad_stream_ws_next(ad_stream *s, size_t *len, int *text)
{
    pthread_mutex_lock(&W.mu);
    int rc = AD_WS_NONE;
    if (ad_wsq_peek(&s->ws_q, len, text)) {
        rc = AD_WS_MSG;
    } else if (s->ws_closed) {
        rc = AD_WS_CLOSED;
    } else if (s->cancelled || s->conn->dead || s->conn->broken) {
        rc = AD_WS_RESET;
    }
    pthread_mutex_unlock(&W.mu);
    return rc;
}

void ad_stream_ws_take(ad_stream *s, uint8_t *dst, size_t len)
{
    pthread_mutex_lock(&W.mu);
    if (len)
        memcpy(dst, s->body + s->body_rd, len);
    s->body_rd += len;
    if (s->body_rd == s->body_wr)
        s->body_rd = s->body_wr = 0;
    ad_wsq_pop(&s->ws_q);
    ws_credit_locked(s);
    pthread_mutex_unlock(&W.mu);
}

int ad_stream_ws_close(ad_stream *s, uint16_t code, const uint8_t *reason, uint32_t len)
{
    ad_conn *c = s->conn;
    int rc = AD_SEND_GONE;
    pthread_mutex_lock(&W.mu);
    if (!s->resp_ended && !s->cancelled && !c->dead &&
        tp_encode_ws_close(&c->out, s->id, code, reason, len) == TP_OK) {
        s->resp_ended = 1;
        ad_conn_flush_locked(c);
        rc = AD_SEND_DONE;
    }
    pthread_mutex_unlock(&W.mu);
    return rc;
}

void ad_stream_done_locked(ad_stream *s)
{
    ad_conn *c = s->conn;
    /* Our final frame is out by now (END_STREAM or RESET).  If the request
     * body is still open the proxy ends it when that frame arrives
     * (tandem-protocol(7), STREAMS): nothing more is sent here. */
    if (!s->resp_ended && !s->cancelled && !c->dead &&
        tp_encode_reset(&c->out, s->id, TP_RESET_INTERNAL_ERROR) == TP_OK)
        ad_conn_flush_locked(c);
    /* The proxy's RESET came while the app ran: answered now it returned. */
    if (s->cancel_owed && !c->dead && tp_encode_reset(&c->out, s->id, TP_RESET_CANCEL) == TP_OK)
        ad_conn_flush_locked(c);
    if (s->c_prev)
        s->c_prev->c_next = s->c_next;
    else
        c->streams = s->c_next;
    if (s->c_next)
        s->c_next->c_prev = s->c_prev;
    c->nstreams--;
    ad_sched_retire(&W.sched, s);
    ad_stream_free_locked(s);
    ad_worker_request_done_locked();
    if (ad_sched_stopping(&W.sched) || c->drain_recv)
        ad_worker_wake_locked();
    ad_conn_unref_locked(c);
}

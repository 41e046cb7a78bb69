/* px_upstream.h: one connection to a tandem-appd worker, as a stream sees
 * it: frames toward the worker for the stream attached to it, and what the
 * worker announced.  The connection itself (reader, id map, HELLO,
 * closing) is private to px_upstream.c, its output (frames queued here,
 * written at the end of the loop turn) to px_upstream_out.c; the pool that
 * dials and picks connections is px_pool.h. */
#ifndef TANDEM_PX_UPSTREAM_H
#define TANDEM_PX_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct px_upstream px_upstream;
typedef struct px_stream px_stream;
struct evbuffer;

/* RESPONSE_DATA a worker may send on a stream before we credit it (our
 * HELLO's initial window): small, for every stream has it whatever its
 * connection holds; the rest of PX_RESP_WINDOW, the window a stream works
 * with, is credited with the head when the connection has room
 * (px_budget.h). */
#define PX_RESP_WINDOW_MIN (16 * 1024)
#define PX_RESP_WINDOW (256 * 1024)

/* The worker's pid, for logs. */
uint32_t px_upstream_pid(const px_upstream *u);
/* The largest frame payload the worker accepts. */
uint32_t px_upstream_max_frame(const px_upstream *u);

/* Frames for s (attached to s->up; a no-op when the connection is gone).
 * send_data moves n bytes out of src without copying where it can. */
void px_upstream_send_reset(px_stream *s, uint32_t reason);
void px_upstream_send_credit(px_stream *s, uint32_t n);
/* Maps from's upstream stream id to to instead (to->up, to->up_id set;
 * from->up NULL).  0, or -1 when out of memory (nothing changed). */
int px_upstream_rebind(px_stream *from, px_stream *to);
void px_upstream_send_data(px_stream *s, struct evbuffer *src, size_t n, int end);
/* The same with the DATA flags given (TP_FLAG_TEXT, TP_FLAG_MESSAGE_END after a 101). */
void px_upstream_send_message(px_stream *s, struct evbuffer *src, size_t n, unsigned flags);
/* WS_CLOSE: the proxy's final frame of a tunnel; reason is cut to what the
 * wire carries. */
void px_upstream_send_ws_close(px_stream *s, unsigned code, const uint8_t *reason, size_t len);
/* s lets go of its connection (s->up becomes NULL). */
void px_upstream_forget(px_stream *s);

#endif

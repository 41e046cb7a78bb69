/* h2_internal.h: what the two halves of tandem-proxy's HTTP/2 side share:
 * h2_session.c (the nghttp2 session, I/O, responses, flow control) and
 * h2_request.c (request callbacks, priority signals). */
#ifndef TANDEM_H2_INTERNAL_H
#define TANDEM_H2_INTERNAL_H

#include "px.h"

/* nghttp2 callbacks implemented by h2_request.c, registered by h2_session.c. */
int px_h2_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud);
int px_h2_on_header(nghttp2_session *session, const nghttp2_frame *frame, nghttp2_rcbuf *name,
                    nghttp2_rcbuf *value, uint8_t flags, void *ud);
int px_h2_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud);
int px_h2_on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                        size_t len, void *ud);
int px_h2_on_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *ud);
int px_h2_on_ext_chunk(nghttp2_session *session, const nghttp2_frame_hd *hd, const uint8_t *data,
                       size_t len, void *ud);
int px_h2_unpack_ext(nghttp2_session *session, void **payload, const nghttp2_frame_hd *hd,
                     void *ud);

/* Links s into c's streams as client stream id (h2c upgrade: stream 1). */
void px_h2_link_stream(px_conn *c, px_stream *s, int32_t id);
/* The head of an h2c-upgraded request is complete: finish it as an h2 one. */
void px_h2_request_ready(px_conn *c, px_stream *s, int end_stream);

#endif

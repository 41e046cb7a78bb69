/* ws_conn.h: the WebSocket tunnel as a connection protocol: an HTTP/1.1
 * connection whose request was answered 101 switches in place
 * (px_conn_handover) to this type, which carries one ws_session and the
 * stream the worker serves it on, until the close handshake ends the
 * connection. */
#ifndef TANDEM_WS_CONN_H
#define TANDEM_WS_CONN_H

#include "px_conn.h"
#include "px_stream.h"
#include "ws_session.h"

/* The session is allocated at adoption, not carried inline: every
 * connection is allocated at the largest protocol's size (px_proto.h), and
 * a session inline made each of them, h2 and HTTP/1 alike, pay for it. */
typedef struct px_ws_conn {
    px_conn base;
    ws_session *ws; /* owned; NULL until adopted */
} px_ws_conn;

extern const px_conn_ops px_ws_conn_ops;

/* The 101 is in c's output: c becomes a tunnel carrying s, the stream the
 * worker accepted (its operations become the tunnel's).  Bytes the client
 * sent after its request are its first frames. */
void px_ws_conn_adopt(px_conn *c, px_stream *s);

#endif

/* ws_handshake.h: the server's side of the WebSocket opening handshake
 * (RFC 6455 §4.2): which requests ask for a WebSocket correctly, the
 * Sec-WebSocket-Accept answer, and which request fields stay in the head
 * the worker sees (the proxy owns the handshake: its fields are not the
 * application's).  Pure apart from OpenSSL's SHA-1. */
#ifndef TANDEM_WS_HANDSHAKE_H
#define TANDEM_WS_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>
#include "tp.h"

#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 */

/* What a request that asked for a WebSocket gets: WS_HS_OK, or the status
 * that refuses it (400 malformed, 426 another version: the answer then
 * names version 13 in Sec-WebSocket-Version). */
enum { WS_HS_OK = 0, WS_HS_BAD = 400, WS_HS_VERSION = 426 };

/* An HTTP/1.1 Upgrade: websocket request (the parser checked Upgrade and
 * Connection): GET, no body, one valid Sec-WebSocket-Key, version 13.
 * On WS_HS_OK, accept holds the Sec-WebSocket-Accept value (NUL-ended);
 * *why names a failed rule for the log. */
int ws_handshake_h1(tp_str method, int has_body, const tp_header *h, uint32_t n,
                    char accept[WS_ACCEPT_LEN + 1], const char **why);
/* An HTTP/2 extended CONNECT with :protocol websocket (RFC 8441 §5): a
 * Sec-WebSocket-Version, when sent, must be 13; there is no key. */
int ws_handshake_h2(const tp_header *h, uint32_t n, const char **why);
/* A Sec-WebSocket-Key: base64 of 16 bytes. */
int ws_key_valid(const uint8_t *key, size_t len);
/* Sec-WebSocket-Accept for key: base64(SHA-1(key GUID)), NUL-ended. */
void ws_accept_value(const uint8_t *key, size_t len, char out[WS_ACCEPT_LEN + 1]);
/* The subprotocol an application chose (the value of its
 * Sec-WebSocket-Protocol) is one the request h offered: RFC 6455 §4.2.2
 * lets a server pick only among those, and a client fails otherwise. */
int ws_subprotocol_offered(const tp_request_head *h, const uint8_t *v, size_t n);
/* A request field the worker does not see: upgrade, connection,
 * sec-websocket-key and sec-websocket-extensions (no extension is
 * negotiated, so the client's offer is dropped). */
int ws_field_dropped(const uint8_t *name, size_t len);
/* Removes those fields from h[0..*n) in place. */
void ws_drop_fields(tp_header *h, uint32_t *n);

#endif

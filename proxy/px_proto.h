/* px_proto.h: the client protocols tandem-proxy speaks, by PX_PROTO_*: the
 * one place that knows them all, so generic code picks a protocol by table
 * lookup and sizes connections for the largest. */
#ifndef TANDEM_PX_PROTO_H
#define TANDEM_PX_PROTO_H

#include <stddef.h>
#include "px_conn.h"

/* The operations of PX_PROTO_H1 or PX_PROTO_H2. */
const px_conn_ops *px_proto_conn_ops(int proto);
/* The protocol an ALPN protocol name selects (the server's choice, from
 * OpenSSL), its name as the request head reports it in *name, or NULL. */
const px_conn_ops *px_proto_by_alpn(const unsigned char *p, unsigned len, const char **name);
/* Bytes a connection needs to take any protocol in place. */
size_t px_proto_conn_size(void);

#endif

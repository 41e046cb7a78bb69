/* px_proto.c: the registry of client protocols (px_proto.h). */
#include "config.h"
#include "px_proto.h"
#include "px_settings.h"
#include "h1_conn.h"
#include "h2_conn.h"
#include "ws_conn.h"

#include <string.h>

static const struct {
    const px_conn_ops *ops;
    size_t conn_size;
    const char *alpn; /* the ALPN id selecting it */
} protocols[] = {
    [PX_PROTO_H1] = { &px_h1_conn_ops, sizeof(px_h1_conn), "http/1.1" },
    [PX_PROTO_H2] = { &px_h2_conn_ops, sizeof(px_h2_conn), "h2" },
    /* Reached only by an HTTP/1.1 Upgrade (a 101), never by ALPN. */
    [PX_PROTO_WS] = { &px_ws_conn_ops, sizeof(px_ws_conn), NULL },
};

#define NPROTOCOLS (sizeof protocols / sizeof protocols[0])

const px_conn_ops *px_proto_conn_ops(int proto)
{
    if (proto <= PX_PROTO_NONE || proto >= (int)NPROTOCOLS)
        return NULL;
    return protocols[proto].ops;
}

const px_conn_ops *px_proto_by_alpn(const unsigned char *p, unsigned len, const char **name)
{
    for (size_t i = 0; i < NPROTOCOLS; i++) {
        const char *id = protocols[i].alpn;
        if (id && strlen(id) == len && memcmp(p, id, len) == 0) {
            *name = id;
            return protocols[i].ops;
        }
    }
    return NULL;
}

size_t px_proto_conn_size(void)
{
    size_t n = sizeof(px_conn);
    for (size_t i = 0; i < NPROTOCOLS; i++)
        if (protocols[i].conn_size > n)
            n = protocols[i].conn_size;
    return n;
}

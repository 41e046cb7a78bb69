/* px_proxyproto.h: the PROXY protocol header (HAProxy's, versions 1 and 2)
 * a TCP front proxy sends before anything else on a connection, naming the
 * client it accepted.  Parsed from untrusted bytes: pure, bounded, no
 * allocation; every length is checked before use.  Fuzzed
 * (tests/fuzz/fuzz_proxyproto.c). */
#ifndef TANDEM_PX_PROXYPROTO_H
#define TANDEM_PX_PROXYPROTO_H

#include <stddef.h>
#include <stdint.h>

/* proxy_protocol (Gunicorn's values): which versions a listener reads. */
enum px_pp_mode { PX_PP_OFF = 0, PX_PP_V1 = 1, PX_PP_V2 = 2, PX_PP_AUTO = 3 };

/* The longest header of each version: a v1 line with its CRLF, and a v2
 * header with the most its 16-bit length can announce. */
#define PX_PP_V1_MAX 107
#define PX_PP_V2_MAX (16 + 65535)

enum px_pp_result {
    PX_PP_BAD = -1,  /* a header, malformed (*why says how) */
    PX_PP_DONE = 0,  /* a whole header: out->len bytes */
    PX_PP_AGAIN = 1, /* may be a header: read more (out->len is its length once known, else 0) */
    PX_PP_NONE = 2,  /* no header of the enabled versions: the bytes are the connection's own */
};

/* What a header says.  With addresses (v1 TCP4/TCP6, a v2 PROXY over
 * TCP/IPv4 or IPv6), src is the client and dst where it connected; without
 * (v1 UNKNOWN, v2 LOCAL or an unspecified or Unix family) the connection's
 * own endpoints stand, as the specification asks. */
typedef struct {
    size_t len;            /* bytes of the header, all to be consumed */
    int version;           /* 1 or 2 */
    int has_addr;          /* src, dst and the ports are set */
    const char *proto;     /* "TCP4", "TCP6", "UNKNOWN" (v1); "LOCAL", "UNSPEC", "UNIX" (v2) */
    char src[46], dst[46]; /* textual IPv4 or IPv6 addresses (INET6_ADDRSTRLEN) */
    uint16_t src_port, dst_port;
} px_pp_header;

/* Reads the first len bytes a connection sent, for the versions in modes
 * (PX_PP_V1, PX_PP_V2 bits).  Returns a px_pp_result; *why is set for
 * PX_PP_BAD. */
int px_pp_parse(const uint8_t *p, size_t len, int modes, px_pp_header *out, const char **why);

#endif

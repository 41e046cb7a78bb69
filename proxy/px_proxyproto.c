/* px_proxyproto.c: PROXY protocol headers, version 1 (a text line) and 2
 * (binary), after HAProxy's specification (px_proxyproto.h). */
#include "config.h"
#include <arpa/inet.h>
#include <string.h>
#include "px_proxyproto.h"

static const uint8_t v2_sig[12] = {
    '\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n'
};
static const char v1_sig[6] = { 'P', 'R', 'O', 'X', 'Y', ' ' };

/* 1: p starts with the whole signature; 0: p is a prefix of it (too short
 * to tell); -1: it is not. */
static int starts_with(const uint8_t *p, size_t len, const void *sig, size_t n)
{
    size_t k = len < n ? len : n;
    if (memcmp(p, sig, k) != 0)
        return -1;
    return len >= n;
}

static int bad(const char **why, const char *what)
{
    *why = what;
    return PX_PP_BAD;
}

/* ---- version 1: "PROXY TCP4 SRC DST SPORT DPORT\r\n" ---- */

/* The line's length before its CRLF (which ends it within PX_PP_V1_MAX
 * bytes), or PX_PP_AGAIN / PX_PP_BAD. */
static int v1_line(const uint8_t *p, size_t len, size_t *n, const char **why)
{
    size_t max = len < PX_PP_V1_MAX - 1 ? len : PX_PP_V1_MAX - 1;
    for (size_t i = sizeof v1_sig; i < max; i++) {
        if (p[i] == '\r') {
            if (i + 1 == len)
                return PX_PP_AGAIN;
            if (p[i + 1] != '\n')
                return bad(why, "CR without LF");
            *n = i;
            return PX_PP_DONE;
        }
        if (p[i] < 0x20 || p[i] > 0x7e)
            return bad(why, "a byte that is not printable ASCII");
    }
    if (len >= PX_PP_V1_MAX - 1)
        return bad(why, "no CRLF within 107 bytes");
    return PX_PP_AGAIN;
}

/* The next space-separated word of [*p, end) into buf; one space between
 * words, none around the line.  0, or -1 when empty or too long. */
static int v1_word(const char **p, const char *end, char *buf, size_t cap)
{
    const char *s = *p, *e = memchr(s, ' ', (size_t)(end - s));
    if (!e)
        e = end;
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *p = e < end ? e + 1 : e;
    return e < end && e + 1 == end ? -1 : 0; /* a trailing space */
}

/* A port: 1 to 5 digits without a leading zero, at most 65535. */
static int v1_port(const char *s, uint16_t *port)
{
    size_t n = strlen(s);
    unsigned long v = 0;
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static int v1_addresses(const char *p, const char *end, int family, px_pp_header *out,
                        const char **why)
{
    char sport[8], dport[8];
    uint8_t bin[16];
    if (v1_word(&p, end, out->src, sizeof out->src) < 0 ||
        v1_word(&p, end, out->dst, sizeof out->dst) < 0 ||
        v1_word(&p, end, sport, sizeof sport) < 0 || v1_word(&p, end, dport, sizeof dport) < 0 ||
        p != end)
        return bad(why, "not PROXY TCP4|TCP6 SRC DST SPORT DPORT");
    if (inet_pton(family, out->src, bin) != 1 || inet_pton(family, out->dst, bin) != 1)
        return bad(why, family == AF_INET ? "not an IPv4 address" : "not an IPv6 address");
    if (v1_port(sport, &out->src_port) < 0 || v1_port(dport, &out->dst_port) < 0)
        return bad(why, "not a port (0..65535)");
    out->has_addr = 1;
    return PX_PP_DONE;
}

static int parse_v1(const uint8_t *p, size_t len, px_pp_header *out, const char **why)
{
    size_t n;
    int rc = v1_line(p, len, &n, why);
    if (rc != PX_PP_DONE)
        return rc;
    out->version = 1;
    out->len = n + 2;
    const char *s = (const char *)p + sizeof v1_sig, *end = (const char *)p + n;
    const char *sp = memchr(s, ' ', (size_t)(end - s));
    size_t plen = sp ? (size_t)(sp - s) : (size_t)(end - s);
    if (plen == 7 && memcmp(s, "UNKNOWN", 7) == 0) {
        /* The front knows no addresses; whatever follows is ignored. */
        out->proto = "UNKNOWN";
        return PX_PP_DONE;
    }
    int family = 0;
    if (plen == 4 && memcmp(s, "TCP4", 4) == 0)
        family = AF_INET;
    else if (plen == 4 && memcmp(s, "TCP6", 4) == 0)
        family = AF_INET6;
    if (!family)
        return bad(why, "protocol not TCP4, TCP6 or UNKNOWN");
    if (!sp)
        return bad(why, "not PROXY TCP4|TCP6 SRC DST SPORT DPORT");
    out->proto = family == AF_INET ? "TCP4" : "TCP6";
    return v1_addresses(sp + 1, end, family, out, why);
}

/* ---- version 2: signature, ver_cmd, fam, u16 length, addresses, TLVs ---- */

enum { V2_LOCAL = 0, V2_PROXY = 1 };
enum { V2_UNSPEC = 0, V2_INET = 1, V2_INET6 = 2, V2_UNIX = 3 };
enum { V2_STREAM = 1, V2_DGRAM = 2 };

/* The TLVs after the addresses: skipped, but each must fit. */
static int v2_tlvs(const uint8_t *p, size_t n, const char **why)
{
    size_t i = 0;
    while (i < n) {
        if (n - i < 3)
            return bad(why, "a TLV cut short");
        size_t vlen = (size_t)p[i + 1] << 8 | p[i + 2];
        if (vlen > n - i - 3)
            return bad(why, "a TLV longer than the header");
        i += 3 + vlen;
    }
    return PX_PP_DONE;
}

static void v2_inet(const uint8_t *a, int family, px_pp_header *out)
{
    size_t alen = family == AF_INET ? 4 : 16;
    inet_ntop(family, a, out->src, sizeof out->src);
    inet_ntop(family, a + alen, out->dst, sizeof out->dst);
    out->src_port = (uint16_t)(a[2 * alen] << 8 | a[2 * alen + 1]);
    out->dst_port = (uint16_t)(a[2 * alen + 2] << 8 | a[2 * alen + 3]);
    out->proto = family == AF_INET ? "TCP4" : "TCP6";
    out->has_addr = 1;
}

/* A PROXY command's address block (size by family), then its TLVs. */
static int v2_proxy(const uint8_t *body, size_t n, uint8_t fam, px_pp_header *out, const char **why)
{
    static const size_t block[] = {
        [V2_UNSPEC] = 0, [V2_INET] = 12, [V2_INET6] = 36, [V2_UNIX] = 216
    };
    unsigned family = fam >> 4, transport = fam & 0x0f;
    if (family > V2_UNIX || transport > V2_DGRAM)
        return bad(why, "unknown address family or transport");
    if (family != V2_UNSPEC && transport != V2_STREAM)
        return bad(why, "not a stream (TCP) connection");
    if (n < block[family])
        return bad(why, "addresses longer than the header");
    if (family == V2_INET || family == V2_INET6)
        v2_inet(body, family == V2_INET ? AF_INET : AF_INET6, out);
    else
        out->proto = family == V2_UNIX ? "UNIX" : "UNSPEC";
    return v2_tlvs(body + block[family], n - block[family], why);
}

static int parse_v2(const uint8_t *p, size_t len, px_pp_header *out, const char **why)
{
    if (len < 16)
        return PX_PP_AGAIN;
    if (p[12] >> 4 != 2)
        return bad(why, "version 2 signature with another version");
    unsigned cmd = p[12] & 0x0f;
    if (cmd != V2_LOCAL && cmd != V2_PROXY)
        return bad(why, "command neither LOCAL nor PROXY");
    size_t n = (size_t)p[14] << 8 | p[15];
    out->version = 2;
    out->len = 16 + n;
    if (len < out->len)
        return PX_PP_AGAIN;
    if (cmd == V2_LOCAL) {
        /* The front's own connection (a health check): everything after
         * the length is ignored. */
        out->proto = "LOCAL";
        return PX_PP_DONE;
    }
    return v2_proxy(p + 16, n, p[13], out, why);
}

int px_pp_parse(const uint8_t *p, size_t len, int modes, px_pp_header *out, const char **why)
{
    memset(out, 0, sizeof *out);
    *why = NULL;
    int v2 = (modes & PX_PP_V2) ? starts_with(p, len, v2_sig, sizeof v2_sig) : -1;
    int v1 = (modes & PX_PP_V1) ? starts_with(p, len, v1_sig, sizeof v1_sig) : -1;
    if (v2 == 1)
        return parse_v2(p, len, out, why);
    if (v1 == 1)
        return parse_v1(p, len, out, why);
    return v1 == 0 || v2 == 0 ? PX_PP_AGAIN : PX_PP_NONE;
}

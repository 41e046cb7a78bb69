/* px_trust.h: a list of trusted peers, as Gunicorn's forwarded_allow_ips
 * (h2c, secure_scheme_headers, X-Forwarded-For) and proxy_allow_ips (PROXY
 * protocol headers) give them.  Parsed once at startup into a fixed table;
 * matching an address is a short scan with no allocation. */
#ifndef TANDEM_PX_TRUST_H
#define TANDEM_PX_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "tc_opt.h"

#define PX_TRUST_MAX 128

typedef struct {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t prefix; /* bits that must match */
    uint8_t addr[16];
} px_trust_net;

typedef struct {
    int any; /* "*": every peer */
    int n;
    px_trust_net nets[PX_TRUST_MAX];
} px_trust;

/* Items are IPv4 or IPv6 addresses, CIDR networks (10.0.0.0/8,
 * fd00::/8) or "*"; each item may itself be a comma list.  An empty list
 * trusts nobody.  -1 with "forwarded_allow_ips: ..." naming the bad item. */
int px_trust_parse(const tc_strlist *l, px_trust *t, char *err, size_t errlen);
/* The same for the setting named key ("proxy_allow_ips"), for its messages. */
int px_trust_parse_named(const char *key, const tc_strlist *l, px_trust *t, char *err,
                         size_t errlen);

/* Is the peer at sa trusted?  A Unix-socket peer always is (it is local,
 * and Gunicorn trusts it the same way); an IPv4-mapped IPv6 address is
 * matched as the IPv4 address it carries. */
int px_trust_match(const px_trust *t, const struct sockaddr *sa);
/* The same for an address as bytes: 4 for AF_INET, 16 for AF_INET6. */
int px_trust_match_ip(const px_trust *t, int family, const uint8_t *addr);

#endif

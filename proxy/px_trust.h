/* px_trust.h: forwarded_allow_ips (Gunicorn's setting): the peers trusted
 * to speak h2c.  Parsed once at startup into a fixed table; matching a
 * peer's address is a short scan with no allocation. */
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

/* Is the peer at sa trusted?  A Unix-socket peer always is (it is local,
 * and Gunicorn trusts it the same way); an IPv4-mapped IPv6 address is
 * matched as the IPv4 address it carries. */
int px_trust_match(const px_trust *t, const struct sockaddr *sa);

#endif

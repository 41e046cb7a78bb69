/* px_forwarded.h: what a front proxy says about a request it forwards: the
 * scheme the client used (Gunicorn's secure_scheme_headers) and the
 * client's address (X-Forwarded-For).  Believed only from a peer trusted by
 * forwarded_allow_ips, which the caller decides; from any other peer the
 * fields are plain headers.  Pure: no I/O, no allocation. */
#ifndef TANDEM_PX_FORWARDED_H
#define TANDEM_PX_FORWARDED_H

#include "tc_opt.h"
#include "tp.h"
#include "px_trust.h"

typedef struct {
    const tc_strlist *secure; /* secure_scheme_headers: NAME, VALUE pairs */
    const px_trust *trust;    /* forwarded_allow_ips: front proxies skipped in X-Forwarded-For */
} px_forwarded_cfg;

/* A request from a trusted peer.  Each field named in secure_scheme_headers
 * (any case) makes the scheme https when its value is the dict's exactly,
 * http otherwise, as Gunicorn does; h->scheme is set when one is present.
 * X-Forwarded-For (all its fields, in order) is read from the right: the
 * first address that forwarded_allow_ips does not trust is the client (the
 * leftmost when all are trusted); h->peer_addr then points into the field
 * and h->peer_port is 0 (unknown).  An entry that is not an IP address
 * leaves the peer as it was.  0, or -1 when two secure fields disagree
 * (Gunicorn's 400 "Contradictory scheme headers"); h is unchanged then. */
int px_forwarded_apply(const px_forwarded_cfg *cfg, tp_request_head *h);

#endif

/* px_admit.h: how many client connections the proxy holds, in all
 * (max_connections) and per client address (max_connections_per_ip),
 * counted process-wide across threads.
 *
 * A thread reserves a place before accept(2) (px_admit_reserve); at the
 * global limit it stops accepting and lets connections wait in the listen
 * backlog instead of accepting and closing them.  The per-address count is
 * known only after accept: a connection over it is closed at once.  Each
 * limit reached is logged once per episode (until the count falls below
 * it again), not per attempt. */
#ifndef TANDEM_PX_ADMIT_H
#define TANDEM_PX_ADMIT_H

#include <sys/socket.h>

typedef struct px_admit_ip px_admit_ip;

/* 0 = no limit for either.  Called again by a reload: a connection
 * accepted while per-address counting was off is not counted. */
void px_admit_init(long long max_connections, long long max_per_ip);

/* Takes a place for a connection about to be accepted: 1, or 0 when the
 * global limit is reached (nothing taken; logged once per episode). */
int px_admit_reserve(void);
/* Gives back a place reserved for an accept that returned no connection. */
void px_admit_unreserve(void);

/* Counts the accepted connection against its address.  0 with *ip (NULL
 * when per-address counting is off; pass it to px_admit_release), or -1
 * when the address is at its limit or out of memory: the caller closes the
 * connection and calls px_admit_unreserve. */
int px_admit_address(const struct sockaddr *sa, px_admit_ip **ip);

/* A connection counted by px_admit_reserve (and px_admit_address) is gone. */
void px_admit_release(px_admit_ip *ip);

/* 1 while the global count is below the limit (accepting may resume). */
int px_admit_open(void);

#endif

/* ad_intake.h: the master's intake of proxy connections.  An accepted
 * connection waits here until its HELLO says which worker the proxy asks
 * for (tandem-protocol(7)), then goes to that worker, or to the least
 * connected one when the proxy asks for none, for one the master does not
 * run, or says nothing within AD_INTAKE_WAIT_MS.  The master only peeks:
 * the worker reads the HELLO itself.  One thread: nothing here locks. */
#ifndef TANDEM_AD_INTAKE_H
#define TANDEM_AD_INTAKE_H

#include <poll.h>
#include <stdint.h>

/* Connections accepted and not yet handed over, at most. */
#define AD_INTAKE_MAX 64
/* How long a connection may keep its HELLO before it is handed anyway. */
#define AD_INTAKE_WAIT_MS 200

/* Whether the listening socket should be polled: room here and a ready
 * worker to hand to. */
int ad_intake_wants_accept(void);
/* Accepts what the listening socket holds (up to the room left) and hands
 * each connection whose HELLO is already there. */
void ad_intake_accept(int listen_fd, uint64_t now);
/* Adds the descriptors whose HELLO is still awaited to pfd (at most max);
 * returns how many. */
unsigned ad_intake_poll_set(struct pollfd *pfd, unsigned max);
/* After poll: hands every connection that can go now (its HELLO came, its
 * wait ran out, or a worker became ready) and drops those that closed. */
void ad_intake_serve(uint64_t now);
/* Milliseconds until the next wait runs out (at most max). */
int ad_intake_wait_ms(uint64_t now, int max);
/* Closes every waiting connection: the master stops, or a forked worker
 * must not hold the master's copies. */
void ad_intake_close_all(void);

#endif

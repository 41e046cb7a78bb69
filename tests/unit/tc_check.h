/* tc_check.h: helpers the common/ unit tests that talk to a real socket
 * share (test_tc_syslog.c, test_tc_statsd.c): the receiving end a syslog
 * daemon or a statsd server would hold, on loopback or in /tmp.  Each
 * failure is a Check assertion, so these run only inside a test. */
#ifndef TANDEM_TC_CHECK_H
#define TANDEM_TC_CHECK_H

#include <stddef.h>

/* A socket of type (SOCK_DGRAM, SOCK_STREAM) bound to 127.0.0.1 on a port
 * the kernel picks (*port), receiving with a 2 s timeout. */
int tc_check_loopback(int type, int *port);
/* A Unix datagram socket bound to a new path in /tmp (path, cap bytes),
 * receiving with a 2 s timeout; the caller unlinks path. */
int tc_check_unix_dgram(char *path, size_t cap);
/* Receives on fd for at most 2 s (an accepted connection's timeout). */
void tc_check_timeout(int fd);
/* One datagram (or what one recv gives) as a string, in a static buffer
 * the next call reuses; nothing within the timeout fails the test. */
const char *tc_check_receive(int fd);

#endif

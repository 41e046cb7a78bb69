/* tc_addr.h: Gunicorn bind syntax ("HOST:PORT", "[V6]:PORT", ":PORT", "PORT",
 * "unix:PATH", "fd://N") to socket addresses, and listening/connecting sockets.
 * Errors: -1 with a one-line message in err naming the address and the cause
 * (e.g. "127.0.0.1:8443: Address already in use"). */
#ifndef TANDEM_TC_ADDR_H
#define TANDEM_TC_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct {
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;         /* fd://N: an inherited descriptor, else -1 */
    char text[300]; /* canonical text for logs */
} tc_addr;

/* default_port is used for "HOST" alone. */
int tc_addr_parse(const char *spec, int default_port, tc_addr *out, char *err, size_t errlen);
/* Socket bound and listening, O_NONBLOCK|O_CLOEXEC, SO_REUSEADDR on TCP,
 * IPV6_V6ONLY on [::], stale Unix socket file replaced only when nothing
 * listens on it.  Returns the fd or -1. */
int tc_listen(const tc_addr *a, int backlog, char *err, size_t errlen);
/* tc_listen with SO_REUSEPORT on a TCP socket when reuse_port: several
 * processes may then listen on one port, the kernel spreading connections. */
int tc_listen_reuse(const tc_addr *a, int backlog, int reuse_port, char *err, size_t errlen);
/* Non-blocking connect started; returns fd (connect may be in progress) or -1. */
int tc_connect(const tc_addr *a, char *err, size_t errlen);
/* Formats a peer/local sockaddr as text ip (no port) and port. */
void tc_sockaddr_text(const struct sockaddr *sa, char *ip, size_t iplen, unsigned *port);

#endif

/* tc_sdlisten.h: listening sockets handed over by a service manager (systemd
 * socket activation, sd_listen_fds(3)) without libsystemd.  $LISTEN_PID names
 * the process they are for and $LISTEN_FDS how many there are, from fd 3 on.
 * A daemon takes them once at start-up, then each of its bind addresses
 * claims the inherited socket bound to the same address; a socket no address
 * claims is an error, so a unit and a command line cannot silently disagree.
 * The caller owns the descriptors it claims; errors are -1 with one line in
 * err naming the variable or the descriptor. */
#ifndef TANDEM_TC_SDLISTEN_H
#define TANDEM_TC_SDLISTEN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "tc_addr.h"

#define TC_SDLISTEN_FIRST_FD 3 /* SD_LISTEN_FDS_START */
#define TC_SDLISTEN_MAX 64

typedef struct {
    int fd;
    struct sockaddr_storage ss; /* getsockname() */
    socklen_t len;
    int v6only; /* AF_INET6 with IPV6_V6ONLY: no IPv4 peers */
    int claimed;
} tc_sdsock;

typedef struct {
    tc_sdsock socks[TC_SDLISTEN_MAX];
    size_t n;
} tc_sdlisten;

/* Sockets announced for pid by the values of LISTEN_PID and LISTEN_FDS (NULL:
 * unset): 0 when LISTEN_PID is unset or names another process, as
 * sd_listen_fds(3) reads them; -1 when a value is not a number or the count
 * is out of 0..TC_SDLISTEN_MAX. */
int tc_sdlisten_count(const char *listen_pid, const char *listen_fds, pid_t pid, char *err,
                      size_t errlen);
/* Records n descriptors from first on into sd (emptied first): each must be a
 * stream socket; each is made close-on-exec. */
int tc_sdlisten_adopt(tc_sdlisten *sd, int first, int n, char *err, size_t errlen);
/* Both of the above for this process and fd 3 on, then unsets LISTEN_PID,
 * LISTEN_FDS and LISTEN_FDNAMES (always: children must not see them).
 * sd is empty when no socket was passed. */
int tc_sdlisten_take(tc_sdlisten *sd, char *err, size_t errlen);
/* The unclaimed inherited socket bound to a's address (or a's own fd://N):
 * a->fd is set to it and 1 returned; 0 when there is none. */
int tc_sdlisten_claim(tc_sdlisten *sd, tc_addr *a);
/* tc_sdlisten_claim with a line in the log when a socket was claimed; then
 * tc_listen(a) uses that socket instead of binding a new one. */
int tc_sdlisten_use(tc_sdlisten *sd, tc_addr *a);
/* -1 naming the first inherited socket no address claimed, else 0.  Called
 * after every address had its turn and before binding any, so a refused
 * start leaves no socket file behind. */
int tc_sdlisten_unclaimed(const tc_sdlisten *sd, char *err, size_t errlen);

#endif

/* tc_notify.h: the systemd readiness protocol (sd_notify), both ends.
 * Daemons call tc_notify("READY=1") once they serve; it is a no-op unless
 * $NOTIFY_SOCKET is set, so it works under systemd Type=notify and under
 * tandem(1), which listens for it to know when each daemon is up.
 * Errors: -1 with errno; callers only log them. */
#ifndef TANDEM_TC_NOTIFY_H
#define TANDEM_TC_NOTIFY_H

#include <stddef.h>

int tc_notify(const char *state);
/* Connects to $NOTIFY_SOCKET now and keeps the socket for every later
 * tc_notify: a daemon about to drop root still reaches a socket only root
 * may write to.  0 (also when the variable is unset), or -1 with errno. */
int tc_notify_connect(void);
/* Listening end: a non-blocking datagram socket bound at path. */
int tc_notify_listen(const char *path);
/* Reads one datagram into buf (NUL-terminated); 0 when none is waiting. */
int tc_notify_recv(int fd, char *buf, size_t len);

#endif

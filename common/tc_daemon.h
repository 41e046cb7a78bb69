/* tc_daemon.h: Gunicorn's daemon setting (-D): detach from the terminal
 * (fork, setsid, fork; standard input, output and error to /dev/null, as
 * Gunicorn's, so the log must be a file to be kept) while the command that
 * started it waits until the daemon says it serves, so that a failed start
 * still shows in the command's exit status.  Only the daemon returns from
 * tc_daemon_start; the command exits 0 once tc_daemon_ready is called, or
 * 1 when the daemon exits before. */
#ifndef TANDEM_TC_DAEMON_H
#define TANDEM_TC_DAEMON_H

#include <stddef.h>

/* Detaches; 0 in the daemon, -1 with err when fork or setsid fails (in the
 * original process, which has not detached). */
int tc_daemon_start(char *err, size_t errlen);
/* In the daemon, once it serves: the waiting command exits 0.  Nothing
 * when not daemonized or already called. */
void tc_daemon_ready(void);

#endif

/* ad_signal.h: signals turned into bytes on a self-pipe, so the master's and
 * each worker's poll loop handle them as ordinary events (no work in handlers). */
#ifndef TANDEM_AD_SIGNAL_H
#define TANDEM_AD_SIGNAL_H

/* Installs handlers for sigs[0..n) (0-terminated list) writing to a fresh
 * non-blocking pipe; also ignores SIGPIPE.  Returns the read end or -1.
 * Calling it again (in a forked child) replaces the pipe. */
int ad_signal_init(const int *sigs);
/* Next received signal number, or 0 when none is pending. */
int ad_signal_next(void);
/* Restores the default action of sigs and closes the pipe (child setup). */
void ad_signal_reset(const int *sigs);
const char *ad_signal_name(int sig);

#endif

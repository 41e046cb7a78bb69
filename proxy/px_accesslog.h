/* px_accesslog.h: tandem-proxy's access log: one line per request in
 * Gunicorn's format (px_logfmt.h), written by the proxy because it sees
 * every request, its own answers included (400, 431, 502, 503, 504), the
 * bytes the client was sent, the real duration and the protocol.
 *
 * Each loop thread formats its lines into a buffer of its own, allocated
 * once, and writes them at the end of its loop turn in one write(2) to the
 * file opened with O_APPEND, so lines never interleave: a regular file's
 * appends are atomic, and a pipe or terminal is written under a lock.
 * With --log-syslog the same lines go to syslog too (one datagram each, one
 * sendmmsg per turn), unless --disable-redirect-access-to-syslog.
 *
 * Open, reopen and reload from the main thread (start-up; SIGUSR1: the
 * file is reopened under the same descriptor; SIGHUP: a new file, format
 * or syslog copy, which each thread takes at the end of its loop turn,
 * the last one to let go of the old log closing it).  px_accesslog_on is
 * 0 when there is no access log: the streams then keep nothing for it. */
#ifndef TANDEM_PX_ACCESSLOG_H
#define TANDEM_PX_ACCESSLOG_H

#include <stdatomic.h>
#include <stddef.h>

#include "px_logfmt.h"
#include "px_settings.h"

extern atomic_int px_accesslog_on;

/* The same path opened again (log rotation).  0 or -1/errno. */
int px_accesslog_reopen(void);
/* The log cfg asks for (the format, the file, the syslog copy) replaces
 * the running one, if any (start-up; SIGHUP).  0, or -1 with err (a file
 * that cannot be opened) and the running log kept. */
int px_accesslog_reload(const px_settings *cfg, char *err, size_t errlen);
void px_accesslog_close(void);

/* The compiled format (its response-field slots) this thread writes
 * with, when the log is on. */
const px_logfmt *px_accesslog_format(void);
/* "[10/Oct/2000:13:55:36 -0700]" for now, made once a second per thread. */
const char *px_accesslog_time(void);

/* Adds r's line to this thread's lines. */
void px_accesslog_add(const px_logreq *r);
/* Writes this thread's lines (the end of its loop turn). */
void px_accesslog_flush(void);
/* After a reload, this thread writes with the new log from now on (its
 * wake-up, and the end of every turn). */
void px_accesslog_follow(void);
/* The thread ends: its lines are written and its buffer freed. */
void px_accesslog_thread_end(void);

#endif

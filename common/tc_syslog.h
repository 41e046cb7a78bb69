/* tc_syslog.h: the syslog client of both daemons' logs (Gunicorn's
 * --log-syslog): RFC 3164 messages to the addresses Gunicorn's
 * --log-syslog-to takes (udp://HOST:PORT, tcp://HOST:PORT,
 * unix://PATH[#dgram|#stream]) under its facility names.
 *
 * A message is "<PRI>Mmm dd hh:mm:ss HOST TAG: [PID] TEXT", the HOST left
 * out on a Unix socket (the local syslog daemon adds its own, and would
 * read one as the tag).  Datagrams carry one message each; a stream (TCP,
 * Unix stream) ends each with a newline (RFC 6587 non-transparent
 * framing).  Sends never block: a message the socket cannot take now is
 * dropped, and a broken stream is dialled again at most once a second.
 *
 * Errors: tc_syslog_open returns NULL with one line in err (a bad address,
 * an unknown host).  Thread safety: send from any thread.  Ownership: the
 * handle is the caller's (tc_syslog_close). */
#ifndef TANDEM_TC_SYSLOG_H
#define TANDEM_TC_SYSLOG_H

#include <stddef.h>

typedef struct tc_syslog tc_syslog;

/* Gunicorn's default --log-syslog-to on Linux. */
#define TC_SYSLOG_DEFAULT_ADDR "udp://localhost:514"

/* The facility code of a name Python's SysLogHandler knows ("user",
 * "local0"...; any case), or -1. */
int tc_syslog_facility(const char *name);
/* Checks addr's syntax (not the host): 0, or -1 with err. */
int tc_syslog_check_addr(const char *addr, char *err, size_t errlen);

/* Opens a client for addr; every message carries facility and tag
 * ("tandem.proxy.error").  NULL with err. */
tc_syslog *tc_syslog_open(const char *addr, int facility, const char *tag, char *err,
                          size_t errlen);
/* One message at level (TC_LOG_*, mapped to a syslog severity). */
void tc_syslog_send(tc_syslog *sl, int level, const char *text, size_t len);
/* Each '\n'-ended line of buf as one message (datagrams go out in one
 * sendmmsg per batch). */
void tc_syslog_send_lines(tc_syslog *sl, int level, const char *buf, size_t len);
void tc_syslog_close(tc_syslog *sl);

#endif

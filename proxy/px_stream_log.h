/* px_stream_log.h: the end of a request as the operator sees it: its
 * access-log line (px_accesslog.h) and its statsd metrics (px_metrics.h),
 * from what the stream kept of it.  Everything here costs one branch on
 * px_stream_observed when neither is on. */
#ifndef TANDEM_PX_STREAM_LOG_H
#define TANDEM_PX_STREAM_LOG_H

#include <stdatomic.h>
#include <stddef.h>

#include "px_settings.h"
#include "tp.h"

typedef struct px_stream px_stream;
typedef struct px_conn px_conn;

/* The access log or statsd is on: streams keep their times and fields. */
extern atomic_int px_stream_observed;

/* The access log, the request metrics and the error log's syslog and
 * statsd (tc_logsinks.h) as cfg asks: at start-up before any thread, and
 * from the main thread on SIGHUP, when what changed replaces what runs
 * (each thread takes it at the end of its loop turn).  0, or -1 with err
 * (a file or address that cannot be opened) and the access log as it was. */
int px_stream_logs_open(const px_settings *cfg, char *err, size_t errlen);

/* A stream begins: its request time starts. */
void px_stream_log_start(px_stream *s);
/* The head the client gets (the worker's, or the proxy's own answer when
 * worker_pid is 0): its pid and the response fields the format names. */
void px_stream_log_head(px_stream *s, const tp_response_head *h, uint32_t worker_pid);
/* The client side is done (px_stream_client_gone): the line and the
 * metrics, once.  A stream whose request head never completed is no
 * request and is not logged. */
void px_stream_log_end(px_stream *s);
/* The proxy answered bytes that were no request (HTTP/1 parse errors:
 * 400, 414, 431, 505...) with status and a body of body_len bytes. */
void px_conn_log_refused(px_conn *c, unsigned status, size_t body_len);

#endif

/* px_admin.h: the opt-in admin listener (--admin-bind), a small HTTP/1.1
 * server on the main thread's loop: Prometheus text at /metrics, JSON at
 * /status, the status page at /, and /healthz and /readyz for probes.
 * Requests are parsed by the proxy's own HTTP/1 parser; each connection
 * gets one response and is closed.  It never touches the serving threads
 * beyond reading their counters (px_counters.h). */
#ifndef TANDEM_PX_ADMIN_H
#define TANDEM_PX_ADMIN_H

#include <stddef.h>

#include "px_settings.h"

struct event_base;

/* Binds --admin-bind when set: a loopback address (or a Unix socket)
 * unless --admin-allow-remote.  0 (also when unset), or -1 with err. */
int px_admin_open(const px_settings *cfg, char *err, size_t errlen);
/* Serves it from base; 0 or -1. */
int px_admin_attach(struct event_base *base);
/* Stopping: /healthz and /readyz answer 503 from now on. */
void px_admin_stopping(void);
/* Closes the listener and its open connections. */
void px_admin_close(void);

/* The bodies, for the listener and the unit tests: Prometheus text and
 * /status's JSON, as heap strings (NULL out of memory). */
char *px_admin_metrics_text(size_t *len);
char *px_admin_status_json(size_t *len);
/* The status page (a constant, px_admin_page.c). */
extern const char px_admin_page[];

#endif

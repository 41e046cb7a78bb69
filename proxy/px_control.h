/* px_control.h: tandem-proxy's control socket (tandemctl(1)), served by the
 * main thread's event loop, one short request at a time.  reload, reopen
 * and shutdown do what HUP, USR1 and TERM do, by sending them. */
#ifndef TANDEM_PX_CONTROL_H
#define TANDEM_PX_CONTROL_H

#include <stddef.h>

#include "px_settings.h"
#include "tc_addr.h"
#include "tc_ctlout.h"

struct event_base;

/* Binds --proxy-control-socket, or the path derived from upstream (a Unix
 * socket's path + ".proxy.ctl").  cfg is borrowed for `show config` until
 * px_control_close.  0, or -1 with err when the path given cannot be
 * served (a derived one only warns). */
int px_control_open(const px_settings *cfg, const tc_addr *upstream, char *err, size_t errlen);
/* Serves it from base (the main thread's); 0 or -1. */
int px_control_attach(struct event_base *base);
/* Stops serving and removes the file (still ours). */
void px_control_close(void);

/* The figures of `show stats`, also /status's (px_admin.c). */
void px_control_write_stats(tc_ctlout *o);

#endif

/* px_server.h: starts the event-loop threads and runs until a signal ends them. */
#ifndef TANDEM_PX_SERVER_H
#define TANDEM_PX_SERVER_H

#include "tc_addr.h"
#include "px_settings.h"

/* Runs cfg->nthreads loops over the listeners already open (px_listener.h),
 * each with a pool dialing upstream (borrowed), until SIGTERM/SIGINT
 * (graceful within cfg->graceful_timeout) or SIGQUIT.  0, or -1 when a
 * thread could not be set up (logged). */
int px_server_run(const px_settings *cfg, const tc_addr *upstream);
/* A reload's graceful_timeout, for the next stop. */
void px_server_set_graceful_timeout(long long seconds);

#endif

/* px_server.h: starts the event-loop threads and runs until a signal ends them. */
#ifndef TANDEM_PX_SERVER_H
#define TANDEM_PX_SERVER_H
int px_server_run(void);
#endif

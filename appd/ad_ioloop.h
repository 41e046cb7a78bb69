/* ad_ioloop.h: the poll(2) loop that serves a worker's proxy connections on
 * the calling thread, for the classes that keep the GIL away from that
 * thread (sync, gthread: the I/O thread).  Event-loop classes use their own
 * loop over the same descriptors and handlers instead. */
#ifndef TANDEM_AD_IOLOOP_H
#define TANDEM_AD_IOLOOP_H

/* Runs until the worker stops: 1 when every stream finished, 0 when the
 * graceful timeout abandoned some (ad_wclass run's contract).  Exits the
 * process on a failure of poll(2) or of memory. */
int ad_ioloop_run(void);

#endif

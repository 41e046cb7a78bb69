/* tc_ctlcmd.h: the control commands both daemons answer the same way
 * (tandemctl(1)): `show config`, every row of the daemon's settings table
 * as the Python literal --print-config shows, and the actions a signal
 * starts (reload, reopen, shutdown).  Apart from tc_ctlout.c, which the
 * control grammar's fuzz target links without the settings or the log. */
#ifndef TANDEM_TC_CTLCMD_H
#define TANDEM_TC_CTLCMD_H

#include "tc_ctlout.h"
#include "tc_opt.h"

/* Writes the object "config" of table's rows in settings (borrowed).
 * 0, or -1 when out of memory (the caller answers with an error). */
int tc_ctlcmd_show_config(tc_ctlout *o, const tc_opt *table, const void *settings);
/* Logs the action (what: "reload"...), sends sig to this process, whose
 * own handler then does what the signal does, and answers "started". 0. */
int tc_ctlcmd_signal(int sig, const char *what, tc_ctlout *o);

#endif

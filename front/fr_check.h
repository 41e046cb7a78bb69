/* fr_check.h: runs one daemon to completion for tandem --check-config and
 * --print-config: its standard output passes through, and each line of its
 * standard error is labelled with the daemon's name, so that the errors of
 * the two daemons can be told apart. */
#ifndef TANDEM_FR_CHECK_H
#define TANDEM_FR_CHECK_H

/* Runs argv[0] (a path) with argv; returns its exit status (128 + the
 * signal that killed it; 127 when it could not run). */
int fr_run_labelled(const char *label, char **argv);

#endif

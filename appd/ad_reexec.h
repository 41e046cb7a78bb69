/* ad_reexec.h: SIGUSR2 in the master, Gunicorn's binary upgrade: the
 * master forks a child that runs pre_exec and executes tandem-appd again,
 * with the same command line from the same directory, handing it the
 * listening socket (LISTEN_FDS, as systemd would).  Both masters serve,
 * each with its own workers, until the operator stops one: TERM to the old
 * master and the new one is promoted (its pid file loses its ".2"), or TERM
 * to the new one to go back. */
#ifndef TANDEM_AD_REEXEC_H
#define TANDEM_AD_REEXEC_H

#include <sys/types.h>

/* At start-up: whether this master was executed by another (its pid is in
 * $TANDEM_MASTER_PID, which is then removed from the environment). */
void ad_reexec_init(void);
/* The old master's pid while it lives, else 0. */
pid_t ad_reexec_parent(void);
/* The new master's pid while it lives, else 0. */
pid_t ad_reexec_child(void);

/* USR2: starts the new master, unless one runs already or this master has
 * not been promoted yet (logged).  listen_fd: the socket to hand over. */
void ad_reexec(int listen_fd);
/* A child the master reaped that is no worker: 1 when it was the new
 * master (its end is logged), else 0. */
int ad_reexec_reaped(pid_t pid, int status);
/* Once per turn: 1 the first time the old master is found gone (this one
 * is promoted: the caller takes over the pid file and the socket file). */
int ad_reexec_promoted(void);

#endif

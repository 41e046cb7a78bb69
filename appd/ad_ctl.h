/* ad_ctl.h: the master <-> worker control channel, a SOCK_SEQPACKET
 * socketpair per worker.  The master hands accepted proxy connections over it
 * (SCM_RIGHTS); the worker answers with small typed messages. */
#ifndef TANDEM_AD_CTL_H
#define TANDEM_AD_CTL_H

#include <stddef.h>
#include <stdint.h>

/* Message types (first byte). */
enum {
    AD_MSG_CONN = 'F',     /* master -> worker: one fd attached */
    AD_MSG_READY = 'R',    /* worker -> master: app loaded, serving */
    AD_MSG_CLOSED = 'C',   /* worker -> master: u32 count of connections closed */
    AD_MSG_LOADERR = 'E',  /* worker -> master: one-line app load error text */
    AD_MSG_STOPPING = 'S', /* worker -> master: draining (max-requests, lost master) */
};

/* Creates the pair (CLOEXEC, non-blocking).  0 or -1/errno. */
int ad_ctl_pair(int sv[2]);
/* Sends msg with fd attached (fd < 0: none).  0, or -1/errno (EAGAIN too). */
int ad_ctl_send(int sock, const void *msg, size_t len, int fd);
/* Receives one message; *fd gets an attached descriptor (CLOEXEC) or -1.
 * Returns the length, 0 on EOF, -1/errno (EAGAIN when none). */
long ad_ctl_recv(int sock, void *buf, size_t cap, int *fd);

#endif

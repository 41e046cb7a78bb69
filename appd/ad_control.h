/* ad_control.h: tandem-appd's control socket (tandemctl(1)): the master
 * serves it from its poll loop, one short request at a time.  Commands that
 * change something do what the matching signal does (TTIN, TTOU, HUP, USR1,
 * TERM), through the same code. */
#ifndef TANDEM_AD_CONTROL_H
#define TANDEM_AD_CONTROL_H

#include <stddef.h>

/* Binds the socket the settings name (M.s), or the one derived from
 * bind_path (a Unix socket path, or NULL).  Sets M.control_fd (-1 when
 * none is served).  Returns 0, or -1 with err when the socket given by
 * --control-socket cannot be served (a derived one only warns). */
int ad_control_open(const char *bind_text, const char *bind_path, char *err, size_t errlen);
/* Answers one client waiting on M.control_fd. */
void ad_control_serve(void);
/* This master was promoted (USR2's old master is gone): its socket takes
 * the plain path. */
void ad_control_take_over(void);
/* Closes the socket and removes its file (still ours). */
void ad_control_close(void);

#endif

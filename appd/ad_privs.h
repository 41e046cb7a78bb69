/* ad_privs.h: what tandem-appd does with user, group, umask, initgroups
 * and worker_tmp_dir: the master stays root (it binds, forks, signals); its
 * Unix socket is given to the workers' user and group, mode 0660 less the
 * umask, so a proxy running as that user or in that group can connect; each
 * worker drops to the user after post_fork, before it imports the app.
 * Errors: -1 with one line in err naming the setting. */
#ifndef TANDEM_AD_PRIVS_H
#define TANDEM_AD_PRIVS_H

#include <stddef.h>

#include "ad_settings.h"
#include "tc_addr.h"

/* At start-up, in the master: resolves the user and group (one that does
 * not exist is an error naming it) and checks worker_tmp_dir is a
 * directory. */
int ad_privs_setup(const ad_settings *s, char *err, size_t errlen);
/* tc_listen for the master's socket: a Unix socket file it creates is bound
 * under the umask (and never open to others), then given to the user and
 * group.  The fd, or -1. */
int ad_privs_listen(const ad_settings *s, const tc_addr *a, char *err, size_t errlen);
/* In a worker: becomes the user and group, then, with worker_tmp_dir,
 * opens its heartbeat file there (created as the user, then unlinked, as
 * Gunicorn's; the master judges liveness by the scoreboard, so the file
 * only proves the directory usable).  0, or -1 with err. */
int ad_privs_worker(const ad_settings *s, char *err, size_t errlen);

#endif

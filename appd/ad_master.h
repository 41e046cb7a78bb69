/* ad_master.h: the tandem-appd master: binds, starts Python, forks and
 * watches the workers, hands them proxy connections, handles signals. */
#ifndef TANDEM_AD_MASTER_H
#define TANDEM_AD_MASTER_H

#include <stddef.h>

#include "ad_settings.h"

/* Runs until stopped.  Returns the exit status (ad_exit.h); when it is not
 * 0, err holds the one-line cause for stderr. */
int ad_master_run(ad_settings *s, int argc, char **argv, char *err, size_t errlen);

#endif

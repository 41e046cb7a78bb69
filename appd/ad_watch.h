/* ad_watch.h: --reload, for development: a worker watches the files of the
 * modules its app imported, and reload_extra_files, from a thread of its
 * own; when one changes (modified, replaced, removed or created) it asks
 * the worker for a graceful restart, and the master's new worker imports
 * the code again.  inotify wakes the watch at once where it works; the
 * poll engine compares the files' status once a second. */
#ifndef TANDEM_AD_WATCH_H
#define TANDEM_AD_WATCH_H

#include "ad_settings.h"

/* In a worker, with the GIL held, once its app is imported: lists the
 * files and starts the watching thread.  Nothing unless s->reload.
 * Failures are logged: the worker serves unwatched. */
void ad_watch_start(const ad_settings *s);

#endif

/* ad_reload.h: SIGHUP in the master, Gunicorn's reload: every source of
 * the settings read again (the config file run again from the directory
 * tandem-appd started in), what may change applied, the server hooks
 * replaced, on_reload called, and a new generation of workers started that
 * replaces the running one worker by worker as each new one is ready, so
 * no request fails across it. */
#ifndef TANDEM_AD_RELOAD_H
#define TANDEM_AD_RELOAD_H

/* Remembers the command line and the working directory (before --chdir
 * moves it), for reloads and re-executions.  0, or -1 with errno. */
int ad_reload_init(int argc, char **argv);

/* Reloads.  A config file or setting that fails keeps everything as it
 * was (logged); settings that cannot change in a running master (bind,
 * backlog, chdir, pythonpath, raw_env, preload_app, errorlog, pidfile) keep
 * their value, with a warning naming them.  nworkers_changed and on_reload
 * raising stop the master, as in Gunicorn (ad_procs_halt). */
void ad_reload(const char *bind);

/* The directory tandem-appd started in and its command line. */
int ad_reload_start_dir(void);
char **ad_reload_argv(void);

#endif

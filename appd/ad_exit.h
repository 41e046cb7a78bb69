/* ad_exit.h: exit statuses of tandem-appd and of its workers (the worker
 * codes are Gunicorn's, so the master halts on them instead of respawning). */
#ifndef TANDEM_AD_EXIT_H
#define TANDEM_AD_EXIT_H

enum {
    AD_EXIT_OK = 0,
    AD_EXIT_FAILURE = 1,  /* runtime failure: bind, pid file, log file, Python start */
    AD_EXIT_USAGE = 2,    /* bad command line or setting value */
    AD_EXIT_BOOT = 3,     /* a worker failed to boot (Gunicorn's WORKER_BOOT_ERROR) */
    AD_EXIT_APP_LOAD = 4, /* the app could not be imported (Gunicorn's APP_LOAD_ERROR) */
};

#endif

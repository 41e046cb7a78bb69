/* fr_signal.h: the signals tandem(1) takes for its two daemons, and where
 * each goes: only to the daemons that handle it, so that no signal stops
 * (TTIN, TTOU) or ends (USR2) a daemon by its default action.  The handler
 * only records; the main loop takes the signals and forwards them. */
#ifndef TANDEM_FR_SIGNAL_H
#define TANDEM_FR_SIGNAL_H

enum {
    FR_TO_APPD = 1,
    FR_TO_PROXY = 2,
    /* HUP: the proxy reads what appd evaluated from the config file, so it
     * reloads once appd has (appd's READY=1 after RELOADING=1). */
    FR_PROXY_AFTER_APPD = 4,
};

/* The signals tandem takes (0-terminated): TERM, INT, QUIT, HUP, USR1,
 * USR2, TTIN, TTOU.  WINCH keeps its default (ignored). */
extern const int fr_signals[];

/* Where sig goes: FR_TO_* bits, 0 for nowhere (USR2). */
unsigned fr_signal_route(int sig);
/* Whether sig asks tandem to stop (TERM, INT, QUIT). */
int fr_signal_is_stop(int sig);

/* Installs the recording handler for fr_signals. */
void fr_signal_install(void);
/* A stop signal has arrived (it stays so). */
int fr_signal_stopping(void);
/* The next signal received and not taken yet, lowest number first, or 0.
 * Each signal is kept once however often it arrived in between. */
int fr_signal_take(void);

#endif

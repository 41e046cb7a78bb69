/* fr_signal.c: tandem's signal routes and their recording handler (see
 * fr_signal.h). */
#include "fr_signal.h"

#include <signal.h>
#include <string.h>

const int fr_signals[] = {
    SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU, 0
};

/* One flag per signal, so a second different signal arriving before the
 * loop takes the first is not lost (a single slot would overwrite it). */
static volatile sig_atomic_t pending[NSIG];
static volatile sig_atomic_t stopping;

int fr_signal_is_stop(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT; }

unsigned fr_signal_route(int sig)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
    case SIGUSR1: return FR_TO_APPD | FR_TO_PROXY;
    case SIGHUP: return FR_TO_APPD | FR_PROXY_AFTER_APPD;
    case SIGTTIN:
    case SIGTTOU: return FR_TO_APPD;
    default: return 0; /* USR2: appd's re-execution would leave tandem behind */
    }
}

static void on_signal(int sig)
{
    pending[sig] = 1;
    if (fr_signal_is_stop(sig))
        stopping = 1;
}

void fr_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (const int *s = fr_signals; *s; s++)
        sigaction(*s, &sa, NULL);
}

int fr_signal_stopping(void) { return stopping; }

int fr_signal_take(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        if (pending[sig]) {
            pending[sig] = 0;
            return sig;
        }
    }
    return 0;
}

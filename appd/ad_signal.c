/* ad_signal.c: the self-pipe trick (see ad_signal.h).  The handler only
 * write(2)s the signal number, which is async-signal-safe. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ad_signal.h"

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t r = write(sig_pipe[1], &b, 1);
    (void)r; /* a full pipe already holds wake-ups; dropping one is fine */
    errno = saved;
}

int ad_signal_init(const int *sigs)
{
    if (sig_pipe[0] >= 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
    }
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (const int *s = sigs; *s; s++)
        sigaction(*s, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return sig_pipe[0];
}

int ad_signal_next(void)
{
    unsigned char b;
    ssize_t n;
    do {
        n = read(sig_pipe[0], &b, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1 ? b : 0;
}

void ad_signal_reset(const int *sigs)
{
    for (const int *s = sigs; *s; s++)
        signal(*s, SIG_DFL);
    if (sig_pipe[0] >= 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        sig_pipe[0] = sig_pipe[1] = -1;
    }
}

const char *ad_signal_name(int sig)
{
    switch (sig) {
    case SIGHUP: return "hup";
    case SIGINT: return "int";
    case SIGQUIT: return "quit";
    case SIGTERM: return "term";
    case SIGTTIN: return "ttin";
    case SIGTTOU: return "ttou";
    case SIGUSR1: return "usr1";
    case SIGUSR2: return "usr2";
    case SIGCHLD: return "chld";
    case SIGWINCH: return "winch";
    default: return "?";
    }
}

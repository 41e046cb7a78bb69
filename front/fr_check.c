/* fr_check.c: one daemon run to completion with its error lines labelled,
 * for tandem --check-config and --print-config. */
#include "fr_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int fr_run_labelled(const char *label, char **argv)
{
    int pfd[2];
    fflush(stdout);
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        fprintf(stderr, "tandem: error: pipe: %s\n", strerror(errno));
        return 127;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* Nothing supervises these short runs: no readiness to report. */
        unsetenv("NOTIFY_SOCKET");
        dup2(pfd[1], STDERR_FILENO);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        fprintf(stderr, "tandem: error: fork: %s\n", strerror(errno));
        return 127;
    }
    FILE *in = fdopen(pfd[0], "r");
    char *line = NULL;
    size_t cap = 0;
    while (in && getline(&line, &cap, in) > 0)
        fprintf(stderr, "%s: %s%s", label, line, strchr(line, '\n') ? "" : "\n");
    free(line);
    if (in)
        fclose(in);
    else
        close(pfd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

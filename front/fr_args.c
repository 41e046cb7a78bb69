/* fr_args.c: routes each of Gunicorn's flags to the daemon that owns it, so
 * `tandem` takes Gunicorn's command line unchanged. */
#include "fr_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TO_PROXY = 1, TO_APPD = 2, TO_BOTH = 3, TO_FRONT = 4 };

typedef struct {
    const char *flag;
    char short_flag;
    int takes_value;
    int dest;
    const char *rename;   /* the daemon's name for it, when it differs */
    const char *help;
} fr_flag;

static const fr_flag flags[] = {
    {"--bind", 'b', 1, TO_PROXY, NULL, "ADDRESS  listen on it (repeatable) [127.0.0.1:8000]"},
    {"--certfile", 0, 1, TO_PROXY, NULL, "FILE  TLS certificate (PEM); enables https"},
    {"--keyfile", 0, 1, TO_PROXY, NULL, "FILE  TLS private key (PEM)"},
    {"--http-protocols", 0, 1, TO_PROXY, NULL, "LIST  ALPN order of h2,h1 [h2,h1]"},
    {"--http2-max-concurrent-streams", 0, 1, TO_PROXY, NULL, "INT  [100]"},
    {"--http2-initial-window-size", 0, 1, TO_PROXY, NULL, "INT  [65535]"},
    {"--http2-max-frame-size", 0, 1, TO_PROXY, NULL, "INT  [16384]"},
    {"--http2-max-header-list-size", 0, 1, TO_PROXY, NULL, "INT  [65536]"},
    {"--http2-cleartext", 0, 1, TO_PROXY, NULL, "MODE  off, prior-knowledge, upgrade, both [off]"},
    {"--forwarded-allow-ips", 0, 1, TO_PROXY, NULL, "IPS  peers trusted with h2c [127.0.0.1,::1]"},
    {"--keepalive", 0, 1, TO_PROXY, NULL, "INT  idle keep-alive seconds [2]"},
    {"--limit-request-line", 0, 1, TO_PROXY, NULL, "INT  [4094]"},
    {"--limit-request-fields", 0, 1, TO_PROXY, NULL, "INT  [100]"},
    {"--limit-request-field-size", 0, 1, TO_PROXY, NULL, "INT  [8190]"},
    {"--backlog", 0, 1, TO_PROXY, NULL, "INT  listen backlog [2048]"},
    {"--max-queue", 0, 1, TO_PROXY, NULL, "INT  requests waiting for a free worker"},
    {"--queue-timeout", 0, 1, TO_PROXY, NULL, "INT  seconds a request may wait for a worker"},
    {"--proxy-threads", 0, 1, TO_PROXY, "--threads", "INT  proxy event-loop threads [CPUs]"},
    {"--workers", 'w', 1, TO_APPD, NULL, "INT  worker processes [1]"},
    {"--worker-class", 'k', 1, TO_APPD, NULL, "STRING  sync or gthread [sync]"},
    {"--threads", 0, 1, TO_APPD, NULL, "INT  threads per worker [1]"},
    {"--chdir", 0, 1, TO_APPD, NULL, "DIR  change to it before loading the app"},
    {"--pythonpath", 0, 1, TO_APPD, NULL, "DIRS  comma list prepended to sys.path"},
    {"--preload", 0, 0, TO_APPD, NULL, "load the app before forking workers"},
    {"--env", 'e', 1, TO_APPD, NULL, "KEY=VALUE  set in the workers' environment"},
    {"--name", 'n', 1, TO_APPD, NULL, "STRING  process name"},
    {"--max-requests", 0, 1, TO_APPD, NULL, "INT  restart a worker after this many requests [0]"},
    {"--max-requests-jitter", 0, 1, TO_APPD, NULL, "INT  [0]"},
    {"--timeout", 't', 1, TO_BOTH, NULL, "INT  kill a worker silent this long [30]"},
    {"--graceful-timeout", 0, 1, TO_BOTH, NULL, "INT  seconds to finish requests on stop [30]"},
    {"--log-level", 0, 1, TO_BOTH, NULL, "LEVEL  debug, info, warning, error, critical [info]"},
    {"--error-logfile", 0, 1, TO_BOTH, NULL, "FILE  error log, - for stderr [-]"},
    {"--log-file", 0, 1, TO_BOTH, "--error-logfile", "FILE  same as --error-logfile"},
    {"--pid", 'p', 1, TO_FRONT, NULL, "FILE  write tandem's pid to it"},
    {NULL, 0, 0, 0, NULL, NULL},
};

int fr_argv_push(fr_argv *a, char *s)
{
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        char **v = realloc(a->v, (size_t)cap * sizeof *v);
        if (v == NULL) return -1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
    return 0;
}

void fr_args_free(fr_args *a)
{
    free(a->proxy.v);
    free(a->appd.v);
    memset(a, 0, sizeof *a);
}

void fr_usage(void)
{
    printf("usage: tandem [OPTIONS] MODULE:CALLABLE\n\n"
           "Runs tandem-appd (the app) and tandem-proxy (HTTP/2, HTTP/1.1, TLS) together,\n"
           "with Gunicorn's flags.  See tandem(1).\n\noptions:\n");
    for (const fr_flag *f = flags; f->flag; f++) {
        char left[64];
        snprintf(left, sizeof left, "%s%c%s%s", f->short_flag ? "-" : "",
                 f->short_flag ? f->short_flag : ' ', f->short_flag ? ", " : " ", f->flag);
        printf("  %-36s %s\n", f->short_flag ? left : left + 1, f->help);
    }
    printf("  %-36s %s\n  %-36s %s\n", "-h, --help", "show this help and exit", "-v, --version",
           "show the version and exit");
}

static const fr_flag *find_flag(const char *arg)
{
    if (arg[1] != '-') {
        for (const fr_flag *f = flags; f->flag; f++)
            if (f->short_flag && f->short_flag == arg[1]) return f;
        return NULL;
    }
    size_t n = strcspn(arg, "=");
    for (const fr_flag *f = flags; f->flag; f++)
        if (strlen(f->flag) == n && strncmp(f->flag, arg, n) == 0) return f;
    return NULL;
}

/* Hands "--flag VALUE" (always in two-argument form) to each owner. */
static int route(fr_args *out, const fr_flag *f, char *value)
{
    char *name = (char *)(f->rename ? f->rename : f->flag);
    if (f->dest == TO_FRONT) {
        out->pidfile = value;
        return 0;
    }
    if (f->dest & TO_PROXY) {
        if (fr_argv_push(&out->proxy, name) || (value && fr_argv_push(&out->proxy, value)))
            return -1;
    }
    if (f->dest & TO_APPD) {
        if (fr_argv_push(&out->appd, name) || (value && fr_argv_push(&out->appd, value)))
            return -1;
    }
    return 0;
}

static int take_value(const fr_flag *f, int argc, char **argv, int *i, char **value,
                      char *err, size_t errlen)
{
    char *arg = argv[*i];
    char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
    *value = NULL;
    if (!f->takes_value) {
        if (eq) *value = eq + 1;   /* --preload=false: the daemon parses it */
        return 0;
    }
    if (eq) { *value = eq + 1; return 0; }
    if (arg[1] != '-' && arg[2] != '\0') { *value = arg + 2; return 0; }
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "option '%s' requires a value", arg);
        return -1;
    }
    *value = argv[++*i];
    return 0;
}

int fr_args_split(int argc, char **argv, fr_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) { out->help = 1; continue; }
        if (strcmp(arg, "-v") == 0 || strcmp(arg, "--version") == 0) { out->version = 1; continue; }
        if (arg[0] != '-' || arg[1] == '\0') {
            if (out->has_app) {
                snprintf(err, errlen, "unexpected argument '%s': one MODULE:CALLABLE only", arg);
                return -1;
            }
            out->has_app = 1;
            if (fr_argv_push(&out->appd, arg)) goto nomem;
            continue;
        }
        const fr_flag *f = find_flag(arg);
        if (f == NULL) {
            snprintf(err, errlen, "unrecognized option '%s' (see tandem --help)", arg);
            return -1;
        }
        char *value;
        if (take_value(f, argc, argv, &i, &value, err, errlen)) return -1;
        if (!f->takes_value && value) {
            /* keep "--flag=value" whole for a boolean */
            if (route(out, &(fr_flag){arg, 0, 0, f->dest, NULL, NULL}, NULL)) goto nomem;
        } else if (route(out, f, value)) {
            goto nomem;
        }
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* ad_reload.c: SIGHUP (ad_reload.h).  The settings are read as at
 * start-up, into a new struct, and replace the running ones only when
 * everything read well; then Gunicorn's order: nworkers_changed, logs
 * reopened, on_reload, the process title, a new generation of workers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ad_config.h"
#include "ad_exit.h"
#include "ad_hooks.h"
#include "ad_logging.h"
#include "ad_proctitle.h"
#include "ad_procs.h"
#include "ad_reload.h"
#include "tc_log.h"
#include "tc_notify.h"

static int start_dir = -1;
static int saved_argc;
static char **saved_argv;

/* What a running master has already done with these: its socket, its
 * working directory and sys.path, its environment, the app it imported,
 * its log and pid files. */
static const char *const fixed_keys[] = {
    "bind",  "backlog", "chdir",      "pythonpath", "raw_env",        "preload_app", "errorlog",
    "pidfile", "user", "group", "umask", "initgroups", "daemon", "worker_tmp_dir", NULL,
};

/* A copy: the process title is written over the original strings. */
int ad_reload_init(int argc, char **argv)
{
    saved_argv = calloc((size_t)argc + 1, sizeof *saved_argv);
    if (saved_argv == NULL)
        return -1;
    for (int i = 0; i < argc; i++)
        if ((saved_argv[i] = strdup(argv[i])) == NULL)
            return -1;
    saved_argc = argc;
    start_dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return start_dir < 0 ? -1 : 0;
}

int ad_reload_start_dir(void) { return start_dir; }

char **ad_reload_argv(void) { return saved_argv; }

/* ---- reading ---- */

/* tandem's --export-proxy-config file, written again from the new file. */
static int export_for_proxy(const ad_settings *ns, char *err, size_t errlen)
{
    const char *path = ns->export_proxy_config;
    if (path == NULL || strcmp(path, "-") == 0)
        return 0;
    return ad_config_check_proxy(err, errlen) || ad_config_export(path, err, errlen) ? -1 : 0;
}

/* Every source again, from the directory tandem-appd started in (a relative
 * -c, the default ./gunicorn.conf.py).  0, or -1 with err and nothing
 * changed. */
static int read_again(ad_settings *ns, char *err, size_t errlen)
{
    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (here < 0 || fchdir(start_dir) != 0) {
        snprintf(err, errlen, "cannot return to the start directory: %s", strerror(errno));
        if (here >= 0)
            close(here);
        return -1;
    }
    ad_config_argv args = { saved_argc, saved_argv };
    ad_config_reload_begin();
    int rc = ad_settings_load(ns, saved_argc, saved_argv, stdout, ad_config_load, &args, err,
                              errlen) == AD_PARSE_OK
                 ? export_for_proxy(ns, err, errlen)
                 : -1;
    ad_config_reload_end(rc == 0);
    if (rc != 0)
        ad_settings_free(ns);
    if (fchdir(here) != 0)
        tc_error("cannot return to the working directory: %s", strerror(errno));
    close(here);
    return rc;
}

/* ---- applying ---- */

static size_t field_size(const tc_opt *o)
{
    switch (o->type) {
    case TC_OPT_STR:
    case TC_OPT_PYDICT: return sizeof(char *);
    case TC_OPT_INT: return sizeof(long long);
    case TC_OPT_LIST:
    case TC_OPT_DICT: return sizeof(tc_strlist);
    case TC_OPT_BOOL:
    case TC_OPT_CHOICE: return sizeof(int);
    }
    return 0;
}

/* The fixed settings keep their running values (swapped into ns, so that
 * freeing the old struct frees the new ones); a warning names those the
 * sources changed. */
static void keep_fixed(ad_settings *ns)
{
    char changed[256] = "";
    for (const char *const *k = fixed_keys; *k; k++) {
        const tc_opt *o = tc_opt_find_key(ad_settings_table, *k);
        if (o == NULL)
            continue;
        char *was = tc_opt_value_text(o, M.s), *now = tc_opt_value_text(o, ns);
        if (was && now && strcmp(was, now) != 0) {
            size_t n = strlen(changed);
            snprintf(changed + n, sizeof changed - n, "%s%s", n ? ", " : "", *k);
        }
        free(was);
        free(now);
        char tmp[sizeof(tc_strlist)];
        char *a = (char *)M.s + o->offset, *b = (char *)ns + o->offset;
        memcpy(tmp, a, field_size(o));
        memcpy(a, b, field_size(o));
        memcpy(b, tmp, field_size(o));
    }
    if (changed[0])
        tc_warn("Reload: %s cannot change while tandem-appd runs; restart it to apply them",
                changed);
}

/* systemd's reload protocol (Type=notify-reload), which tandem(1) follows
 * too: RELOADING=1 now, READY=1 when the new workers serve. */
static void notify_reloading(void)
{
    struct timespec ts;
    char msg[64];
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    tc_notify(msg);
}

void ad_reload(const char *bind)
{
    char err[1400];
    tc_info("Hang up: Master");
    notify_reloading();
    ad_settings ns;
    if (read_again(&ns, err, sizeof err) != 0) {
        tc_error("Reload failed, the running settings stay: %s", err);
        tc_notify("READY=1");
        return;
    }
    keep_fixed(&ns);
    ad_settings old = *M.s;
    *M.s = ns;
    ad_settings_free(&old);
    tc_log_set_level(M.s->log_level);
    if (ad_logging_reload(M.s, err, sizeof err) != 0)
        tc_error("Reload: %s", err);
    if (ad_hooks_setup(M.s, bind, err, sizeof err) != 0)
        tc_error("Reload: %s", err);
    ad_procs_resize((uint32_t)M.s->workers);
    if (tc_log_reopen() != 0)
        tc_error("cannot reopen the error log: %s", strerror(errno));
    if (!M.halt_code && ad_hooks_on_reload(err, sizeof err) != 0)
        ad_procs_halt(AD_EXIT_FAILURE, err);
    ad_proctitle_set("master", M.s->proc_name);
    if (!M.halt_code)
        ad_procs_new_generation();
}

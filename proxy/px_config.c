/* px_config.c: tandem-proxy's settings from defaults, the environment, a
 * gunicorn.conf.py read as literals, GUNICORN_CMD_ARGS, TANDEM_CMD_ARGS and
 * its command line, each overriding the one before. */
#include "config.h"
#include "px_config.h"

#include <string.h>

#include "ad_settings.h"

const tc_conf_space px_conf_space = {
    .prog = "tandem-proxy",
    .table = px_settings_table,
    .other_prog = "tandem-appd",
    .other = ad_settings_table,
    .runs_hooks = 0,
    .check = px_settings_check_key,
};

static const char usage[] =
    "usage: tandem-proxy [OPTIONS]\n"
    "Terminates TLS, HTTP/2 and HTTP/1.1 and forwards requests to tandem-appd.";

/* The file's literal assignments; what needs Python is an error saying how
 * to have it evaluated. */
static int read_file(px_settings *s, const char *path, char *err, size_t errlen)
{
    char hint[1024];
    if (tc_conf_is_module(path)) {
        snprintf(err, errlen,
                 "config '%s': tandem-proxy reads files, not modules (it never "
                 "runs Python): run both daemons with tandem -c %s, or write its values with "
                 "tandem-appd -c %s --export-proxy-config - > proxy.conf.py",
                 path, path, path);
        return -1;
    }
    snprintf(hint, sizeof hint,
             "run both daemons with tandem -c %s, or have tandem-appd "
             "evaluate it: tandem-appd -c %s --export-proxy-config - > proxy.conf.py, then "
             "tandem-proxy -c proxy.conf.py",
             path, path);
    tc_pyconf file;
    if (tc_pyconf_read(path, &file, err, errlen))
        return -1;
    int rc = tc_conf_apply_file(&px_conf_space, s, path, &file, hint, err, errlen);
    tc_pyconf_free(&file);
    return rc;
}

static int load(px_settings *s, int argc, char **argv, tc_conf_args args[3], char *err,
                size_t errlen)
{
    char *pos[1];
    int npos;
    if (tc_conf_collect_cli(&px_conf_space, argc, argv, &args[2], pos, 0, &npos, err, errlen) ||
        tc_conf_collect_env(&px_conf_space, "GUNICORN_CMD_ARGS", &args[0], err, errlen) ||
        tc_conf_collect_env(&px_conf_space, "TANDEM_CMD_ARGS", &args[1], err, errlen))
        return -1;
    if (px_settings_defaults(s, err, errlen))
        return -1;
    const char *path = tc_conf_location(&args[2], &args[0], &args[1]);
    if (path && read_file(s, path, err, errlen))
        return -1;
    /* --print-config names the file even when it was found by default. */
    if (path && tc_opt_set(tc_opt_find_key(px_settings_table, "config"), s, path, err, errlen))
        return -1;
    for (int i = 0; i < 3; i++)
        if (tc_conf_args_apply(&args[i], px_settings_table, s, err, errlen))
            return -1;
    return 0;
}

int px_config_load(px_settings *s, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (tc_opt_asks(argc, argv, "-h", "--help")) {
        tc_opt_usage(out, usage, px_settings_table);
        return PX_LOAD_EXIT;
    }
    if (tc_opt_asks(argc, argv, "-v", "--version")) {
        fprintf(out, "tandem-proxy %s\n", PACKAGE_VERSION);
        return PX_LOAD_EXIT;
    }
    tc_conf_args args[3] = { { 0 } };
    int rc = load(s, argc, argv, args, err, errlen);
    for (int i = 0; i < 3; i++)
        tc_conf_args_free(&args[i]);
    return rc ? PX_LOAD_ERROR : PX_LOAD_OK;
}

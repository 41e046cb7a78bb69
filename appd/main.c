/* main.c: tandem-appd's entry point: settings (a config file among their
 * sources, run by ad_config.c), error log, then the master.
 * Every start-up failure ends here as one "error: ..." line on stderr (the
 * last line, after any log output) and a non-zero exit status. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ad_config.h"
#include "ad_exit.h"
#include "ad_logging.h"
#include "ad_master.h"
#include "ad_proctitle.h"
#include "ad_settings.h"
#include "tc_daemon.h"
#include "tc_log.h"

/* --export-proxy-config, --print-config: output, then maybe exit (-1: go on). */
static int before_start(ad_settings *s, char *err, size_t errlen)
{
    if (s->export_proxy_config) {
        if (ad_config_check_proxy(err, errlen) != 0) {
            fprintf(stderr, "error: %s\n", err);
            return AD_EXIT_USAGE;
        }
        if (ad_config_export(s->export_proxy_config, err, errlen) != 0) {
            fprintf(stderr, "error: %s\n", err);
            return AD_EXIT_FAILURE;
        }
        if (strcmp(s->export_proxy_config, "-") == 0)
            return AD_EXIT_OK;
    }
    if (s->print_config) {
        tc_opt_print(stdout, ad_settings_table, s);
        return AD_EXIT_OK;
    }
    return -1;
}

int main(int argc, char **argv)
{
    ad_settings s;
    char err[1400];
    ad_config_argv args = { argc, argv };
    int rc = ad_settings_load(&s, argc, argv, stdout, ad_config_load, &args, err, sizeof err);
    if (rc == AD_PARSE_EXIT)
        return AD_EXIT_OK;
    if (rc == AD_PARSE_ERROR) {
        fprintf(stderr, "error: %s\n", err);
        ad_settings_free(&s);
        return AD_EXIT_USAGE;
    }
    if ((rc = before_start(&s, err, sizeof err)) >= 0) {
        ad_settings_free(&s);
        return rc;
    }
    if (tc_log_open(s.error_path, s.log_level) != 0) {
        fprintf(stderr, "error: errorlog (--error-logfile): cannot open %s: %s\n", s.error_path,
                strerror(errno));
        ad_settings_free(&s);
        return AD_EXIT_FAILURE;
    }
    if (ad_logging_open(&s, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        ad_settings_free(&s);
        return AD_EXIT_FAILURE;
    }
    /* Gunicorn's -D: detached before Python starts; the command waits
     * until the workers serve, so start-up errors still reach it. */
    if (s.daemon && !s.check_config && tc_daemon_start(err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        ad_settings_free(&s);
        return AD_EXIT_FAILURE;
    }
    ad_proctitle_init(argc, argv, s.app_spec);
    rc = ad_master_run(&s, argc, argv, err, sizeof err);
    ad_logging_close();
    if (rc != AD_EXIT_OK && err[0])
        fprintf(stderr, "error: %s\n", err);
    if (rc == AD_EXIT_OK && s.check_config)
        printf("%s: OK\n", s.app_spec);
    ad_settings_free(&s);
    return rc;
}

/* test_fr_args.c: tandem's command line: which daemon each flag goes to (the
 * front's decisions, then the daemons' settings tables), value forms, errors
 * and hints, and --help made from the tables. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_settings.h"
#include "fr_args.h"
#include "tc_gunicorn.h"
#include "fr_flags.h"
#include "px_settings.h"

static fr_args a;
static char err[512];
static char to_proxy[2048], to_appd[2048];

/* "--flag value ..." as one string, to compare a whole argv at once. */
static void join(const fr_argv *v, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? " " : "", v->v[i]);
}

static int split(int argc, char **argv)
{
    fr_args_free(&a);
    err[0] = '\0';
    int rc = fr_args_split(argc, argv, &a, err, sizeof err);
    join(&a.proxy, to_proxy, sizeof to_proxy);
    join(&a.appd, to_appd, sizeof to_appd);
    return rc;
}

#define SPLIT(...)                                                      \
    split(sizeof((char *[]){ "tandem", __VA_ARGS__ }) / sizeof(char *), \
          (char *[]){ "tandem", __VA_ARGS__ })
#define ROUTES(p, ap)                  \
    do {                               \
        ck_assert_str_eq(to_proxy, p); \
        ck_assert_str_eq(to_appd, ap); \
    } while (0)
#define FAILS(msg, ...)                                                        \
    do {                                                                       \
        ck_assert_int_eq(SPLIT(__VA_ARGS__), -1);                              \
        ck_assert_msg(strstr(err, msg) != NULL, "'%s' not in '%s'", msg, err); \
    } while (0)

static void teardown(void) { fr_args_free(&a); }

START_TEST(bind_is_the_proxys)
{
    ck_assert_int_eq(SPLIT("-b", "1.2.3.4:80", "--bind=[::1]:81", "-b:82", "a:b"), 0);
    ROUTES("--bind 1.2.3.4:80 --bind [::1]:81 --bind :82", "a:b");
}
END_TEST

START_TEST(threads_are_appds_proxy_threads_the_proxys)
{
    ck_assert_int_eq(SPLIT("--threads", "4", "--proxy-threads=2", "a:b"), 0);
    ROUTES("--threads 2", "--threads 4 a:b");
}
END_TEST

START_TEST(proxy_protocol_alone_leaves_the_app)
{
    /* Gunicorn's --proxy-protocol without a value is auto: the app stays the app. */
    ck_assert_int_eq(SPLIT("--proxy-protocol", "a:b"), 0);
    ROUTES("--proxy-protocol auto", "a:b");
    ck_assert_int_eq(SPLIT("--proxy-protocol", "v1", "--proxy-allow-from", "10.0.0.0/8", "a:b"), 0);
    ROUTES("--proxy-protocol v1 --proxy-allow-from 10.0.0.0/8", "a:b");
    ck_assert_int_eq(SPLIT("a:b", "--proxy-protocol"), 0);
    ROUTES("--proxy-protocol auto", "a:b");
}
END_TEST

START_TEST(pid_is_tandems_own)
{
    ck_assert_int_eq(SPLIT("--pid", "/run/t.pid", "a:b"), 0);
    ROUTES("", "a:b");
    ck_assert_str_eq(a.pidfile, "/run/t.pid");
    ck_assert_int_eq(SPLIT("--pid=/x", "-p/y", "a:b"), 0);
    ck_assert_str_eq(a.pidfile, "/y");
    ck_assert_int_eq(SPLIT("-p", "/z", "a:b"), 0);
    ck_assert_str_eq(a.pidfile, "/z");
    ROUTES("", "a:b");
}
END_TEST

/* -D detaches tandem, whose daemons stay its children; the identity
 * settings reach both daemons; the rest of issue 13's go where they act. */
START_TEST(daemon_is_tandems_privileges_go_to_both)
{
    ck_assert_int_eq(SPLIT("-D", "a:b"), 0);
    ck_assert_int_eq(a.daemon, 1);
    ROUTES("", "a:b");
    ck_assert_int_eq(SPLIT("--daemon=false", "a:b"), 0);
    ck_assert_int_eq(a.daemon, 0);
    ck_assert_int_eq(SPLIT("-u", "www", "--group=www", "-m", "0o22", "--initgroups", "a:b"), 0);
    ROUTES("--user www --group www --umask 0o22 --initgroups",
           "--user www --group www --umask 0o22 --initgroups a:b");
    ck_assert_int_eq(SPLIT("--reuse-port", "--reload", "--reload-extra-file", "t.html",
                           "--reload-engine=poll", "--worker-tmp-dir", "/dev/shm", "a:b"),
                     0);
    ROUTES("--reuse-port", "--reload --reload-extra-file t.html --reload-engine poll "
                           "--worker-tmp-dir /dev/shm a:b");
}
END_TEST

START_TEST(upstream_is_refused)
{
    FAILS("option '--upstream' is set by tandem", "--upstream", "unix:/x", "a:b");
    FAILS("option '--upstream' is set by tandem", "--upstream=unix:/x", "a:b");
}
END_TEST

START_TEST(timeouts_and_logs_go_to_both)
{
    ck_assert_int_eq(SPLIT("-t5", "--graceful-timeout", "7", "--log-level=debug", "--error-logfile",
                           "/l", "a:b"),
                     0);
    ROUTES("--timeout 5 --graceful-timeout 7 --log-level debug --error-logfile /l",
           "--timeout 5 --graceful-timeout 7 --log-level debug --error-logfile /l a:b");
    ck_assert_int_eq(SPLIT("--timeout=0", "-t", "9", "a:b"), 0);
    ROUTES("--timeout 0 --timeout 9", "--timeout 0 --timeout 9 a:b");
}
END_TEST

START_TEST(log_file_is_error_logfile_for_both)
{
    ck_assert_int_eq(SPLIT("--log-file", "/l", "--log-file=-", "a:b"), 0);
    ROUTES("--error-logfile /l --error-logfile -", "--error-logfile /l --error-logfile - a:b");
}
END_TEST

START_TEST(backlog_is_the_public_listeners)
{
    ck_assert_int_eq(SPLIT("--backlog", "64", "a:b"), 0);
    ROUTES("--backlog 64", "a:b");
}
END_TEST

/* tandem checks and prints both daemons itself, and hands each its part
 * of the config file; what appd evaluated for the proxy is tandem's to pass. */
START_TEST(config_flags_are_tandems)
{
    ck_assert_int_eq(SPLIT("--check-config", "-c", "g.py", "a:b"), 0);
    ROUTES("", "a:b");
    ck_assert_int_eq(a.check_config, 1);
    ck_assert_int_eq(a.print_config, 0);
    ck_assert_str_eq(a.config, "g.py");
    ck_assert_int_eq(SPLIT("--print-config=true", "--config=python:site.conf"), 0);
    ck_assert_int_eq(a.print_config, 1);
    ck_assert_str_eq(a.config, "python:site.conf");
    ck_assert_int_eq(SPLIT("--print-config=false", "-cx.py", "a:b"), 0);
    ck_assert_int_eq(a.print_config, 0);
    ck_assert_str_eq(a.config, "x.py");
    FAILS("option '--export-proxy-config' is set by tandem", "--export-proxy-config", "-", "a:b");
}
END_TEST

/* GUNICORN_CMD_ARGS and TANDEM_CMD_ARGS are checked as tandem's command
 * line before anything starts; -c comes from them when the command line
 * has none (TANDEM_CMD_ARGS after GUNICORN_CMD_ARGS). */
START_TEST(environment_arguments)
{
    setenv("GUNICORN_CMD_ARGS", "-w 3 --keep-alive 5 -c 'g u.py' --check-config", 1);
    setenv("TANDEM_CMD_ARGS", "--proxy-threads=2 --config t.py", 1);
    ck_assert_int_eq(SPLIT("a:b"), 0);
    ck_assert_int_eq(fr_args_env(&a, err, sizeof err), 0);
    ck_assert_str_eq(a.config, "t.py");
    ck_assert_int_eq(a.check_config, 1);
    ROUTES("", "a:b"); /* the daemons read the variables themselves */
    ck_assert_int_eq(SPLIT("-c", "cli.py", "a:b"), 0);
    ck_assert_int_eq(fr_args_env(&a, err, sizeof err), 0);
    ck_assert_str_eq(a.config, "cli.py");
    unsetenv("TANDEM_CMD_ARGS");
    ck_assert_int_eq(SPLIT("a:b"), 0);
    ck_assert_int_eq(fr_args_env(&a, err, sizeof err), 0);
    ck_assert_str_eq(a.config, "g u.py");
    setenv("GUNICORN_CMD_ARGS", "--wrokers 3", 1);
    ck_assert_int_eq(fr_args_env(&a, err, sizeof err), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: unrecognized option '--wrokers' (see tandem "
                          "--help); did you mean --workers?");
    setenv("GUNICORN_CMD_ARGS", "-w 2 app:app", 1);
    ck_assert_int_eq(fr_args_env(&a, err, sizeof err), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: options only (no app, -h or -v)");
    setenv("GUNICORN_CMD_ARGS", "--name 'unclosed", 1);
    ck_assert_int_eq(fr_args_env(&a, err, sizeof err), -1);
    ck_assert_str_eq(err, "GUNICORN_CMD_ARGS: no closing quotation");
    unsetenv("GUNICORN_CMD_ARGS");
}
END_TEST

START_TEST(proxy_only_flags)
{
    ck_assert_int_eq(SPLIT("--http2-max-frame-size", "20000", "--certfile", "c.pem",
                           "--keepalive=5", "--http2-cleartext", "both", "--max-queue", "3", "a:b"),
                     0);
    ROUTES("--http2-max-frame-size 20000 --certfile c.pem --keep-alive 5 --http2-cleartext both "
           "--max-queue 3",
           "a:b");
}
END_TEST

START_TEST(appd_only_flags)
{
    ck_assert_int_eq(SPLIT("--max-requests", "10", "-kgthread", "-e", "A=1,2", "--chdir=/srv", "-n",
                           "site", "a:b"),
                     0);
    ROUTES("", "--max-requests 10 --worker-class gthread --env A=1,2 --chdir /srv --name site a:b");
}
END_TEST

START_TEST(value_forms)
{
    ck_assert_int_eq(SPLIT("-w4", "a:b"), 0);
    ROUTES("", "--workers 4 a:b");
    ck_assert_int_eq(SPLIT("a:b", "-w", "4"), 0);
    ROUTES("", "a:b --workers 4");
    ck_assert_int_eq(SPLIT("--workers=4", "a:b"), 0);
    ROUTES("", "--workers 4 a:b");
    /* "=" only splits a long flag; an empty value is the daemon's to judge */
    ck_assert_int_eq(SPLIT("-e", "K=v", "--chdir=", "a:b"), 0);
    ROUTES("", "--env K=v --chdir  a:b");
    /* the next argument is a value, even when it looks like a flag */
    ck_assert_int_eq(SPLIT("--name", "-w", "a:b"), 0);
    ROUTES("", "--name -w a:b");
}
END_TEST

START_TEST(booleans)
{
    ck_assert_int_eq(SPLIT("--preload", "a:b"), 0);
    ROUTES("", "--preload a:b");
    ck_assert_int_eq(SPLIT("--preload=false", "a:b"), 0);
    ROUTES("", "--preload=false a:b");
    /* a boolean takes no next argument: that is the app */
    ck_assert_int_eq(SPLIT("--preload", "true"), 0);
    ROUTES("", "--preload true");
}
END_TEST

START_TEST(unknown_flags)
{
    FAILS("unrecognized option '--frobnicate' (see tandem --help)", "--frobnicate", "a:b");
    ck_assert_ptr_null(strstr(err, "did you mean"));
    FAILS("unrecognized option '--wrokers' (see tandem --help); did you mean --workers?",
          "--wrokers", "2", "a:b");
    FAILS("unrecognized option '--http2-max-frame=1' (see tandem --help); "
          "did you mean --http2-max-frame-size?",
          "--http2-max-frame=1", "a:b");
    FAILS("unrecognized option '-x' (see tandem --help)", "-x", "a:b");
    FAILS("unrecognized option '--' (see tandem --help)", "--", "a:b");
}
END_TEST

START_TEST(nearest_flag)
{
    ck_assert_str_eq(fr_flag_nearest("--worker"), "--workers");
    ck_assert_str_eq(fr_flag_nearest("--prelod=false"), "--preload");
    ck_assert_str_eq(fr_flag_nearest("--proxy-thread"), "--proxy-threads");
    ck_assert_str_eq(fr_flag_nearest("--pre"), "--preload");
    ck_assert_str_eq(fr_flag_nearest("--http2-max"), "--http2-max-frame-size");
    ck_assert_str_eq(fr_flag_nearest("--worker-clas=gthread"), "--worker-class");
    ck_assert_ptr_null(fr_flag_nearest("--bid"));      /* --bind or --pid */
    ck_assert_ptr_null(fr_flag_nearest("--upstream")); /* refused: not offered */
    ck_assert_ptr_null(fr_flag_nearest("--nothing-like-it"));
    ck_assert_ptr_null(fr_flag_nearest("-W"));
    ck_assert_ptr_null(fr_flag_nearest("--"));
}
END_TEST

START_TEST(missing_value)
{
    FAILS("option '--workers' requires a value", "a:b", "--workers");
    FAILS("option '-w' requires a value", "a:b", "-w");
    FAILS("option '--bind' requires a value", "a:b", "--bind");
    FAILS("option '--pid' requires a value", "a:b", "--pid");
}
END_TEST

START_TEST(app_help_and_version)
{
    FAILS("unexpected argument 'c:d': one MODULE:CALLABLE only", "a:b", "c:d");
    ck_assert_int_eq(SPLIT("-"), 0);
    ck_assert_int_eq(a.has_app, 1);
    ROUTES("", "-");
    ck_assert_int_eq(SPLIT("-h", "--version"), 0);
    ck_assert_int_eq(a.help, 1);
    ck_assert_int_eq(a.version, 1);
    ck_assert_int_eq(a.has_app, 0);
}
END_TEST

/* A flag both daemons' tables know goes where the front decides, never to
 * both by default: a new shared row must be given a decision. */
START_TEST(every_shared_flag_is_decided)
{
    for (const tc_opt *o = px_settings_table; o->key; o++) {
        if (o->flag == NULL || tc_opt_find_flag(ad_settings_table, o->flag) == NULL)
            continue;
        fr_flag f;
        ck_assert_int_eq(fr_flag_find(o->flag, &f), 0);
        ck_assert_msg(f.decided || f.front, "%s is in both tables but not decided", o->flag);
    }
}
END_TEST

/* Every flag either daemon has is accepted or refused by name. */
static void each_table_flag_is_known(const tc_opt *table)
{
    for (const tc_opt *o = table; o->key; o++) {
        fr_flag f;
        if (o->flag == NULL)
            continue;
        ck_assert_msg(fr_flag_find(o->flag, &f) == 0, "%s unknown to tandem", o->flag);
        ck_assert_ptr_nonnull(f.row);
        if (o->short_flag) {
            char s[3] = { '-', o->short_flag, '\0' };
            ck_assert_int_eq(fr_flag_find(s, &f), 0);
            ck_assert_msg(strcmp(f.flag, o->flag) == 0, "%s is %s for tandem, %s for a daemon", s,
                          f.flag, o->flag);
        }
    }
}

START_TEST(every_daemon_flag_is_known_and_short_letters_agree)
{
    each_table_flag_is_known(px_settings_table);
    each_table_flag_is_known(ad_settings_table);
}
END_TEST

/* A flag sent to both daemons has one default (None for both counts), or
 * --help would lie for one. */
static void defaults_agree(const fr_flag *f, void *ctx)
{
    (void)ctx;
    if (fr_flag_dest(f) != FR_TO_BOTH)
        return;
    const tc_opt *p = tc_opt_find_flag(px_settings_table, f->to_proxy);
    const tc_opt *ap = tc_opt_find_flag(ad_settings_table, f->to_appd);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(ap);
    ck_assert_msg((!p->def && !ap->def) || (p->def && ap->def && strcmp(p->def, ap->def) == 0),
                  "%s: proxy default %s, appd default %s", f->flag, p->def ? p->def : "none",
                  ap->def ? ap->def : "none");
}

START_TEST(both_daemons_share_a_default) { fr_flag_each(defaults_agree, NULL); }
END_TEST

/* Each listed flag once, found again by its name with the same owners; a
 * boolean goes under its own name ("--flag=value" is passed whole). */
static void listed_once(const fr_flag *f, void *ctx)
{
    char *seen = ctx;
    char key[64];
    snprintf(key, sizeof key, "|%s|", f->flag);
    ck_assert_msg(strstr(seen, key) == NULL, "%s listed twice", f->flag);
    strcat(seen, key);
    fr_flag again;
    ck_assert_int_eq(fr_flag_find(f->flag, &again), 0);
    ck_assert_int_eq(fr_flag_dest(&again), fr_flag_dest(f));
    ck_assert_ptr_null(f->refused);
    if (f->row->type == TC_OPT_BOOL) {
        ck_assert(f->to_proxy == NULL || strcmp(f->to_proxy, f->flag) == 0);
        ck_assert(f->to_appd == NULL || strcmp(f->to_appd, f->flag) == 0);
    }
}

START_TEST(each_flag_listed_once)
{
    static char seen[4096];
    seen[0] = '\0';
    fr_flag_each(listed_once, seen);
    ck_assert_ptr_nonnull(strstr(seen, "|--proxy-threads|"));
    ck_assert_ptr_nonnull(strstr(seen, "|--pid|"));
    ck_assert_ptr_null(strstr(seen, "|--upstream|"));
    ck_assert_ptr_null(strstr(seen, "|--export-proxy-config|"));
    ck_assert_ptr_nonnull(strstr(seen, "|--check-config|"));
    ck_assert_ptr_nonnull(strstr(seen, "|--print-config|"));
    ck_assert_ptr_nonnull(strstr(seen, "|--config|"));
}
END_TEST

/* A Gunicorn user's flags work: every flag Gunicorn 26 has for a setting
 * tandem supports is accepted, by tandem and by the daemon that owns it. */
START_TEST(gunicorns_flags_for_every_supported_key)
{
    int checked = 0;
    for (const tc_gunicorn_setting *g = tc_gunicorn_settings; g->key; g++) {
        const tc_opt *p = tc_opt_find_key(px_settings_table, g->key);
        const tc_opt *ap = tc_opt_find_key(ad_settings_table, g->key);
        if ((p == NULL && ap == NULL) || g->flags == NULL)
            continue;
        for (const char *f = g->flags; *f;) {
            char flag[64];
            size_t n = strcspn(f, " ");
            snprintf(flag, sizeof flag, "%.*s", (int)n, f);
            fr_flag ff;
            ck_assert_msg(fr_flag_find(flag, &ff) == 0 && ff.refused == NULL,
                          "tandem does not take Gunicorn's %s (%s)", flag, g->key);
            ck_assert_msg((p && tc_opt_spells(p, flag)) || (ap && tc_opt_spells(ap, flag)),
                          "no daemon spells Gunicorn's %s (%s)", flag, g->key);
            checked++;
            f += n + (f[n] == ' ');
        }
    }
    ck_assert_int_ge(checked, 30);
}
END_TEST

/* The line of --help that starts with "  " + start. */
static const char *help_line(const char *help, const char *start, char *line, size_t len)
{
    char key[96];
    snprintf(key, sizeof key, "\n  %s", start);
    const char *p = strstr(help, key);
    if (p == NULL)
        return NULL;
    p += 1;
    size_t n = strcspn(p, "\n");
    snprintf(line, len, "%.*s", (int)n, p);
    return line;
}

#define ENDS_WITH(s, tail)                                                                  \
    ck_assert_msg(strlen(s) >= strlen(tail) && !strcmp(s + strlen(s) - strlen(tail), tail), \
                  "'%s' does not end with '%s'", s, tail)

START_TEST(help_comes_from_the_tables)
{
    char *help = NULL, line[256];
    size_t len = 0;
    FILE *out = open_memstream(&help, &len);
    fr_usage(out);
    fclose(out);
    ck_assert_ptr_nonnull(help_line(help, "--http2-max-frame-size INT ", line, sizeof line));
    ENDS_WITH(line, "SETTINGS_MAX_FRAME_SIZE [16384]");
    ck_assert_ptr_nonnull(help_line(help, "--max-requests INT ", line, sizeof line));
    ENDS_WITH(line, "[0]");
    ck_assert_ptr_nonnull(help_line(help, "--proxy-threads INT ", line, sizeof line));
    ENDS_WITH(line, "one per CPU [0]");
    ck_assert_ptr_nonnull(help_line(help, "-b, --bind ADDRESS ", line, sizeof line));
    ENDS_WITH(line, "[127.0.0.1:8000]");
    ck_assert_ptr_nonnull(help_line(help, "-w, --workers INT ", line, sizeof line));
    ck_assert_ptr_nonnull(help_line(help, "-p, --pid FILE ", line, sizeof line));
    ck_assert_ptr_nonnull(help_line(help, "--preload ", line, sizeof line));
    ck_assert_ptr_nonnull(help_line(help, "-h, --help ", line, sizeof line));
    ck_assert_ptr_null(strstr(help, "--upstream"));
    ck_assert_ptr_null(strstr(help, "--export-proxy-config"));
    ck_assert_ptr_nonnull(help_line(help, "-c, --config CONFIG ", line, sizeof line));
    ck_assert_ptr_nonnull(help_line(help, "--check-config ", line, sizeof line));
    ck_assert_ptr_nonnull(help_line(help, "--print-config ", line, sizeof line));
    /* Gunicorn's spelling, the earlier one listed once after it */
    ck_assert_ptr_nonnull(help_line(help, "--keep-alive INT ", line, sizeof line));
    ck_assert_ptr_nonnull(strstr(line, "(also --keepalive) [2]"));
    ck_assert_ptr_null(help_line(help, "--keepalive", line, sizeof line));
    free(help);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("fr_args");
    TCase *tc = tcase_create("routing");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, bind_is_the_proxys);
    tcase_add_test(tc, threads_are_appds_proxy_threads_the_proxys);
    tcase_add_test(tc, proxy_protocol_alone_leaves_the_app);
    tcase_add_test(tc, pid_is_tandems_own);
    tcase_add_test(tc, daemon_is_tandems_privileges_go_to_both);
    tcase_add_test(tc, upstream_is_refused);
    tcase_add_test(tc, timeouts_and_logs_go_to_both);
    tcase_add_test(tc, log_file_is_error_logfile_for_both);
    tcase_add_test(tc, backlog_is_the_public_listeners);
    tcase_add_test(tc, config_flags_are_tandems);
    tcase_add_test(tc, environment_arguments);
    tcase_add_test(tc, proxy_only_flags);
    tcase_add_test(tc, appd_only_flags);
    tcase_add_test(tc, value_forms);
    tcase_add_test(tc, booleans);
    tcase_add_test(tc, unknown_flags);
    tcase_add_test(tc, nearest_flag);
    tcase_add_test(tc, missing_value);
    tcase_add_test(tc, app_help_and_version);
    suite_add_tcase(su, tc);
    TCase *tables = tcase_create("tables");
    tcase_add_test(tables, every_shared_flag_is_decided);
    tcase_add_test(tables, every_daemon_flag_is_known_and_short_letters_agree);
    tcase_add_test(tables, both_daemons_share_a_default);
    tcase_add_test(tables, each_flag_listed_once);
    tcase_add_test(tables, help_comes_from_the_tables);
    tcase_add_test(tables, gunicorns_flags_for_every_supported_key);
    suite_add_tcase(su, tables);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_tc_logconf.c: Check tests for the logging configuration tandem's C
 * side reads (common/tc_logconf.c, tc_logconf_ini.c, tc_ini.c, tc_json.c):
 * JSON and INI as Python reads them, a dict merged over Gunicorn's
 * CONFIG_DEFAULTS, levels (NOTSET inherited), the handlers tandem's own
 * lines can use, and each one it refuses with a message naming it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc_ini.h"
#include "tc_json.h"
#include "tc_logconf.h"

static char err[512];
static tc_logconf conf;

#define JSON(s) tc_json_parse((s), strlen(s), err, sizeof err)

START_TEST(json_values)
{
    tc_pyval *v = JSON(" {\"a\": [1, -2.5e1, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],"
                       " \"b\": {}} ");
    ck_assert_msg(v != NULL, "%s", err);
    ck_assert_int_eq(v->kind, TC_PY_DICT);
    ck_assert_uint_eq(v->n, 4);
    const tc_pyval *a = v->items[1];
    ck_assert_int_eq(a->kind, TC_PY_LIST);
    ck_assert_int_eq(a->items[0]->i, 1);
    ck_assert(a->items[1]->kind == TC_PY_FLOAT && a->items[1]->f == -25.0);
    ck_assert(a->items[2]->kind == TC_PY_BOOL && a->items[2]->i == 1);
    ck_assert(a->items[3]->kind == TC_PY_BOOL && a->items[3]->i == 0);
    ck_assert_int_eq(a->items[4]->kind, TC_PY_NONE);
    ck_assert_str_eq(a->items[5]->s, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    tc_pyval_free(v);
}
END_TEST

START_TEST(json_errors)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        { "[1,]", "line 1: a malformed number" },
        { "{\"a\" 1}", "line 1: expected ':' after a key" },
        { "{\n\"a\": \"open", "line 2: a string without its closing quote" },
        { "[\"\\u0000\"]", "line 1: a bad escape in a string (or \\u0000)" },
        { "[\"a\tb\"]", "line 1: a control character in a string (escape it)" },
        { "{} x", "line 1: text after the document" },
        { "{1: 2}", "line 1: expected a string key" },
        { "[01]", "line 1: a malformed number" },
        { "", "line 1: a value is missing" },
        { "[\"\xc3\"]", "line 1: a string that is not UTF-8" },
        { "[\"\xed\xa0\x80\"]", "line 1: a string that is not UTF-8" }, /* a surrogate */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(JSON(bad[i].text) == NULL, "%s parsed", bad[i].text);
        ck_assert_str_eq(err, bad[i].why);
    }
    char deep[200];
    memset(deep, '[', 100);
    deep[100] = '\0';
    ck_assert_ptr_null(JSON(deep));
    ck_assert_str_eq(err, "line 1: nested too deeply");
}
END_TEST

START_TEST(ini_as_configparser)
{
    static const char text[] = "# comment\n[DEFAULT]\nbase = /var/log\n\n[Main]\n"
                               "Path = %(base)s/app.log\nlong: one\n  two\n; note\n"
                               "pct = 100%%\n";
    tc_ini ini;
    ck_assert_int_eq(tc_ini_parse(text, strlen(text), &ini, err, sizeof err), 0);
    ck_assert(tc_ini_has_section(&ini, "Main") && !tc_ini_has_section(&ini, "main"));
    char buf[128];
    ck_assert_int_eq(tc_ini_get(&ini, "Main", "path", NULL, buf, sizeof buf, err, sizeof err), 0);
    ck_assert_str_eq(buf, "/var/log/app.log");
    ck_assert_str_eq(tc_ini_raw(&ini, "Main", "long"), "one\ntwo");
    ck_assert_int_eq(tc_ini_get(&ini, "Main", "pct", NULL, buf, sizeof buf, err, sizeof err), 0);
    ck_assert_str_eq(buf, "100%");
    ck_assert_str_eq(tc_ini_raw(&ini, "Main", "base"), "/var/log"); /* from [DEFAULT] */
    const char *const defaults[] = { "here", "/etc/app", NULL };
    tc_ini_free(&ini);
    static const char refs[] = "[s]\nx=%(here)s/y\nz=%(nope)s\n";
    ck_assert_int_eq(tc_ini_parse(refs, strlen(refs), &ini, err, sizeof err), 0);
    ck_assert_int_eq(tc_ini_get(&ini, "s", "x", defaults, buf, sizeof buf, err, sizeof err), 0);
    ck_assert_str_eq(buf, "/etc/app/y");
    ck_assert_int_eq(tc_ini_get(&ini, "s", "z", defaults, buf, sizeof buf, err, sizeof err), -1);
    ck_assert_str_eq(err, "[s]: %(nope)s names no key");
    tc_ini_free(&ini);
    ck_assert_int_eq(tc_ini_parse("[a]\nk=1\nK=2\n", 12, &ini, err, sizeof err), -1);
    ck_assert_str_eq(err, "line 3: a key given twice in its section");
    ck_assert_int_eq(tc_ini_parse("k=1\n", 4, &ini, err, sizeof err), -1);
    ck_assert_str_eq(err, "line 1: a key before any [section]");
    ck_assert_int_eq(tc_ini_parse("[a]\n[a]\n", 8, &ini, err, sizeof err), -1);
    ck_assert_str_eq(err, "line 2: a section given twice");
}
END_TEST

static int load_dict(const char *dict)
{
    tc_logconf_free(&conf);
    return tc_logconf_load(dict, NULL, NULL, &conf, err, sizeof err);
}

START_TEST(empty_dict_changes_nothing)
{
    ck_assert_int_eq(load_dict("{}"), 0);
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_UNSET);
    ck_assert_int_eq(conf.access.kind, TC_LOGDEST_UNSET);
    ck_assert_int_eq(tc_logconf_load(NULL, NULL, NULL, &conf, err, sizeof err), 0);
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_UNSET);
}
END_TEST

START_TEST(gunicorn_defaults_fill_what_the_dict_lacks)
{
    /* Only the root: Gunicorn's loggers come from CONFIG_DEFAULTS. */
    ck_assert_int_eq(load_dict("{'root': {'level': 'WARNING', 'handlers': []}}"), 0);
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_STDERR);
    ck_assert_int_eq(conf.error.level, 20);
    ck_assert_int_eq(conf.access.kind, TC_LOGDEST_STDOUT);
    ck_assert_int_eq(conf.access.level, 20);
    ck_assert_str_eq(tc_logdest_path(&conf.error, 1), "-");
    ck_assert_str_eq(tc_logdest_path(&conf.access, 0), "-");
    /* the defaults' access handler prefixes lines Gunicorn's error way: said */
    ck_assert_msg(strstr(conf.note, "gunicorn.access: handler 'console'") != NULL, "%s", conf.note);
    ck_assert_msg(strstr(conf.note, "gunicorn.error") == NULL, "%s", conf.note);
}
END_TEST

START_TEST(file_handler_and_levels)
{
    ck_assert_int_eq(load_dict("{'version': 1, 'loggers': {'gunicorn.error': {'level': 'debug',"
                               " 'handlers': ['f']}}, 'handlers': {'f': {'class':"
                               " 'logging.handlers.WatchedFileHandler', 'filename': 'e.log',"
                               " 'level': 30}}}"),
                     0);
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_FILE);
    ck_assert_str_eq(conf.error.path, "e.log");
    ck_assert_int_eq(conf.error.level, 10);
    ck_assert_int_eq(conf.error.handler_level, 30);
    ck_assert_str_eq(tc_logdest_path(&conf.error, 1), "e.log");
    /* the dict's loggers replace the defaults': access is left alone */
    ck_assert_int_eq(conf.access.kind, TC_LOGDEST_UNSET);
    /* no formatter: Python writes the bare message; tandem keeps its format and says so */
    ck_assert_msg(strstr(conf.note, "gunicorn.error: handler 'f'") != NULL, "%s", conf.note);
}
END_TEST

START_TEST(notset_inherits)
{
#define NOTSET_DICT(parent)                                                          \
    "{'root': {'level': 'ERROR'}, 'loggers': {" parent "'gunicorn.error': {'level':" \
    " 'NOTSET', 'handlers': ['n']}}, 'handlers': {'n': {'class': 'logging.NullHandler'}}}"
    ck_assert_int_eq(load_dict(NOTSET_DICT("")), 0);
    ck_assert_int_eq(conf.error.level, 40);
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_NONE);
    ck_assert_str_eq(tc_logdest_path(&conf.error, 1), "/dev/null");
    ck_assert_int_eq(load_dict(NOTSET_DICT("'gunicorn': {'level': 'DEBUG'}, ")), 0);
    ck_assert_int_eq(conf.error.level, 10);
    ck_assert_int_eq(load_dict("{'root': {}, 'loggers': {'gunicorn.error': {'level': 0}}}"), 0);
    ck_assert_int_eq(conf.error.level, 30);             /* Python's root default, WARNING */
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_NONE); /* no handlers: nowhere */
}
END_TEST

START_TEST(streams)
{
    ck_assert_int_eq(load_dict("{'loggers': {'gunicorn.error': {'handlers': ['o']},"
                               " 'gunicorn.access': {'level': 'WARNING', 'handlers': ['e']}},"
                               " 'handlers': {'o': {'class': 'logging.StreamHandler', 'stream':"
                               " 'ext://sys.stdout'}, 'e': {'class': 'logging.StreamHandler'}}}"),
                     0);
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_STDOUT);
    ck_assert_int_eq(conf.error.level, 0); /* no level given: the daemon's */
    ck_assert_str_eq(tc_logdest_path(&conf.error, 1), "/dev/stdout");
    ck_assert_int_eq(conf.access.kind, TC_LOGDEST_STDERR);
    ck_assert_int_eq(conf.access.level, 30);
    ck_assert_str_eq(tc_logdest_path(&conf.access, 0), "/dev/stderr");
}
END_TEST

START_TEST(refused)
{
    static const struct {
        const char *dict, *why;
    } bad[] = {
        { "{'loggers': {'gunicorn.error': {'handlers': ['r']}}, 'handlers': {'r': {'class': "
          "'logging.handlers.RotatingFileHandler', 'filename': 'x'}}}",
          "log config: gunicorn.error: handler class handlers.RotatingFileHandler is not one" },
        { "{'loggers': {'gunicorn.access': {'handlers': ['a', 'b']}}, 'handlers': {'a': "
          "{'class': 'logging.StreamHandler'}, 'b': {'class': 'logging.FileHandler', "
          "'filename': 'x'}}}",
          "log config: gunicorn.access: more than one handler writes its lines (b)" },
        { "{'loggers': {'gunicorn.error': {'handlers': ['w']}}, 'handlers': {'w': {'class': "
          "'logging.FileHandler', 'filename': 'x', 'mode': 'w'}}}",
          "log config: FileHandler mode 'w'" },
        { "{'loggers': {'gunicorn.error': {'handlers': ['nope']}}}",
          "log config: gunicorn.error: handler 'nope' is not defined" },
        { "{'loggers': {'gunicorn.error': {'level': 'LOUD'}}}",
          "log config: gunicorn.error: level LOUD is not a logging level" },
        { "{'incremental': True}", "log config: incremental configurations" },
        { "{'loggers': {'gunicorn.error': {'handlers': ['s']}}, 'handlers': {'s': {'class': "
          "'logging.StreamHandler', 'stream': 'ext://my.stream'}}}",
          "log config: a StreamHandler writes to sys.stdout or sys.stderr only" },
        { "{'loggers': []}", "log config: 'loggers' is not a dict" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(load_dict(bad[i].dict) == -1, "%s accepted", bad[i].dict);
        ck_assert_msg(strncmp(err, bad[i].why, strlen(bad[i].why)) == 0, "%s: %s", bad[i].why, err);
    }
    ck_assert_int_eq(load_dict("[1]"), -1);
}
END_TEST

static const char gunicorn_ini[] =
    "[loggers]\nkeys=root, gerr, gacc\n\n[handlers]\nkeys=errfile, accout\n\n"
    "[formatters]\nkeys=generic\n\n[logger_root]\nlevel=INFO\nhandlers=\n\n"
    "[logger_gerr]\nlevel=DEBUG\nhandlers=errfile\nqualname=gunicorn.error\n\n"
    "[logger_gacc]\nlevel=INFO\nhandlers=accout\npropagate=0\nqualname=gunicorn.access\n\n"
    "[handler_errfile]\nclass=handlers.WatchedFileHandler\nformatter=generic\n"
    "args=('%(here)s/error.log', 'a')\n\n"
    "[handler_accout]\nclass=StreamHandler\nargs=(sys.stdout, )\n\n"
    "[formatter_generic]\nformat=%(asctime)s [%(process)d] [%(levelname)s] %(message)s\n"
    "datefmt=[%Y-%m-%d %H:%M:%S %z]\nclass=logging.Formatter\n";

START_TEST(ini_file_config)
{
    tc_logconf_free(&conf);
    ck_assert_msg(tc_logconf_from_ini(gunicorn_ini, strlen(gunicorn_ini), "/etc/app/log.ini", &conf,
                                      err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(conf.error.kind, TC_LOGDEST_FILE);
    ck_assert_str_eq(conf.error.path, "/etc/app/error.log");
    ck_assert_int_eq(conf.error.level, 10);
    ck_assert_int_eq(conf.access.kind, TC_LOGDEST_STDOUT);
    ck_assert_int_eq(conf.access.level, 20);
    ck_assert_str_eq(conf.note, ""); /* Gunicorn's own formats: nothing lost */
    /* kwargs and a missing qualname */
    static const char kw[] = "[loggers]\nkeys=root,e\n[handlers]\nkeys=h\n[logger_root]\n"
                             "[logger_e]\nqualname=gunicorn.error\nhandlers=h\n"
                             "[handler_h]\nclass=FileHandler\nkwargs={'filename': 'k.log'}\n";
    tc_logconf_free(&conf);
    ck_assert_int_eq(tc_logconf_from_ini(kw, strlen(kw), "x.ini", &conf, err, sizeof err), 0);
    ck_assert_str_eq(conf.error.path, "k.log");
    static const char noq[] = "[loggers]\nkeys=root,e\n[logger_root]\n[logger_e]\nlevel=INFO\n";
    ck_assert_int_eq(tc_logconf_from_ini(noq, strlen(noq), "x.ini", &conf, err, sizeof err), -1);
    ck_assert_str_eq(err, "logconfig (--log-config): x.ini: [logger_e] has no 'qualname'");
    static const char args[] = "[loggers]\nkeys=e\n[handlers]\nkeys=h\n[logger_e]\n"
                               "qualname=gunicorn.error\nhandlers=h\n"
                               "[handler_h]\nclass=FileHandler\nargs=(os.environ['X'],)\n";
    ck_assert_int_eq(tc_logconf_from_ini(args, strlen(args), "x.ini", &conf, err, sizeof err), -1);
    ck_assert_str_eq(err, "log config: a FileHandler's filename must be a literal str");
}
END_TEST

START_TEST(files_to_load)
{
    char json[] = "/tmp/tandem-logconf-XXXXXX";
    int fd = mkstemp(json);
    const char text[] = "{\"loggers\": {\"gunicorn.access\": {\"handlers\": [\"n\"]}},"
                        " \"handlers\": {\"n\": {\"class\": \"logging.NullHandler\"}}}";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)sizeof text - 1);
    close(fd);
    tc_logconf_free(&conf);
    ck_assert_int_eq(tc_logconf_load("{}", json, "/nonexistent.ini", &conf, err, sizeof err), 0);
    ck_assert_int_eq(conf.access.kind, TC_LOGDEST_NONE);
    unlink(json);
    ck_assert_int_eq(tc_logconf_load(NULL, json, NULL, &conf, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "logconfig_json (--log-config-json): cannot read") != NULL, "%s",
                  err);
    ck_assert_int_eq(tc_logconf_load(NULL, NULL, "/nonexistent.ini", &conf, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "logconfig (--log-config): cannot read /nonexistent.ini") != NULL,
                  "%s", err);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_logconf");
    TCase *tc = tcase_create("logconf");
    tcase_add_test(tc, json_values);
    tcase_add_test(tc, json_errors);
    tcase_add_test(tc, ini_as_configparser);
    tcase_add_test(tc, empty_dict_changes_nothing);
    tcase_add_test(tc, gunicorn_defaults_fill_what_the_dict_lacks);
    tcase_add_test(tc, file_handler_and_levels);
    tcase_add_test(tc, notset_inherits);
    tcase_add_test(tc, streams);
    tcase_add_test(tc, refused);
    tcase_add_test(tc, ini_file_config);
    tcase_add_test(tc, files_to_load);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_tc_pyconf.c: Check tests for the config reader (common/tc_pyconf.c,
 * tc_pylit.c, tc_pylex.c) and the literal writer (tc_pyval.c): every
 * literal form, what counts as computed, which statements are skipped, the
 * line of each assignment, and every error with its line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc_pyconf.h"

static tc_pyconf conf;
static char err[512];
static int errline;

static void teardown(void) { tc_pyconf_free(&conf); }

static int parse(const char *src)
{
    tc_pyconf_free(&conf);
    err[0] = '\0';
    return tc_pyconf_parse(src, strlen(src), &conf, &errline, err, sizeof err);
}

/* The value of name, written back as Python ("COMPUTED" when none). */
static const char *lit(const char *name)
{
    static char buf[1024];
    const tc_pyassign *a = tc_pyconf_find(&conf, name);
    ck_assert_msg(a != NULL, "%s not assigned", name);
    if (a->value == NULL)
        return "COMPUTED";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    tc_pyval_write(f, a->value);
    fclose(f);
    return buf;
}

#define LIT(name, expect) ck_assert_str_eq(lit(name), expect)
#define OK(src) ck_assert_msg(parse(src) == 0, "%s: %d: %s", src, errline, err)

START_TEST(strings_every_quote_form)
{
    OK("a = 'single'\nb = \"double\"\nc = '''tri\nple'''\nd = \"\"\"tri\"ple\"\"\"\n"
       "e = ''\nf = \"\"\ng = ''''''\n");
    LIT("a", "'single'");
    LIT("b", "'double'");
    LIT("c", "'tri\\nple'");
    LIT("d", "'tri\"ple'");
    LIT("e", "''");
    LIT("f", "''");
    LIT("g", "''");
}
END_TEST

START_TEST(string_escapes)
{
    OK("a = 'q\\'d\\\"b\\\\ t\\t n\\n r\\r a\\a b\\b f\\f v\\v'\n"
       "b = '\\x41\\101\\u00e9\\U0001F600\\7'\n"
       "c = 'unknown \\d kept'\n"
       "d = 'joined \\\nline'\n");
    LIT("a", "'q\\'d\"b\\\\ t\\t n\\n r\\r a\\x07 b\\x08 f\\x0c v\\x0b'");
    LIT("b", "'AA\xc3\xa9\xf0\x9f\x98\x80\\x07'");
    LIT("c", "'unknown \\\\d kept'");
    LIT("d", "'joined line'");
}
END_TEST

START_TEST(string_prefixes)
{
    OK("a = r'\\n\\'x'\nb = R\"\\d\"\nc = u'plain'\nd = U'\\n'\ne = rb'x'\nf = f'x{y}'\n"
       "g = F'plain'\nh = b'bytes'\ni = Rb'x'\nj = fr'x'\n");
    LIT("a", "'\\\\n\\\\\\'x'");
    LIT("b", "'\\\\d'");
    LIT("c", "'plain'");
    LIT("d", "'\\n'");
    LIT("e", "COMPUTED");
    ck_assert_str_eq(tc_pyconf_find(&conf, "e")->why, "bytes, not a str");
    LIT("f", "COMPUTED");
    ck_assert_ptr_null(tc_pyconf_find(&conf, "f")->why);
    LIT("g", "COMPUTED"); /* an f-string is an expression, placeholders or not */
    LIT("h", "COMPUTED");
    LIT("i", "COMPUTED");
    LIT("j", "COMPUTED");
}
END_TEST

START_TEST(implicit_concatenation)
{
    OK("a = 'x' \"y\" '''z'''\nb = ('one'\n     'two')\nc = ('p' r'\\q')\nd = 'a' f'b'\n"
       "e = 'a' b'b'\n");
    LIT("a", "'xyz'");
    LIT("b", "'onetwo'");
    LIT("c", "'p\\\\q'");
    LIT("d", "COMPUTED");
    LIT("e", "COMPUTED");
}
END_TEST

START_TEST(strings_tandem_cannot_hold)
{
    OK("a = 'x\\0y'\nb = '\\ud800'\nc = '\\N{BULLET}'\nd = '\\xZZ'\ne = 'bad \xff utf8'\n"
       "f = '\\U00110000'\n");
    ck_assert_str_eq(tc_pyconf_find(&conf, "a")->why, "a str with a NUL character");
    ck_assert_str_eq(tc_pyconf_find(&conf, "b")->why, "a str with a lone surrogate");
    ck_assert_ptr_nonnull(strstr(tc_pyconf_find(&conf, "c")->why, "\\N{...}"));
    ck_assert_ptr_nonnull(strstr(tc_pyconf_find(&conf, "d")->why, "bad \\x"));
    ck_assert_str_eq(tc_pyconf_find(&conf, "e")->why, "a str that is not valid UTF-8");
    ck_assert_ptr_nonnull(tc_pyconf_find(&conf, "f")->why);
    LIT("a", "COMPUTED");
}
END_TEST

START_TEST(line_breaks_in_strings_read_as_newlines)
{
    OK("a = '''x\r\ny\rz'''\r\nb = 1\r\n");
    LIT("a", "'x\\ny\\nz'");
    LIT("b", "1");
    ck_assert_int_eq(tc_pyconf_find(&conf, "b")->line, 4); /* \r\n and \r end lines too */
}
END_TEST

START_TEST(integers)
{
    OK("a = 42\nb = 0\nc = 00\nd = 1_000_000\ne = 0x1F\nf = 0X_ff\ng = 0o22\nh = 0O7\n"
       "i = 0b101\nj = -5\nk = +5\nl = -0x10\nm = 9223372036854775807\n"
       "n = -9223372036854775808\no = 9223372036854775808\np = -0x8000000000000001\n");
    LIT("a", "42");
    LIT("b", "0");
    LIT("c", "0");
    LIT("d", "1000000");
    LIT("e", "31");
    LIT("f", "255");
    LIT("g", "18");
    LIT("h", "7");
    LIT("i", "5");
    LIT("j", "-5");
    LIT("k", "5");
    LIT("l", "-16");
    LIT("m", "9223372036854775807");
    LIT("n", "-9223372036854775808");
    LIT("o", "9223372036854775808"); /* beyond long long: kept as its text */
    ck_assert_int_eq(tc_pyconf_find(&conf, "o")->value->big, 1);
    LIT("p", "-0x8000000000000001");
}
END_TEST

START_TEST(malformed_numbers_are_not_literals)
{
    OK("a = 0123\nb = 1__0\nc = 1_\nd = 0x\ne = 0b12\nf = 1j\ng = 1.5J\nh = 0o8\n");
    const char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        LIT(names[i], "COMPUTED");
}
END_TEST

START_TEST(floats)
{
    OK("a = 1.5\nb = .5\nc = 1.\nd = 1e3\ne = 1E-3\nf = 1_0.2_5\ng = -2.5\nh = 1e999\n");
    LIT("a", "1.5");
    LIT("b", "0.5");
    LIT("c", "1.0");
    LIT("d", "1000.0");
    LIT("e", "0.001");
    LIT("f", "10.25");
    LIT("g", "-2.5");
    LIT("h", "1e999");
    ck_assert_int_eq(tc_pyconf_find(&conf, "d")->value->kind, TC_PY_FLOAT);
}
END_TEST

START_TEST(constants)
{
    OK("a = True\nb = False\nc = None\nd = true\n");
    LIT("a", "True");
    LIT("b", "False");
    LIT("c", "None");
    LIT("d", "COMPUTED"); /* a name */
    ck_assert_int_eq(tc_pyconf_find(&conf, "a")->value->kind, TC_PY_BOOL);
}
END_TEST

START_TEST(containers)
{
    OK("a = ['h2', 'h1']\nb = ('x',)\nc = ()\nd = ('x')\ne = 'x', 'y'\nf = 1,\n"
       "g = {'k': [1, (2, 3)], 4: None,}\nh = {}\ni = [\n  'a',  # note\n  'b',\n]\n"
       "j = [[[]]]\n");
    LIT("a", "['h2', 'h1']");
    LIT("b", "('x',)");
    LIT("c", "()");
    LIT("d", "'x'");
    LIT("e", "('x', 'y')");
    LIT("f", "(1,)");
    LIT("g", "{'k': [1, (2, 3)], 4: None}");
    LIT("h", "{}");
    LIT("i", "['a', 'b']");
    LIT("j", "[[[]]]");
}
END_TEST

START_TEST(containers_that_are_not_literals)
{
    OK("a = {1, 2}\nb = [x for x in y]\nc = [1, f()]\nd = {'k': v}\ne = (1 2)\nf = [1,,]\n"
       "g = ["
       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
       "1"
       "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
       "]\n");
    const char *names[] = { "a", "b", "c", "d", "e", "f", "g" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        LIT(names[i], "COMPUTED");
    ck_assert_str_eq(tc_pyconf_find(&conf, "g")->why, "nested too deeply");
}
END_TEST

START_TEST(computed_values)
{
    OK("import os\nbind = '0.0.0.0:' + os.environ['PORT']\nworkers = cpu() * 2 + 1\n"
       "timeout = -True\nx = os.sep\ny = 1 if a else 2\nz = (w := 3)\nq = -'a'\n");
    const char *names[] = { "bind", "workers", "timeout", "x", "y", "z", "q" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        LIT(names[i], "COMPUTED");
    ck_assert_int_eq(tc_pyconf_find(&conf, "bind")->line, 2);
    ck_assert_int_eq(tc_pyconf_find(&conf, "q")->line, 8);
}
END_TEST

START_TEST(assignment_forms)
{
    OK("a = b = 'same'\nc: str = 'annotated'\nd: int\ne = 1; f = 2; g = [3,\n 4]\n"
       "h = lambda x=1: x\ni = 1\ni += 1\nj, (k, *l) = 1, (2, 3)\nm.n = 1\no[0] = 1\n"
       "p[q] = r = 5\n");
    LIT("a", "'same'");
    LIT("b", "'same'");
    LIT("c", "'annotated'");
    ck_assert_ptr_null(tc_pyconf_find(&conf, "d"));
    LIT("e", "1");
    LIT("f", "2");
    LIT("g", "[3, 4]");
    ck_assert_int_eq(tc_pyconf_find(&conf, "g")->line, 4); /* where its statement starts */
    LIT("h", "COMPUTED");
    ck_assert_int_eq(tc_pyconf_find(&conf, "h")->function, 1);
    ck_assert_ptr_null(tc_pyconf_find(&conf, "x")); /* the lambda's default */
    LIT("i", "COMPUTED");                           /* "+=" decides */
    LIT("j", "COMPUTED");
    LIT("k", "COMPUTED");
    LIT("l", "COMPUTED");
    ck_assert_ptr_null(tc_pyconf_find(&conf, "m"));
    ck_assert_ptr_null(tc_pyconf_find(&conf, "n"));
    ck_assert_ptr_null(tc_pyconf_find(&conf, "o"));
    ck_assert_ptr_null(tc_pyconf_find(&conf, "q"));
    LIT("r", "5");
}
END_TEST

START_TEST(blocks)
{
    OK("import os\nfrom x import (y,\n z)\n"
       "if os.environ.get('DEV'):\n    workers = 1\nelif x: workers = 2\nelse:\n    workers = 3\n"
       "for i in range(3):\n    loop = i\nwhile False:\n    w = 1\n"
       "with open('f') as fh:\n    wi = 1\ntry:\n    t = 1\nexcept E as e:\n    ex = 1\n"
       "finally:\n    fi = 1\n"
       "def post_fork(server, worker):\n    inner = 1\n    if True:\n        inner2 = 2\n"
       "@decorate\nclass C(B):\n    attr = 1\n    def m(self):\n        mm = 1\n"
       "async def co():\n    aa = 1\n"
       "def one(): inline = 1\n"
       "match command:\n    case 'x':\n        mc = 1\n"
       "match = 'soft keyword'\n"
       "top = 'after'\n");
    const char *computed[] = { "workers", "loop", "w", "wi", "t", "ex", "fi", "mc" };
    for (size_t i = 0; i < sizeof computed / sizeof computed[0]; i++)
        LIT(computed[i], "COMPUTED");
    const char *absent[] = { "y",    "z",  "i",  "fh",     "e",         "inner", "inner2",
                             "attr", "mm", "aa", "inline", "post_fork", "C",     "os" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(tc_pyconf_find(&conf, absent[i]) == NULL, "%s found", absent[i]);
    LIT("match", "'soft keyword'");
    LIT("top", "'after'");
    ck_assert_int_eq(tc_pyconf_find(&conf, "workers")->line, 8);
    /* the three workers assignments, in order */
    int n = 0;
    for (size_t i = 0; i < conf.n; i++)
        n += strcmp(conf.v[i].name, "workers") == 0;
    ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(last_assignment_decides)
{
    OK("bind = 'a'\nif x:\n    bind = 'b'\nkeepalive = f()\nkeepalive = 5\n");
    LIT("bind", "COMPUTED");
    LIT("keepalive", "5");
    ck_assert_int_eq(tc_pyconf_is_last(&conf, &conf.v[0]), 0);
    ck_assert_int_eq(tc_pyconf_is_last(&conf, &conf.v[1]), 1);
}
END_TEST

START_TEST(lexical_details)
{
    OK("\xef\xbb\xbf# -*- coding: utf-8 -*-\n\n  \n# comment\nx = 1 # trailing\n"
       "y = \\\n  2\ns = '# not a comment'\nt = '''a ' \" # b'''\nu = \"q\\\"\"\n"
       "v = 'back\\\\'\n\t\nw = [1, # c ' \n 2]\nlast = 'no newline at the end'");
    LIT("x", "1");
    ck_assert_int_eq(tc_pyconf_find(&conf, "x")->line, 5);
    LIT("y", "2");
    LIT("s", "'# not a comment'");
    LIT("t", "'a \\' \" # b'");
    LIT("u", "'q\"'");
    LIT("v", "'back\\\\'");
    LIT("w", "[1, 2]");
    ck_assert_int_eq(tc_pyconf_find(&conf, "last")->line, 15);
    OK("");
    ck_assert_uint_eq(conf.n, 0);
    OK("# only a comment");
    ck_assert_uint_eq(conf.n, 0);
}
END_TEST

static void expect_error(const char *src, int line, const char *msg)
{
    ck_assert_int_eq(parse(src), -1);
    ck_assert_msg(strstr(err, msg) != NULL, "'%s' not in '%s'", msg, err);
    ck_assert_int_eq(errline, line);
    ck_assert_uint_eq(conf.n, 0);
}

START_TEST(errors_name_the_line)
{
    expect_error("a = 1\nb = 'open\nc = 2\n", 2, "unterminated string literal");
    expect_error("a = 1\nb = '''open\n\nc = 2\n", 2, "unterminated triple-quoted string literal");
    expect_error("a = (1,\n2\n", 1, "'(' was never closed");
    expect_error("a = 1\nb = 1)\n", 2, "unmatched ')'");
    expect_error("a = [1, 2)\n", 1,
                 "closing parenthesis ')' does not match opening parenthesis '['");
    expect_error("a = 1 \\ b\n", 1, "unexpected character after line continuation character");
    expect_error("a = 1\\", 1, "unexpected EOF");
    expect_error("a = 'x\\\n", 1, "unterminated string literal");
    ck_assert_int_eq(tc_pyconf_parse("a = 1\nb = 'x\0'\n", 15, &conf, &errline, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "source code cannot contain null bytes");
    ck_assert_int_eq(errline, 2);
    char deep[512] = "a = ";
    for (int i = 0; i < 201; i++)
        strcat(deep, "(");
    expect_error(deep, 1, "too many nested parentheses");
    char *indent = malloc(101 * 110);
    size_t k = 0;
    for (int i = 0; i <= 100; i++) {
        for (int j = 0; j < i; j++)
            indent[k++] = ' ';
        k += (size_t)sprintf(indent + k, "if x:\n");
    }
    indent[k] = '\0';
    expect_error(indent, 101, "too many levels of indentation");
    free(indent);
}
END_TEST

START_TEST(read_a_file)
{
    char path[] = "/tmp/tc_pyconf_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char src[] = "workers = 4\nbind = \"unterminated\n";
    ck_assert_int_eq(write(fd, src, sizeof src - 1), (int)(sizeof src - 1));
    close(fd);
    tc_pyconf c;
    ck_assert_int_eq(tc_pyconf_read(path, &c, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:2: unterminated string literal", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    ck_assert_int_eq(tc_pyconf_read(path, &c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
    ck_assert_int_eq(tc_pyconf_read("/", &c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "Is a directory"));
}
END_TEST

/* What the writer writes, the reader reads back as the same value. */
START_TEST(writer_round_trip)
{
    OK("a = ['x\\'\"\\\\\\n\\t\\x01\\x7f\xc3\xa9', 1, -2, 1.5, -0.0, 1e999, True, None, (), (1,),"
       " {'k': [()]}, 99999999999999999999]\n");
    char buf[1024], src[1100];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    tc_pyval_write(f, tc_pyconf_find(&conf, "a")->value);
    fclose(f);
    snprintf(src, sizeof src, "b = %s\n", buf);
    tc_pyconf first = conf;
    memset(&conf, 0, sizeof conf);
    OK(src);
    ck_assert_int_eq(
        tc_pyval_equal(tc_pyconf_find(&first, "a")->value, tc_pyconf_find(&conf, "b")->value), 1);
    tc_pyconf_free(&first);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_pyconf");
    TCase *lits = tcase_create("literals");
    tcase_add_checked_fixture(lits, NULL, teardown);
    tcase_add_test(lits, strings_every_quote_form);
    tcase_add_test(lits, string_escapes);
    tcase_add_test(lits, string_prefixes);
    tcase_add_test(lits, implicit_concatenation);
    tcase_add_test(lits, strings_tandem_cannot_hold);
    tcase_add_test(lits, line_breaks_in_strings_read_as_newlines);
    tcase_add_test(lits, integers);
    tcase_add_test(lits, malformed_numbers_are_not_literals);
    tcase_add_test(lits, floats);
    tcase_add_test(lits, constants);
    tcase_add_test(lits, containers);
    tcase_add_test(lits, containers_that_are_not_literals);
    tcase_add_test(lits, writer_round_trip);
    suite_add_tcase(su, lits);
    TCase *stmts = tcase_create("statements");
    tcase_add_checked_fixture(stmts, NULL, teardown);
    tcase_add_test(stmts, computed_values);
    tcase_add_test(stmts, assignment_forms);
    tcase_add_test(stmts, blocks);
    tcase_add_test(stmts, last_assignment_decides);
    tcase_add_test(stmts, lexical_details);
    tcase_add_test(stmts, errors_name_the_line);
    tcase_add_test(stmts, read_a_file);
    suite_add_tcase(su, stmts);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

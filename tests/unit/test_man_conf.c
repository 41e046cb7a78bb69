/* test_man_conf.c: man/tandem.conf.5 against the settings tables of both
 * daemons, so the page cannot drift: every key has an entry naming the
 * daemon that takes it from the file, every flag of it, and its default as
 * --print-config writes it; the page lists no key the tables lack, and
 * every server hook. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad_settings.h"
#include "px_settings.h"
#include "tc_gunicorn.h"
#include "tc_pyconf.h"

static char *page; /* the page, escapes for - and fonts removed */

static void replace_all(char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    for (char *p = strstr(s, from); p; p = strstr(p + tl, from)) {
        memmove(p + tl, p + fl, strlen(p + fl) + 1);
        memcpy(p, to, tl);
    }
}

static void setup(void)
{
    size_t len;
    page = tc_pyconf_slurp(MAN_CONF, &len);
    ck_assert_msg(page != NULL, "cannot read %s", MAN_CONF);
    /* \(dq becomes byte 1 until entry() has dropped the macros' quotes. */
    static const char *const escapes[][2] = { { "\\-", "-" },     { "\\fB", "" }, { "\\fI", "" },
                                              { "\\fR", "" },     { "\\fP", "" }, { "\\(aq", "'" },
                                              { "\\(dq", "\x01" } };
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++)
        replace_all(page, escapes[i][0], escapes[i][1]);
}

static void teardown(void) { free(page); }

/* The text of key's entry, macros and quotes dropped, lines joined; NULL if none. */
static char *entry(const char *key)
{
    char head[96];
    snprintf(head, sizeof head, "\n.TP\n.B %s\n", key);
    const char *p = strstr(page, head);
    if (p == NULL)
        return NULL;
    p += strlen(head);
    size_t n = strlen(p);
    const char *ends[] = { "\n.TP", "\n.SH", "\n.SS", "\n.PP" };
    for (size_t i = 0; i < 4; i++) {
        const char *e = strstr(p, ends[i]);
        if (e && (size_t)(e - p) < n)
            n = (size_t)(e - p);
    }
    char *out = calloc(1, n + 2);
    size_t k = 0;
    for (const char *line = p; line < p + n;) {
        const char *nl = memchr(line, '\n', (size_t)(p + n - line));
        const char *end = nl ? nl : p + n;
        if (*line == '.')
            line += strcspn(line, " \n"); /* ".BR " and the like */
        for (; line < end; line++)
            if (*line != '"')
                out[k++] = *line == '\x01' ? '"' : *line;
        out[k++] = ' ';
        line = end + 1;
    }
    return out;
}

/* Whether word appears in text, not inside a longer flag or name. */
static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        char before = p == text ? ' ' : p[-1], after = p[n];
        int name = after == '-' || after == '_' || (after >= 'a' && after <= 'z');
        if (!name && before != '-' && before != '_')
            return 1;
    }
    return 0;
}

static void check_spellings(const char *key, const char *text, const tc_opt *o)
{
    char word[64];
    if (o->flag)
        ck_assert_msg(has_word(text, o->flag), "%s: %s not in its entry", key, o->flag);
    if (o->short_flag) {
        snprintf(word, sizeof word, "-%c", o->short_flag);
        ck_assert_msg(has_word(text, word), "%s: %s not in its entry", key, word);
    }
    for (const char *p = o->aliases; p && *p;) {
        size_t n = strcspn(p, " ");
        snprintf(word, sizeof word, "%.*s", (int)n, p);
        ck_assert_msg(has_word(text, word), "%s: %s not in its entry", key, word);
        p += n + (p[n] == ' ');
    }
}

static void check_key(const char *key)
{
    const tc_opt *p = tc_opt_find_key(px_settings_table, key);
    const tc_opt *a = tc_opt_find_key(ad_settings_table, key);
    int pf = p && !(p->flags & TC_OPT_OWN_KEY), af = a && !(a->flags & TC_OPT_OWN_KEY);
    char *text = entry(key);
    ck_assert_msg(text != NULL, "man/tandem.conf.5 has no entry for '%s'", key);
    const char *tag = pf && af ? "[both]" : pf ? "[proxy]" : "[appd]";
    ck_assert_msg(strstr(text, tag) != NULL, "%s: not marked %s: %s", key, tag, text);
    if (p)
        check_spellings(key, text, p);
    if (a)
        check_spellings(key, text, a);
    char def[128] = "Default: ";
    FILE *f = fmemopen(def + 9, sizeof def - 9, "w");
    tc_opt_write_default(f, pf ? p : a);
    fclose(f);
    ck_assert_msg(strstr(text, def) != NULL, "%s: '%s' not in its entry: %s", key, def, text);
    free(text);
}

START_TEST(every_key_has_its_entry)
{
    for (const tc_opt *o = px_settings_table; o->key; o++)
        check_key(o->key);
    for (const tc_opt *o = ad_settings_table; o->key; o++)
        check_key(o->key);
}
END_TEST

START_TEST(no_entry_without_a_key)
{
    const char *keys = strstr(page, "\n.SH KEYS\n");
    ck_assert_ptr_nonnull(keys);
    const char *end = strstr(keys + 1, "\n.SH ");
    int n = 0;
    for (const char *p = strstr(keys, "\n.TP\n.B "); p && (!end || p < end);
         p = strstr(p + 1, "\n.TP\n.B ")) {
        char key[64];
        ck_assert_int_eq(sscanf(p + 8, "%63[a-z0-9_]", key), 1);
        ck_assert_msg(tc_opt_find_key(px_settings_table, key) ||
                          tc_opt_find_key(ad_settings_table, key),
                      "'%s' is in no table", key);
        n++;
    }
    /* and each key once */
    int keys_in_tables = 0;
    for (const tc_opt *o = px_settings_table; o->key; o++)
        keys_in_tables++;
    for (const tc_opt *o = ad_settings_table; o->key; o++)
        keys_in_tables += tc_opt_find_key(px_settings_table, o->key) == NULL;
    ck_assert_int_eq(n, keys_in_tables);
}
END_TEST

START_TEST(every_server_hook_listed)
{
    const char *hooks = strstr(page, "\n.SH SERVER HOOKS\n");
    ck_assert_ptr_nonnull(hooks);
    for (const tc_gunicorn_setting *g = tc_gunicorn_settings; g->key; g++) {
        if (!g->hook)
            continue;
        char line[64];
        snprintf(line, sizeof line, "\n.BR %s ", g->key);
        ck_assert_msg(strstr(hooks, line) != NULL, "hook %s not listed", g->key);
    }
}
END_TEST

int main(void)
{
    Suite *su = suite_create("man_conf");
    TCase *tc = tcase_create("tandem.conf.5");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_key_has_its_entry);
    tcase_add_test(tc, no_entry_without_a_key);
    tcase_add_test(tc, every_server_hook_listed);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

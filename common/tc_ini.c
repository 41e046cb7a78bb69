/* tc_ini.c: configparser's INI reading (tc_ini.h), for fileConfig files. */
#include "tc_ini.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_trimmed(const char *p, size_t n, int lower)
{
    while (n && isspace((unsigned char)*p)) {
        p++;
        n--;
    }
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        s[i] = lower ? (char)tolower((unsigned char)p[i]) : p[i];
    s[n] = '\0';
    return s;
}

static int fail(char *err, size_t errlen, int line, const char *why)
{
    snprintf(err, errlen, "line %d: %s", line, why);
    return -1;
}

static const tc_ini_entry *find(const tc_ini *ini, const char *section, const char *key)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->v[i].section, section) == 0 && strcmp(ini->v[i].key, key) == 0)
            return &ini->v[i];
    return NULL;
}

int tc_ini_has_section(const tc_ini *ini, const char *section)
{
    for (size_t i = 0; i < ini->nsections; i++)
        if (strcmp(ini->sections[i], section) == 0)
            return 1;
    return 0;
}

static int add_section(tc_ini *ini, const char *p, size_t n, int line, char *err, size_t errlen)
{
    char *name = dup_trimmed(p, n, 0), **v;
    if (name == NULL || (v = realloc(ini->sections, (ini->nsections + 1) * sizeof *v)) == NULL) {
        free(name);
        return fail(err, errlen, line, "out of memory");
    }
    ini->sections = v;
    if (tc_ini_has_section(ini, name)) {
        free(name);
        return fail(err, errlen, line, "a section given twice");
    }
    ini->sections[ini->nsections++] = name;
    return 0;
}

static void free_entry(tc_ini_entry *e)
{
    free(e->section);
    free(e->key);
    free(e->value);
}

static int add_entry(tc_ini *ini, const char *line_text, size_t n, int line, char *err,
                     size_t errlen)
{
    const char *eq = memchr(line_text, '=', n), *colon = memchr(line_text, ':', n);
    const char *sep = eq && (!colon || eq < colon) ? eq : colon;
    if (sep == NULL || sep == line_text)
        return fail(err, errlen, line, "expected 'key = value'");
    if (ini->nsections == 0)
        return fail(err, errlen, line, "a key before any [section]");
    tc_ini_entry e = { strdup(ini->sections[ini->nsections - 1]),
                       dup_trimmed(line_text, (size_t)(sep - line_text), 1),
                       dup_trimmed(sep + 1, n - (size_t)(sep + 1 - line_text), 0) };
    tc_ini_entry *v = realloc(ini->v, (ini->n + 1) * sizeof *v);
    if (v)
        ini->v = v;
    if (!e.section || !e.key || !e.value || v == NULL) {
        free_entry(&e);
        return fail(err, errlen, line, "out of memory");
    }
    if (find(ini, e.section, e.key)) {
        free_entry(&e);
        return fail(err, errlen, line, "a key given twice in its section");
    }
    ini->v[ini->n++] = e;
    return 0;
}

/* An indented line continues the last key's value. */
static int continue_value(tc_ini *ini, const char *p, size_t n, int line, char *err, size_t errlen)
{
    if (ini->n == 0)
        return fail(err, errlen, line, "an indented line with no key before it");
    char *more = dup_trimmed(p, n, 0);
    tc_ini_entry *e = &ini->v[ini->n - 1];
    char *joined = more ? malloc(strlen(e->value) + strlen(more) + 2) : NULL;
    if (joined == NULL) {
        free(more);
        return fail(err, errlen, line, "out of memory");
    }
    sprintf(joined, "%s\n%s", e->value, more);
    free(more);
    free(e->value);
    e->value = joined;
    return 0;
}

static int one_line(tc_ini *ini, const char *p, size_t n, int line, int *in_value, char *err,
                    size_t errlen)
{
    size_t lead = 0;
    while (lead < n && (p[lead] == ' ' || p[lead] == '\t'))
        lead++;
    if (lead == n) {
        *in_value = 0;
        return 0;
    }
    if (p[lead] == '#' || p[lead] == ';')
        return 0;
    if (lead && *in_value)
        return continue_value(ini, p, n, line, err, errlen);
    if (p[lead] == '[') {
        const char *close = memchr(p, ']', n);
        if (close == NULL)
            return fail(err, errlen, line, "a section header without its ']'");
        *in_value = 0;
        return add_section(ini, p + lead + 1, (size_t)(close - p - lead - 1), line, err, errlen);
    }
    *in_value = 1;
    return add_entry(ini, p, n, line, err, errlen);
}

int tc_ini_parse(const char *text, size_t len, tc_ini *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int line = 0, in_value = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (n && p[n - 1] == '\r')
            n--;
        if (one_line(out, p, n, line, &in_value, err, errlen) < 0) {
            tc_ini_free(out);
            return -1;
        }
        p = next;
    }
    return 0;
}

void tc_ini_free(tc_ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->v[i].section);
        free(ini->v[i].key);
        free(ini->v[i].value);
    }
    for (size_t i = 0; i < ini->nsections; i++)
        free(ini->sections[i]);
    free(ini->v);
    free(ini->sections);
    memset(ini, 0, sizeof *ini);
}

const char *tc_ini_raw(const tc_ini *ini, const char *section, const char *key)
{
    const tc_ini_entry *e = find(ini, section, key);
    if (e == NULL)
        e = find(ini, "DEFAULT", key);
    return e ? e->value : NULL;
}

static const char *lookup(const tc_ini *ini, const char *section, const char *name,
                          const char *const *defaults)
{
    const char *v = tc_ini_raw(ini, section, name);
    for (size_t i = 0; v == NULL && defaults && defaults[i]; i += 2)
        if (strcmp(defaults[i], name) == 0)
            v = defaults[i + 1];
    return v;
}

static int expand(const tc_ini *ini, const char *section, const char *v,
                  const char *const *defaults, char *buf, size_t cap, size_t *k, int depth,
                  char *err, size_t errlen)
{
    if (depth > 10) {
        snprintf(err, errlen, "[%s]: %%(...)s references nest too deeply", section);
        return -1;
    }
    for (const char *p = v; *p; p++) {
        if (*k + 1 >= cap) {
            snprintf(err, errlen, "[%s]: a value too long", section);
            return -1;
        }
        if (*p != '%') {
            buf[(*k)++] = *p;
            continue;
        }
        if (p[1] == '%') {
            buf[(*k)++] = '%';
            p++;
            continue;
        }
        const char *close = p[1] == '(' ? strstr(p, ")s") : NULL;
        char name[128];
        if (close == NULL || (size_t)(close - p - 2) >= sizeof name) {
            snprintf(err, errlen, "[%s]: a '%%' must be '%%%%' or '%%(name)s'", section);
            return -1;
        }
        size_t n = (size_t)(close - p - 2);
        for (size_t i = 0; i < n; i++)
            name[i] = (char)tolower((unsigned char)p[2 + i]);
        name[n] = '\0';
        const char *ref = lookup(ini, section, name, defaults);
        if (ref == NULL) {
            snprintf(err, errlen, "[%s]: %%(%s)s names no key", section, name);
            return -1;
        }
        if (expand(ini, section, ref, defaults, buf, cap, k, depth + 1, err, errlen) < 0)
            return -1;
        p = close + 1;
    }
    return 0;
}

int tc_ini_get(const tc_ini *ini, const char *section, const char *key, const char *const *defaults,
               char *buf, size_t cap, char *err, size_t errlen)
{
    const char *v = tc_ini_raw(ini, section, key);
    if (v == NULL) {
        snprintf(err, errlen, "[%s] has no '%s'", section, key);
        return -1;
    }
    size_t k = 0;
    if (expand(ini, section, v, defaults, buf, cap, &k, 0, err, errlen) < 0)
        return -1;
    buf[k] = '\0';
    return 0;
}

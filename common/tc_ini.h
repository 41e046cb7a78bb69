/* tc_ini.h: reads an INI file the way Python's configparser reads the one
 * logging.config.fileConfig takes (Gunicorn's --log-config): [sections],
 * "key = value" or "key: value" with keys lower-cased, '#' and ';' comment
 * lines, indented continuation lines, a [DEFAULT] section every section
 * sees, and %(name)s interpolation.  Duplicate sections and keys are
 * errors, as configparser's strict mode makes them.
 *
 * Errors: -1 with "line N: message" in err.  Ownership: a tc_ini owns its
 * strings (tc_ini_free). */
#ifndef TANDEM_TC_INI_H
#define TANDEM_TC_INI_H

#include <stddef.h>

typedef struct {
    char *section, *key, *value;
} tc_ini_entry;

typedef struct {
    tc_ini_entry *v;
    size_t n;
    char **sections; /* in file order */
    size_t nsections;
} tc_ini;

int tc_ini_parse(const char *text, size_t len, tc_ini *out, char *err, size_t errlen);
void tc_ini_free(tc_ini *ini);

int tc_ini_has_section(const tc_ini *ini, const char *section);
/* key's raw value in section, else in [DEFAULT]; NULL when neither has it. */
const char *tc_ini_raw(const tc_ini *ini, const char *section, const char *key);
/* The value with %(name)s replaced from section, [DEFAULT], then defaults
 * (NULL-terminated name, value pairs) and %% by %, into buf.  0; -1 with
 * err when it is missing, a reference is unknown or the text too long. */
int tc_ini_get(const tc_ini *ini, const char *section, const char *key, const char *const *defaults,
               char *buf, size_t cap, char *err, size_t errlen);

#endif

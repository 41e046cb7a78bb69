/* tc_pyval.h: a Python literal as C data (str, int, float, bool, None, and
 * lists, tuples and dicts of them), as the config reader (tc_pyconf.h) and
 * tandem-appd's evaluator produce it, and its writer back to Python syntax.
 * Ownership: a tc_pyval owns its string and its items; tc_pyval_free
 * releases the whole tree.  Strings are UTF-8 without NUL bytes. */
#ifndef TANDEM_TC_PYVAL_H
#define TANDEM_TC_PYVAL_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    TC_PY_NONE,
    TC_PY_BOOL,  /* i: 0 or 1 */
    TC_PY_INT,   /* i, or big with the digits in s */
    TC_PY_FLOAT, /* f */
    TC_PY_STR,   /* s, len */
    TC_PY_LIST,  /* items[0..n) */
    TC_PY_TUPLE, /* items[0..n) */
    TC_PY_DICT,  /* items[0..n): key, value, key, value... (n even) */
} tc_py_kind;

typedef struct tc_pyval tc_pyval;
struct tc_pyval {
    tc_py_kind kind;
    int big; /* TC_PY_INT beyond long long: s holds its decimal text */
    long long i;
    double f;
    char *s;
    size_t len;
    tc_pyval **items;
    size_t n, cap;
};

/* A new value of kind with no contents; NULL when out of memory. */
tc_pyval *tc_pyval_new(tc_py_kind kind);
/* A new str holding a copy of s[0..len); NULL when out of memory. */
tc_pyval *tc_pyval_str(const char *s, size_t len);
/* Appends item (taken over) to a LIST, TUPLE or DICT; -1 when out of memory
 * (item is then freed). */
int tc_pyval_append(tc_pyval *seq, tc_pyval *item);
void tc_pyval_free(tc_pyval *v);

/* "str", "int", "list"...: the Python type name, for messages. */
const char *tc_pyval_type(const tc_pyval *v);
/* Writes v as Python source that reads back as an equal value. */
void tc_pyval_write(FILE *out, const tc_pyval *v);
/* Writes s[0..len) as a single-quoted Python str literal (escapes for
 * quotes, backslashes and control characters; other UTF-8 as it is). */
void tc_py_write_str(FILE *out, const char *s, size_t len);
/* Whether a and b are the same value (floats compared bit for bit). */
int tc_pyval_equal(const tc_pyval *a, const tc_pyval *b);

#endif

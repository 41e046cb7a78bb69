/* tc_pyconf.h: reads a gunicorn.conf.py without running it, for
 * tandem-proxy, which never runs Python.  It finds every assignment to a
 * name at module level (top level, or inside if/for/while/with/try; not in
 * def or class bodies), in order, with its line, and the value when it is a
 * literal assigned at top level: str (every quote form and escape, implicit
 * concatenation), int (0x, 0o, 0b, underscores), float, True, False, None,
 * and lists, tuples and dicts of them.  Any other value, or an assignment
 * under a condition or augmented (+=), is "computed": its value needs Python.
 * Imports, definitions and other statements are skipped.
 *
 * Errors: the source must be well formed as far as this reader looks
 * (strings closed, brackets matched); otherwise -1 with the line and a
 * message.  Ownership: a tc_pyconf owns its names and values; free it with
 * tc_pyconf_free. */
#ifndef TANDEM_TC_PYCONF_H
#define TANDEM_TC_PYCONF_H

#include <stddef.h>

#include "tc_pyval.h"

typedef struct {
    char *name;
    int line;        /* where the statement starts */
    tc_pyval *value; /* the literal; NULL when computed */
    int function;    /* computed: a lambda (a function, not a setting value) */
    const char *why; /* computed: a static phrase when it looks like a literal tandem
                           cannot hold ("a str with a NUL character"), else NULL */
} tc_pyassign;

typedef struct {
    tc_pyassign *v; /* in source order */
    size_t n, cap;
} tc_pyconf;

/* Reads src[0..len).  0, or -1 with *line and a message in err. */
int tc_pyconf_parse(const char *src, size_t len, tc_pyconf *out, int *line, char *err,
                    size_t errlen);
/* Reads the file at path (at most TC_PYCONF_MAX_SIZE bytes).  0, or -1 with
 * err "PATH:LINE: message" (or "cannot read config file PATH: reason"). */
#define TC_PYCONF_MAX_SIZE (1u << 20)
int tc_pyconf_read(const char *path, tc_pyconf *out, char *err, size_t errlen);
void tc_pyconf_free(tc_pyconf *c);
/* The whole file at path, NUL-terminated (heap, at most TC_PYCONF_MAX_SIZE
 * bytes); NULL with errno (EFBIG when larger). */
char *tc_pyconf_slurp(const char *path, size_t *len);

/* The assignment that decides name: the last one.  NULL if none. */
const tc_pyassign *tc_pyconf_find(const tc_pyconf *c, const char *name);
/* Whether a is the last assignment to its name (walk v in order and act on
 * these: each name once, in the order of its deciding line). */
int tc_pyconf_is_last(const tc_pyconf *c, const tc_pyassign *a);

#endif

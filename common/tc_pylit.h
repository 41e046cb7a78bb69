/* tc_pylit.h: reads one Python literal (what ast.literal_eval would accept
 * of str, int, float, True/False/None, and lists, tuples and dicts of them)
 * from a run of tokens.  Internal to tc_pyconf.c, the fuzz target and tests. */
#ifndef TANDEM_TC_PYLIT_H
#define TANDEM_TC_PYLIT_H

#include "tc_pylex.h"
#include "tc_pyval.h"

/* Deeper lists of lists are not settings; they are left to Python. */
#define TC_PYLIT_MAX_DEPTH 32

/* The literal that toks[begin..end) spell, all of them, as Python reads the
 * right side of an assignment ("a", "b" is a tuple; "a" "b" one str).
 * NULL when they spell something else (a name, a call, an operator, an
 * f-string): *why is then NULL, or a static phrase when the literal is one
 * tandem cannot hold ("a str with a NUL character"), or "out of memory". */
tc_pyval *tc_pylit_parse(const tc_tok *toks, size_t begin, size_t end, const char **why);

/* Decodes one string token (prefix, quotes, escapes) and appends its text
 * to *buf (of *len bytes, heap).  0; 1 when it is not a str tandem reads (an
 * f-string, bytes: *why says, or stays NULL for an f-string); -1 when out
 * of memory. */
int tc_pylit_string(const tc_tok *t, char **buf, size_t *len, const char **why);

#endif

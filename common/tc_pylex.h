/* tc_pylex.h: splits Python source into tokens and logical lines, as far as
 * the config reader (tc_pyconf.c) needs: names, numbers, strings (raw text),
 * operators, and a NEWLINE token ending each logical line, which carries its
 * indentation.  Brackets and backslashes join physical lines as in Python;
 * comments and blank lines vanish.  Internal to tc_pyconf.c and its tests.
 * Ownership: tokens point into the caller's source, which must outlive them. */
#ifndef TANDEM_TC_PYLEX_H
#define TANDEM_TC_PYLEX_H

#include <stddef.h>

typedef enum {
    TC_TK_NAME,
    TC_TK_NUMBER,
    TC_TK_STRING,  /* the whole literal, prefix and quotes included */
    TC_TK_OP,      /* punctuation: "=", "+=", "(", ",", "->", ... */
    TC_TK_NEWLINE, /* end of a logical line */
} tc_tk_kind;

typedef struct {
    tc_tk_kind kind;
    const char *p;
    size_t len;
    int line;   /* physical line (from 1) where the token starts */
    int indent; /* first token of a logical line: its column (tabs to multiples of 8) */
} tc_tok;

typedef struct {
    tc_tok *v;
    size_t n, cap;
} tc_toks;

/* Tokenizes src[0..len).  0, or -1 with *line and a message in err (an
 * unterminated string, an unclosed or unmatched bracket, a stray backslash). */
int tc_pylex(const char *src, size_t len, tc_toks *out, int *line, char *err, size_t errlen);
void tc_toks_free(tc_toks *t);

/* Whether tok is the operator or name s. */
int tc_tok_is(const tc_tok *t, const char *s);

#endif

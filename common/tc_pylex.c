/* tc_pylex.c: Python's lexical structure, enough to find statements and
 * literals in a config file without running it: logical lines, indentation,
 * comments, strings of every quote form (their text is decoded later), and
 * brackets, which join lines and must match. */
#include "tc_pylex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python refuses deeper nesting too ("too many nested parentheses"). */
#define LEX_MAX_DEPTH 200

typedef struct {
    const char *s, *end, *p;
    int line;
    char stack[LEX_MAX_DEPTH]; /* open brackets */
    int stack_line[LEX_MAX_DEPTH];
    int depth;
    int line_has_tokens; /* the current logical line has a token */
    int indent;          /* of the current logical line */
    tc_toks *out;
    int *errline;
    char *err;
    size_t errlen;
} lexer;

static int fail(lexer *L, int line, const char *msg)
{
    *L->errline = line;
    snprintf(L->err, L->errlen, "%s", msg);
    return -1;
}

static int push(lexer *L, tc_tk_kind kind, const char *p, size_t len, int line)
{
    tc_toks *t = L->out;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tc_tok *v = realloc(t->v, cap * sizeof *v);
        if (v == NULL)
            return fail(L, line, "out of memory");
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (tc_tok){ kind, p, len, line, L->line_has_tokens ? 0 : L->indent };
    L->line_has_tokens = 1;
    return 0;
}

/* Length of the line break at p (\n, \r\n or \r), 0 if none. */
static size_t newline_len(const lexer *L, const char *p)
{
    if (p >= L->end)
        return 0;
    if (*p == '\n')
        return 1;
    if (*p == '\r')
        return p + 1 < L->end && p[1] == '\n' ? 2 : 1;
    return 0;
}

/* At the start of a physical line outside brackets: measures the
 * indentation; skips the line when it holds only blanks or a comment. */
static void line_start(lexer *L)
{
    for (;;) {
        int col = 0;
        while (L->p < L->end && (*L->p == ' ' || *L->p == '\t' || *L->p == '\f')) {
            col = *L->p == ' ' ? col + 1 : *L->p == '\t' ? (col / 8 + 1) * 8 : 0;
            L->p++;
        }
        L->indent = col;
        if (L->p < L->end && *L->p == '#')
            while (L->p < L->end && !newline_len(L, L->p))
                L->p++;
        size_t nl = newline_len(L, L->p);
        if (nl == 0)
            return;
        L->p += nl;
        L->line++;
    }
}

static int is_name_start(unsigned char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_name_char(unsigned char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/* A string prefix (r, b, u, f and their pairs) of n letters at p followed by a quote. */
static int string_prefix(const lexer *L, const char *p, size_t n)
{
    if (p + n >= L->end || (p[n] != '\'' && p[n] != '"'))
        return 0;
    if (n == 1)
        return strchr("rRbBuUfF", p[0]) != NULL;
    if (n != 2)
        return 0;
    char a = (char)(p[0] | 0x20), b = (char)(p[1] | 0x20);
    return (a == 'r' && (b == 'b' || b == 'f')) || (b == 'r' && (a == 'b' || a == 'f'));
}

/* A string literal from L->p (its prefix included) to its closing quote. */
static int lex_string(lexer *L, size_t prefix)
{
    const char *start = L->p;
    int line = L->line;
    const char *q = L->p + prefix;
    char quote = *q;
    int triple = q + 2 < L->end && q[1] == quote && q[2] == quote;
    const char *p = q + (triple ? 3 : 1);
    for (;;) {
        if (p >= L->end)
            return fail(L, line,
                        triple ? "unterminated triple-quoted string literal"
                               : "unterminated string literal");
        size_t nl = newline_len(L, p);
        if (nl) {
            if (!triple)
                return fail(L, line, "unterminated string literal");
            L->line++;
            p += nl;
            continue;
        }
        if (*p == '\\') {
            /* Also in raw strings a backslash keeps the next character in. */
            p++;
            nl = newline_len(L, p);
            if (nl) {
                L->line++;
                p += nl;
            } else if (p < L->end) {
                p++;
            }
            continue;
        }
        if (*p == quote && (!triple || (p + 2 < L->end && p[1] == quote && p[2] == quote))) {
            p += triple ? 3 : 1;
            break;
        }
        p++;
    }
    L->p = p;
    return push(L, TC_TK_STRING, start, (size_t)(p - start), line);
}

static int lex_number(lexer *L)
{
    const char *p = L->p;
    int hex = p + 1 < L->end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    while (p < L->end && (is_name_char((unsigned char)*p) || *p == '.')) {
        /* An exponent's sign belongs to the number (1e-3), not in hex. */
        if (!hex && (*p == 'e' || *p == 'E') && p + 1 < L->end && (p[1] == '+' || p[1] == '-'))
            p++;
        p++;
    }
    int rc = push(L, TC_TK_NUMBER, L->p, (size_t)(p - L->p), L->line);
    L->p = p;
    return rc;
}

static int lex_name(lexer *L)
{
    const char *p = L->p;
    while (p < L->end && is_name_char((unsigned char)*p))
        p++;
    size_t n = (size_t)(p - L->p);
    if (n <= 2 && string_prefix(L, L->p, n))
        return lex_string(L, n);
    int rc = push(L, TC_TK_NAME, L->p, n, L->line);
    L->p = p;
    return rc;
}

static int open_bracket(lexer *L, char c)
{
    if (L->depth == LEX_MAX_DEPTH)
        return fail(L, L->line, "too many nested parentheses");
    L->stack[L->depth] = c;
    L->stack_line[L->depth++] = L->line;
    return 0;
}

static int close_bracket(lexer *L, char c)
{
    char want = c == ')' ? '(' : c == ']' ? '[' : '{';
    char msg[96];
    if (L->depth == 0) {
        snprintf(msg, sizeof msg, "unmatched '%c'", c);
        return fail(L, L->line, msg);
    }
    if (L->stack[L->depth - 1] != want) {
        snprintf(msg, sizeof msg,
                 "closing parenthesis '%c' does not match opening parenthesis "
                 "'%c'",
                 c, L->stack[L->depth - 1]);
        return fail(L, L->line, msg);
    }
    L->depth--;
    return 0;
}

static int lex_op(lexer *L)
{
    static const char *const ops3[] = { "**=", "//=", ">>=", "<<=", "...", NULL };
    static const char *const ops2[] = {
        "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "&=",
        "|=", "^=", "@=", ":=", "->", "**", "//", "<<", ">>", NULL
    };
    size_t left = (size_t)(L->end - L->p), n = 1;
    for (size_t i = 0; ops3[i] && n == 1; i++)
        if (left >= 3 && memcmp(L->p, ops3[i], 3) == 0)
            n = 3;
    for (size_t i = 0; ops2[i] && n == 1; i++)
        if (left >= 2 && memcmp(L->p, ops2[i], 2) == 0)
            n = 2;
    char c = *L->p;
    if (n == 1 && (c == '(' || c == '[' || c == '{') && open_bracket(L, c))
        return -1;
    if (n == 1 && (c == ')' || c == ']' || c == '}') && close_bracket(L, c))
        return -1;
    int rc = push(L, TC_TK_OP, L->p, n, L->line);
    L->p += n;
    return rc;
}

static int end_of_line(lexer *L, size_t nl)
{
    if (L->depth == 0 && L->line_has_tokens) {
        if (push(L, TC_TK_NEWLINE, L->p, 0, L->line))
            return -1;
        L->line_has_tokens = 0;
    }
    L->p += nl;
    L->line++;
    if (L->depth == 0)
        line_start(L);
    return 0;
}

static int lex_token(lexer *L)
{
    unsigned char c = (unsigned char)*L->p;
    size_t nl = newline_len(L, L->p);
    if (nl)
        return end_of_line(L, nl);
    if (c == ' ' || c == '\t' || c == '\f') {
        L->p++;
        return 0;
    }
    if (c == '#') {
        while (L->p < L->end && !newline_len(L, L->p))
            L->p++;
        return 0;
    }
    if (c == '\\') {
        nl = newline_len(L, L->p + 1);
        if (L->p + 1 >= L->end)
            return fail(L, L->line, "unexpected EOF while parsing");
        if (!nl)
            return fail(L, L->line,
                        "unexpected character after line continuation "
                        "character");
        L->p += 1 + nl;
        L->line++;
        return 0;
    }
    if (c == '\'' || c == '"')
        return lex_string(L, 0);
    if ((c >= '0' && c <= '9') ||
        (c == '.' && L->p + 1 < L->end && L->p[1] >= '0' && L->p[1] <= '9'))
        return lex_number(L);
    if (is_name_start(c))
        return lex_name(L);
    return lex_op(L);
}

/* Python refuses NUL bytes anywhere in source; so does a C string value. */
static int find_nul(lexer *L)
{
    const char *nul = memchr(L->s, '\0', (size_t)(L->end - L->s));
    if (nul == NULL)
        return 0;
    int line = 1;
    for (const char *p = L->s; p < nul; p++)
        line += *p == '\n' || (*p == '\r' && p + 1 < L->end && p[1] != '\n');
    return fail(L, line, "source code cannot contain null bytes");
}

int tc_pylex(const char *src, size_t len, tc_toks *out, int *line, char *err, size_t errlen)
{
    lexer L = { .s = src,
                .end = src + len,
                .p = src,
                .line = 1,
                .out = out,
                .errline = line,
                .err = err,
                .errlen = errlen };
    memset(out, 0, sizeof *out);
    if (find_nul(&L))
        return -1;
    /* A UTF-8 byte order mark is not part of the source. */
    if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
        L.p += 3;
    line_start(&L);
    while (L.p < L.end)
        if (lex_token(&L))
            return -1;
    if (L.depth) {
        char msg[32];
        snprintf(msg, sizeof msg, "'%c' was never closed", L.stack[L.depth - 1]);
        return fail(&L, L.stack_line[L.depth - 1], msg);
    }
    if (L.line_has_tokens && push(&L, TC_TK_NEWLINE, L.p, 0, L.line))
        return -1;
    return 0;
}

void tc_toks_free(tc_toks *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

int tc_tok_is(const tc_tok *t, const char *s)
{
    return (t->kind == TC_TK_OP || t->kind == TC_TK_NAME) && t->len == strlen(s) &&
           memcmp(t->p, s, t->len) == 0;
}

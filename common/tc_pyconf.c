/* tc_pyconf.c: the config reader's statements: which logical lines are at
 * module level (blocks of def and class are not; those of if, for, while,
 * with and try are, but conditional), and which of their statements assign
 * a name, and to what. */
#include "tc_pyconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tc_pylex.h"
#include "tc_pylit.h"

/* Python stops at 100 levels of indentation too. */
#define MAX_BLOCKS 100

typedef struct {
    int indent;
    int func; /* a def or class body: not module level */
} block;

typedef struct {
    const tc_tok *t;
    tc_pyconf *out;
    block stack[MAX_BLOCKS];
    int depth;
    int *line;
    char *err;
    size_t errlen;
} reader;

static int oom(reader *R, int line)
{
    *R->line = line;
    snprintf(R->err, R->errlen, "out of memory");
    return -1;
}

/* Records that the statement starting on line assigns name. */
static int record(reader *R, const tc_tok *name, int line, tc_pyval *value, const char *why,
                  int function)
{
    tc_pyconf *c = R->out;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        tc_pyassign *v = realloc(c->v, cap * sizeof *v);
        if (v == NULL)
            goto fail;
        c->v = v;
        c->cap = cap;
    }
    char *copy = strndup(name->p, name->len);
    if (copy == NULL)
        goto fail;
    c->v[c->n++] = (tc_pyassign){ copy, line, value, function, why };
    return 0;
fail:
    tc_pyval_free(value);
    return oom(R, name->line);
}

static int is_open(const tc_tok *t)
{
    return t->kind == TC_TK_OP && t->len == 1 && strchr("([{", t->p[0]);
}

static int is_close(const tc_tok *t)
{
    return t->kind == TC_TK_OP && t->len == 1 && strchr(")]}", t->p[0]);
}

/* The first token in [b, e) that is s outside brackets; e if none. */
static size_t find_top(const tc_tok *t, size_t b, size_t e, const char *s)
{
    int depth = 0;
    for (size_t i = b; i < e; i++) {
        if (depth == 0 && tc_tok_is(&t[i], s))
            return i;
        depth += is_open(&t[i]) - is_close(&t[i]);
    }
    return e;
}

static int is_augmented(const tc_tok *t)
{
    static const char *const ops[] = { "+=",  "-=",  "*=", "/=", "//=", "%=", "**=",
                                       ">>=", "<<=", "&=", "^=", "|=",  "@=", NULL };
    for (size_t i = 0; ops[i]; i++)
        if (tc_tok_is(t, ops[i]))
            return 1;
    return 0;
}

static int at(const reader *R, size_t i, size_t e, const char *s)
{
    return i < e && tc_tok_is(&R->t[i], s);
}

/* Skips one target that binds no name of ours ("x.y", "d[k]", "f().z"):
 * up to the next comma or the group's close outside brackets. */
static size_t skip_target(const reader *R, size_t i, size_t e, const char *close)
{
    int depth = 0;
    for (; i < e; i++) {
        if (depth == 0 && (at(R, i, e, ",") || (close && at(R, i, e, close))))
            break;
        depth += is_open(&R->t[i]) - is_close(&R->t[i]);
    }
    return i;
}

/* The names a tuple or list target binds ("a, (b, *c), d.e = ..."), from i
 * up to close (NULL: to e): each is computed, as unpacking is not a literal
 * assignment. */
static int unpacked_names(reader *R, int line, size_t *i, size_t e, const char *close, int depth)
{
    while (*i < e && !(close && at(R, *i, e, close))) {
        while (at(R, *i, e, "*"))
            ++*i;
        const tc_tok *t = &R->t[*i];
        if (depth < 32 && (at(R, *i, e, "(") || at(R, *i, e, "["))) {
            ++*i;
            if (unpacked_names(R, line, i, e, t->p[0] == '(' ? ")" : "]", depth + 1))
                return -1;
            if (*i < e)
                ++*i;
        } else if (*i < e && t->kind == TC_TK_NAME &&
                   (*i + 1 == e || at(R, *i + 1, e, ",") || (close && at(R, *i + 1, e, close)))) {
            if (record(R, t, line, NULL, NULL, 0))
                return -1;
            ++*i;
        } else {
            *i = skip_target(R, *i + (*i < e), e, close);
        }
        if (at(R, *i, e, ","))
            ++*i;
        else if (!(close && at(R, *i, e, close)))
            *i = skip_target(R, *i, e, close);
    }
    return 0;
}

/* "target = target = value": each target that is a name gets the value. */
static int assignment(reader *R, size_t b, size_t e, int cond)
{
    const tc_tok *t = R->t;
    size_t eq[64], k = 0;
    int depth = 0;
    for (size_t i = b; i < e && k < 64; i++) {
        /* A lambda's defaults ("f = lambda x=1: x") are not assignments. */
        if (depth == 0 && tc_tok_is(&t[i], "lambda"))
            break;
        if (depth == 0 && tc_tok_is(&t[i], "="))
            eq[k++] = i;
        depth += is_open(&t[i]) - is_close(&t[i]);
    }
    if (k == 0)
        return 0;
    size_t vb = eq[k - 1] + 1;
    int function = vb < e && tc_tok_is(&t[vb], "lambda");
    for (size_t j = 0, tb = b; j < k; tb = eq[j++] + 1) {
        size_t te = eq[j];
        int annotated = te - tb >= 2 && t[tb].kind == TC_TK_NAME && tc_tok_is(&t[tb + 1], ":");
        if (te - tb == 1 && t[tb].kind == TC_TK_NAME) {
        } else if (annotated && k == 1) {
            te = tb + 1;
        } else {
            size_t i = tb;
            if (unpacked_names(R, t[b].line, &i, te, NULL, 0))
                return -1;
            continue;
        }
        const char *why = NULL;
        tc_pyval *v = cond ? NULL : tc_pylit_parse(t, vb, e, &why);
        if (v == NULL && why && strcmp(why, "out of memory") == 0)
            return oom(R, t[tb].line);
        if (record(R, &t[tb], t[b].line, v, v ? NULL : why, function))
            return -1;
    }
    return 0;
}

static int simple_statement(reader *R, size_t b, size_t e, int cond)
{
    const tc_tok *t = R->t;
    if (b == e)
        return 0;
    if (t[b].kind == TC_TK_NAME && b + 1 < e && is_augmented(&t[b + 1]))
        return record(R, &t[b], t[b].line, NULL, NULL, 0);
    return assignment(R, b, e, cond);
}

/* Statements separated by ";" on one line. */
static int simple_statements(reader *R, size_t b, size_t e, int func, int cond)
{
    if (func)
        return 0;
    while (b < e) {
        size_t semi = find_top(R->t, b, e, ";");
        if (simple_statement(R, b, semi, cond))
            return -1;
        b = semi + 1;
    }
    return 0;
}

/* A compound statement's kind: 1 opens a def or class, 2 another block
 * (if, for, while, with, try and their clauses, match, case), 0 none. */
static int compound(const tc_tok *t, size_t b, size_t e)
{
    static const char *const funcs[] = { "def", "class", NULL };
    static const char *const conds[] = { "if",   "elif", "else",   "for",     "while",
                                         "with", "try",  "except", "finally", NULL };
    for (size_t i = 0; funcs[i]; i++)
        if (tc_tok_is(&t[b], funcs[i]))
            return 1;
    if (tc_tok_is(&t[b], "async") && b + 1 < e)
        return tc_tok_is(&t[b + 1], "def") ? 1 : 2;
    for (size_t i = 0; conds[i]; i++)
        if (tc_tok_is(&t[b], conds[i]))
            return 2;
    /* Soft keywords: "match x:" is a statement, "match = 1" an assignment. */
    if ((tc_tok_is(&t[b], "match") || tc_tok_is(&t[b], "case")) && e - b > 2 &&
        tc_tok_is(&t[e - 1], ":") && find_top(t, b, e, "=") == e)
        return 2;
    return 0;
}

static int logical_line(reader *R, size_t b, size_t e)
{
    const tc_tok *t = R->t;
    int indent = t[b].indent;
    while (R->depth > 0 && R->stack[R->depth - 1].indent >= indent)
        R->depth--;
    int func = 0;
    for (int i = 0; i < R->depth; i++)
        func |= R->stack[i].func;
    int cond = R->depth > 0;
    if (tc_tok_is(&t[b], "@"))
        return 0; /* a decorator */
    int kind = compound(t, b, e);
    if (kind == 0)
        return simple_statements(R, b, e, func, cond);
    size_t colon = find_top(t, b, e, ":");
    if (colon + 1 < e) /* "if x: y = 1" */
        return simple_statements(R, colon + 1, e, func || kind == 1, 1);
    if (R->depth == MAX_BLOCKS) {
        *R->line = t[b].line;
        snprintf(R->err, R->errlen, "too many levels of indentation");
        return -1;
    }
    R->stack[R->depth++] = (block){ indent, kind == 1 };
    return 0;
}

int tc_pyconf_parse(const char *src, size_t len, tc_pyconf *out, int *line, char *err,
                    size_t errlen)
{
    tc_toks toks;
    memset(out, 0, sizeof *out);
    *line = 0;
    if (tc_pylex(src, len, &toks, line, err, errlen)) {
        tc_toks_free(&toks);
        return -1;
    }
    reader R = { .t = toks.v, .out = out, .line = line, .err = err, .errlen = errlen };
    int rc = 0;
    for (size_t b = 0, i = 0; i < toks.n && rc == 0; i++) {
        if (toks.v[i].kind != TC_TK_NEWLINE)
            continue;
        if (i > b)
            rc = logical_line(&R, b, i);
        b = i + 1;
    }
    tc_toks_free(&toks);
    if (rc)
        tc_pyconf_free(out);
    return rc;
}

char *tc_pyconf_slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0)
        goto out;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto out;
    }
    buf = malloc(TC_PYCONF_MAX_SIZE + 1);
    if (buf == NULL)
        goto out;
    size_t n = 0;
    ssize_t r;
    while (n <= TC_PYCONF_MAX_SIZE && (r = read(fd, buf + n, TC_PYCONF_MAX_SIZE + 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            buf = NULL;
            goto out;
        }
        n += (size_t)r;
    }
    if (n > TC_PYCONF_MAX_SIZE) {
        free(buf);
        buf = NULL;
        errno = EFBIG;
        goto out;
    }
    buf[n] = '\0';
    *len = n;
out:;
    int saved = errno;
    close(fd);
    errno = saved;
    return buf;
}

int tc_pyconf_read(const char *path, tc_pyconf *out, char *err, size_t errlen)
{
    size_t len = 0;
    memset(out, 0, sizeof *out);
    char *src = tc_pyconf_slurp(path, &len);
    if (src == NULL) {
        snprintf(err, errlen, "cannot read config file %s: %s", path,
                 errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
        return -1;
    }
    char msg[512];
    int line;
    int rc = tc_pyconf_parse(src, len, out, &line, msg, sizeof msg);
    if (rc)
        snprintf(err, errlen, "%s:%d: %s", path, line, msg);
    free(src);
    return rc;
}

void tc_pyconf_free(tc_pyconf *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        tc_pyval_free(c->v[i].value);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

const tc_pyassign *tc_pyconf_find(const tc_pyconf *c, const char *name)
{
    for (size_t i = c->n; i-- > 0;)
        if (strcmp(c->v[i].name, name) == 0)
            return &c->v[i];
    return NULL;
}

int tc_pyconf_is_last(const tc_pyconf *c, const tc_pyassign *a)
{
    return tc_pyconf_find(c, a->name) == a;
}

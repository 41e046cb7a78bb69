/* tc_pylit.c: Python literals from tokens: strings with every prefix, quote
 * form and escape, numbers with their bases and underscores, constants, and
 * containers of them; anything else is "not a literal", left to Python. */
#include "tc_pylit.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings ---- */

static int put(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 32;
        while (c < *len + n + 1)
            c *= 2;
        char *b = realloc(*buf, c);
        if (b == NULL)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int put_utf8(char **buf, size_t *len, size_t *cap, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return put(buf, len, cap, u, n);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly n hex digits at p (within end) as a number; -1 if not. */
static long hex_digits(const char *p, const char *end, int n)
{
    long v = 0;
    if (end - p < n)
        return -1;
    for (int i = 0; i < n; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* The escape after a backslash at *pp (which moves past it) as a code
 * point; -1 for a backslash kept as it is (an unknown escape), -2 for one
 * that joins lines, -3 for a bad one (*why says). */
static long escape(const char **pp, const char *end, const char **why)
{
    const char *p = *pp;
    static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
    for (size_t i = 0; simple[i]; i += 2)
        if (*p == simple[i]) {
            *pp = p + 1;
            return (unsigned char)simple[i + 1];
        }
    if (*p == '\n' || *p == '\r') {
        *pp = p + (*p == '\r' && p + 1 < end && p[1] == '\n' ? 2 : 1);
        return -2;
    }
    if (*p >= '0' && *p <= '7') {
        long v = 0;
        int n = 0;
        while (n < 3 && p < end && *p >= '0' && *p <= '7')
            v = v * 8 + (*p++ - '0'), n++;
        *pp = p;
        return v;
    }
    int digits = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
    if (digits) {
        long v = hex_digits(p + 1, end, digits);
        if (v < 0 || v > 0x10ffff) {
            *why = "a bad \\x, \\u or \\U escape";
            return -3;
        }
        *pp = p + 1 + digits;
        return v;
    }
    if (*p == 'N') {
        *why = "a \\N{...} escape (named characters need Python)";
        return -3;
    }
    return -1;
}

/* Whether s[0..n) is valid UTF-8 (no overlong forms, no surrogates). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        if (k == 0 || i + k > n || (k == 2 && c < 0xc2))
            return 0;
        unsigned long cp = k == 1 ? c : c & (0x7f >> k);
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k;
    }
    return 1;
}

/* The text between the quotes, decoded.  Line breaks in the source read as
 * "\n", as Python reads source. */
static int decode_body(const char *p, const char *end, int raw, char **buf, size_t *len,
                       size_t *cap, const char **why)
{
    while (p < end) {
        if (*p == '\r') {
            p += p + 1 < end && p[1] == '\n' ? 2 : 1;
            if (put(buf, len, cap, "\n", 1))
                return -1;
            continue;
        }
        if (*p == '\0') {
            *why = "a str with a NUL character";
            return 1;
        }
        if (*p != '\\' || raw || p + 1 >= end) {
            if (put(buf, len, cap, p, 1))
                return -1;
            p++;
            continue;
        }
        p++;
        long cp = escape(&p, end, why);
        if (cp == -3)
            return 1;
        if (cp == -2)
            continue;
        if (cp == -1) {
            if (put(buf, len, cap, "\\", 1))
                return -1;
            continue;
        }
        if (cp == 0) {
            *why = "a str with a NUL character";
            return 1;
        }
        if (cp >= 0xd800 && cp <= 0xdfff) {
            *why = "a str with a lone surrogate";
            return 1;
        }
        if (put_utf8(buf, len, cap, (unsigned long)cp))
            return -1;
    }
    return 0;
}

int tc_pylit_string(const tc_tok *t, char **buf, size_t *len, const char **why)
{
    const char *p = t->p, *end = t->p + t->len;
    int raw = 0;
    for (; *p != '\'' && *p != '"'; p++) {
        char c = (char)(*p | 0x20);
        if (c == 'f')
            return 1; /* an f-string is an expression */
        if (c == 'b') {
            *why = "bytes, not a str";
            return 1;
        }
        if (c == 'r')
            raw = 1;
    }
    size_t q = p + 2 < end && p[1] == *p && p[2] == *p && end - p >= 6 ? 3 : 1;
    size_t cap = *buf ? *len + 1 : 0, start = *len;
    if (*buf == NULL && put(buf, len, &cap, "", 0))
        return -1;
    int rc = decode_body(p + q, end - q, raw, buf, len, &cap, why);
    if (rc == 0 && !valid_utf8((const unsigned char *)*buf + start, *len - start)) {
        *why = "a str that is not valid UTF-8";
        return 1;
    }
    return rc;
}

/* ---- numbers ---- */

/* Copies digits without the underscores Python allows between them (and
 * after a base prefix); 0, or -1 when an underscore is misplaced. */
static int strip_underscores(const char *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '_') {
            int after_digit = i > 0 && p[i - 1] != '_' && p[i - 1] != '.';
            if (!after_digit || i + 1 == n || p[i + 1] == '_')
                return -1;
            continue;
        }
        if (k + 1 >= cap)
            return -1;
        out[k++] = p[i];
    }
    out[k] = '\0';
    return 0;
}

static tc_pyval *make_int(const char *text, int base, int negative)
{
    tc_pyval *v = tc_pyval_new(TC_PY_INT);
    if (v == NULL)
        return NULL;
    char *end;
    errno = 0;
    unsigned long long u = strtoull(text, &end, base);
    if (*end != '\0') {
        tc_pyval_free(v);
        return NULL;
    }
    unsigned long long limit = negative ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    if (errno == ERANGE || u > limit) {
        /* Beyond long long: kept as text, which writes back as the same int. */
        size_t n = strlen(text) + 4;
        v->big = 1;
        v->s = malloc(n);
        if (v->s == NULL) {
            tc_pyval_free(v);
            return NULL;
        }
        snprintf(v->s, n, "%s%s%s", negative ? "-" : "",
                 base == 16  ? "0x"
                 : base == 8 ? "0o"
                 : base == 2 ? "0b"
                             : "",
                 text);
        v->len = strlen(v->s);
        return v;
    }
    v->i = negative ? (long long)(0 - u) : (long long)u;
    return v;
}

static tc_pyval *parse_number(const tc_tok *t, int negative)
{
    char text[128];
    const char *p = t->p;
    size_t n = t->len;
    if (n >= sizeof text || p[n - 1] == 'j' || p[n - 1] == 'J')
        return NULL; /* complex */
    int base = 10;
    if (n > 2 && p[0] == '0') {
        char b = (char)(p[1] | 0x20);
        base = b == 'x' ? 16 : b == 'o' ? 8 : b == 'b' ? 2 : 10;
    }
    if (base != 10) {
        /* "0x_ff": an underscore may follow the prefix. */
        const char *digits = p + 2 + (p[2] == '_');
        if (strip_underscores(digits, n - (size_t)(digits - p), text, sizeof text) ||
            text[0] == '\0')
            return NULL;
        return make_int(text, base, negative);
    }
    if (strip_underscores(p, n, text, sizeof text))
        return NULL;
    if (strpbrk(text, ".eE")) {
        char *end;
        tc_pyval *v = tc_pyval_new(TC_PY_FLOAT);
        if (v == NULL)
            return NULL;
        v->f = strtod(text, &end);
        if (*end != '\0' || strpbrk(text, "xXnNiIpP")) {
            tc_pyval_free(v);
            return NULL;
        }
        if (negative)
            v->f = -v->f;
        return v;
    }
    /* Python refuses leading zeros ("0123"), except in zero itself. */
    if (text[0] == '0' && text[strspn(text, "0")] != '\0')
        return NULL;
    if (strspn(text, "0123456789") != strlen(text))
        return NULL;
    return make_int(text, 10, negative);
}

/* ---- values ---- */

typedef struct {
    const tc_tok *t;
    size_t i, end;
    int depth;
    const char *why;
} lit;

static int at(const lit *L, const char *s) { return L->i < L->end && tc_tok_is(&L->t[L->i], s); }

static tc_pyval *value(lit *L);

static tc_pyval *strings(lit *L)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = 0;
    while (rc == 0 && L->i < L->end && L->t[L->i].kind == TC_TK_STRING)
        rc = tc_pylit_string(&L->t[L->i++], &buf, &len, &L->why);
    tc_pyval *v = rc == 0 ? tc_pyval_str(buf, len) : NULL;
    if (rc < 0 || (rc == 0 && v == NULL))
        L->why = "out of memory";
    free(buf);
    return v;
}

static tc_pyval *signed_number(lit *L)
{
    int negative = 0;
    while (at(L, "-") || at(L, "+"))
        negative ^= L->t[L->i++].p[0] == '-';
    if (L->i >= L->end || L->t[L->i].kind != TC_TK_NUMBER)
        return NULL;
    return parse_number(&L->t[L->i++], negative);
}

/* Items up to close, separated by commas (a trailing one allowed); a dict
 * takes "key: value" pairs.  *commas counts the separators seen. */
static tc_pyval *items(lit *L, tc_pyval *seq, const char *close, int *commas)
{
    *commas = 0;
    while (!at(L, close)) {
        tc_pyval *v = value(L);
        if (v == NULL || tc_pyval_append(seq, v))
            goto bad;
        if (seq->kind == TC_PY_DICT) {
            if (!at(L, ":"))
                goto bad;
            L->i++;
            if ((v = value(L)) == NULL || tc_pyval_append(seq, v))
                goto bad;
        }
        if (at(L, close))
            break;
        if (!at(L, ","))
            goto bad;
        L->i++;
        ++*commas;
    }
    L->i++;
    return seq;
bad:
    tc_pyval_free(seq);
    return NULL;
}

static tc_pyval *container(lit *L)
{
    const tc_tok *t = &L->t[L->i++];
    char open = t->p[0];
    int commas;
    if (++L->depth > TC_PYLIT_MAX_DEPTH) {
        L->why = "nested too deeply";
        return NULL;
    }
    tc_py_kind kind = open == '[' ? TC_PY_LIST : open == '{' ? TC_PY_DICT : TC_PY_TUPLE;
    tc_pyval *seq = tc_pyval_new(kind);
    if (seq == NULL) {
        L->why = "out of memory";
        return NULL;
    }
    seq = items(L, seq, open == '[' ? "]" : open == '{' ? "}" : ")", &commas);
    L->depth--;
    /* "(x)" is x itself; "(x,)" and "()" are tuples. */
    if (seq && kind == TC_PY_TUPLE && seq->n == 1 && commas == 0) {
        tc_pyval *inner = seq->items[0];
        seq->n = 0;
        tc_pyval_free(seq);
        return inner;
    }
    return seq;
}

static tc_pyval *value(lit *L)
{
    if (L->i >= L->end)
        return NULL;
    const tc_tok *t = &L->t[L->i];
    if (t->kind == TC_TK_STRING)
        return strings(L);
    if (t->kind == TC_TK_NUMBER || at(L, "-") || at(L, "+"))
        return signed_number(L);
    if (at(L, "(") || at(L, "[") || at(L, "{"))
        return container(L);
    static const char *const consts[] = { "None", "False", "True" };
    for (int k = 0; k < 3; k++)
        if (at(L, consts[k])) {
            L->i++;
            tc_pyval *v = tc_pyval_new(k ? TC_PY_BOOL : TC_PY_NONE);
            if (v)
                v->i = k == 2;
            else
                L->why = "out of memory";
            return v;
        }
    return NULL;
}

tc_pyval *tc_pylit_parse(const tc_tok *toks, size_t begin, size_t end, const char **why)
{
    lit L = { toks, begin, end, 0, NULL };
    tc_pyval *v = value(&L);
    if (v && at(&L, ",")) {
        /* "a", "b" on the right of "=" is a tuple. */
        tc_pyval *tuple = tc_pyval_new(TC_PY_TUPLE);
        if (tuple == NULL || tc_pyval_append(tuple, v)) {
            tc_pyval_free(tuple);
            *why = "out of memory";
            return NULL;
        }
        v = tuple;
        while (v && at(&L, ",")) {
            L.i++;
            if (L.i == L.end)
                break;
            tc_pyval *item = value(&L);
            if (item == NULL || tc_pyval_append(v, item)) {
                tc_pyval_free(v);
                v = NULL;
            }
        }
    }
    if (v && L.i != L.end) {
        tc_pyval_free(v);
        v = NULL;
    }
    *why = v ? NULL : L.why;
    return v;
}

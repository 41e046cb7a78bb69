/* tc_json.c: a strict JSON reader into tc_pyval (tc_json.h): recursive
 * descent, bounded depth, UTF-8 checked, \u escapes with surrogate pairs
 * turned to UTF-8. */
#include "tc_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
    int failed;
} reader;

static tc_pyval *value(reader *r, int depth);

static tc_pyval *fail(reader *r, const char *why)
{
    if (!r->failed) {
        int line = 1;
        for (const char *q = r->start; q < r->p; q++)
            line += *q == '\n';
        snprintf(r->err, r->errlen, "line %d: %s", line, why);
        r->failed = 1;
    }
    return NULL;
}

static void blanks(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

static int hex4(reader *r, unsigned *out)
{
    if (r->end - r->p < 4)
        return -1;
    *out = 0;
    for (int i = 0; i < 4; i++) {
        char c = *r->p++;
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            return -1;
        *out = *out << 4 | (unsigned)v;
    }
    return 0;
}

static size_t utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A \uXXXX escape (and the low half of a surrogate pair) as a code point. */
static int unicode_escape(reader *r, unsigned *cp)
{
    if (hex4(r, cp) < 0)
        return -1;
    if (*cp >= 0xd800 && *cp < 0xdc00) {
        unsigned lo;
        if (!literal(r, "\\u") || hex4(r, &lo) < 0 || lo < 0xdc00 || lo >= 0xe000)
            return -1;
        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
    } else if (*cp >= 0xdc00 && *cp < 0xe000) {
        return -1;
    }
    return *cp == 0 ? -1 : 0;
}

static int escape(reader *r, char *out, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (r->p >= r->end)
        return -1;
    char c = *r->p++;
    const char *k = c ? strchr(from, c) : NULL;
    if (k) {
        out[0] = to[k - from];
        *n = 1;
        return 0;
    }
    unsigned cp;
    if (c != 'u' || unicode_escape(r, &cp) < 0)
        return -1;
    *n = utf8(cp, out);
    return 0;
}

/* The length of the UTF-8 character at p (RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF), or 0 when it is not one. */
static size_t utf8_char(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || (size_t)(end - p) < n)
        return 0;
    unsigned cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const unsigned least[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
        return 0;
    return n;
}

static tc_pyval *string(reader *r)
{
    r->p++; /* the opening quote */
    size_t cap = 64, len = 0;
    char *buf = malloc(cap);
    while (buf && r->p < r->end && *r->p != '"') {
        char piece[4];
        size_t n = 1;
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) {
            free(buf);
            return fail(r, "a control character in a string (escape it)");
        }
        if (c == '\\') {
            r->p++;
            if (escape(r, piece, &n) < 0) {
                free(buf);
                return fail(r, "a bad escape in a string (or \\u0000)");
            }
        } else {
            n = utf8_char((const unsigned char *)r->p, (const unsigned char *)r->end);
            if (n == 0) {
                free(buf);
                return fail(r, "a string that is not UTF-8");
            }
            memcpy(piece, r->p, n);
            r->p += n;
        }
        if (len + n > cap) {
            char *b = realloc(buf, cap *= 2);
            if (b == NULL)
                free(buf);
            buf = b;
        }
        if (buf) {
            memcpy(buf + len, piece, n);
            len += n;
        }
    }
    if (buf == NULL)
        return fail(r, "out of memory");
    if (r->p >= r->end) {
        free(buf);
        return fail(r, "a string without its closing quote");
    }
    r->p++;
    tc_pyval *v = tc_pyval_str(buf, len);
    free(buf);
    return v ? v : fail(r, "out of memory");
}

static tc_pyval *number(reader *r)
{
    const char *s = r->p;
    int is_float = 0;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9' ||
        (*r->p == '0' && r->p + 1 < r->end && r->p[1] >= '0' && r->p[1] <= '9'))
        return fail(r, "a malformed number");
    while (r->p < r->end && strchr("0123456789.eE+-", *r->p)) {
        is_float |= *r->p == '.' || *r->p == 'e' || *r->p == 'E';
        r->p++;
    }
    char text[64];
    size_t n = (size_t)(r->p - s);
    if (n >= sizeof text)
        return fail(r, "a number too long");
    memcpy(text, s, n);
    text[n] = '\0';
    char *endp;
    errno = 0;
    tc_pyval *v = tc_pyval_new(is_float ? TC_PY_FLOAT : TC_PY_INT);
    if (v == NULL)
        return fail(r, "out of memory");
    if (is_float)
        v->f = strtod(text, &endp);
    else
        v->i = strtoll(text, &endp, 10);
    if (*endp || errno) {
        tc_pyval_free(v);
        return fail(r, "a malformed or too large number");
    }
    return v;
}

/* "[" items "]" or "{" "key": value "}". */
static tc_pyval *container(reader *r, int depth, int object)
{
    char close = object ? '}' : ']';
    tc_pyval *v = tc_pyval_new(object ? TC_PY_DICT : TC_PY_LIST);
    if (v == NULL)
        return fail(r, "out of memory");
    r->p++;
    blanks(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return v;
    }
    for (;;) {
        blanks(r);
        if (object && (r->p >= r->end || *r->p != '"'))
            goto bad_key;
        tc_pyval *item = object ? string(r) : value(r, depth + 1);
        if (item == NULL || tc_pyval_append(v, item) != 0)
            goto out;
        if (object) {
            blanks(r);
            if (r->p >= r->end || *r->p++ != ':')
                goto bad_colon;
            if ((item = value(r, depth + 1)) == NULL || tc_pyval_append(v, item) != 0)
                goto out;
        }
        blanks(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return v;
        }
        fail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto out;
    }
bad_key:
    fail(r, "expected a string key");
    goto out;
bad_colon:
    fail(r, "expected ':' after a key");
out:
    fail(r, "out of memory");
    tc_pyval_free(v);
    return NULL;
}

static tc_pyval *value(reader *r, int depth)
{
    blanks(r);
    if (depth > MAX_DEPTH)
        return fail(r, "nested too deeply");
    if (r->p >= r->end)
        return fail(r, "a value is missing");
    tc_pyval *v;
    switch (*r->p) {
    case '{': return container(r, depth, 1);
    case '[': return container(r, depth, 0);
    case '"': return string(r);
    default: break;
    }
    int is_true = literal(r, "true");
    if (is_true || literal(r, "false")) {
        if ((v = tc_pyval_new(TC_PY_BOOL)))
            v->i = is_true;
        return v ? v : fail(r, "out of memory");
    }
    if (literal(r, "null"))
        return (v = tc_pyval_new(TC_PY_NONE)) ? v : fail(r, "out of memory");
    return number(r);
}

tc_pyval *tc_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    reader r = { text, text + len, text, err, errlen, 0 };
    tc_pyval *v = value(&r, 0);
    blanks(&r);
    if (v && r.p != r.end) {
        tc_pyval_free(v);
        return fail(&r, "text after the document");
    }
    return v;
}

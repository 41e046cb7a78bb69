/* tc_pyval.c: Python literal values as C data: building, freeing, writing
 * them back as Python source, and comparing them. */
#include "tc_pyval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

tc_pyval *tc_pyval_new(tc_py_kind kind)
{
    tc_pyval *v = calloc(1, sizeof *v);
    if (v)
        v->kind = kind;
    return v;
}

tc_pyval *tc_pyval_str(const char *s, size_t len)
{
    tc_pyval *v = tc_pyval_new(TC_PY_STR);
    if (v == NULL)
        return NULL;
    v->s = malloc(len + 1);
    if (v->s == NULL) {
        free(v);
        return NULL;
    }
    memcpy(v->s, s, len);
    v->s[len] = '\0';
    v->len = len;
    return v;
}

int tc_pyval_append(tc_pyval *seq, tc_pyval *item)
{
    if (seq->n == seq->cap) {
        size_t cap = seq->cap ? seq->cap * 2 : 4;
        tc_pyval **items = realloc(seq->items, cap * sizeof *items);
        if (items == NULL) {
            tc_pyval_free(item);
            return -1;
        }
        seq->items = items;
        seq->cap = cap;
    }
    seq->items[seq->n++] = item;
    return 0;
}

void tc_pyval_free(tc_pyval *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++)
        tc_pyval_free(v->items[i]);
    free(v->items);
    free(v->s);
    free(v);
}

const char *tc_pyval_type(const tc_pyval *v)
{
    static const char *const names[] = { "NoneType", "bool", "int",   "float",
                                         "str",      "list", "tuple", "dict" };
    return names[v->kind];
}

void tc_py_write_str(FILE *out, const char *s, size_t len)
{
    fputc('\'', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\\': fputs("\\\\", out); break;
        case '\'': fputs("\\'", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\x%02x", c);
            else
                fputc(c, out);
        }
    }
    fputc('\'', out);
}

/* A float as Python writes it: enough digits to read back the same bits,
 * and always with a '.' or an exponent so that it stays a float. */
static void write_float(FILE *out, double f)
{
    char buf[40];
    if (isinf(f)) {
        /* No literal spells infinity; 1e999 reads back as it. */
        fputs(f < 0 ? "-1e999" : "1e999", out);
        return;
    }
    snprintf(buf, sizeof buf, "%.17g", f);
    fputs(buf, out);
    if (strpbrk(buf, ".eEn") == NULL)
        fputs(".0", out);
}

static void write_items(FILE *out, const tc_pyval *v, const char *open, const char *close)
{
    fputs(open, out);
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            fputs(v->kind == TC_PY_DICT && i % 2 ? ": " : ", ", out);
        tc_pyval_write(out, v->items[i]);
    }
    if (v->kind == TC_PY_TUPLE && v->n == 1)
        fputc(',', out);
    fputs(close, out);
}

void tc_pyval_write(FILE *out, const tc_pyval *v)
{
    switch (v->kind) {
    case TC_PY_NONE: fputs("None", out); break;
    case TC_PY_BOOL: fputs(v->i ? "True" : "False", out); break;
    case TC_PY_INT:
        if (v->big)
            fputs(v->s, out);
        else
            fprintf(out, "%lld", v->i);
        break;
    case TC_PY_FLOAT: write_float(out, v->f); break;
    case TC_PY_STR: tc_py_write_str(out, v->s, v->len); break;
    case TC_PY_LIST: write_items(out, v, "[", "]"); break;
    case TC_PY_TUPLE: write_items(out, v, "(", ")"); break;
    case TC_PY_DICT: write_items(out, v, "{", "}"); break;
    }
}

int tc_pyval_equal(const tc_pyval *a, const tc_pyval *b)
{
    if (a->kind != b->kind || a->n != b->n)
        return 0;
    switch (a->kind) {
    case TC_PY_NONE: return 1;
    case TC_PY_BOOL: return a->i == b->i;
    case TC_PY_INT:
        if (a->big != b->big)
            return 0;
        return a->big ? strcmp(a->s, b->s) == 0 : a->i == b->i;
    case TC_PY_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0 || (isnan(a->f) && isnan(b->f));
    case TC_PY_STR: return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    default:
        for (size_t i = 0; i < a->n; i++)
            if (!tc_pyval_equal(a->items[i], b->items[i]))
                return 0;
        return 1;
    }
}

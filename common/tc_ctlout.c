/* tc_ctlout.c: a control reply's body, rendered as JSON or as text while
 * it is written (no tree is kept). */
#include "tc_ctlout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_OBJ = 0, K_ARR = 1, K_ITEM = 2 }; /* K_ITEM: an object in an array, one text line */

static void put(tc_ctlout *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (b == NULL) {
            o->oom = 1;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(tc_ctlout *o, const char *s) { put(o, s, strlen(s)); }

static void putf(tc_ctlout *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void json_string(tc_ctlout *o, const char *s)
{
    puts_(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            putf(o, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            putf(o, "\\u%04x", *p);
        else
            put(o, (const char *)p, 1);
    }
    puts_(o, "\"");
}

static void indent(tc_ctlout *o)
{
    for (int i = 1; i < o->depth; i++)
        puts_(o, "  ");
}

/* Writes what goes before a member called key at the current depth (in
 * text, a container's key ends its line). */
static void member_of(tc_ctlout *o, const char *key, int container)
{
    int d = o->depth;
    int first = o->first[d];
    o->first[d] = 0;
    if (o->json) {
        if (!first)
            puts_(o, ",");
        if (key) {
            json_string(o, key);
            puts_(o, ":");
        }
        return;
    }
    if (o->in_array[d] == K_ITEM) {
        if (!first)
            puts_(o, " ");
        if (key)
            putf(o, "%s=", key);
        return;
    }
    indent(o);
    if (key)
        putf(o, container ? "%s:" : "%s: ", key);
}

static void member(tc_ctlout *o, const char *key) { member_of(o, key, 0); }

static void end_member(tc_ctlout *o)
{
    if (!o->json && o->in_array[o->depth] != K_ITEM)
        puts_(o, "\n");
}

static void open_(tc_ctlout *o, const char *key, int kind)
{
    int inline_item = kind == K_OBJ && o->in_array[o->depth] == K_ARR;
    if (inline_item && !o->json)
        indent(o);
    else
        member_of(o, key, 1);
    if (o->json)
        puts_(o, kind == K_ARR ? "[" : "{");
    else if (!inline_item)
        puts_(o, "\n");
    if (o->depth + 1 >= TC_CTLOUT_DEPTH) {
        o->oom = 1; /* deeper than any reply is built: a bug, shown as a failed reply */
        return;
    }
    o->depth++;
    o->first[o->depth] = 1;
    o->in_array[o->depth] = inline_item ? K_ITEM : kind;
}

void tc_ctlout_begin(tc_ctlout *o, int json)
{
    memset(o, 0, sizeof *o);
    o->json = json;
    o->first[0] = 1;
    if (json)
        puts_(o, "{");
    o->depth = 1;
    o->first[1] = 1;
    if (!json)
        puts_(o, "");
}

void tc_ctlout_obj(tc_ctlout *o, const char *key) { open_(o, key, K_OBJ); }
void tc_ctlout_arr(tc_ctlout *o, const char *key) { open_(o, key, K_ARR); }

void tc_ctlout_close(tc_ctlout *o)
{
    if (o->depth <= 1)
        return;
    int kind = o->in_array[o->depth];
    o->depth--;
    if (o->json)
        puts_(o, kind == K_ARR ? "]" : "}");
    else if (kind == K_ITEM)
        puts_(o, "\n");
}

void tc_ctlout_end(tc_ctlout *o)
{
    while (o->depth > 1)
        tc_ctlout_close(o);
    if (o->json)
        puts_(o, "}\n");
    else
        puts_(o, "");
}

void tc_ctlout_free(tc_ctlout *o)
{
    free(o->buf);
    o->buf = NULL;
    o->len = o->cap = 0;
}

void tc_ctlout_int(tc_ctlout *o, const char *key, long long v)
{
    member(o, key);
    putf(o, "%lld", v);
    end_member(o);
}

void tc_ctlout_num(tc_ctlout *o, const char *key, double v)
{
    member(o, key);
    putf(o, "%.6g", v);
    end_member(o);
}

void tc_ctlout_bool(tc_ctlout *o, const char *key, int v)
{
    member(o, key);
    puts_(o, v ? "true" : "false");
    end_member(o);
}

void tc_ctlout_str(tc_ctlout *o, const char *key, const char *v)
{
    member(o, key);
    if (v == NULL)
        puts_(o, o->json ? "null" : "-");
    else if (o->json)
        json_string(o, v);
    else
        puts_(o, v);
    end_member(o);
}

void tc_ctlout_raw(tc_ctlout *o, const char *key, const char *text)
{
    member(o, key);
    if (o->json)
        json_string(o, text);
    else
        puts_(o, text);
    end_member(o);
}

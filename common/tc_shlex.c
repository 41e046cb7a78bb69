/* tc_shlex.c: shell-like word splitting, as Python's shlex.split(s) (POSIX
 * mode, no comments) does it for GUNICORN_CMD_ARGS. */
#include "tc_shlex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **v;
    int n, cap;
    char *word;
    size_t len, wcap;
    int in_word;
} words;

static int put(words *w, char c)
{
    if (w->len + 2 > w->wcap) {
        size_t cap = w->wcap ? w->wcap * 2 : 32;
        char *b = realloc(w->word, cap);
        if (b == NULL)
            return -1;
        w->word = b;
        w->wcap = cap;
    }
    w->word[w->len++] = c;
    w->word[w->len] = '\0';
    w->in_word = 1;
    return 0;
}

static int end_word(words *w)
{
    if (!w->in_word)
        return 0;
    if (w->n + 2 > w->cap) {
        int cap = w->cap ? w->cap * 2 : 8;
        char **v = realloc(w->v, (size_t)cap * sizeof *v);
        if (v == NULL)
            return -1;
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n] = strndup(w->word ? w->word : "", w->len);
    if (w->v[w->n] == NULL)
        return -1;
    w->v[++w->n] = NULL;
    w->len = 0;
    w->in_word = 0;
    return 0;
}

/* One quoted part from *pp (at its opening quote); *pp moves past it. */
static int quoted(words *w, const char **pp, char *err, size_t errlen)
{
    const char *p = *pp;
    char q = *p++;
    w->in_word = 1; /* '' is an empty word */
    for (; *p && *p != q; p++) {
        /* Inside "...", a backslash escapes only " and itself. */
        if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
        if (put(w, *p))
            return -1;
    }
    if (*p != q) {
        snprintf(err, errlen, "no closing quotation");
        return -1;
    }
    *pp = p + 1;
    return 0;
}

int tc_shlex_split(const char *s, char ***argv, int *n, char *err, size_t errlen)
{
    words w = { 0 };
    int rc = 0;
    err[0] = '\0';
    for (const char *p = s; *p && rc == 0;) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            rc = end_word(&w);
            p++;
        } else if (*p == '\'' || *p == '"') {
            rc = quoted(&w, &p, err, errlen);
        } else if (*p == '\\') {
            if (p[1] == '\0') {
                snprintf(err, errlen, "no escaped character");
                rc = -1;
            } else {
                rc = put(&w, p[1]);
                p += 2;
            }
        } else {
            rc = put(&w, *p++);
        }
    }
    if (rc == 0)
        rc = end_word(&w);
    free(w.word);
    if (rc == 0 && w.v == NULL) {
        w.v = calloc(1, sizeof *w.v);
        if (w.v == NULL)
            rc = -1;
    }
    if (rc != 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "out of memory");
        tc_shlex_free(w.v);
        return -1;
    }
    *argv = w.v;
    *n = w.n;
    return 0;
}

void tc_shlex_free(char **argv)
{
    for (char **p = argv; p && *p; p++)
        free(*p);
    free(argv);
}

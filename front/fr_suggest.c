/* fr_suggest.c: the accepted flag nearest to a mistyped one, for the hint
 * after "unrecognized option". */
#include "fr_flags.h"

#include <string.h>

/* Longer names are not typos of ours: the longest flag is about 30 bytes. */
#define NAME_MAX_LEN 64

typedef struct {
    const char *typed;   /* without "--" and "=value" */
    size_t len;
    size_t limit;        /* most edits that still look like a typo */
    const char *best;
    size_t best_dist;
    int tied;            /* another flag is as near as best */
} fr_nearest;

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Edits from a to b: insert, delete, replace, or swap two neighbours
 * ("--wrokers" is one edit from "--workers").  Both shorter than NAME_MAX_LEN. */
static size_t distance(const char *a, size_t al, const char *b, size_t bl)
{
    unsigned char d[NAME_MAX_LEN + 1][NAME_MAX_LEN + 1];
    for (size_t i = 0; i <= al; i++) d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= bl; j++) d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= al; i++) {
        for (size_t j = 1; j <= bl; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = min3(d[i - 1][j] + 1u, d[i][j - 1] + 1u, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1u < v)
                v = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)v;
        }
    }
    return d[al][bl];
}

/* A flag is a candidate when few edits away, or when the typed name is its
 * beginning (cut short); the nearest candidate wins. */
static void consider(const fr_flag *f, void *ctx)
{
    fr_nearest *n = ctx;
    const char *name = f->flag + 2;
    size_t len = strlen(name);
    if (len >= NAME_MAX_LEN) return;
    size_t dist = distance(n->typed, n->len, name, len);
    int cut_short = len > n->len && strncmp(name, n->typed, n->len) == 0;
    if (dist > n->limit && !cut_short) return;
    if (n->best && dist == n->best_dist) n->tied = 1;
    if (n->best == NULL || dist < n->best_dist) {
        n->best = f->flag;
        n->best_dist = dist;
        n->tied = 0;
    }
}

const char *fr_flag_nearest(const char *arg)
{
    if (strncmp(arg, "--", 2) != 0) return NULL;
    fr_nearest n = { .typed = arg + 2, .len = strcspn(arg + 2, "=") };
    if (n.len == 0 || n.len >= NAME_MAX_LEN) return NULL;
    /* Short names are all a few edits from one another ("pre" and "pid"). */
    n.limit = n.len <= 4 ? 1 : n.len < 10 ? 2 : 3;
    fr_flag_each(consider, &n);
    return n.best && !n.tied ? n.best : NULL;
}

/* tc_suggest.c: finds the known name nearest to a mistyped flag or config
 * key, for the hint after "unrecognized option" or "unknown setting". */
#include "tc_suggest.h"

#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t tc_edit_distance(const char *a, size_t al, const char *b, size_t bl)
{
    unsigned char d[TC_NEAR_MAX_LEN + 1][TC_NEAR_MAX_LEN + 1];
    for (size_t i = 0; i <= al; i++)
        d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= bl; j++)
        d[0][j] = (unsigned char)j;
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

int tc_near_init(tc_near *n, const char *typed, size_t len)
{
    memset(n, 0, sizeof *n);
    n->typed = typed;
    n->len = len;
    if (len == 0 || len >= TC_NEAR_MAX_LEN) {
        n->len = 0;
        return -1;
    }
    /* Short names are all a few edits from one another ("pre" and "pid"). */
    n->limit = len <= 4 ? 1 : len < 10 ? 2 : 3;
    return 0;
}

void tc_near_consider_len(tc_near *n, const char *name, size_t len, size_t skip)
{
    if (n->len == 0 || len < skip || len - skip >= TC_NEAR_MAX_LEN)
        return;
    /* The same name under two spellings (a flag and its row) is one candidate. */
    if (n->best && n->best_len == len && memcmp(n->best, name, len) == 0)
        return;
    const char *s = name + skip;
    size_t slen = len - skip;
    size_t dist = tc_edit_distance(n->typed, n->len, s, slen);
    int cut_short = slen > n->len && strncmp(s, n->typed, n->len) == 0;
    if (dist > n->limit && !cut_short)
        return;
    if (n->best && dist == n->best_dist)
        n->tied = 1;
    if (n->best == NULL || dist < n->best_dist) {
        n->best = name;
        n->best_len = len;
        n->best_dist = dist;
        n->tied = 0;
    }
}

void tc_near_consider(tc_near *n, const char *name, size_t skip)
{
    tc_near_consider_len(n, name, strlen(name), skip);
}

const char *tc_near_best(const tc_near *n) { return n->best && !n->tied ? n->best : NULL; }

/* tc_suggest.h: the known name nearest to a mistyped one ("did you mean"),
 * for unknown flags and config keys alike.
 * Usage: tc_near_init with what was typed, tc_near_consider for each known
 * name, then tc_near_best.  Nothing is allocated; the result points at the
 * caller's candidate string. */
#ifndef TANDEM_TC_SUGGEST_H
#define TANDEM_TC_SUGGEST_H

#include <stddef.h>

/* Longer names are not typos of ours: the longest flag or key is about 35 bytes. */
#define TC_NEAR_MAX_LEN 64

typedef struct {
    const char *typed; /* the name as typed, without "--" or "=value" */
    size_t len;
    size_t limit;     /* most edits that still look like a typo */
    const char *best; /* the nearest candidate so far, as given */
    size_t best_len;  /* its length */
    size_t best_dist;
    int tied; /* another candidate is as near as best */
} tc_near;

/* Starts a search for typed[0..len).  Returns -1 (and nothing will be
 * suggested) when it is empty or too long. */
int tc_near_init(tc_near *n, const char *typed, size_t len);
/* Considers name (compared from skip bytes in, e.g. 2 for "--flag"): a
 * candidate when few edits away, or when typed is its beginning (cut short). */
void tc_near_consider(tc_near *n, const char *name, size_t skip);
/* The same for name[0..len) (a word inside a longer string). */
void tc_near_consider_len(tc_near *n, const char *name, size_t len, size_t skip);
/* The nearest candidate (best_len bytes long), or NULL when none is near or
 * two are equally near. */
const char *tc_near_best(const tc_near *n);

/* Edits from a to b: insert, delete, replace, or swap two neighbours
 * ("wrokers" is one edit from "workers").  Both shorter than TC_NEAR_MAX_LEN. */
size_t tc_edit_distance(const char *a, size_t al, const char *b, size_t bl);

#endif

/* px_idmap.h: a map from 32-bit stream ids to pointers, for one worker
 * connection's open streams: open addressing with linear probing, a load of
 * at most one half, and backward-shift deletion (no tombstones, so lookups
 * stay short however many streams come and go).
 *
 * Ownership: the map holds the pointers, never what they point to.
 * Errors: px_idmap_put returns -1 when the table cannot grow (out of memory;
 * nothing changed); nothing else fails. */
#ifndef TANDEM_PX_IDMAP_H
#define TANDEM_PX_IDMAP_H

#include <stdint.h>

typedef struct {
    uint32_t id;
    void *val; /* NULL: free slot */
} px_idmap_slot;

typedef struct {
    px_idmap_slot *tab;
    uint32_t size; /* a power of two, or 0 before the first put */
    uint32_t used;
} px_idmap;

/* Adds id -> val (val not NULL; id not present).  0 or -1. */
int px_idmap_put(px_idmap *m, uint32_t id, void *val);
/* The value of id, or NULL. */
void *px_idmap_get(const px_idmap *m, uint32_t id);
/* Removes id if present. */
void px_idmap_del(px_idmap *m, uint32_t id);
/* Some value in the map, or NULL when empty (to drain it one by one). */
void *px_idmap_any(const px_idmap *m);
static inline uint32_t px_idmap_len(const px_idmap *m) { return m->used; }
/* Frees the table (the map is empty and reusable after). */
void px_idmap_free(px_idmap *m);

#endif

/* px_idmap.c: stream id -> pointer map (px_idmap.h). */
#include "config.h"
#include <stdlib.h>
#include "px_idmap.h"

static inline uint32_t home(uint32_t id, uint32_t size) { return (id * 2654435761u) & (size - 1); }

static int grow(px_idmap *m)
{
    uint32_t nsize = m->size ? m->size * 2 : 64;
    px_idmap_slot *nt = calloc(nsize, sizeof *nt);
    if (!nt)
        return -1;
    for (uint32_t i = 0; i < m->size; i++) {
        if (!m->tab[i].val)
            continue;
        uint32_t j = home(m->tab[i].id, nsize);
        while (nt[j].val)
            j = (j + 1) & (nsize - 1);
        nt[j] = m->tab[i];
    }
    free(m->tab);
    m->tab = nt;
    m->size = nsize;
    return 0;
}

int px_idmap_put(px_idmap *m, uint32_t id, void *val)
{
    if ((m->used + 1) * 2 > m->size && grow(m) < 0)
        return -1;
    uint32_t j = home(id, m->size);
    while (m->tab[j].val)
        j = (j + 1) & (m->size - 1);
    m->tab[j] = (px_idmap_slot){ id, val };
    m->used++;
    return 0;
}

void *px_idmap_get(const px_idmap *m, uint32_t id)
{
    if (!m->size)
        return NULL;
    for (uint32_t j = home(id, m->size); m->tab[j].val; j = (j + 1) & (m->size - 1))
        if (m->tab[j].id == id)
            return m->tab[j].val;
    return NULL;
}

void px_idmap_del(px_idmap *m, uint32_t id)
{
    if (!m->size)
        return;
    uint32_t mask = m->size - 1, j = home(id, m->size);
    while (m->tab[j].val && m->tab[j].id != id)
        j = (j + 1) & mask;
    if (!m->tab[j].val)
        return;
    m->tab[j].val = NULL;
    m->used--;
    /* Shift back the entries of the run that follows so lookups still find
     * them: an entry moves into the hole when the hole lies on its probe path,
     * that is when it is at least as far from its home as from the hole
     * (equal: the hole is its home). */
    for (uint32_t k = (j + 1) & mask; m->tab[k].val; k = (k + 1) & mask) {
        uint32_t h = home(m->tab[k].id, m->size);
        if (((k - h) & mask) >= ((k - j) & mask)) {
            m->tab[j] = m->tab[k];
            m->tab[k].val = NULL;
            j = k;
        }
    }
}

void *px_idmap_any(const px_idmap *m)
{
    for (uint32_t i = 0; i < m->size && m->used; i++)
        if (m->tab[i].val)
            return m->tab[i].val;
    return NULL;
}

void px_idmap_free(px_idmap *m)
{
    free(m->tab);
    *m = (px_idmap){ 0 };
}

/* The table of parked events (reorder.h): open addressing keyed by address
 * and kind, linear probing, backward-shift deletion (as live.c). */
#include "reorder.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static size_t home_of(uint64_t ptr, int is_free, size_t cap)
{
    uint64_t x = ((ptr >> 4) ^ (uint64_t)is_free) * 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 32) & (cap - 1);
}

void mta_park_free(struct mta_park *p)
{
    free(p->slots);
    memset(p, 0, sizeof *p);
}

struct mta_parked *mta_park_find(const struct mta_park *p, uint64_t ptr, int is_free)
{
    if (!p->n || !ptr)
        return NULL;
    size_t mask = p->cap - 1;
    struct mta_parked *first = NULL;
    for (size_t j = home_of(ptr, is_free, p->cap); p->slots[j].ptr; j = (j + 1) & mask) {
        struct mta_parked *e = &p->slots[j];
        if (e->ptr == ptr && e->is_free == is_free &&
            (!first || e->order < first->order))
            first = e;
    }
    return first;
}

static int grow(struct mta_park *p)
{
    size_t ncap = p->cap ? p->cap * 2 : 64;
    struct mta_parked *ns = mta_xcalloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < p->cap; i++) {
        if (!p->slots[i].ptr)
            continue;
        size_t j = home_of(p->slots[i].ptr, p->slots[i].is_free, ncap);
        while (ns[j].ptr)
            j = (j + 1) & (ncap - 1);
        ns[j] = p->slots[i];
    }
    free(p->slots);
    p->slots = ns;
    p->cap = ncap;
    return 0;
}

struct mta_parked *mta_park_add(struct mta_park *p, uint64_t ptr, int is_free, uint64_t ns)
{
    if ((p->n + 1) * 2 > p->cap && grow(p))
        return NULL;
    size_t j = home_of(ptr, is_free, p->cap);
    while (p->slots[j].ptr)
        j = (j + 1) & (p->cap - 1);
    struct mta_parked *e = &p->slots[j];
    memset(e, 0, sizeof *e);
    e->ptr = ptr;
    e->is_free = (uint8_t)is_free;
    e->ns = ns;
    e->order = ++p->arrivals;
    if (!p->n || ns < p->oldest_ns)
        p->oldest_ns = ns;
    p->n++;
    return e;
}

void mta_park_take(struct mta_park *p, struct mta_parked *e, struct mta_parked *out)
{
    if (out)
        *out = *e;
    size_t mask = p->cap - 1, hole = (size_t)(e - p->slots);
    for (size_t k = (hole + 1) & mask; p->slots[k].ptr; k = (k + 1) & mask) {
        size_t home = home_of(p->slots[k].ptr, p->slots[k].is_free, p->cap);
        /* move k into the hole unless its home is in (hole, k] cyclically */
        int between = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
        if (!between) {
            p->slots[hole] = p->slots[k];
            hole = k;
        }
    }
    memset(&p->slots[hole], 0, sizeof p->slots[hole]);
    p->n--;
}

static int by_ns(const void *a, const void *b)
{
    const struct mta_parked *x = a, *y = b;
    return x->ns < y->ns ? -1 : x->ns > y->ns;
}

size_t mta_park_drain(struct mta_park *p, uint64_t before, struct mta_parked **out)
{
    *out = NULL;
    if (!p->n || p->oldest_ns >= before)
        return 0;
    struct mta_parked *v = mta_xmalloc(p->n * sizeof *v);
    if (!v)
        return 0;
    size_t k = 0, keep = 0;
    uint64_t oldest = UINT64_MAX;
    for (size_t i = 0; i < p->cap; i++) {
        struct mta_parked *e = &p->slots[i];
        if (!e->ptr)
            continue;
        if (e->ns < before) {
            v[k++] = *e;
        } else {
            p->slots[keep++] = *e; /* compacted, rehashed below */
            if (e->ns < oldest)
                oldest = e->ns;
        }
    }
    /* rehash the kept ones in place: they sit in slots[0, keep) */
    size_t cap = p->cap;
    struct mta_parked *old = p->slots;
    p->slots = mta_xcalloc(cap, sizeof *p->slots);
    if (!p->slots) { /* cannot rebuild: give everything back to the caller */
        p->slots = old;
        for (size_t i = 0; i < keep; i++)
            v[k++] = old[i];
        memset(old, 0, cap * sizeof *old);
        keep = 0;
    } else {
        for (size_t i = 0; i < keep; i++) {
            size_t j = home_of(old[i].ptr, old[i].is_free, cap);
            while (p->slots[j].ptr)
                j = (j + 1) & (cap - 1);
            p->slots[j] = old[i];
        }
        free(old);
    }
    p->n = keep;
    p->oldest_ns = keep ? oldest : 0;
    qsort(v, k, sizeof *v, by_ns);
    *out = v;
    return k;
}

/* Open addressing with linear probing and backward-shift deletion, so that
 * heavy churn leaves no tombstones behind. */
#include "live.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static inline size_t slot_of(uint64_t ptr, size_t cap)
{
    /* Fibonacci hashing: the high bits of the product are well mixed */
    uint64_t x = (ptr >> 4) * 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 32) & (cap - 1);
}

void mta_live_prefetch(const struct mta_live *l, uint64_t ptr)
{
    __builtin_prefetch(&l->slots[slot_of(ptr, l->cap)], 1);
}

int mta_live_init(struct mta_live *l)
{
    l->cap = 1024;
    l->count = 0;
    l->slots = mta_xcalloc(l->cap, sizeof *l->slots);
    return l->slots ? 0 : -1;
}

void mta_live_free(struct mta_live *l)
{
    free(l->slots);
    memset(l, 0, sizeof *l);
}

static int grow(struct mta_live *l)
{
    size_t ncap = l->cap * 2;
    struct mta_block *ns = mta_xcalloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < l->cap; i++) {
        if (!l->slots[i].ptr)
            continue;
        size_t j = slot_of(l->slots[i].ptr, ncap);
        while (ns[j].ptr)
            j = (j + 1) & (ncap - 1);
        ns[j] = l->slots[i];
    }
    free(l->slots);
    l->slots = ns;
    l->cap = ncap;
    return 0;
}

int mta_live_put(struct mta_live *l, const struct mta_block *b, struct mta_block *replaced)
{
    if ((l->count + 1) * 2 > l->cap && grow(l)) /* at most half full: short probes */
        return -1;
    size_t j = slot_of(b->ptr, l->cap);
    for (; l->slots[j].ptr; j = (j + 1) & (l->cap - 1)) {
        if (l->slots[j].ptr == b->ptr) {
            if (replaced)
                *replaced = l->slots[j];
            l->slots[j] = *b;
            return 1;
        }
    }
    l->slots[j] = *b;
    l->count++;
    return 0;
}

int mta_live_take(struct mta_live *l, uint64_t ptr, struct mta_block *out)
{
    if (!ptr)
        return 0;
    size_t mask = l->cap - 1, j = slot_of(ptr, l->cap);
    for (; l->slots[j].ptr; j = (j + 1) & mask) {
        if (l->slots[j].ptr != ptr)
            continue;
        if (out)
            *out = l->slots[j];
        /* backward-shift: pull later members of the cluster into the hole */
        size_t hole = j;
        for (size_t k = (j + 1) & mask; l->slots[k].ptr; k = (k + 1) & mask) {
            size_t home = slot_of(l->slots[k].ptr, l->cap);
            /* move k into hole if its home is not in (hole, k] cyclically */
            int between = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
            if (!between) {
                l->slots[hole] = l->slots[k];
                hole = k;
            }
        }
        memset(&l->slots[hole], 0, sizeof l->slots[hole]);
        l->count--;
        return 1;
    }
    return 0;
}

int mta_live_copy(struct mta_live *dst, const struct mta_live *src)
{
    dst->slots = mta_xmalloc(src->cap * sizeof *dst->slots);
    if (!dst->slots) {
        dst->cap = dst->count = 0;
        return -1;
    }
    memcpy(dst->slots, src->slots, src->cap * sizeof *dst->slots);
    dst->cap = src->cap;
    dst->count = src->count;
    return 0;
}

int mta_live_has(const struct mta_live *l, uint64_t ptr)
{
    for (size_t j = slot_of(ptr, l->cap); l->slots[j].ptr; j = (j + 1) & (l->cap - 1))
        if (l->slots[j].ptr == ptr)
            return 1;
    return 0;
}

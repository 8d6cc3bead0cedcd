#include "stacks.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_frames(const uint64_t *f, unsigned n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (unsigned i = 0; i < n; i++) {
        h ^= f[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

int mta_stacks_init(struct mta_stacks *s)
{
    memset(s, 0, sizeof *s);
    s->cap = 64;
    s->v = mta_xcalloc(s->cap, sizeof *s->v);
    s->content_cap = 128;
    s->by_content = mta_xcalloc(s->content_cap, sizeof *s->by_content);
    s->id_cap = 128;
    s->by_id = mta_xcalloc(s->id_cap, sizeof *s->by_id);
    if (!s->v || !s->by_content || !s->by_id)
        return -1;
    s->n = 1; /* index 0: unknown stack */
    return 0;
}

void mta_stacks_free(struct mta_stacks *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].frames);
    free(s->v);
    free(s->by_content);
    free(s->by_id);
    memset(s, 0, sizeof *s);
}

static int grow_content(struct mta_stacks *s)
{
    size_t ncap = s->content_cap * 2;
    uint32_t *nt = mta_xcalloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 1; i < s->n; i++) {
        size_t j = s->v[i].hash & (ncap - 1);
        while (nt[j])
            j = (j + 1) & (ncap - 1);
        nt[j] = (uint32_t)i;
    }
    free(s->by_content);
    s->by_content = nt;
    s->content_cap = ncap;
    return 0;
}

static int grow_ids(struct mta_stacks *s)
{
    size_t ncap = s->id_cap * 2;
    struct id_slot *nt = mta_xcalloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < s->id_cap; i++) {
        if (!s->by_id[i].id)
            continue;
        size_t j = mix(s->by_id[i].id) & (ncap - 1);
        while (nt[j].id)
            j = (j + 1) & (ncap - 1);
        nt[j] = s->by_id[i];
    }
    free(s->by_id);
    s->by_id = nt;
    s->id_cap = ncap;
    return 0;
}

int64_t mta_stacks_add(struct mta_stacks *s, uint64_t id, const uint64_t *frames, unsigned n)
{
    uint64_t h = hash_frames(frames, n);
    size_t j = h & (s->content_cap - 1);
    uint32_t index = 0;
    for (; s->by_content[j]; j = (j + 1) & (s->content_cap - 1)) {
        struct mta_stack *st = &s->v[s->by_content[j]];
        if (st->hash == h && st->n == n && !memcmp(st->frames, frames, n * sizeof *frames)) {
            index = s->by_content[j];
            break;
        }
    }
    if (!index) {
        if (s->n == s->cap) {
            struct mta_stack *nv = mta_xreallocarray(s->v, s->cap * 2, sizeof *nv);
            if (!nv)
                return -1;
            s->v = nv;
            s->cap *= 2;
        }
        struct mta_stack *st = &s->v[s->n];
        st->frames = mta_xmalloc((n ? n : 1) * sizeof *frames);
        if (!st->frames)
            return -1;
        memcpy(st->frames, frames, n * sizeof *frames);
        st->n = n;
        st->hash = h;
        st->cut = 0;
        index = (uint32_t)s->n++;
        s->by_content[j] = index;
        if (s->n * 2 > s->content_cap && grow_content(s))
            return -1;
    }
    /* bind the trace's id to the index (a redefinition keeps the first) */
    size_t k = mix(id) & (s->id_cap - 1);
    for (; s->by_id[k].id; k = (k + 1) & (s->id_cap - 1))
        if (s->by_id[k].id == id)
            return index;
    s->by_id[k].id = id;
    s->by_id[k].index = index;
    if (++s->id_count * 2 > s->id_cap && grow_ids(s))
        return -1;
    return index;
}

uint32_t mta_stacks_index(const struct mta_stacks *s, uint64_t id)
{
    if (!id)
        return 0;
    size_t k = mix(id) & (s->id_cap - 1);
    for (; s->by_id[k].id; k = (k + 1) & (s->id_cap - 1))
        if (s->by_id[k].id == id)
            return s->by_id[k].index;
    return 0;
}

void mta_stacks_set_cut(struct mta_stacks *s, uint64_t id)
{
    uint32_t i = mta_stacks_index(s, id);
    if (i && i < s->n)
        s->v[i].cut = 1;
}

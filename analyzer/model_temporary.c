/* Temporary allocations, deterministically (heaptrack's definition): a
 * block freed by the thread that allocated it before that thread allocates
 * anything else.  The model keeps each thread's last allocation; a free of
 * exactly that address by that thread is a temporary.  Unlike a time limit,
 * the count is the same on every run of a deterministic program. */
#include <stdlib.h>

#include "model_temporary.h"
#include "xalloc.h"

static size_t slot_of(const struct mta_model *m, uint32_t tid)
{
    size_t mask = m->tid_last_cap - 1, i = (tid * 0x9e3779b1u) & mask;
    while (m->tid_last[i].used && m->tid_last[i].tid != tid)
        i = (i + 1) & mask;
    return i;
}

static void grow(struct mta_model *m)
{
    struct mta_tid_last *old = m->tid_last;
    size_t old_cap = m->tid_last_cap;
    m->tid_last_cap = old_cap ? old_cap * 2 : 64;
    m->tid_last = mta_xcalloc(m->tid_last_cap, sizeof *m->tid_last);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used)
            m->tid_last[slot_of(m, old[i].tid)] = old[i];
    free(old);
}

void mta_temporary_on_alloc(struct mta_model *m, uint32_t tid, uint64_t ptr)
{
    if (2 * (m->tid_last_count + 1) > m->tid_last_cap)
        grow(m);
    struct mta_tid_last *t = &m->tid_last[slot_of(m, tid)];
    if (!t->used) {
        t->used = 1;
        t->tid = tid;
        m->tid_last_count++;
    }
    t->ptr = ptr;
}

int mta_temporary_on_free(struct mta_model *m, uint32_t tid, uint64_t ptr)
{
    if (!m->tid_last_cap)
        return 0;
    struct mta_tid_last *t = &m->tid_last[slot_of(m, tid)];
    if (!t->used || t->ptr != ptr || !ptr)
        return 0;
    t->ptr = 0; /* the next free of this address is not the same block */
    return 1;
}

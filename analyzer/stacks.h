/* Distinct call stacks of a trace.  The writer gives each thread its own
 * ids, so the same stack can arrive under several ids: they are merged by
 * content here.  Index 0 is "no stack recorded". */
#ifndef MTA_STACKS_H
#define MTA_STACKS_H

#include <stddef.h>
#include <stdint.h>

struct mta_stack {
    uint64_t *frames;
    unsigned n;
    uint64_t hash;
    int cut;      /* cut at the depth limit: the program had more frames */
};

struct mta_stacks {
    struct mta_stack *v;
    size_t n, cap;
    uint32_t *by_content; /* open addressing: index into v, 0 = empty */
    size_t content_cap;
    struct id_slot { uint64_t id; uint32_t index; } *by_id;
    size_t id_cap, id_count;
};

int mta_stacks_init(struct mta_stacks *s);
void mta_stacks_free(struct mta_stacks *s);
/* Records stack `id`; returns its index (merged with identical stacks), or
 * -1 (kept for callers; out of memory ends the process, see xalloc.h). */
int64_t mta_stacks_add(struct mta_stacks *s, uint64_t id, const uint64_t *frames, unsigned n);
/* Marks trace stack `id` (already added) as cut at the depth limit. */
void mta_stacks_set_cut(struct mta_stacks *s, uint64_t id);
/* The index of trace stack `id`, or 0 if the trace never defined it (yet).
 * Ids are resolved lazily by the model: see mta_stacks_bind. */
uint32_t mta_stacks_index(const struct mta_stacks *s, uint64_t id);

#endif

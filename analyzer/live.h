/* The blocks live at the current point of the trace: address -> block. */
#ifndef MTA_LIVE_H
#define MTA_LIVE_H

#include <stddef.h>
#include <stdint.h>

struct mta_block {
    uint64_t ptr;    /* 0 = empty slot */
    uint64_t size;
    uint64_t ns;     /* when it was allocated */
    uint32_t stack;  /* index in mta_stacks */
    uint8_t source;  /* enum mt_source */
    uint8_t kind;
    uint8_t verdict; /* 1 + enum mta_leak_class once the scan at exit has
                        classified it (leak_reach.c); 0: not classified */
    uint8_t outside; /* a tracing window closed (or mtrace-run detached)
                        while it was live: its free may have gone unseen,
                        so its fate is unknown, never a leak */
};

struct mta_live {
    struct mta_block *slots;
    size_t cap, count;
};

int mta_live_init(struct mta_live *l);
void mta_live_free(struct mta_live *l);
/* Inserts a block; if the address is already live, the old block is
 * replaced and copied to *replaced (returns 1), else returns 0.  Out of
 * memory ends the process (xalloc.h). */
int mta_live_put(struct mta_live *l, const struct mta_block *b, struct mta_block *replaced);
/* Starts fetching the slot `ptr` hashes to. */
void mta_live_prefetch(const struct mta_live *l, uint64_t ptr);
/* Removes the block at ptr into *out; returns 0 if it was not live. */
int mta_live_take(struct mta_live *l, uint64_t ptr, struct mta_block *out);
/* Is a block live at ptr? */
int mta_live_has(const struct mta_live *l, uint64_t ptr);
/* A copy of src into dst (dst is overwritten, not freed); returns 0. */
int mta_live_copy(struct mta_live *dst, const struct mta_live *src);

#endif

/* The walk both packing and unpacking make over a binary trace: which bytes
 * are chunk records (split into columns) and which are stored as they are.
 * Its decisions depend only on bytes already walked, so the unpacker, which
 * rebuilds those bytes first, makes the same ones. */
#ifndef MTA_PACK_WALK_H
#define MTA_PACK_WALK_H

#include <stdint.h>

/* Callbacks return 0, or -1 to stop the walk. */
struct mta_walk_ops {
    void *ctx;
    /* the next n bytes are stored as they are; when keep is not NULL (n is
     * then at most MT_HEADER_SIZE), they are also copied to keep */
    int (*raw)(void *ctx, uint64_t n, uint8_t *keep);
    /* the next n bytes are one chunk's records */
    int (*records)(void *ctx, uint64_t n);
};

/* Walks a file of `size` bytes.  0, or -1 if a callback failed. */
int mta_pack_walk(uint64_t size, const struct mta_walk_ops *ops);

#endif

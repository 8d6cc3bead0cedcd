/* The layout walk of packing (pack_walk.h), after the reader's scan_chunks:
 * the header page; then in ring mode a fixed array of slots, else chunks
 * back to back from byte 4096 by their size, a zero magic at a page boundary
 * being a page never initialised.  Anything that is not a plausible chunk
 * ends the walk: the rest of the file is stored as it is. */
#include <string.h>

#include "mtrace/format.h"
#include "pack_walk.h"

#define CHDR ((uint64_t)sizeof(struct mt_chunk_header))

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* One chunk at off, of at most `room` bytes (the file or slot ends there):
 * its header, its records, its unused tail.  *len = bytes walked; 1 if the
 * header is not a chunk's (then only the header was walked). */
static int walk_chunk(const struct mta_walk_ops *ops, uint64_t room, int is_ring, uint64_t off,
                      uint64_t *len)
{
    struct mt_chunk_header ch;
    int rc = ops->raw(ops->ctx, CHDR, (uint8_t *)&ch);
    if (rc)
        return rc;
    *len = CHDR;
    if (!is_ring && ch.magic == 0 && off % 4096 == 0) {
        /* a claim never initialised: look again at the next page */
        uint64_t n = min_u64(4096, room);
        *len = n;
        return ops->raw(ops->ctx, n - CHDR, NULL);
    }
    if (ch.magic != MT_CHUNK_MAGIC || ch.size < CHDR || ch.size % 8 || ch.used > ch.size - CHDR ||
        (is_ring && ch.size != room)) {
        if (!is_ring)
            return 1;
        *len = room; /* a ring slot never used, or being rewritten */
        return ops->raw(ops->ctx, room - CHDR, NULL);
    }
    uint64_t whole = min_u64(ch.size, room);
    uint64_t used = min_u64(ch.used, whole - CHDR);
    if ((rc = ops->records(ops->ctx, used)) || (rc = ops->raw(ops->ctx, whole - CHDR - used, NULL)))
        return rc;
    *len = whole;
    return 0;
}

int mta_pack_walk(uint64_t size, const struct mta_walk_ops *ops)
{
    uint8_t page[MT_HEADER_SIZE] = {0};
    uint64_t off = min_u64(size, MT_HEADER_SIZE);
    int rc = ops->raw(ops->ctx, off, page);
    if (rc)
        return rc;
    struct mt_file_header h;
    memcpy(&h, page, sizeof h);
    int is_trace = off == MT_HEADER_SIZE && !memcmp(h.magic, MT_FILE_MAGIC, 8) &&
                   h.header_size == MT_HEADER_SIZE;
    uint64_t slot = h.chunk_size;
    int is_ring = is_trace && (h.flags & MT_HDR_RING);
    if (is_ring && (slot < 4096 || slot % 4096))
        is_trace = 0;
    while (is_trace && off + (is_ring ? slot : CHDR) <= size) {
        uint64_t len = 0;
        rc = walk_chunk(ops, is_ring ? slot : size - off, is_ring, off, &len);
        off += len;
        if (rc == 1)
            break;
        if (rc)
            return rc;
    }
    return ops->raw(ops->ctx, size - off, NULL);
}

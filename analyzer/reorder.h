/* Reuses of an address that coarse timestamps put before the free.
 *
 * With more than one thread the shim reads the clock for every free but
 * only now and then for an allocation (MT_HDR_COARSE_TICKS): each thread's
 * stream is in order, and frees are in true order across threads, but an
 * allocation's stamp may be up to one coarse-clock tick old.  Merged by
 * time, an allocation of X by one thread can then land before another
 * thread's free of the block that was at X.  (An allocation always lands
 * before the free of its own block: that free was stamped later than the
 * allocation happened.)  The model parks such an allocation here, keyed by
 * address, until the free comes, and applies both in their true order.  An
 * allocation whose free never comes within MTA_REORDER_WINDOW_NS of merge
 * time is applied as it stands (it replaces the block there), exactly as
 * without parking. */
#ifndef MTA_REORDER_H
#define MTA_REORDER_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* Stamps are at most one coarse-clock tick (4 ms at HZ=250) old; a wide
 * margin costs only memory for the few parked events. */
#define MTA_REORDER_WINDOW_NS (50ull * 1000 * 1000)

struct mta_parked {
    uint64_t ptr;          /* 0: empty slot */
    uint8_t is_free;       /* else a parked allocation */
    uint8_t by_realloc;    /* free: as drop_live's by_realloc */
    uint32_t stack;        /* allocation: model stack index */
    uint64_t ns;
    uint64_t order;        /* arrival order: several events of one address
                              and kind wait first in, first out */
    uint32_t tid;
    struct mta_event ev;   /* allocation: the event (no text) */
};

struct mta_park {
    struct mta_parked *slots;
    size_t cap, n;
    uint64_t oldest_ns;    /* no parked event is older (a lower bound) */
    uint64_t arrivals;
};

void mta_park_free(struct mta_park *p);
/* The first parked free (is_free 1) or allocation (0) of ptr, or NULL. */
struct mta_parked *mta_park_find(const struct mta_park *p, uint64_t ptr, int is_free);
/* A slot for a new parked event of ptr (ptr, is_free, ns and order set, the
 * rest to fill), behind any of the same address and kind; NULL if out of
 * memory. */
struct mta_parked *mta_park_add(struct mta_park *p, uint64_t ptr, int is_free, uint64_t ns);
/* Removes e (from find or add) into *out. */
void mta_park_take(struct mta_park *p, struct mta_parked *e, struct mta_parked *out);
/* Removes every parked event older than `before` (UINT64_MAX: all) into a
 * new array *out, oldest first (the caller frees it); returns how many. */
size_t mta_park_drain(struct mta_park *p, uint64_t before, struct mta_parked **out);

#endif

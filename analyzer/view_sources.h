/* Where the memory came from, as plain data: requests per size band and
 * source with their totals, and each heap-layout event of the model's
 * timeline described (what kind, how many bytes, whether malloc made it).
 * The threshold history and the mappings at start are views of their own
 * (the model's thresholds; view_startup.h). */
#ifndef MTA_VIEW_SOURCES_H
#define MTA_VIEW_SOURCES_H

#include <stdint.h>

#include "model_core.h"

/* One request-size band: [min_size, max_size], or >= min_size (open). */
struct mta_band_row {
    uint64_t min_size, max_size;   /* max_size: 0 when open */
    int open;                      /* the last band: no upper bound */
    uint64_t requests[4], bytes[4];/* by enum mt_source */
    uint64_t total_requests;       /* all sources */
    uint64_t total_bytes;          /* all sources, capped at MTA_TOTAL_MAX */
};

struct mta_sources_view {
    struct mta_band_row bands[MTA_BANDS];
    uint64_t requests[4], bytes[4];  /* by source over all bands (bytes capped) */
    uint64_t largest_heap_request;   /* while the threshold now in force held */
};

/* Computes the view; it holds no memory of its own. */
void mta_sources_view_make(struct mta_sources_view *v, const struct mta_model *m);

/* The shape of one heap-layout event, for the renderers' choice of words. */
enum mta_step_shape {
    MTA_STEP_BREAK,       /* the program break moved: addr -> naddr */
    MTA_STEP_ARENA_HEAP,  /* a thread arena's heap: len reserved, nlen writable */
    MTA_STEP_MOVE,        /* mremap: addr (len) -> naddr (nlen) */
    MTA_STEP_MAP,         /* mmap or munmap of addr, len */
};

/* One event of the timeline, described. */
struct mta_heap_step {
    const struct mta_heap_event *ev;
    enum mta_step_shape shape;
    const char *kind;       /* "brk" | "mmap" | "munmap" | "mremap" | the op's name */
    int64_t bytes;          /* brk: signed growth; mremap: new size; others: length */
    int malloc_driven;      /* made by malloc or free, not by the program's own call */
};

struct mta_heap_step mta_heap_step_of(const struct mta_heap_event *h);

#endif

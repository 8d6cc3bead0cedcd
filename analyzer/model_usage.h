/* The model's record of usage over time (model_usage.c) and of who held
 * the peak: fed by model.c at every change of the live heap.
 *
 * Peak holders, exact in one pass: a site whose live bytes change is put
 * on a "dirty" list; when the live total reaches a new peak, only the
 * dirty sites copy their live totals into peak_bytes/peak_blocks.  Every
 * other site's copy is still right (it has not changed since the last
 * peak), so each site's peak_* is what it held at the peak's moment, at
 * O(1) amortised cost per event (heaptrack's peak tracker does the same
 * per site in its own way).
 *
 * Usage over time: at most MTA_USAGE_POINTS buckets of equal width; when
 * the trace outgrows them, neighbours merge and the width doubles, keeping
 * each bucket's highest live total, so no peak is lost whatever the trace
 * length.  Each bucket also keeps the stacks whose allocations grew the
 * live heap most within it (up to MTA_USAGE_RISERS, counted with the
 * space-saving algorithm: exact unless more stacks than that compete in one
 * bucket, then an over-estimate for the last one taken in). */
#ifndef MTA_MODEL_USAGE_H
#define MTA_MODEL_USAGE_H

#include <stdint.h>

#define MTA_USAGE_POINTS 1024
#define MTA_USAGE_RISERS 4

struct mta_riser {
    uint32_t stack;
    int64_t bytes;    /* net bytes this stack added within the bucket */
};

struct mta_usage_point {
    uint64_t ns;             /* when the bucket's highest live total was reached */
    uint64_t live_max;       /* that total */
    uint64_t src_max[4];     /* live bytes by enum mt_source at that moment */
    uint64_t brk_max;        /* the program break above its start, then */
    uint64_t live_end;       /* the live total when the bucket ended */
    uint64_t src_end[4];
    uint64_t brk_end;
    struct mta_riser risers[MTA_USAGE_RISERS];
    uint8_t used;
};

struct mta_usage {
    uint64_t width_ns;       /* each bucket covers [i * width, (i + 1) * width) */
    struct mta_usage_point p[MTA_USAGE_POINTS];
};

struct mta_model;

/* A block of `size` bytes from `source` and `stack` became live (+1) or
 * stopped being live (-1) at ns; the model's totals are already updated. */
void mta_usage_on_change(struct mta_model *m, uint64_t ns, uint32_t stack, unsigned source,
                         uint64_t size, int sign);
/* The program break moved (model_sources.c already updated brk_final). */
void mta_usage_on_brk(struct mta_model *m, uint64_t ns);
/* A site's live totals changed: for the peak holders. */
void mta_peak_touch(struct mta_model *m, uint32_t stack);
/* The live total is a new peak: copy the changed sites' totals. */
void mta_peak_reached(struct mta_model *m);

#endif

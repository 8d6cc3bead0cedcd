/* Usage over time as plain data: the model's bounded series (model_usage.h)
 * with its empty buckets left out, and the largest rises with the stack
 * that drove each.  The threshold changes are the model's own
 * (mta_model.thresholds). */
#ifndef MTA_VIEW_USAGE_H
#define MTA_VIEW_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "model_usage.h"

struct mta_model;

#define MTA_RISES 5

struct mta_rise {
    uint64_t ns;          /* when the bucket's highest total was reached */
    uint64_t from, to;    /* live bytes before the bucket, at its highest */
    uint32_t stack;       /* the stack that added most within it (0: none) */
    int64_t stack_bytes;  /* what it added */
};

struct mta_usage_view {
    uint64_t width_ns;               /* a bucket's width */
    const struct mta_usage_point *v; /* the buckets used, in time order */
    size_t n;
    struct mta_rise rises[MTA_RISES];/* the largest first */
    size_t nrises;
};

/* Free with mta_usage_view_free. */
void mta_usage_view_make(struct mta_usage_view *u, const struct mta_model *m);
void mta_usage_view_free(struct mta_usage_view *u);

#endif

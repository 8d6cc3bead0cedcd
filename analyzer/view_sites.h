/* The site ranker: the stacks of a model ranked by one cost, the largest
 * first.  Every "top N" list of the reports (leaks, unknown fate, most
 * calls, most bytes, temporaries, peak holders) is this view with another
 * cost, as perf's sort keys are one table. */
#ifndef MTA_VIEW_SITES_H
#define MTA_VIEW_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "leak_reach.h"

struct mta_model;
struct mta_site;

enum mta_cost {
    MTA_COST_LEAKED,     /* leak_bytes, then leak_blocks */
    MTA_COST_UNKNOWN,    /* unknown_bytes, then unknown_blocks */
    MTA_COST_CALLS,      /* allocs */
    MTA_COST_BYTES,      /* alloc_bytes */
    MTA_COST_TEMPORARY,  /* temporary, then allocs */
    MTA_COST_PEAK,       /* peak_bytes, then peak_blocks */
    MTA_COST_CLASS,      /* + enum mta_leak_class: cls_bytes[c], then cls_blocks[c] */
    MTA_COSTS = MTA_COST_CLASS + MTA_LEAK_CLASSES
};

/* The primary value of a cost for a site (bytes or calls). */
uint64_t mta_site_cost(const struct mta_site *s, enum mta_cost cost);
/* Indexes of the stacks whose cost is not 0, ranked (ties: the lower
 * index first).  *count is how many; caller frees.  Out of memory ends the
 * process (xalloc.h). */
uint32_t *mta_sites_ranked(const struct mta_model *m, enum mta_cost cost, size_t *count);
/* How many stacks have a cost (the length of the ranking, without sorting). */
size_t mta_sites_count(const struct mta_model *m, enum mta_cost cost);

/* A ranking cut to --top: the first n of total stacks with a cost. */
struct mta_ranking {
    enum mta_cost cost;
    uint32_t *stacks;
    size_t n, total;
};
/* top 0: all.  Free with mta_ranking_free. */
void mta_ranking_make(struct mta_ranking *r, const struct mta_model *m, enum mta_cost cost,
                      unsigned top);
void mta_ranking_free(struct mta_ranking *r);

#endif

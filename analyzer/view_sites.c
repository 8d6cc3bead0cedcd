/* The site ranker (view_sites.h). */
#include <stdlib.h>

#include "model.h"
#include "view_sites.h"
#include "xalloc.h"

uint64_t mta_site_cost(const struct mta_site *s, enum mta_cost cost)
{
    switch (cost) {
    case MTA_COST_LEAKED: return s->leak_bytes;
    case MTA_COST_UNKNOWN: return s->unknown_bytes;
    case MTA_COST_CALLS: return s->allocs;
    case MTA_COST_BYTES: return s->alloc_bytes;
    case MTA_COST_TEMPORARY: return s->temporary;
    case MTA_COST_PEAK: return s->peak_bytes;
    default: return cost >= MTA_COST_CLASS && cost < MTA_COSTS ? s->cls_bytes[cost - MTA_COST_CLASS]
                                                              : 0;
    }
}

/* The second key: blocks for byte costs, calls for temporaries. */
static uint64_t tie_cost(const struct mta_site *s, enum mta_cost cost)
{
    switch (cost) {
    case MTA_COST_LEAKED: return s->leak_blocks;
    case MTA_COST_UNKNOWN: return s->unknown_blocks;
    case MTA_COST_TEMPORARY: return s->allocs;
    case MTA_COST_PEAK: return s->peak_blocks;
    default: return cost >= MTA_COST_CLASS && cost < MTA_COSTS ? s->cls_blocks[cost - MTA_COST_CLASS]
                                                              : 0;
    }
}

/* Does the site belong in the ranking?  (Leaks by blocks: a leaked block
 * of 0 bytes is still a leak.) */
static int has_cost(const struct mta_site *s, enum mta_cost cost)
{
    switch (cost) {
    case MTA_COST_LEAKED: return s->leak_blocks != 0;
    case MTA_COST_UNKNOWN: return s->unknown_blocks != 0;
    case MTA_COST_PEAK: return s->peak_blocks != 0;
    default:
        if (cost >= MTA_COST_CLASS && cost < MTA_COSTS)
            return s->cls_blocks[cost - MTA_COST_CLASS] != 0;
        return mta_site_cost(s, cost) != 0;
    }
}

struct rank_ctx {
    const struct mta_site *sites;
    enum mta_cost cost;
};

static int by_cost(const void *a, const void *b, void *ctx)
{
    const struct rank_ctx *c = ctx;
    uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
    const struct mta_site *x = &c->sites[ia], *y = &c->sites[ib];
    uint64_t xv = mta_site_cost(x, c->cost), yv = mta_site_cost(y, c->cost);
    if (xv != yv)
        return xv > yv ? -1 : 1;
    xv = tie_cost(x, c->cost);
    yv = tie_cost(y, c->cost);
    if (xv != yv)
        return xv > yv ? -1 : 1;
    return ia < ib ? -1 : ia > ib;
}

static size_t site_limit(const struct mta_model *m)
{
    return m->stacks.n < m->sites_cap ? m->stacks.n : m->sites_cap;
}

uint32_t *mta_sites_ranked(const struct mta_model *m, enum mta_cost cost, size_t *count)
{
    size_t n = 0, limit = site_limit(m);
    uint32_t *v = mta_xmalloc((limit + 1) * sizeof *v);
    for (size_t i = 0; i < limit; i++)
        if (has_cost(&m->sites[i], cost))
            v[n++] = (uint32_t)i;
    struct rank_ctx ctx = {m->sites, cost};
    qsort_r(v, n, sizeof *v, by_cost, &ctx);
    *count = n;
    return v;
}

size_t mta_sites_count(const struct mta_model *m, enum mta_cost cost)
{
    size_t n = 0, limit = site_limit(m);
    for (size_t i = 0; i < limit; i++)
        n += has_cost(&m->sites[i], cost) != 0;
    return n;
}

void mta_ranking_make(struct mta_ranking *r, const struct mta_model *m, enum mta_cost cost,
                      unsigned top)
{
    r->cost = cost;
    r->stacks = mta_sites_ranked(m, cost, &r->total);
    r->n = top && top < r->total ? top : r->total;
}

void mta_ranking_free(struct mta_ranking *r)
{
    free(r->stacks);
    r->stacks = NULL;
    r->n = r->total = 0;
}

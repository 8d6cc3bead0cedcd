/* Usage over time and the holders of the peak (model_usage.h). */
#include <string.h>

#include "model_core.h"
#include "model_usage.h"
#include "xalloc.h"

#define FIRST_WIDTH_NS 1000ull /* 1 us: merged up as the trace goes on */

void mta_peak_touch(struct mta_model *m, uint32_t stack)
{
    struct mta_site *s = &m->sites[stack];
    if (s->peak_dirty)
        return;
    s->peak_dirty = 1;
    if (m->n_peak_dirty == m->peak_dirty_cap) {
        m->peak_dirty_cap = m->peak_dirty_cap ? m->peak_dirty_cap * 2 : 256;
        m->peak_dirty = mta_xreallocarray(m->peak_dirty, m->peak_dirty_cap, sizeof *m->peak_dirty);
    }
    m->peak_dirty[m->n_peak_dirty++] = stack;
}

void mta_peak_reached(struct mta_model *m)
{
    for (size_t i = 0; i < m->n_peak_dirty; i++) {
        struct mta_site *s = &m->sites[m->peak_dirty[i]];
        s->peak_bytes = s->live_bytes;
        s->peak_blocks = s->live_blocks;
        s->peak_dirty = 0;
    }
    m->n_peak_dirty = 0;
}

/* a + b held inside int64 (a hostile trace's sizes reach 2^62) */
static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* Two buckets' stacks as one: the same stack summed, the largest kept. */
static void merge_risers(struct mta_riser *into, const struct mta_riser *from)
{
    struct mta_riser all[2 * MTA_USAGE_RISERS];
    unsigned n = 0;
    for (unsigned i = 0; i < MTA_USAGE_RISERS; i++)
        if (into[i].stack)
            all[n++] = into[i];
    for (unsigned i = 0; i < MTA_USAGE_RISERS; i++) {
        if (!from[i].stack)
            continue;
        unsigned j = 0;
        while (j < n && all[j].stack != from[i].stack)
            j++;
        if (j < n)
            all[j].bytes = sat_add(all[j].bytes, from[i].bytes);
        else
            all[n++] = from[i];
    }
    memset(into, 0, MTA_USAGE_RISERS * sizeof *into);
    for (unsigned k = 0; k < MTA_USAGE_RISERS && n; k++) {
        unsigned best = 0;
        for (unsigned j = 1; j < n; j++)
            if (all[j].bytes > all[best].bytes ||
                (all[j].bytes == all[best].bytes && all[j].stack < all[best].stack))
                best = j;
        into[k] = all[best];
        all[best] = all[--n];
    }
}

/* Halves the resolution: bucket i and i+1 become bucket i / 2. */
static void compact(struct mta_usage *u)
{
    for (unsigned i = 0; i < MTA_USAGE_POINTS / 2; i++) {
        struct mta_usage_point a = u->p[2 * i], b = u->p[2 * i + 1];
        struct mta_usage_point *d = &u->p[i];
        if (!a.used) {
            *d = b;
            continue;
        }
        *d = a;
        if (!b.used)
            continue;
        if (b.live_max > a.live_max) {
            d->ns = b.ns;
            d->live_max = b.live_max;
            memcpy(d->src_max, b.src_max, sizeof d->src_max);
            d->brk_max = b.brk_max;
        }
        d->live_end = b.live_end;
        memcpy(d->src_end, b.src_end, sizeof d->src_end);
        d->brk_end = b.brk_end;
        merge_risers(d->risers, b.risers);
    }
    memset(&u->p[MTA_USAGE_POINTS / 2], 0, MTA_USAGE_POINTS / 2 * sizeof u->p[0]);
    u->width_ns *= 2;
}

/* The bucket of ns, merging buckets until it fits. */
static struct mta_usage_point *bucket(struct mta_model *m, uint64_t ns)
{
    if (!m->usage) {
        m->usage = mta_xcalloc(1, sizeof *m->usage);
        m->usage->width_ns = FIRST_WIDTH_NS;
    }
    struct mta_usage *u = m->usage;
    while (ns / u->width_ns >= MTA_USAGE_POINTS)
        compact(u);
    struct mta_usage_point *p = &u->p[ns / u->width_ns];
    if (!p->used) {
        p->used = 1;
        p->ns = ns;
        p->live_max = m->live_bytes;
        memcpy(p->src_max, m->live_by_source, sizeof p->src_max);
        p->brk_max = m->brk_final > m->brk_initial ? m->brk_final - m->brk_initial : 0;
    }
    return p;
}

/* Records the model's current totals in the bucket of ns. */
static struct mta_usage_point *record(struct mta_model *m, uint64_t ns)
{
    struct mta_usage_point *p = bucket(m, ns);
    uint64_t brk = m->brk_final > m->brk_initial ? m->brk_final - m->brk_initial : 0;
    if (m->live_bytes > p->live_max) {
        p->ns = ns;
        p->live_max = m->live_bytes;
        memcpy(p->src_max, m->live_by_source, sizeof p->src_max);
        p->brk_max = brk;
    }
    p->live_end = m->live_bytes;
    memcpy(p->src_end, m->live_by_source, sizeof p->src_end);
    p->brk_end = brk;
    return p;
}

/* Space-saving count of the net bytes a stack added in the bucket: a
 * stack not counted yet takes a free slot, else the smallest one's place
 * and count (an over-estimate, as the algorithm allows). */
static void count_riser(struct mta_usage_point *p, uint32_t stack, int64_t bytes)
{
    int slot = -1;
    for (int i = 0; i < MTA_USAGE_RISERS; i++) {
        struct mta_riser *r = &p->risers[i];
        if (r->stack == stack) {
            r->bytes = sat_add(r->bytes, bytes);
            return;
        }
        if (slot >= 0 && !p->risers[slot].stack)
            continue; /* a free slot is taken first */
        if (slot < 0 || !r->stack || r->bytes < p->risers[slot].bytes)
            slot = i;
    }
    if (bytes <= 0)
        return; /* a free from a stack not counted here raised nothing */
    struct mta_riser *r = &p->risers[slot];
    r->bytes = sat_add(r->stack ? r->bytes : 0, bytes);
    r->stack = stack;
}

void mta_usage_on_change(struct mta_model *m, uint64_t ns, uint32_t stack, unsigned source,
                         uint64_t size, int sign)
{
    (void)source;
    struct mta_usage_point *p = record(m, ns);
    if (stack && size <= (uint64_t)INT64_MAX)
        count_riser(p, stack, sign > 0 ? (int64_t)size : -(int64_t)size);
}

void mta_usage_on_brk(struct mta_model *m, uint64_t ns)
{
    record(m, ns);
}

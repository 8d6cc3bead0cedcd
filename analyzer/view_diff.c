/* The diff of two traces (view_diff.h). */
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "model.h"
#include "view_diff.h"
#include "xalloc.h"

struct keyed {
    char *key;
    uint64_t v[MTA_DIFF_METRICS];
};

static int by_key(const void *x, const void *y)
{
    return strcmp(((const struct keyed *)x)->key, ((const struct keyed *)y)->key);
}

/* Every stack of m with its metrics, sorted by key, stacks with one key
 * summed. */
static struct keyed *keyed_sites(const struct mta_model *m, struct mta_symbolizer *sym,
                                 const struct mta_report_opts *o, size_t *count)
{
    size_t limit = m->stacks.n < m->sites_cap ? m->stacks.n : m->sites_cap, n = 0;
    struct keyed *v = mta_xcalloc(limit + 1, sizeof *v);
    struct mta_frame *frames = mta_xmalloc(MT_MAX_DEPTH * 2 * sizeof *frames);
    struct mta_report_opts all = *o;
    all.max_frames = 0;
    for (size_t i = 0; i < limit; i++) {
        const struct mta_site *s = &m->sites[i];
        if (!s->allocs && !s->leak_blocks)
            continue;
        unsigned k = mta_stack_frames(sym, m, (uint32_t)i, &all, frames, MT_MAX_DEPTH * 2);
        char *key = mta_stack_key(frames, k);
        if (!key)
            mta_out_of_memory("the diff");
        v[n].key = key;
        v[n].v[MTA_DIFF_LEAKED] = s->leak_bytes;
        v[n].v[MTA_DIFF_PEAK] = s->peak_bytes;
        v[n].v[MTA_DIFF_CALLS] = s->allocs;
        v[n].v[MTA_DIFF_BYTES] = s->alloc_bytes;
        n++;
    }
    free(frames);
    qsort(v, n, sizeof *v, by_key);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out && !strcmp(v[out - 1].key, v[i].key)) {
            for (int k = 0; k < MTA_DIFF_METRICS; k++)
                v[out - 1].v[k] = mta_sat_sum(v[out - 1].v[k], v[i].v[k]);
            free(v[i].key);
        } else {
            v[out++] = v[i];
        }
    }
    *count = out;
    return v;
}

int64_t mta_diff_delta(const uint64_t *a, const uint64_t *b, enum mta_diff_metric k)
{
    uint64_t x = a[k] > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : a[k];
    uint64_t y = b[k] > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : b[k];
    return (int64_t)y - (int64_t)x;
}

const char *mta_diff_metric_name(enum mta_diff_metric k)
{
    static const char *names[] = {"leaked", "peak", "allocations", "bytes"};
    return k < MTA_DIFF_METRICS ? names[k] : "?";
}

static uint64_t magnitude(const struct mta_diff_row *r, enum mta_diff_metric k)
{
    int64_t d = mta_diff_delta(r->a, r->b, k);
    return d < 0 ? (uint64_t)-d : (uint64_t)d;
}

/* Leaked change first, then peak, bytes, calls; ties by key. */
static int by_change(const void *x, const void *y)
{
    const struct mta_diff_row *a = x, *b = y;
    static const enum mta_diff_metric order[] = {MTA_DIFF_LEAKED, MTA_DIFF_PEAK, MTA_DIFF_BYTES,
                                                 MTA_DIFF_CALLS};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint64_t ma = magnitude(a, order[i]), mb = magnitude(b, order[i]);
        if (ma != mb)
            return ma > mb ? -1 : 1;
    }
    return strcmp(a->key, b->key);
}

static void totals(uint64_t *t, const struct mta_model *m)
{
    t[MTA_DIFF_LEAKED] = m->leaked_bytes;
    t[MTA_DIFF_PEAK] = m->peak_bytes;
    t[MTA_DIFF_CALLS] = m->allocations;
    t[MTA_DIFF_BYTES] = m->bytes_allocated;
}

void mta_diff_make(struct mta_diff *d, const struct mta_model *a, struct mta_symbolizer *sa,
                   const struct mta_model *b, struct mta_symbolizer *sb,
                   const struct mta_report_opts *o)
{
    memset(d, 0, sizeof *d);
    totals(d->a, a);
    totals(d->b, b);
    size_t na, nb;
    struct keyed *ka = keyed_sites(a, sa, o, &na), *kb = keyed_sites(b, sb, o, &nb);
    d->v = mta_xcalloc(na + nb + 1, sizeof *d->v);
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(ka[i].key, kb[j].key);
        struct mta_diff_row r = {0};
        if (c <= 0) {
            r.key = ka[i].key;
            memcpy(r.a, ka[i++].v, sizeof r.a);
        }
        if (c >= 0) {
            if (r.key)
                free(kb[j].key);
            else
                r.key = kb[j].key;
            memcpy(r.b, kb[j++].v, sizeof r.b);
        }
        if (!memcmp(r.a, r.b, sizeof r.a)) {
            d->unchanged++;
            free(r.key);
            continue;
        }
        d->v[d->n++] = r;
    }
    free(ka);
    free(kb);
    qsort(d->v, d->n, sizeof *d->v, by_change);
}

void mta_diff_free(struct mta_diff *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].key);
    free(d->v);
    memset(d, 0, sizeof *d);
}

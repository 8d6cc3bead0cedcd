/* Usage over time (view_usage.h). */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "view_usage.h"
#include "xalloc.h"

/* Keeps r among the MTA_RISES largest, in order. */
static void offer_rise(struct mta_usage_view *u, const struct mta_rise *r)
{
    size_t i = u->nrises < MTA_RISES ? u->nrises++ : MTA_RISES;
    while (i > 0 && u->rises[i - 1].to - u->rises[i - 1].from < r->to - r->from) {
        if (i < MTA_RISES)
            u->rises[i] = u->rises[i - 1];
        i--;
    }
    if (i < MTA_RISES)
        u->rises[i] = *r;
}

void mta_usage_view_make(struct mta_usage_view *u, const struct mta_model *m)
{
    memset(u, 0, sizeof *u);
    if (!m->usage)
        return;
    struct mta_usage_point *v = mta_xmalloc(MTA_USAGE_POINTS * sizeof *v);
    uint64_t before = 0;
    for (size_t i = 0; i < MTA_USAGE_POINTS; i++) {
        const struct mta_usage_point *p = &m->usage->p[i];
        if (!p->used)
            continue;
        v[u->n++] = *p;
        if (p->live_max > before) {
            int driven = p->risers[0].stack && p->risers[0].bytes > 0;
            struct mta_rise r = {p->ns, before, p->live_max, driven ? p->risers[0].stack : 0,
                                 driven ? p->risers[0].bytes : 0};
            offer_rise(u, &r);
        }
        before = p->live_end;
    }
    u->v = v;
    u->width_ns = m->usage->width_ns;
}

void mta_usage_view_free(struct mta_usage_view *u)
{
    free((void *)u->v);
    memset(u, 0, sizeof *u);
}

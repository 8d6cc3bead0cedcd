/* Folded stacks, the input of flamegraph.pl, inferno and speedscope. */
#include <inttypes.h>

#include "render_views.h"

void mta_render_folded(FILE *out, const struct mta_folded *f)
{
    for (size_t i = 0; i < f->n; i++)
        fprintf(out, "%s %" PRIu64 "\n", f->v[i].frames, f->v[i].weight);
}

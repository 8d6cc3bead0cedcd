/* glibc's mmap threshold over the run, as text: its initial value
 * (default or set by a tunable), each change (the free of a larger
 * mmapped block, or mallopt) with the stack that allocated the freed
 * block, and what was served from a heap or by mmap while each value held.
 * It formats the model's threshold history (model.h) and computes nothing. */
#include "render_text.h"
#include "text_util.h"

static void print_stats(FILE *out, const struct mta_threshold_stats *st,
                        const struct mta_threshold_change *c)
{
    char a[32], b[32], x[32], y[32];
    if (!st->heap_max && !st->mmap_min)
        return;
    fprintf(out, "      while it held: largest request served by a heap %s%s, smallest by mmap %s%s\n",
            st->heap_max ? mta_commas(a, sizeof a, st->heap_max) : "none",
            st->heap_max ? " B" : "", st->mmap_min ? mta_commas(b, sizeof b, st->mmap_min) : "none",
            st->mmap_min ? " B" : "");
    if (c && (st->heap_between || st->mmap_between)) {
        uint64_t lo = c->old_value < c->new_value ? c->old_value : c->new_value;
        uint64_t hi = c->old_value < c->new_value ? c->new_value : c->old_value;
        fprintf(out, "      requests from %s to %s: %s served by a heap, %s by mmap\n",
                mta_human_bytes(x, sizeof x, lo), mta_human_bytes(y, sizeof y, hi),
                mta_commas(a, sizeof a, st->heap_between), mta_commas(b, sizeof b, st->mmap_between));
    }
}

void mta_report_threshold_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                               const struct mta_report_opts *o)
{
    char a[32], b[32], c[32];
    fprintf(out, "\nThe mmap threshold (requests at or above it get their own mapping)\n");
    fprintf(out, "  initial: %s (%llu bytes)%s\n", mta_human_bytes(a, sizeof a, m->threshold_initial),
            (unsigned long long)m->threshold_initial,
            m->threshold_by_tunable
                ? ", fixed by a malloc tunable in the environment (glibc will not move it)"
                : ", glibc's default, dynamic: raised when a larger mmapped block is freed");
    if (m->threshold_by_tunable && m->info.tunables)
        fprintf(out, "      settings: %s", m->info.tunables);
    print_stats(out, &m->initial_stats, NULL);
    for (size_t i = 0; i < m->n_thresholds; i++) {
        const struct mta_threshold_change *t = &m->thresholds[i];
        fprintf(out, "  at %.6f s: %s -> %s (%llu bytes)", (double)t->ns / 1e9,
                mta_human_bytes(a, sizeof a, t->old_value),
                mta_human_bytes(b, sizeof b, t->new_value), (unsigned long long)t->new_value);
        if (t->by_mallopt) {
            fprintf(out, " set by mallopt(M_MMAP_THRESHOLD); fixed from then on\n");
        } else if (t->freed_ptr) {
            fprintf(out, " after free(0x%llx), a %s-byte block allocated at:\n",
                    (unsigned long long)t->freed_ptr, mta_commas(c, sizeof c, t->freed_size));
            struct mta_frame frames[MT_MAX_DEPTH * 2];
            unsigned k = mta_stack_frames(sym, m, t->alloc_stack, o, frames,
                                          sizeof frames / sizeof frames[0]);
            for (unsigned j = 0; j < k && j < 4; j++)
                mta_print_frame(out, &frames[j], o);
        } else {
            fprintf(out, " after the free of an mmapped block the trace did not see allocated\n");
        }
        print_stats(out, &t->stats, t);
    }
}

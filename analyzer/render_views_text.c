/* The views in text, for people: peak holders, top allocators,
 * temporaries, usage over time, the diff. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render_views.h"
#include "text_util.h"

static void print_ranking(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o, enum mta_cost cost,
                          const char *what)
{
    struct mta_ranking r;
    mta_ranking_make(&r, m, cost, o->top);
    char a[32], b[32], c[32];
    for (size_t i = 0; i < r.n; i++) {
        const struct mta_site *s = &m->sites[r.stacks[i]];
        switch (cost) {
        case MTA_COST_PEAK:
            fprintf(out, "\n  %s#%zu  %s bytes in %s block%s%s at the peak\n", MTA_BOLD(o), i + 1,
                    mta_commas(a, sizeof a, s->peak_bytes), mta_commas(b, sizeof b, s->peak_blocks),
                    s->peak_blocks == 1 ? "" : "s", MTA_RESET(o));
            break;
        case MTA_COST_TEMPORARY:
            fprintf(out, "\n  %s#%zu  %s temporary%s of %s allocations (%.0f%%)\n", MTA_BOLD(o),
                    i + 1, mta_commas(a, sizeof a, s->temporary), MTA_RESET(o),
                    mta_commas(b, sizeof b, s->allocs),
                    s->allocs ? 100.0 * (double)s->temporary / (double)s->allocs : 0.0);
            break;
        default:
            fprintf(out, "\n  %s#%zu  %s calls, %s bytes%s  (%s still live at the end)\n",
                    MTA_BOLD(o), i + 1, mta_commas(a, sizeof a, s->allocs),
                    mta_commas(b, sizeof b, s->alloc_bytes), MTA_RESET(o),
                    mta_commas(c, sizeof c, s->live_bytes));
            break;
        }
        mta_print_stack(out, sym, m, r.stacks[i], o);
    }
    if (!r.total)
        fprintf(out, "  (no %s)\n", what);
    else if (r.n < r.total)
        fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", r.total - r.n);
    mta_ranking_free(&r);
}

void mta_render_peak_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    char a[32], b[32];
    fprintf(out, "%sPeak%s: %s bytes in %s blocks live at %.6f s; the stacks holding them then, "
            "largest first\n", MTA_BOLD(o), MTA_RESET(o), mta_commas(a, sizeof a, m->peak_bytes),
            mta_commas(b, sizeof b, m->peak_blocks), (double)m->peak_ns / 1e9);
    print_ranking(out, m, sym, o, MTA_COST_PEAK, "allocation");
}

void mta_render_allocators_text(FILE *out, const struct mta_model *m,
                                struct mta_symbolizer *sym, const struct mta_report_opts *o)
{
    fprintf(out, "%sMost calls%s: the stacks that allocated most often\n", MTA_BOLD(o),
            MTA_RESET(o));
    print_ranking(out, m, sym, o, MTA_COST_CALLS, "allocation");
    fprintf(out, "\n%sMost bytes%s: the stacks that allocated the most bytes\n", MTA_BOLD(o),
            MTA_RESET(o));
    print_ranking(out, m, sym, o, MTA_COST_BYTES, "allocation");
}

void mta_render_temporary_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                               const struct mta_report_opts *o)
{
    char a[32], b[32];
    fprintf(out, "%sTemporary allocations%s: %s of %s, freed by the allocating thread before "
            "it allocated again\n", MTA_BOLD(o), MTA_RESET(o),
            mta_commas(a, sizeof a, m->temporary), mta_commas(b, sizeof b, m->allocations));
    print_ranking(out, m, sym, o, MTA_COST_TEMPORARY, "temporary allocation");
}

/* A bar of width cells for v out of max. */
static void bar(FILE *out, uint64_t v, uint64_t max, int width)
{
    int n = max ? (int)((double)v / (double)max * width + 0.5) : 0;
    for (int i = 0; i < width; i++)
        fputc(i < n ? '#' : ' ', out);
}

void mta_render_usage_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o)
{
    struct mta_usage_view u;
    mta_usage_view_make(&u, m);
    char a[32], b[32], c[32], d[32], e[32];
    fprintf(out, "%sUsage over time%s: live heap at its highest in each of %zu intervals of "
            "%.6f s\n", MTA_BOLD(o), MTA_RESET(o), u.n, (double)u.width_ns / 1e9);
    fprintf(out, "  %12s %12s %12s %12s %12s %12s  \n", "time (s)", "live", "brk heap",
            "arenas", "mmap", "break moved");
    /* at most 40 rows: every k-th interval, with its highest in the group */
    size_t step = u.n > 40 ? (u.n + 39) / 40 : 1;
    for (size_t i = 0; i < u.n; i += step) {
        const struct mta_usage_point *best = &u.v[i];
        for (size_t j = i; j < i + step && j < u.n; j++)
            if (u.v[j].live_max > best->live_max)
                best = &u.v[j];
        fprintf(out, "  %12.6f %12s %12s %12s %12s %12s  ", (double)best->ns / 1e9,
                mta_human_bytes(a, sizeof a, best->live_max),
                mta_human_bytes(b, sizeof b, best->src_max[MT_SRC_BRK]),
                mta_human_bytes(c, sizeof c, best->src_max[MT_SRC_ARENA]),
                mta_human_bytes(d, sizeof d, best->src_max[MT_SRC_MMAP]),
                mta_human_bytes(e, sizeof e, best->brk_max));
        bar(out, best->live_max, m->peak_bytes, 24);
        fputc('\n', out);
    }
    fprintf(out, "\n%smmap threshold%s: %s at start", MTA_BOLD(o), MTA_RESET(o),
            mta_human_bytes(a, sizeof a, m->threshold_initial));
    for (size_t i = 0; i < m->n_thresholds; i++)
        fprintf(out, "; %s at %.6f s", mta_human_bytes(a, sizeof a, m->thresholds[i].new_value),
                (double)m->thresholds[i].ns / 1e9);
    fputc('\n', out);
    fprintf(out, "\n%sLargest rises%s and the stack that added most in each\n", MTA_BOLD(o),
            MTA_RESET(o));
    for (size_t i = 0; i < u.nrises; i++) {
        const struct mta_rise *r = &u.rises[i];
        fprintf(out, "\n  %.6f s: %s -> %s", (double)r->ns / 1e9,
                mta_human_bytes(a, sizeof a, r->from), mta_human_bytes(b, sizeof b, r->to));
        if (r->stack) {
            fprintf(out, ", %s%s bytes from:\n", r->stack_bytes < 0 ? "-" : "+",
                    mta_commas(c, sizeof c, (uint64_t)(r->stack_bytes < 0 ? -r->stack_bytes
                                                                          : r->stack_bytes)));
            mta_print_stack(out, sym, m, r->stack, o);
        } else {
            fputc('\n', out);
        }
    }
    mta_usage_view_free(&u);
}

void mta_render_key_frames_text(FILE *out, const char *key, unsigned max,
                                const struct mta_report_opts *o)
{
    struct mta_key_frame f;
    for (unsigned shown = 0; (!max || shown < max) && mta_stack_key_next(&key, &f); shown++) {
        if (!f.function)
            fprintf(out, "      %s??%s  %s+0x%s\n", MTA_BOLD(o), MTA_RESET(o),
                    f.module ? mta_short_path(f.module) : "", f.offset ? f.offset : "");
        else if (f.file)
            fprintf(out, "      %s%s%s%s  %s:%d\n", MTA_BOLD(o), f.function, MTA_RESET(o),
                    f.inlined ? " (inlined)" : "", mta_short_path(f.file), f.line);
        else
            fprintf(out, "      %s%s%s%s\n", MTA_BOLD(o), f.function, MTA_RESET(o),
                    f.inlined ? " (inlined)" : "");
    }
}

static void signed_bytes(char *buf, size_t cap, int64_t d)
{
    char n[32];
    snprintf(buf, cap, "%s%s", d < 0 ? "-" : d > 0 ? "+" : "",
             mta_commas(n, sizeof n, d < 0 ? (uint64_t)-d : (uint64_t)d));
}

void mta_render_diff_text(FILE *out, const struct mta_diff *d, const char *a, const char *b,
                          const struct mta_report_opts *o)
{
    char x[40], y[40], z[40], w[40];
    fprintf(out, "%smtrace diff%s: %s -> %s\n", MTA_BOLD(o), MTA_RESET(o), a, b);
    fprintf(out, "  %-12s %16s %16s %16s\n", "", "before", "after", "change");
    for (int k = 0; k < MTA_DIFF_METRICS; k++) {
        signed_bytes(z, sizeof z, mta_diff_delta(d->a, d->b, (enum mta_diff_metric)k));
        fprintf(out, "  %-12s %16s %16s %16s\n", mta_diff_metric_name((enum mta_diff_metric)k),
                mta_commas(x, sizeof x, d->a[k]), mta_commas(y, sizeof y, d->b[k]), z);
    }
    fprintf(out, "\n%sChanged stacks%s, largest change first (%zu changed, %zu unchanged)\n",
            MTA_BOLD(o), MTA_RESET(o), d->n, d->unchanged);
    size_t shown = o->top && o->top < d->n ? o->top : d->n;
    for (size_t i = 0; i < shown; i++) {
        const struct mta_diff_row *r = &d->v[i];
        signed_bytes(x, sizeof x, mta_diff_delta(r->a, r->b, MTA_DIFF_LEAKED));
        signed_bytes(y, sizeof y, mta_diff_delta(r->a, r->b, MTA_DIFF_PEAK));
        signed_bytes(z, sizeof z, mta_diff_delta(r->a, r->b, MTA_DIFF_CALLS));
        signed_bytes(w, sizeof w, mta_diff_delta(r->a, r->b, MTA_DIFF_BYTES));
        fprintf(out, "\n  %s#%zu  leaked %s, peak %s, allocations %s, bytes %s%s\n",
                MTA_BOLD(o), i + 1, x, y, z, w, MTA_RESET(o));
        mta_render_key_frames_text(out, r->key, o->max_frames, o);
    }
    if (shown < d->n)
        fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", d->n - shown);
}

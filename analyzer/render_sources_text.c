/* "Where did the memory come from" for people (--sources): requests per
 * size band and source, the mmap threshold over time, the program-break /
 * chunk-mapping timeline, and the mappings present at start.  Formats the
 * sources view (view_sources.h) and nothing else. */
#include <stdlib.h>

#include "render_text.h"
#include "text_util.h"
#include "view_sources.h"

static void band_label(char *buf, size_t cap, const struct mta_band_row *row)
{
    char lo[32], hi[32];
    mta_human_bytes(lo, sizeof lo, row->min_size);
    if (!row->open)
        snprintf(buf, cap, "%s - %s", lo, mta_human_bytes(hi, sizeof hi, row->max_size + 1));
    else
        snprintf(buf, cap, ">= %s", lo);
}

static void print_top_frame(FILE *out, struct mta_symbolizer *sym, const struct mta_model *m,
                            uint32_t stack, const struct mta_report_opts *o, unsigned nframes)
{
    struct mta_frame frames[MT_MAX_DEPTH * 2];
    unsigned k = mta_stack_frames(sym, m, stack, o, frames, sizeof frames / sizeof frames[0]);
    if (k > nframes)
        k = nframes;
    for (unsigned i = 0; i < k; i++)
        mta_print_frame(out, &frames[i], o);
}

/* One line of the timeline: when, what, how many bytes, where, and which
 * call made it (with its top frames). */
static void print_event(FILE *out, struct mta_symbolizer *sym, const struct mta_model *m,
                        const struct mta_heap_step *s, const struct mta_report_opts *o)
{
    const struct mta_heap_event *h = s->ev;
    char a[32], b[32], c[32], num[40];
    uint64_t mag = (uint64_t)(s->bytes < 0 ? -s->bytes : s->bytes);
    snprintf(num, sizeof num, "%s%s", s->shape != MTA_STEP_BREAK ? "" : s->bytes < 0 ? "-" : "+",
             mta_commas(a, sizeof a, mag));
    fprintf(out, "  %.6f s  %-10s %14s  ", (double)h->ns / 1e9, s->kind, num);
    if (s->shape == MTA_STEP_BREAK)
        fprintf(out, "break 0x%llx -> 0x%llx", (unsigned long long)h->addr,
                (unsigned long long)h->naddr);
    else if (s->shape == MTA_STEP_ARENA_HEAP)
        fprintf(out, "0x%llx: %s reserved for a thread arena, %s writable so far",
                (unsigned long long)h->addr, mta_human_bytes(b, sizeof b, h->len),
                mta_human_bytes(c, sizeof c, h->nlen));
    else if (s->shape == MTA_STEP_MOVE)
        fprintf(out, "0x%llx (%s) -> 0x%llx", (unsigned long long)h->addr,
                mta_commas(b, sizeof b, h->len), (unsigned long long)h->naddr);
    else
        fprintf(out, "0x%llx", (unsigned long long)h->addr);
    fprintf(out, "  by %s%s\n", mta_cause_name(h->cause),
            h->cause == MT_CAUSE_APP ? " (the program's own call)" : "");
    if (h->stack)
        print_top_frame(out, sym, m, h->stack, o, 2);
}

void mta_report_sources_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                             const struct mta_report_opts *o)
{
    char a[32], b[32], c[32], d[32], label[64];
    struct mta_sources_view v;
    mta_sources_view_make(&v, m);
    fprintf(out, "Where the memory came from: %s\n\n", m->source_path ? m->source_path : "");
    fprintf(out, "Requests by size and source (brk heap = main arena; arena = thread arenas; "
                 "mmap = a dedicated mapping per block)\n");
    fprintf(out, "  %-22s %14s %14s %14s %12s\n", "request size", "brk heap", "thread arena",
            "mmap", "bytes");
    for (int band = 0; band < MTA_BANDS; band++) {
        const struct mta_band_row *row = &v.bands[band];
        if (!row->total_requests)
            continue;
        band_label(label, sizeof label, row);
        fprintf(out, "  %-22s %14s %14s %14s %12s\n", label,
                mta_commas(a, sizeof a, row->requests[MT_SRC_BRK]),
                mta_commas(b, sizeof b, row->requests[MT_SRC_ARENA]),
                mta_commas(c, sizeof c, row->requests[MT_SRC_MMAP]),
                mta_human_bytes(d, sizeof d, row->total_bytes));
    }

    mta_report_threshold_text(out, m, sym, o);

    fprintf(out, "\nProgram break and malloc's mappings, in order\n");
    fprintf(out, "  initial break 0x%llx\n", (unsigned long long)m->brk_initial);
    for (size_t i = 0; i < m->n_heap_events; i++) {
        struct mta_heap_step s = mta_heap_step_of(&m->heap_events[i]);
        print_event(out, sym, m, &s, o);
    }
    if (m->heap_events_dropped)
        fprintf(out, "  ... %llu more events not kept\n", (unsigned long long)m->heap_events_dropped);
    fprintf(out, "  final break 0x%llx (%+lld bytes since start)\n", (unsigned long long)m->brk_final,
            (long long)(m->brk_final - m->brk_initial));
    mta_report_startup_text(out, m, 0);
}

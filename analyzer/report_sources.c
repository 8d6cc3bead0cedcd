/* "Where did the memory come from": requests per size band and source, the
 * mmap threshold over time, and the program-break / chunk-mapping timeline. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "render_json.h"
#include "render_text.h"
#include "text_util.h"


/* "brk" | "mmap" | "munmap" | "mremap" (malloc-driven) or the app's own call */
static const char *event_kind(const struct mta_heap_event *h)
{
    if (h->type == MTA_EV_BRK)
        return "brk";
    switch (h->op) {
    case MT_MAP_CHUNK_MMAP: case MT_MAP_MMAP: return "mmap";
    case MT_MAP_CHUNK_MUNMAP: case MT_MAP_MUNMAP: return "munmap";
    case MT_MAP_CHUNK_MREMAP: case MT_MAP_MREMAP: return "mremap";
    default: return mta_map_op_name(h->op);
    }
}

/* brk: signed growth; mremap: new size; others: length */
static int64_t event_bytes(const struct mta_heap_event *h)
{
    if (h->type == MTA_EV_BRK)
        return (int64_t)(h->naddr - h->addr);
    if (h->op == MT_MAP_CHUNK_MREMAP || h->op == MT_MAP_MREMAP)
        return (int64_t)h->nlen;
    return (int64_t)h->len;
}

static void band_label(char *buf, size_t cap, int b)
{
    char lo[32], hi[32];
    mta_human_bytes(lo, sizeof lo, mta_band_lo[b]);
    if (b + 1 < MTA_BANDS)
        snprintf(buf, cap, "%s - %s", lo, mta_human_bytes(hi, sizeof hi, mta_band_lo[b + 1]));
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
                        const struct mta_heap_event *h, const struct mta_report_opts *o)
{
    char a[32], b[32], c[32], num[40];
    int64_t bytes = event_bytes(h);
    uint64_t mag = (uint64_t)(bytes < 0 ? -bytes : bytes);
    snprintf(num, sizeof num, "%s%s", h->type != MTA_EV_BRK ? "" : bytes < 0 ? "-" : "+",
             mta_commas(a, sizeof a, mag));
    fprintf(out, "  %.6f s  %-10s %14s  ", (double)h->ns / 1e9, event_kind(h), num);
    if (h->type == MTA_EV_BRK)
        fprintf(out, "break 0x%llx -> 0x%llx", (unsigned long long)h->addr,
                (unsigned long long)h->naddr);
    else if (h->op == MT_MAP_ARENA_HEAP)
        fprintf(out, "0x%llx: %s reserved for a thread arena, %s writable so far",
                (unsigned long long)h->addr, mta_human_bytes(b, sizeof b, h->len),
                mta_human_bytes(c, sizeof c, h->nlen));
    else if (h->op == MT_MAP_CHUNK_MREMAP || h->op == MT_MAP_MREMAP)
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
    fprintf(out, "Where the memory came from: %s\n\n", m->source_path ? m->source_path : "");
    fprintf(out, "Requests by size and source (brk heap = main arena; arena = thread arenas; "
                 "mmap = a dedicated mapping per block)\n");
    fprintf(out, "  %-22s %14s %14s %14s %12s\n", "request size", "brk heap", "thread arena",
            "mmap", "bytes");
    for (int band = 0; band < MTA_BANDS; band++) {
        uint64_t total = 0, bytes = 0;
        for (int s = 0; s < 4; s++) {
            total += m->band_requests[band][s];
            bytes = mta_sat_sum(bytes, m->band_bytes[band][s]);
        }
        if (!total)
            continue;
        band_label(label, sizeof label, band);
        fprintf(out, "  %-22s %14s %14s %14s %12s\n", label,
                mta_commas(a, sizeof a, m->band_requests[band][MT_SRC_BRK]),
                mta_commas(b, sizeof b, m->band_requests[band][MT_SRC_ARENA]),
                mta_commas(c, sizeof c, m->band_requests[band][MT_SRC_MMAP]),
                mta_human_bytes(d, sizeof d, bytes));
    }

    mta_report_threshold_text(out, m, sym, o);

    fprintf(out, "\nProgram break and malloc's mappings, in order\n");
    fprintf(out, "  initial break 0x%llx\n", (unsigned long long)m->brk_initial);
    for (size_t i = 0; i < m->n_heap_events; i++)
        print_event(out, sym, m, &m->heap_events[i], o);
    if (m->heap_events_dropped)
        fprintf(out, "  ... %llu more events not kept\n", (unsigned long long)m->heap_events_dropped);
    fprintf(out, "  final break 0x%llx (%+lld bytes since start)\n", (unsigned long long)m->brk_final,
            (long long)(m->brk_final - m->brk_initial));
    mta_report_startup_text(out, m, 0);
}

json_t *mta_sources_json(const struct mta_model *m, struct mta_symbolizer *sym,
                         const struct mta_report_opts *o)
{
    json_t *bands = json_array();
    for (int band = 0; band < MTA_BANDS; band++) {
        json_t *jb = json_pack("{s:I}", "min_size", (json_int_t)mta_band_lo[band]);
        if (band + 1 < MTA_BANDS)
            json_object_set_new(jb, "max_size", json_integer((json_int_t)mta_band_lo[band + 1] - 1));
        for (int s = 1; s < 4; s++)
            json_object_set_new(jb, mta_source_name((unsigned)s),
                                json_pack("{s:I,s:I}", "requests",
                                          (json_int_t)m->band_requests[band][s], "bytes",
                                          (json_int_t)m->band_bytes[band][s]));
        json_array_append_new(bands, jb);
    }
    json_t *thr = mta_threshold_json(m, sym, o);
    json_t *events = json_array();
    for (size_t i = 0; i < m->n_heap_events; i++) {
        const struct mta_heap_event *h = &m->heap_events[i];
        json_t *je = json_pack("{s:s,s:I,s:s,s:I,s:o,s:I}", "kind", event_kind(h), "bytes",
                               (json_int_t)event_bytes(h), "cause", mta_cause_name(h->cause),
                               "ns", (json_int_t)h->ns, "addr", mta_json_hex(h->addr),
                               "tid", (json_int_t)h->tid);
        if (h->type == MTA_EV_BRK)
            json_object_set_new(je, "new_break", mta_json_hex(h->naddr));
        if (h->type == MTA_EV_MAP) {
            json_object_set_new(je, "malloc_driven", json_boolean(h->op >= MT_MAP_CHUNK_MMAP));
            json_object_set_new(je, "length", json_integer((json_int_t)h->len));
            if (h->op == MT_MAP_ARENA_HEAP)
                json_object_set_new(je, "writable", json_integer((json_int_t)h->nlen));
            if (h->op == MT_MAP_CHUNK_MREMAP || h->op == MT_MAP_MREMAP)
                json_object_set_new(je, "new_addr", mta_json_hex(h->naddr));
        } else {
            json_object_set_new(je, "malloc_driven", json_boolean(h->cause != MT_CAUSE_APP));
        }
        if (h->stack)
            json_object_set_new(je, "frames", mta_json_frames(sym, m, h->stack, o));
        json_array_append_new(events, je);
    }
    json_t *bands_total = json_object();
    for (int s = 0; s < 4; s++) {
        uint64_t req = 0, bytes = 0;
        for (int band = 0; band < MTA_BANDS; band++) {
            req += m->band_requests[band][s];
            bytes = mta_sat_sum(bytes, m->band_bytes[band][s]);
        }
        json_object_set_new(bands_total, mta_source_name((unsigned)s),
                            json_pack("{s:I,s:I}", "requests", (json_int_t)req, "bytes",
                                      (json_int_t)bytes));
    }
    json_t *heaps = json_array();
    for (size_t i = 0; i < m->n_arena_heaps; i++) {
        const struct mta_arena_heap *ah = &m->arena_heaps[i];
        json_t *jh = json_pack("{s:o,s:I,s:I,s:I,s:I}", "base", mta_json_hex(ah->base), "size",
                               (json_int_t)ah->size, "writable", (json_int_t)ah->used, "ns",
                               (json_int_t)ah->ns, "tid", (json_int_t)ah->tid);
        if (ah->stack)
            json_object_set_new(jh, "frames", mta_json_frames(sym, m, ah->stack, o));
        json_array_append_new(heaps, jh);
    }
    return json_pack("{s:o,s:o,s:o,s:o,s:b,s:{s:o,s:o,s:o},s:I,s:I,s:o,s:o}", "totals",
                     bands_total, "bands", bands, "threshold", thr, "events", events,
                     "threshold_dynamic", m->threshold_dynamic, "brk", "initial",
                     mta_json_hex(m->brk_initial), "final", mta_json_hex(m->brk_final), "max",
                     mta_json_hex(m->brk_max), "events_not_kept",
                     (json_int_t)m->heap_events_dropped, "largest_heap_request",
                     (json_int_t)(m->n_thresholds ? m->thresholds[m->n_thresholds - 1].stats.heap_max
                                                  : m->initial_stats.heap_max), "arena_heaps", heaps, "startup",
                     mta_startup_json(m));
}

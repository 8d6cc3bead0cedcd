/* The report as JSON for programs (schema: docs/report-json.md): the
 * model's summary and each view's member, formatted; computes nothing. */
#include <jansson.h>

#include "render_json.h"
#include "render_views.h"
#include "view_leaks.h"

#define MTA_REPORT_SCHEMA_VERSION 1

/* Why recording stopped before the end (null: it did not). */
static json_t *stop_json(const struct mta_trace_info *in)
{
    if (!in->stop_reason)
        return json_null();
    char nb[32], why[160];
    return json_pack("{s:s,s:o,s:I,s:I,s:s}", "reason", mta_stop_reason_name(in->stop_reason),
        "errno", in->stop_errno ? json_string(mta_errno_name(nb, sizeof nb, in->stop_errno))
                                : json_null(),
        "bytes", (json_int_t)in->stop_bytes, "lost_events", (json_int_t)in->lost_events,
        "message", mta_stop_text(why, sizeof why, in->stop_reason, in->stop_errno));
}

static json_t *process_json(const struct mta_model *m)
{
    const struct mta_trace_info *in = &m->info;
    int signaled = in->end_state == MT_END_SIGNAL || in->end_state == MT_END_ABORT;
    json_t *p = json_pack("{s:I,s:I,s:o,s:o,s:o,s:s,s:i,s:o,s:I,s:I,s:I,s:b,s:I,s:I,s:o}",
        "pid", (json_int_t)in->pid, "ppid", (json_int_t)in->ppid,
        "cmdline", mta_json_str(in->cmdline), "exe", mta_json_str(in->exe),
        "tunables", mta_json_str(in->tunables),
        "end_state", mta_end_state_name(in->end_state), "end_code", in->end_code,
        "end_signal", mta_json_str(signaled ? mta_signal_name(in->end_code) : NULL),
        "duration_ns", (json_int_t)in->duration_ns, "lost_events", (json_int_t)in->lost_events,
        "tracer_allocations", (json_int_t)in->self_allocs,
        "finished", in->end_state != MT_END_RUNNING,
        "ring_bytes", (json_int_t)in->ring_bytes,
        "window_start_ns", (json_int_t)in->window_start_ns,
        "foreign_allocator", mta_json_str(in->foreign_allocator));
    if (p) {
        json_object_set_new(p, "stop", stop_json(in));
        json_object_set_new(p, "attached", json_boolean(in->flags & MT_HDR_ATTACHED));
        json_t *ws = json_array();
        for (size_t i = 0; i < m->n_windows; i++) {
            const struct mta_window *w = &m->windows[i];
            json_array_append_new(ws, json_pack("{s:I,s:I,s:I,s:I,s:I,s:b}",
                "start_ns", (json_int_t)w->start_ns, "end_ns", (json_int_t)w->end_ns,
                "allocations", (json_int_t)w->allocs, "bytes", (json_int_t)w->alloc_bytes,
                "frees", (json_int_t)w->frees, "open", w->open));
        }
        /* null for a trace without windows (tracing was on throughout) */
        json_object_set_new(p, "windows", m->windowed ? ws : json_null());
        if (!m->windowed)
            json_decref(ws);
    }
    return p;
}

static json_t *summary_json(const struct mta_model *m, const struct mta_leaks_view *lv)
{
    json_t *invalid = json_array();
    for (uint64_t i = 0; i < m->invalid_frees && i < MTA_INVALID_FREES_KEPT; i++)
        json_array_append_new(invalid, mta_json_hex(m->invalid_free_ptrs[i]));
    json_t *sum = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I,s:I}",
        "events", (json_int_t)m->events,
        "allocations", (json_int_t)m->allocations,
        "frees", (json_int_t)m->frees,
        "reallocs", (json_int_t)m->reallocs,
        "bytes_allocated", (json_int_t)m->bytes_allocated,
        "peak_bytes", (json_int_t)m->peak_bytes,
        "peak_blocks", (json_int_t)m->peak_blocks,
        "peak_ns", (json_int_t)m->peak_ns,
        "leaked_blocks", (json_int_t)m->leaked_blocks,
        "leaked_bytes", (json_int_t)m->leaked_bytes,
        "leak_stacks", (json_int_t)lv->lost.total,
        "untracked_frees", (json_int_t)m->untracked_frees,
        "distinct_stacks", (json_int_t)(m->stacks.n - 1),
        "complete", !m->fate_unknown,
        "unknown_blocks", (json_int_t)m->unknown_blocks,
        "unknown_bytes", (json_int_t)m->unknown_bytes,
        "unknown_stacks", (json_int_t)lv->unknown.total);
    if (sum) {
        json_object_set_new(sum, "invalid_frees", json_integer((json_int_t)m->invalid_frees));
        json_object_set_new(sum, "invalid_free_addresses", invalid);
        json_object_set_new(sum, "reordered_pairs", json_integer((json_int_t)m->reordered));
    } else {
        json_decref(invalid);
    }
    return sum;
}

static json_t *anomalies_json(const struct mta_model *m)
{
    const struct mta_anomalies *an = &m->anomalies;
    return json_pack("{s:I,s:I,s:I,s:I,s:b}",
        "allocations_of_live_address", (json_int_t)m->replaced_blocks,
        "frees_of_unknown_address", (json_int_t)m->untracked_frees,
        "allocations_at_null", (json_int_t)an->null_allocs,
        "impossible_sizes", (json_int_t)an->impossible_sizes,
        "totals_saturated", an->totals_saturated);
}

/* Leaks, or (unknown) blocks of unknown fate, by stack. */
static json_t *leaks_json(const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o, const struct mta_ranking *r,
                          int unknown)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const struct mta_site *s = &m->sites[r->stacks[i]];
        struct mta_frame frames[MT_MAX_DEPTH * 2];
        struct mta_stack_end end;
        mta_stack_frames_end(sym, m, r->stacks[i], o, frames, sizeof frames / sizeof frames[0],
                             &end);
        json_array_append_new(arr, json_pack("{s:I,s:I,s:I,s:I,s:o,s:i,s:b}",
            "blocks", (json_int_t)(unknown ? s->unknown_blocks : s->leak_blocks),
            "bytes", (json_int_t)(unknown ? s->unknown_bytes : s->leak_bytes),
            "allocations", (json_int_t)s->allocs, "stack", (json_int_t)r->stacks[i],
            "frames", mta_json_frames(sym, m, r->stacks[i], o),
            "more_frames", (int)end.more, "stack_cut", end.cut));
    }
    return arr;
}

/* Allocation sites, most allocations first: what each stack allocated and
 * how much of it was freed. */
static json_t *sites_json(const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    json_t *arr = json_array();
    struct mta_ranking r;
    mta_ranking_make(&r, m, MTA_COST_CALLS, o->top);
    for (size_t i = 0; i < r.n; i++) {
        const struct mta_site *s = &m->sites[r.stacks[i]];
        json_array_append_new(arr, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
            "allocations", (json_int_t)s->allocs, "bytes", (json_int_t)s->alloc_bytes,
            "frees", (json_int_t)s->frees, "live_blocks", (json_int_t)s->live_blocks,
            "temporary", (json_int_t)s->temporary, "stack", (json_int_t)r.stacks[i],
            "frames", mta_json_frames(sym, m, r.stacks[i], o)));
    }
    mta_ranking_free(&r);
    return arr;
}


int mta_report_json(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                    const struct mta_report_opts *o)
{
    struct mta_leaks_view lv;
    mta_leaks_view_make(&lv, m, o->top);
    json_t *root = json_pack("{s:s,s:i,s:{s:o,s:I,s:I,s:I,s:b},s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
                             "s:o,s:o}",
        "schema", "mtrace-report", "version", MTA_REPORT_SCHEMA_VERSION,
        "trace", "path", mta_json_str(m->source_path),
        "file_bytes", (json_int_t)m->info.file_bytes,
        "record_bytes", (json_int_t)m->info.record_bytes,
        "chunks", (json_int_t)m->info.chunks, "truncated", m->info.truncated,
        "process", process_json(m), "summary", summary_json(m, &lv),
        "leaks", leaks_json(m, sym, o, &lv.lost, 0),
        "unknown", leaks_json(m, sym, o, &lv.unknown, 1),
        "anomalies", anomalies_json(m), "sites", sites_json(m, sym, o),
        "leak_check", mta_leak_check_json(m, sym, o),
        "sources", mta_sources_json(m, sym, o),
        "maps", mta_maps_json(m, sym, o));
    mta_leaks_view_free(&lv);
    if (root) {
        json_object_set_new(root, "peak", mta_peak_json(m, sym, o));
        json_object_set_new(root, "allocators", mta_allocators_json(m, sym, o));
        json_object_set_new(root, "temporary", mta_temporary_json(m, sym, o));
        json_object_set_new(root, "usage", mta_usage_json(m, sym, o));
    }
    if (!root)
        return -1;
    json_object_set_new(root, "suppressions", o->supp ? mta_supp_json(o->supp) : json_array());
    json_object_set_new(root, "suppressed", json_pack("{s:I,s:I}",
        "blocks", (json_int_t)m->suppressed_blocks, "bytes", (json_int_t)m->suppressed_bytes));
    if (o->supp && o->supp->print) {
        json_t *pr = json_array();
        for (size_t i = 0; i < o->supp->nprinted; i++)
            json_array_append_new(pr, json_sprintf("leak:%s", o->supp->printed[i]));
        json_object_set_new(root, "suggested_suppressions", pr);
    }
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (fputc('\n', out) == EOF)
        rc = -1;
    json_decref(root);
    return rc;
}

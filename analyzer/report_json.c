/* The report as JSON for programs (schema: docs/report-json.md). */
#include <jansson.h>
#include <stdlib.h>

#include "report.h"

#define MTA_REPORT_SCHEMA_VERSION 1

json_t *mta_json_hex(uint64_t v);
json_t *mta_json_hex(uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *mta_json_frames(struct mta_symbolizer *sym, const struct mta_model *m, uint32_t stack,
                        const struct mta_report_opts *o);
json_t *mta_json_frames(struct mta_symbolizer *sym, const struct mta_model *m, uint32_t stack,
                        const struct mta_report_opts *o)
{
    struct mta_frame frames[MT_MAX_DEPTH * 2];
    unsigned k = mta_stack_frames(sym, m, stack, o, frames, sizeof frames / sizeof frames[0]);
    json_t *arr = json_array();
    for (unsigned i = 0; i < k; i++) {
        const struct mta_frame *f = &frames[i];
        json_array_append_new(arr, json_pack("{s:o,s:o,s:i,s:b,s:o,s:o}",
            "function", str_or_null(f->function), "file", str_or_null(f->file),
            "line", f->line, "inlined", f->inlined, "module", str_or_null(f->module),
            "address", mta_json_hex(f->address)));
    }
    return arr;
}

static json_t *process_json(const struct mta_model *m)
{
    const struct mta_trace_info *in = &m->info;
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:s,s:i,s:I,s:I,s:I,s:b,s:I,s:I}",
        "pid", (json_int_t)in->pid, "ppid", (json_int_t)in->ppid,
        "cmdline", str_or_null(in->cmdline), "exe", str_or_null(in->exe),
        "tunables", str_or_null(in->tunables),
        "end_state", mta_end_state_name(in->end_state), "end_code", in->end_code,
        "duration_ns", (json_int_t)in->duration_ns, "lost_events", (json_int_t)in->lost_events,
        "tracer_allocations", (json_int_t)in->self_allocs,
        "finished", in->end_state != MT_END_RUNNING,
        "ring_bytes", (json_int_t)in->ring_bytes,
        "window_start_ns", (json_int_t)in->window_start_ns);
}

static json_t *summary_json(const struct mta_model *m)
{
    size_t nsites;
    free(mta_leak_order(m, &nsites));
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
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
        "leak_stacks", (json_int_t)nsites,
        "untracked_frees", (json_int_t)m->untracked_frees,
        "distinct_stacks", (json_int_t)(m->stacks.n - 1));
}

static json_t *leaks_json(const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    size_t n;
    uint32_t *order = mta_leak_order(m, &n);
    json_t *arr = json_array();
    size_t shown = o->top && o->top < n ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct mta_site *s = &m->sites[order[i]];
        json_array_append_new(arr, json_pack("{s:I,s:I,s:I,s:I,s:o}",
            "blocks", (json_int_t)s->leak_blocks, "bytes", (json_int_t)s->leak_bytes,
            "allocations", (json_int_t)s->allocs, "stack", (json_int_t)order[i],
            "frames", mta_json_frames(sym, m, order[i], o)));
    }
    free(order);
    return arr;
}

static const struct mta_model *sites_model;

static int by_allocations(const void *a, const void *b)
{
    const struct mta_site *x = &sites_model->sites[*(const uint32_t *)a];
    const struct mta_site *y = &sites_model->sites[*(const uint32_t *)b];
    if (x->allocs != y->allocs)
        return x->allocs > y->allocs ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* Allocation sites, most allocations first: what each stack allocated and
 * how much of it was freed. */
static json_t *sites_json(const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    json_t *arr = json_array();
    size_t n = 0, limit = m->stacks.n < m->sites_cap ? m->stacks.n : m->sites_cap;
    uint32_t *v = malloc((limit + 1) * sizeof *v);
    if (!v)
        return arr;
    for (size_t i = 0; i < limit; i++)
        if (m->sites[i].allocs)
            v[n++] = (uint32_t)i;
    sites_model = m;
    qsort(v, n, sizeof *v, by_allocations);
    size_t shown = o->top && o->top < n ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct mta_site *s = &m->sites[v[i]];
        json_array_append_new(arr, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
            "allocations", (json_int_t)s->allocs, "bytes", (json_int_t)s->alloc_bytes,
            "frees", (json_int_t)s->frees, "live_blocks", (json_int_t)s->live_blocks,
            "temporary", (json_int_t)s->temporary, "stack", (json_int_t)v[i],
            "frames", mta_json_frames(sym, m, v[i], o)));
    }
    free(v);
    return arr;
}

json_t *mta_sources_json(const struct mta_model *m, struct mta_symbolizer *sym,
                         const struct mta_report_opts *o);
json_t *mta_leak_check_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o);
json_t *mta_maps_json(const struct mta_model *m, struct mta_symbolizer *sym,
                      const struct mta_report_opts *o);

int mta_report_json(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                    const struct mta_report_opts *o)
{
    json_t *root = json_pack("{s:s,s:i,s:{s:o,s:I,s:I,s:I,s:b},s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
        "schema", "mtrace-report", "version", MTA_REPORT_SCHEMA_VERSION,
        "trace", "path", str_or_null(m->source_path),
        "file_bytes", (json_int_t)m->info.file_bytes,
        "record_bytes", (json_int_t)m->info.record_bytes,
        "chunks", (json_int_t)m->info.chunks, "truncated", m->info.truncated,
        "process", process_json(m), "summary", summary_json(m),
        "leaks", leaks_json(m, sym, o), "sites", sites_json(m, sym, o),
        "leak_check", mta_leak_check_json(m, sym, o),
        "sources", mta_sources_json(m, sym, o),
        "maps", mta_maps_json(m, sym, o));
    if (!root)
        return -1;
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(root);
    return rc;
}

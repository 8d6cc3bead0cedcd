/* The views in JSON, for programs (docs/report-json.md): "peak",
 * "allocators", "temporary", "usage", and the diff's own document. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "render_views.h"

/* JSON integers are int64: a hostile trace's figures are capped there. */
static json_int_t uint_json(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

/* A ranking's stacks with the figures of its cost. */
static json_t *ranking_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o, enum mta_cost cost)
{
    struct mta_ranking r;
    mta_ranking_make(&r, m, cost, o->top);
    json_t *arr = json_array();
    for (size_t i = 0; i < r.n; i++) {
        const struct mta_site *s = &m->sites[r.stacks[i]];
        json_t *row;
        if (cost == MTA_COST_PEAK)
            row = json_pack("{s:I,s:I}", "bytes", uint_json(s->peak_bytes), "blocks",
                            uint_json(s->peak_blocks));
        else if (cost == MTA_COST_TEMPORARY)
            row = json_pack("{s:I,s:I}", "temporary", uint_json(s->temporary),
                            "allocations", uint_json(s->allocs));
        else
            row = json_pack("{s:I,s:I,s:I}", "allocations", uint_json(s->allocs), "bytes",
                            uint_json(s->alloc_bytes), "live_bytes", uint_json(s->live_bytes));
        json_object_set_new(row, "stack", json_integer((json_int_t)r.stacks[i]));
        json_object_set_new(row, "frames", mta_json_frames(sym, m, r.stacks[i], o));
        json_array_append_new(arr, row);
    }
    json_t *j = json_pack("{s:I,s:o}", "call_stacks", (json_int_t)r.total, "stacks", arr);
    mta_ranking_free(&r);
    return j;
}

json_t *mta_peak_json(const struct mta_model *m, struct mta_symbolizer *sym,
                      const struct mta_report_opts *o)
{
    json_t *j = json_pack("{s:I,s:I,s:I}", "bytes", uint_json(m->peak_bytes), "blocks",
                          uint_json(m->peak_blocks), "ns", uint_json(m->peak_ns));
    json_object_update_new(j, ranking_json(m, sym, o, MTA_COST_PEAK));
    return j;
}

json_t *mta_allocators_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o)
{
    return json_pack("{s:o,s:o}", "by_calls", ranking_json(m, sym, o, MTA_COST_CALLS),
                     "by_bytes", ranking_json(m, sym, o, MTA_COST_BYTES));
}

json_t *mta_temporary_json(const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o)
{
    json_t *j = json_pack("{s:I,s:I}", "temporary", uint_json(m->temporary), "allocations",
                          uint_json(m->allocations));
    json_object_update_new(j, ranking_json(m, sym, o, MTA_COST_TEMPORARY));
    return j;
}

static json_t *sources_json(const uint64_t *src)
{
    return json_pack("{s:I,s:I,s:I,s:I}", "unknown", uint_json(src[0]), "brk",
                     uint_json(src[MT_SRC_BRK]), "arena", uint_json(src[MT_SRC_ARENA]), "mmap",
                     uint_json(src[MT_SRC_MMAP]));
}

json_t *mta_usage_json(const struct mta_model *m, struct mta_symbolizer *sym,
                       const struct mta_report_opts *o)
{
    struct mta_usage_view u;
    mta_usage_view_make(&u, m);
    json_t *points = json_array(), *rises = json_array(), *thr = json_array();
    for (size_t i = 0; i < u.n; i++) {
        const struct mta_usage_point *p = &u.v[i];
        json_array_append_new(points, json_pack("{s:I,s:I,s:o,s:I,s:I,s:o,s:I}",
            "ns", uint_json(p->ns), "live", uint_json(p->live_max),
            "sources", sources_json(p->src_max), "break", uint_json(p->brk_max),
            "live_end", uint_json(p->live_end), "sources_end", sources_json(p->src_end),
            "break_end", uint_json(p->brk_end)));
    }
    for (size_t i = 0; i < u.nrises; i++) {
        const struct mta_rise *r = &u.rises[i];
        json_array_append_new(rises, json_pack("{s:I,s:I,s:I,s:I,s:o}", "ns", uint_json(r->ns),
            "from", uint_json(r->from), "to", uint_json(r->to),
            "stack_bytes", (json_int_t)r->stack_bytes,
            "frames", r->stack ? mta_json_frames(sym, m, r->stack, o) : json_array()));
    }
    json_array_append_new(thr, json_pack("{s:I,s:I}", "ns", (json_int_t)0, "value",
                                         uint_json(m->threshold_initial)));
    for (size_t i = 0; i < m->n_thresholds; i++)
        json_array_append_new(thr, json_pack("{s:I,s:I}", "ns", uint_json(m->thresholds[i].ns),
                                             "value", uint_json(m->thresholds[i].new_value)));
    json_t *j = json_pack("{s:I,s:I,s:o,s:o,s:o}", "interval_ns", uint_json(u.width_ns),
                          "duration_ns", uint_json(m->last_ns), "points", points,
                          "threshold", thr, "rises", rises);
    mta_usage_view_free(&u);
    return j;
}

/* [{function, file, line, inlined}] from a stack key (unnamed frames:
 * {function: null, module, offset}) */
static json_t *key_frames_json(const char *key)
{
    json_t *arr = json_array();
    struct mta_key_frame f;
    while (mta_stack_key_next(&key, &f)) {
        if (!f.function)
            json_array_append_new(arr, json_pack("{s:n,s:o,s:o}", "function", "module",
                                                 mta_json_str(f.module), "offset",
                                                 mta_json_str(f.offset)));
        else
            json_array_append_new(arr, json_pack("{s:o,s:o,s:i,s:b}", "function",
                                                 mta_json_str(f.function), "file",
                                                 mta_json_str(f.file), "line", f.line,
                                                 "inlined", f.inlined));
    }
    return arr;
}

static json_t *metrics_json(const uint64_t *v)
{
    json_t *j = json_object();
    for (int k = 0; k < MTA_DIFF_METRICS; k++)
        json_object_set_new(j, mta_diff_metric_name((enum mta_diff_metric)k),
                            json_integer((json_int_t)(v[k] > INT64_MAX ? INT64_MAX : v[k])));
    return j;
}

static json_t *change_json(const uint64_t *a, const uint64_t *b)
{
    json_t *j = json_object();
    for (int k = 0; k < MTA_DIFF_METRICS; k++)
        json_object_set_new(j, mta_diff_metric_name((enum mta_diff_metric)k),
                            json_integer(mta_diff_delta(a, b, (enum mta_diff_metric)k)));
    return j;
}

int mta_render_diff_json(FILE *out, const struct mta_diff *d, const char *a, const char *b)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const struct mta_diff_row *r = &d->v[i];
        json_array_append_new(rows, json_pack("{s:o,s:o,s:o,s:o}", "before", metrics_json(r->a),
                                              "after", metrics_json(r->b), "change",
                                              change_json(r->a, r->b), "frames",
                                              key_frames_json(r->key)));
    }
    json_t *root = json_pack("{s:s,s:i,s:o,s:o,s:{s:o,s:o,s:o},s:I,s:o}", "schema",
                             "mtrace-diff", "version", 1, "before", mta_json_str(a), "after",
                             mta_json_str(b), "totals", "before", metrics_json(d->a), "after",
                             metrics_json(d->b), "change", change_json(d->a, d->b),
                             "unchanged_stacks", (json_int_t)d->unchanged, "stacks", rows);
    if (!root)
        return -1;
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (fputc('\n', out) == EOF)
        rc = -1;
    json_decref(root);
    return rc;
}

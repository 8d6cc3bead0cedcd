/* "sources" of the JSON report (docs/report-json.md): requests per size
 * band and source, the threshold, the timeline of heap-layout events, the
 * program break, thread-arena heaps and the mappings at start.  Formats
 * the sources view (view_sources.h) and nothing else. */
#include <jansson.h>

#include "render_json.h"
#include "view_sources.h"

static json_t *source_json(uint64_t requests, uint64_t bytes)
{
    return json_pack("{s:I,s:I}", "requests", (json_int_t)requests, "bytes", (json_int_t)bytes);
}

static json_t *bands_json(const struct mta_sources_view *v)
{
    json_t *bands = json_array();
    for (int band = 0; band < MTA_BANDS; band++) {
        const struct mta_band_row *row = &v->bands[band];
        json_t *jb = json_pack("{s:I}", "min_size", (json_int_t)row->min_size);
        if (!row->open)
            json_object_set_new(jb, "max_size", json_integer((json_int_t)row->max_size));
        for (int s = 1; s < 4; s++)
            json_object_set_new(jb, mta_source_name((unsigned)s),
                                source_json(row->requests[s], row->bytes[s]));
        json_array_append_new(bands, jb);
    }
    return bands;
}

static json_t *step_json(const struct mta_heap_step *s, const struct mta_model *m,
                         struct mta_symbolizer *sym, const struct mta_report_opts *o)
{
    const struct mta_heap_event *h = s->ev;
    json_t *je = json_pack("{s:s,s:I,s:s,s:I,s:o,s:I}", "kind", s->kind, "bytes",
                           (json_int_t)s->bytes, "cause", mta_cause_name(h->cause),
                           "ns", (json_int_t)h->ns, "addr", mta_json_hex(h->addr),
                           "tid", (json_int_t)h->tid);
    if (s->shape == MTA_STEP_BREAK)
        json_object_set_new(je, "new_break", mta_json_hex(h->naddr));
    json_object_set_new(je, "malloc_driven", json_boolean(s->malloc_driven));
    if (s->shape != MTA_STEP_BREAK) {
        json_object_set_new(je, "length", json_integer((json_int_t)h->len));
        if (s->shape == MTA_STEP_ARENA_HEAP)
            json_object_set_new(je, "writable", json_integer((json_int_t)h->nlen));
        if (s->shape == MTA_STEP_MOVE)
            json_object_set_new(je, "new_addr", mta_json_hex(h->naddr));
    }
    if (h->stack)
        json_object_set_new(je, "frames", mta_json_frames(sym, m, h->stack, o));
    return je;
}

static json_t *arena_heaps_json(const struct mta_model *m, struct mta_symbolizer *sym,
                                const struct mta_report_opts *o)
{
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
    return heaps;
}

json_t *mta_sources_json(const struct mta_model *m, struct mta_symbolizer *sym,
                         const struct mta_report_opts *o)
{
    struct mta_sources_view v;
    mta_sources_view_make(&v, m);
    json_t *bands = bands_json(&v);
    json_t *thr = mta_threshold_json(m, sym, o);
    json_t *events = json_array();
    for (size_t i = 0; i < m->n_heap_events; i++) {
        struct mta_heap_step s = mta_heap_step_of(&m->heap_events[i]);
        json_array_append_new(events, step_json(&s, m, sym, o));
    }
    json_t *totals = json_object();
    for (int s = 0; s < 4; s++)
        json_object_set_new(totals, mta_source_name((unsigned)s),
                            source_json(v.requests[s], v.bytes[s]));
    json_t *heaps = arena_heaps_json(m, sym, o);
    return json_pack("{s:o,s:o,s:o,s:o,s:b,s:{s:o,s:o,s:o},s:I,s:I,s:o,s:o}", "totals",
                     totals, "bands", bands, "threshold", thr, "events", events,
                     "threshold_dynamic", m->threshold_dynamic, "brk", "initial",
                     mta_json_hex(m->brk_initial), "final", mta_json_hex(m->brk_final), "max",
                     mta_json_hex(m->brk_max), "events_not_kept",
                     (json_int_t)m->heap_events_dropped, "largest_heap_request",
                     (json_int_t)v.largest_heap_request, "arena_heaps", heaps, "startup",
                     mta_startup_json(m));
}

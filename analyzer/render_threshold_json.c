/* glibc's mmap threshold over the run, as the "threshold" member of the
 * JSON report (docs/report-json.md): the model's threshold history
 * (model.h), formatted. */
#include <jansson.h>

#include "json_util.h"
#include "render_json.h"

static void add_stats(json_t *jt, const struct mta_threshold_stats *st, int change)
{
    json_object_set_new(jt, "largest_heap_request", json_integer((json_int_t)st->heap_max));
    json_object_set_new(jt, "smallest_mmap_request", json_integer((json_int_t)st->mmap_min));
    if (change) {
        json_object_set_new(jt, "heap_requests_between",
                            json_integer((json_int_t)st->heap_between));
        json_object_set_new(jt, "mmap_requests_between",
                            json_integer((json_int_t)st->mmap_between));
    }
}

json_t *mta_threshold_json(const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o)
{
    json_t *thr = json_array();
    json_t *ji = json_pack("{s:I,s:I,s:s,s:s}", "ns", (json_int_t)0, "value",
                           (json_int_t)m->threshold_initial, "cause", "initial", "set_by",
                           m->threshold_by_tunable ? "tunable" : "default");
    add_stats(ji, &m->initial_stats, 0);
    json_array_append_new(thr, ji);
    for (size_t i = 0; i < m->n_thresholds; i++) {
        const struct mta_threshold_change *t = &m->thresholds[i];
        json_t *jt = json_pack("{s:I,s:I,s:I,s:s}", "ns", (json_int_t)t->ns, "value",
                               (json_int_t)t->new_value, "previous", (json_int_t)t->old_value,
                               "cause", t->by_mallopt ? "mallopt" : "free");
        if (t->freed_ptr) {
            json_object_set_new(jt, "freed_ptr", mta_json_hex(t->freed_ptr));
            json_object_set_new(jt, "freed_size", json_integer((json_int_t)t->freed_size));
            json_object_set_new(jt, "frames", mta_json_frames(sym, m, t->alloc_stack, o));
        }
        add_stats(jt, &t->stats, 1);
        json_array_append_new(thr, jt);
    }
    return thr;
}

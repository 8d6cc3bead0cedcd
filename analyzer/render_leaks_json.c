/* "leak_check" of the JSON report (docs/report-json.md): the verdict and
 * every class with its stacks, each class ranked by the site ranker
 * (view_sites.h) and cut to --top.  Formats; computes nothing. */
#include <jansson.h>

#include "render_json.h"

static json_t *class_json(const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o, unsigned c)
{
    struct mta_ranking r;
    mta_ranking_make(&r, m, (enum mta_cost)(MTA_COST_CLASS + c), o->top);
    json_t *stacks = json_array();
    for (size_t i = 0; i < r.n; i++) {
        const struct mta_site *s = &m->sites[r.stacks[i]];
        json_array_append_new(stacks, json_pack("{s:I,s:I,s:I,s:o}",
            "blocks", (json_int_t)s->cls_blocks[c], "bytes", (json_int_t)s->cls_bytes[c],
            "stack", (json_int_t)r.stacks[i], "frames", mta_json_frames(sym, m, r.stacks[i], o)));
    }
    json_t *jc = json_pack("{s:I,s:I,s:I,s:o}", "blocks", (json_int_t)m->cls_blocks[c],
                           "bytes", (json_int_t)m->cls_bytes[c], "call_stacks",
                           (json_int_t)r.total, "stacks", stacks);
    mta_ranking_free(&r);
    return jc;
}

json_t *mta_leak_check_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o)
{
    const struct mta_reach *r = &m->reach;
    json_t *classes = json_object();
    for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++)
        json_object_set_new(classes, mta_leak_class_key(c), class_json(m, sym, o, c));
    return json_pack("{s:b,s:b,s:o,s:I,s:I,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I}}",
        "conclusive", m->leak_inconclusive == NULL,
        "released_by_exec", m->info.end_state == MT_END_EXEC,
        "inconclusive_reason", m->leak_inconclusive ? json_string(m->leak_inconclusive)
                                                    : json_null(),
        "unfreed_blocks", (json_int_t)m->unfreed_blocks,
        "unfreed_bytes", (json_int_t)m->unfreed_bytes,
        "classes", classes,
        "scan", "time_ns", (json_int_t)(r->complete ? r->scan_ns : 0),
        "cost_ns", (json_int_t)r->cost_ns, "words", (json_int_t)r->words,
        "pointers", (json_int_t)r->pairs_claimed, "roots", (json_int_t)r->roots,
        "edges", (json_int_t)r->edges);
}

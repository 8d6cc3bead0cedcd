/* The page of a run (render_views.h): the process tree and the leaks of
 * all processes merged by stack (view_run.h), flame graphs of all
 * processes merged (frames alike: weights summed), then a section per
 * process as the page of one trace has, without its own flame graphs and
 * region map.  Bounded like that page: lists cut to --top (at most 50),
 * at most HTML_PROCESSES sections, flame graphs pruned. */
#include <stdlib.h>

#include "json_util.h"
#include "model.h"
#include "render_views.h"
#include "view_run.h"
#include "xalloc.h"

#define HTML_PROCESSES 16

enum { FLAME_ALLOCATED, FLAME_PEAK, FLAME_LEAKED, FLAMES };
static const enum mta_cost flame_cost[FLAMES] = {MTA_COST_BYTES, MTA_COST_PEAK,
                                                 MTA_COST_LEAKED};

struct mta_html_run {
    struct mta_report_opts page;
    struct mta_folded flames[FLAMES];
    json_t *sections;
    size_t processes;     /* added, with a section or not */
};

struct mta_html_run *mta_html_run_new(const struct mta_report_opts *o)
{
    struct mta_html_run *h = mta_xcalloc(1, sizeof *h);
    mta_html_page_opts(&h->page, o);
    h->sections = json_array();
    return h;
}

void mta_html_run_add(struct mta_html_run *h, const struct mta_model *m)
{
    struct mta_symbolizer *sym = mta_model_symbolizer(m, &h->page);
    for (int i = 0; i < FLAMES; i++) {
        struct mta_folded f;
        mta_folded_make(&f, m, sym, &h->page, flame_cost[i]);
        mta_folded_merge(&h->flames[i], &f);
    }
    if (h->processes++ < HTML_PROCESSES)
        json_array_append_new(h->sections, mta_html_process_data(m, sym, &h->page, 0));
    mta_sym_free(sym);
}

static json_t *tree_json(const struct mta_run *r)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < r->nrows; i++) {
        const struct mta_run_proc *p = &r->procs[r->rows[i].proc];
        json_array_append_new(rows, json_pack("{s:I,s:I,s:i,s:s,s:i,s:o,s:o,s:I,s:I,s:b}",
            "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid, "depth", r->rows[i].depth,
            "end", mta_end_state_name(p->end_state), "end_code", p->end_code,
            "image", mta_json_str(mta_run_image_name(p)), "cmdline", mta_json_str(p->cmdline),
            "leaked_bytes", (json_int_t)p->leaked_bytes,
            "leaked_blocks", (json_int_t)p->leaked_blocks, "inconclusive", !!p->inconclusive));
    }
    return rows;
}

static json_t *unread_json(const struct mta_run *r)
{
    json_t *v = json_array();
    for (size_t i = 0; i < r->n; i++)
        if (r->procs[i].rc)
            json_array_append_new(v, json_pack("{s:o,s:o}", "trace",
                mta_json_str(r->procs[i].path), "error", mta_json_str(r->procs[i].error)));
    return v;
}

static json_t *merged_json(const struct mta_run *r, unsigned top, unsigned max_frames)
{
    json_t *v = json_array();
    for (size_t i = 0; i < r->nmerged && (!top || i < top); i++) {
        const struct mta_run_merged *g = &r->merged[i];
        json_t *pids = json_array();
        for (size_t j = 0; j < g->npids; j++)
            json_array_append_new(pids, json_integer((json_int_t)g->pids[j]));
        unsigned n = g->first->nframes;
        if (max_frames && n > max_frames)
            n = max_frames;
        json_array_append_new(v, json_pack("{s:I,s:I,s:o,s:o}", "bytes", (json_int_t)g->bytes,
            "blocks", (json_int_t)g->blocks, "pids", pids,
            "frames", mta_json_frame_list(g->first->frames, n)));
    }
    return json_pack("{s:I,s:o}", "call_stacks", (json_int_t)r->nmerged, "stacks", v);
}

int mta_html_run_write(struct mta_html_run *h, FILE *out, const struct mta_run *r)
{
    json_t *flames = json_pack("{s:o,s:o,s:o}",
        "allocated", mta_html_flame_json(&h->flames[FLAME_ALLOCATED]),
        "leaked", mta_html_flame_json(&h->flames[FLAME_LEAKED]),
        "peak", mta_html_flame_json(&h->flames[FLAME_PEAK]));
    json_t *run = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:o}",
        "images", (json_int_t)r->good, "leaking", (json_int_t)r->leaking,
        "leaked_bytes", (json_int_t)r->leaked_bytes,
        "leaked_blocks", (json_int_t)r->leaked_blocks, "processes", tree_json(r),
        "unread", unread_json(r), "leaks", merged_json(r, h->page.top, h->page.max_frames));
    json_t *data = json_pack("{s:o,s:o,s:o,s:I}", "run", run, "flames", flames,
                             "processes", h->sections,
                             "processes_left_out",
                             (json_int_t)(h->processes > HTML_PROCESSES
                                              ? h->processes - HTML_PROCESSES : 0));
    char title[128];
    snprintf(title, sizeof title, "run of %s (%zu process image%s)",
             r->good ? mta_run_image_name(&r->procs[0]) : "?", r->good,
             r->good == 1 ? "" : "s");
    int rc = mta_html_write_page(out, title, data);
    for (int i = 0; i < FLAMES; i++)
        mta_folded_free(&h->flames[i]);
    free(h);
    return rc;
}

/* The run as JSON (docs/report-json.md, "A run"): the processes with their
 * leak stacks, the pids that exec'd an untraced program, the leaks of all
 * processes merged by stack, the suppressions. */
#include <jansson.h>

#include "errors.h"
#include "fmt.h"
#include "json_util.h"
#include "render_run.h"
#include "suppress.h"
#include "trace.h"

static json_t *proc_json(const struct mta_run_proc *p)
{
    if (p->rc)
        return json_pack("{s:o,s:o,s:i}", "trace", mta_json_str(p->path),
                         "error", mta_json_str(p->error ? p->error : ""), "status", p->rc);
    json_t *pl = json_array();
    for (size_t j = 0; j < p->nleaks; j++)
        json_array_append_new(pl, json_pack("{s:I,s:I,s:I,s:o}",
            "bytes", (json_int_t)p->leaks[j].bytes, "blocks", (json_int_t)p->leaks[j].blocks,
            "allocations", (json_int_t)p->leaks[j].allocs,
            "frames", mta_json_frame_list(p->leaks[j].frames, p->leaks[j].nframes)));
    return json_pack(
        "{s:o,s:I,s:I,s:o,s:o,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:o}",
        "trace", mta_json_str(p->path), "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid,
        "exe", mta_json_str(p->exe), "cmdline", mta_json_str(p->cmdline),
        "end_state", mta_end_state_name(p->end_state), "end_code", p->end_code,
        "lost_events", (json_int_t)p->lost_events,
        "leaked_bytes", (json_int_t)p->leaked_bytes,
        "leaked_blocks", (json_int_t)p->leaked_blocks,
        "released_at_exec_bytes", (json_int_t)p->exec_bytes,
        "released_at_exec_blocks", (json_int_t)p->exec_blocks, "leaks", pl);
}

int mta_render_run_json(FILE *out, const struct mta_run *r, const struct mta_report_opts *o)
{
    json_t *procs = json_array(), *leaks = json_array(), *untraced = json_array();
    for (size_t i = 0; i < r->n; i++) {
        json_array_append_new(procs, proc_json(&r->procs[i]));
        if (r->procs[i].untraced_exec)
            json_array_append_new(untraced, json_integer((json_int_t)r->procs[i].pid));
    }
    for (size_t i = 0; i < r->nmerged; i++) {
        const struct mta_run_merged *g = &r->merged[i];
        json_t *pids = json_array();
        for (size_t j = 0; j < g->npids; j++)
            json_array_append_new(pids, json_integer((json_int_t)g->pids[j]));
        json_array_append_new(leaks, json_pack("{s:I,s:I,s:o,s:o}",
            "bytes", (json_int_t)g->bytes, "blocks", (json_int_t)g->blocks, "pids", pids,
            "frames", mta_json_frame_list(g->first->frames, g->first->nframes)));
    }
    json_t *root = json_pack("{s:s,s:i,s:I,s:I,s:o,s:o,s:o}", "report", "mtrace-run",
                             "schema_version", 1, "leaked_bytes", (json_int_t)r->leaked_bytes,
                             "leaked_blocks", (json_int_t)r->leaked_blocks, "processes", procs,
                             "untraced_execs", untraced, "leaks", leaks);
    if (!root)
        return MTA_EXIT_INTERNAL;
    json_object_set_new(root, "suppressions", o->supp ? mta_supp_json(o->supp) : json_array());
    if (o->supp && o->supp->print) {
        json_t *pr = json_array();
        for (size_t i = 0; i < o->supp->nprinted; i++)
            json_array_append_new(pr, json_sprintf("leak:%s", o->supp->printed[i]));
        json_object_set_new(root, "suggested_suppressions", pr);
    }
    int rc = json_dumpf(root, out, JSON_INDENT(2)) ? MTA_EXIT_IO : 0;
    fputc('\n', out);
    json_decref(root);
    return rc;
}

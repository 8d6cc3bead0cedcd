/* The run command: builds the run view, renders it, and judges its gates
 * (--fail-on-leaks summed over the processes, --max-peak per process),
 * naming on stderr each process that made a gate fail. */
#include <stdio.h>

#include "cli_run.h"
#include "fmt.h"
#include "frames.h"
#include "render_run.h"
#include "render_views.h"
#include "suppress.h"
#include "view_run.h"

/* "mtrace-report: <what>: image pid N: B bytes; ..." for each process
 * whose `field` is not 0 */
static void name_processes(const struct mta_run *r, uint64_t (*field)(const struct mta_run_proc *))
{
    char a[32];
    for (size_t i = 0; i < r->n; i++)
        if (!r->procs[i].rc && field(&r->procs[i]))
            fprintf(stderr, " %s pid %llu: %s bytes;", mta_run_image_name(&r->procs[i]),
                    (unsigned long long)r->procs[i].pid,
                    mta_commas(a, sizeof a, field(&r->procs[i])));
    fputc('\n', stderr);
}

static uint64_t gate_bytes(const struct mta_run_proc *p)
{
    return p->gate_bytes;
}

static uint64_t leaked_bytes(const struct mta_run_proc *p)
{
    return p->leaked_bytes;
}

static int judge(const struct mta_run *r, const struct mta_report_opts *o, long long fail_over)
{
    char a[32], b[32];
    if (fail_over >= 0 && r->gate_bytes > (uint64_t)fail_over && o->leak_kinds) {
        fprintf(stderr, "mtrace-report: %s bytes of the --leak-kinds counted (limit %lld):",
                mta_commas(a, sizeof a, r->gate_bytes), fail_over);
        name_processes(r, gate_bytes);
        return MTA_EXIT_LEAKS;
    }
    if (fail_over >= 0 && r->leaked_bytes > (uint64_t)fail_over && !o->leak_kinds) {
        fprintf(stderr, "mtrace-report: %s bytes leaked in %s block%s (limit %lld):",
                mta_commas(a, sizeof a, r->leaked_bytes),
                mta_commas(b, sizeof b, r->leaked_blocks), r->leaked_blocks == 1 ? "" : "s",
                fail_over);
        name_processes(r, leaked_bytes);
        return MTA_EXIT_LEAKS;
    }
    if (o->max_peak_set) {
        int over = 0;
        for (size_t i = 0; i < r->n; i++) {
            const struct mta_run_proc *p = &r->procs[i];
            if (p->rc || p->peak_bytes <= (uint64_t)o->max_peak)
                continue;
            if (!over++)
                fprintf(stderr, "mtrace-report: peak live heap above --max-peak %lld:",
                        o->max_peak);
            fprintf(stderr, " %s pid %llu: %s bytes;", mta_run_image_name(p),
                    (unsigned long long)p->pid, mta_commas(a, sizeof a, p->peak_bytes));
        }
        if (over) {
            fputc('\n', stderr);
            return MTA_EXIT_LEAKS;
        }
    }
    if (r->read_rc)
        return r->read_rc;
    if (fail_over >= 0 && r->inconclusive) {
        fprintf(stderr, "mtrace-report: inconclusive: the leaks of");
        for (size_t i = 0; i < r->n; i++)
            if (!r->procs[i].rc && r->procs[i].inconclusive)
                fprintf(stderr, " %s pid %llu (%s);", mta_run_image_name(&r->procs[i]),
                        (unsigned long long)r->procs[i].pid, r->procs[i].inconclusive);
        fprintf(stderr, " are not known (the '?' rows count unfreed bytes)\n");
        return MTA_EXIT_INCONCLUSIVE;
    }
    if (fail_over >= 0 && r->untraced) {
        fprintf(stderr, "mtrace-report: inconclusive: a process exec'd a program that was not "
                "traced (statically linked, setuid, or LD_PRELOAD removed), so its leaks are "
                "unknown\n");
        return MTA_EXIT_INCONCLUSIVE;
    }
    return MTA_EXIT_OK;
}

/* The stderr line of each trace that could not be read. */
static void say_unread(const struct mta_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->procs[i].rc)
            fprintf(stderr, "mtrace-report: %s\n",
                    r->procs[i].error ? r->procs[i].error : r->procs[i].path);
}

int mta_report_run(FILE *out, char **paths, size_t np, const struct mta_report_opts *o, int json,
                   long long fail_over)
{
    struct mta_run r;
    mta_run_make(&r, paths, np, o, NULL, NULL);
    say_unread(&r);
    int rc = MTA_EXIT_OK;
    if (out) {
        if (json)
            rc = mta_render_run_json(out, &r, o);
        else
            mta_render_run_text(out, &r, o);
        if (!json && o->supp)
            mta_supp_report_text(out, o->supp);
    }
    if (rc == MTA_EXIT_INTERNAL)
        fprintf(stderr, "mtrace-report: out of memory\n");
    if (!rc)
        rc = judge(&r, o, fail_over);
    mta_run_free(&r);
    return rc;
}

struct folding {
    const struct mta_report_opts *o;
    enum mta_cost weight;
    struct mta_folded all;
};

static void fold_process(void *ctx, const struct mta_model *m, const struct mta_run_proc *p)
{
    struct folding *f = ctx;
    struct mta_folded one;
    struct mta_symbolizer *sym = mta_model_symbolizer(m, f->o);
    (void)p;
    mta_folded_make(&one, m, sym, f->o, f->weight);
    mta_folded_merge(&f->all, &one);
    mta_sym_free(sym);
}

int mta_report_run_folded(FILE *out, char **paths, size_t np, const struct mta_report_opts *o,
                          enum mta_cost weight, long long fail_over)
{
    struct folding f = {o, weight, {0}};
    struct mta_run r;
    mta_run_make(&r, paths, np, o, fold_process, &f);
    say_unread(&r);
    mta_render_folded(out, &f.all);
    mta_folded_free(&f.all);
    int rc = judge(&r, o, fail_over);
    mta_run_free(&r);
    return rc;
}

static void add_to_page(void *ctx, const struct mta_model *m, const struct mta_run_proc *p)
{
    (void)p;
    mta_html_run_add(ctx, m);
}

int mta_report_run_html(FILE *out, char **paths, size_t np, const struct mta_report_opts *o,
                        long long fail_over)
{
    struct mta_html_run *page = mta_html_run_new(o);
    struct mta_run r;
    mta_run_make(&r, paths, np, o, add_to_page, page);
    say_unread(&r);
    int rc = MTA_EXIT_OK;
    if (mta_html_run_write(page, out, &r) && !ferror(out)) {
        fprintf(stderr, "mtrace-report: internal error: the HTML page of the run could not be "
                "built\n");
        rc = MTA_EXIT_INTERNAL;
    }
    if (!rc)
        rc = judge(&r, o, fail_over);
    mta_run_free(&r);
    return rc;
}

/* The run as text: a line per process image in a tree, the exec notes,
 * the traces not read, the leaks of each process, and the leaks of all
 * processes merged by stack. */
#include <stdio.h>

#include "fmt.h"
#include "render_run.h"
#include "text_util.h"
#include "trace.h"


static void print_row(FILE *out, const struct mta_run_proc *p, int depth,
                      const struct mta_report_opts *o)
{
    char pid[64], st[48], lk[48], a[32];
    snprintf(pid, sizeof pid, "%*s%llu", depth * 2, "", (unsigned long long)p->pid);
    if (p->end_state == MT_END_EXEC)
        snprintf(lk, sizeof lk, "- (exec)");
    else
        snprintf(lk, sizeof lk, "%s%s", mta_commas(a, sizeof a, p->leaked_bytes),
                 p->inconclusive ? "?" : "");
    fprintf(out, "  %-12s %-8llu %-15s %s%14s%s  %s", pid, (unsigned long long)p->ppid,
            mta_ended_text(st, sizeof st, p->end_state, p->end_code), p->leaked_bytes ? MTA_RED(o) : "", lk,
            p->leaked_bytes ? MTA_RESET(o) : "", mta_run_image_name(p));
    if (p->cmdline && *p->cmdline)
        fprintf(out, "  %s(%s)%s", MTA_DIM(o), p->cmdline, MTA_RESET(o));
    fputc('\n', out);
}

static void print_frames(FILE *out, const struct mta_run_leak *l, const struct mta_report_opts *o)
{
    if (!l->nframes)
        fprintf(out, "      (no stack recorded)\n");
    for (unsigned j = 0; j < l->nframes; j++)
        mta_print_frame(out, &l->frames[j], o);
}

static void print_leak(FILE *out, size_t i, const struct mta_run_leak *l,
                       const struct mta_report_opts *o)
{
    char a[32], b[32];
    fprintf(out, "\n  %s#%zu  %s bytes in %s block%s%s  (%s allocated here in all)\n", MTA_RED(o),
            i + 1, mta_commas(a, sizeof a, l->bytes), mta_commas(b, sizeof b, l->blocks),
            l->blocks == 1 ? "" : "s", MTA_RESET(o), mta_commas(b, sizeof b, l->allocs));
    print_frames(out, l, o);
}

static void print_execs(FILE *out, const struct mta_run *r, const struct mta_report_opts *o)
{
    char a[32], b[32];
    int any_exec = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct mta_run_proc *p = &r->procs[i];
        if (p->rc || p->end_state != MT_END_EXEC)
            continue;
        if (!any_exec)
            fprintf(out, "\n");
        any_exec = 1;
        fprintf(out, "  pid %llu %s called exec with %s bytes in %s block%s live: released "
                "by the exec, not a leak\n", (unsigned long long)p->pid,
                mta_run_image_name(p), mta_commas(a, sizeof a, p->exec_bytes),
                mta_commas(b, sizeof b, p->exec_blocks), p->exec_blocks == 1 ? "" : "s");
        if (p->untraced_exec)
            fprintf(out, "  %spid %llu exec'd a program that was not traced%s (statically "
                    "linked, setuid, or LD_PRELOAD removed from its environment): its "
                    "leaks are unknown\n", MTA_RED(o), (unsigned long long)p->pid, MTA_RESET(o));
    }
}

static void print_process_leaks(FILE *out, const struct mta_run *r,
                                const struct mta_report_opts *o)
{
    char a[32], b[32];
    for (size_t i = 0; i < r->n; i++) {
        const struct mta_run_proc *p = &r->procs[i];
        if (p->rc || !p->nleaks)
            continue;
        fprintf(out, "\n%sLeaks of process %llu (%s)%s: %s bytes in %s block%s, largest first\n",
                MTA_BOLD(o), (unsigned long long)p->pid, mta_run_image_name(p), MTA_RESET(o),
                mta_commas(a, sizeof a, p->leaked_bytes), mta_commas(b, sizeof b, p->leaked_blocks),
                p->leaked_blocks == 1 ? "" : "s");
        size_t shown = o->top && o->top < p->nleaks ? o->top : p->nleaks;
        for (size_t j = 0; j < shown; j++)
            print_leak(out, j, &p->leaks[j], o);
        if (shown < p->nleaks)
            fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", p->nleaks - shown);
    }
}

static void print_merged(FILE *out, const struct mta_run *r, const struct mta_report_opts *o)
{
    char a[32], b[32];
    fprintf(out, "\n%sLeaks of all processes by call stack%s, largest first\n", MTA_BOLD(o),
            MTA_RESET(o));
    size_t shown = o->top && o->top < r->nmerged ? o->top : r->nmerged;
    for (size_t i = 0; i < shown; i++) {
        const struct mta_run_merged *g = &r->merged[i];
        fprintf(out, "\n  %s#%zu  %s bytes in %s block%s%s  in %zu process%s:", MTA_RED(o),
                i + 1, mta_commas(a, sizeof a, g->bytes), mta_commas(b, sizeof b, g->blocks),
                g->blocks == 1 ? "" : "s", MTA_RESET(o), g->npids, g->npids == 1 ? "" : "es");
        for (size_t j = 0; j < g->npids && j < 20; j++)
            fprintf(out, " %llu", (unsigned long long)g->pids[j]);
        fprintf(out, "%s\n", g->npids > 20 ? " ..." : "");
        print_frames(out, g->first, o);
    }
    if (shown < r->nmerged)
        fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", r->nmerged - shown);
}

void mta_render_run_text(FILE *out, const struct mta_run *r, const struct mta_report_opts *o)
{
    char a[32], b[32];
    size_t good = r->good;
    fprintf(out, "%smtrace run report%s: %zu process image%s", MTA_BOLD(o), MTA_RESET(o), good,
            good == 1 ? "" : "s");
    if (good)
        fprintf(out, " (first: %s, pid %llu)", mta_run_image_name(&r->procs[0]),
                (unsigned long long)r->procs[0].pid);
    fprintf(out, "\n  %sleaked %s bytes in %s block%s%s in %zu of %zu process image%s\n",
            r->leaked_bytes ? MTA_RED(o) : "", mta_commas(a, sizeof a, r->leaked_bytes),
            mta_commas(b, sizeof b, r->leaked_blocks), r->leaked_blocks == 1 ? "" : "s",
            MTA_RESET(o), r->leaking, good, good == 1 ? "" : "s");
    fprintf(out, "\n%sProcesses%s\n  %-12s %-8s %-15s %14s  %s\n", MTA_BOLD(o), MTA_RESET(o), "PID",
            "PARENT", "ENDED", "LEAKED BYTES", "IMAGE");
    for (size_t i = 0; i < r->nrows; i++)
        print_row(out, &r->procs[r->rows[i].proc], r->rows[i].depth, o);
    print_execs(out, r, o);
    for (size_t i = 0; i < r->n; i++)
        if (r->procs[i].rc)
            fprintf(out, "\n  %strace not read%s: %s\n", MTA_RED(o), MTA_RESET(o),
                    r->procs[i].error);
    print_process_leaks(out, r, o);
    if (r->leaking > 1)
        print_merged(out, r, o);
    if (!r->leaked_bytes)
        fprintf(out, "\n%sNo leaks%s in any process.\n", MTA_BOLD(o), MTA_RESET(o));
}

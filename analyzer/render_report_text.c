/* The default report for people: summary, where the memory came from, and
 * the leaks grouped by stack, largest first.  Formats the model's summary
 * and the leaks and sources views; computes nothing. */
#include <time.h>

#include "render_text.h"
#include "text_util.h"
#include "view_sites.h"
#include "view_sources.h"

static void print_header(FILE *out, const struct mta_model *m, const struct mta_report_opts *o)
{
    const struct mta_trace_info *in = &m->info;
    char b1[32], b2[32], b3[32];
    fprintf(out, "%smtrace report%s: %s (pid %llu)\n", MTA_BOLD(o), MTA_RESET(o),
            in->cmdline && *in->cmdline ? in->cmdline : (in->exe ? in->exe : "?"),
            (unsigned long long)in->pid);
    fprintf(out, "  ran %.3f s; ", (double)in->duration_ns / 1e9);
    switch (in->end_state) {
    case MT_END_EXIT: fprintf(out, "exited with status %d\n", in->end_code); break;
    case MT_END_EXEC: fprintf(out, "replaced by exec() (the new image has its own trace)\n"); break;
    case MT_END_DETACHED:
        fprintf(out, "mtrace-run detached; the process ran on untraced\n");
        break;
    case MT_END_ABORT: fprintf(out, "%saborted (SIGABRT)%s\n", MTA_RED(o), MTA_RESET(o)); break;
    case MT_END_UNDERSCORE_EXIT:
        fprintf(out, "ended by _exit(%d) (no exit handlers ran)\n", in->end_code);
        break;
    case MT_END_SIGNAL:
        if (mta_signal_name(in->end_code))
            fprintf(out, "%skilled by %s (signal %d)%s\n", MTA_RED(o), mta_signal_name(in->end_code),
                    in->end_code, MTA_RESET(o));
        else
            fprintf(out, "%skilled by signal %d%s\n", MTA_RED(o), in->end_code, MTA_RESET(o));
        break;
    default:
        fprintf(out, "%sdid not finish%s: no exit was recorded (killed with SIGKILL, crashed, "
                "or still running); the report covers every event committed before that\n",
                MTA_RED(o), MTA_RESET(o));
    }
    if (in->foreign_allocator)
        fprintf(out, "  %snot traced%s: malloc in this process was %s's, not mtrace's (it was "
                "preloaded before libmtrace.so, or is the program's own); no allocation "
                "passed through mtrace, so the figures below say nothing about leaks\n",
                MTA_RED(o), MTA_RESET(o), in->foreign_allocator);
    fprintf(out, "  trace: %s, %s of records, %s events\n",
            m->source_path ? m->source_path : "?", mta_human_bytes(b1, sizeof b1, in->record_bytes),
            mta_commas(b2, sizeof b2, m->events));
    if (in->ring_bytes) {
        fprintf(out, "  flight recorder (MTRACE_RING=%s): ", mta_human_bytes(b1, sizeof b1,
                                                                         in->ring_bytes));
        if (in->window_start_ns)
            fprintf(out, "the report covers %.3f s to %.3f s of the run; earlier events were "
                    "overwritten, so blocks allocated before %.3f s are not reported as leaks "
                    "and their frees count as untracked\n", (double)in->window_start_ns / 1e9,
                    (double)in->duration_ns / 1e9, (double)in->window_start_ns / 1e9);
        else
            fprintf(out, "nothing was overwritten; the report covers the whole run\n");
    }
    if (in->flags & MT_HDR_ATTACHED) {
        time_t at = (time_t)(in->start_realtime_ns / 1000000000u);
        struct tm tm;
        char when[64] = "?";
        if (localtime_r(&at, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(out, "  attached to the running process at %s (mtrace-run --pid): the report "
                "covers it from then on; blocks allocated before are not in the trace, never "
                "leaks, and their frees are counted apart\n", when);
    }
    if (m->windowed) {
        fprintf(out, "  tracing windows: %zu%s\n", m->n_windows,
                m->n_windows ? "; events outside them were not recorded" : " (tracing was "
                "never switched on)");
        for (size_t i = 0; i < m->n_windows; i++) {
            const struct mta_window *w = &m->windows[i];
            fprintf(out, "    window %zu: %.3f s to %.3f s%s: %s allocations (%s bytes), %s "
                    "frees\n", i + 1, (double)w->start_ns / 1e9, (double)w->end_ns / 1e9,
                    w->open ? " (open at the end)" : "",
                    mta_commas(b1, sizeof b1, w->allocs), mta_commas(b2, sizeof b2, w->alloc_bytes),
                    mta_commas(b3, sizeof b3, w->frees));
        }
    }
    if (in->stop_reason) {
        char why[160];
        fprintf(out, "  %swarning%s: recording stopped: %s after %s; %s later events lost\n",
                MTA_RED(o), MTA_RESET(o), mta_stop_text(why, sizeof why, in->stop_reason, in->stop_errno),
                mta_human_bytes(b1, sizeof b1, in->stop_bytes),
                mta_commas(b2, sizeof b2, in->lost_events));
    } else if (in->lost_events) {
        fprintf(out, "  %swarning%s: %s events were lost (%s)\n", MTA_RED(o), MTA_RESET(o),
                mta_commas(b2, sizeof b2, in->lost_events),
                in->ring_bytes ? "more threads wrote at once than MTRACE_RING holds chunks: "
                                 "raise MTRACE_RING or lower MTRACE_CHUNK"
                               : "the tracer had no room for them");
    }
    if (in->self_allocs)
        fprintf(out, "  %swarning%s: the tracer's own work made %llu calls into the program's "
                "malloc; the brk/mmap story may differ from an untraced run\n", MTA_RED(o), MTA_RESET(o),
                (unsigned long long)in->self_allocs);
    if (in->truncated)
        fprintf(out, "  %swarning%s: the file is shorter than its header says; later records "
                "are missing\n", MTA_RED(o), MTA_RESET(o));
}

static void print_summary(FILE *out, const struct mta_model *m, const struct mta_leaks_view *lv,
                          const struct mta_report_opts *o)
{
    char a[32], b[32];
    fprintf(out, "\n%sSummary%s\n", MTA_BOLD(o), MTA_RESET(o));
    fprintf(out, "  allocations   %14s   (%s requested)\n", mta_commas(a, sizeof a, m->allocations),
            mta_human_bytes(b, sizeof b, m->bytes_allocated));
    fprintf(out, "  frees         %14s\n", mta_commas(a, sizeof a, m->frees));
    fprintf(out, "  peak live     %14s bytes in %s blocks at %.3f s\n",
            mta_commas(a, sizeof a, m->peak_bytes), mta_commas(b, sizeof b, m->peak_blocks),
            (double)m->peak_ns / 1e9);
    mta_report_leak_summary_text(out, m, lv, o);
    if (m->invalid_frees) {
        fprintf(out, "  %sinvalid frees %14s%s   (addresses that were never heap blocks: a stack "
                "variable, a global...; e.g.", MTA_RED(o), mta_commas(a, sizeof a, m->invalid_frees),
                MTA_RESET(o));
        for (uint64_t i = 0; i < m->invalid_frees && i < 3; i++)
            fprintf(out, " 0x%llx", (unsigned long long)m->invalid_free_ptrs[i]);
        fprintf(out, ")\n");
    }
    if (!m->fate_unknown && m->unknown_blocks) {
        size_t nsites = mta_sites_count(m, MTA_COST_UNKNOWN);
        fprintf(out, "  unknown       %14s bytes in %s blocks from %zu call stacks: live when "
                "%s, so their frees went unseen (not leaks)\n",
                mta_commas(a, sizeof a, m->unknown_bytes),
                mta_commas(b, sizeof b, m->unknown_blocks), nsites,
                m->info.end_state == MT_END_DETACHED ? "mtrace-run detached or a window closed"
                                                     : "a tracing window closed");
    }
    if (m->fate_unknown) {
        fprintf(out, "  unknown       %14s bytes in %s blocks from %zu call stacks: live when "
                "the trace ends, but %s, so their frees may be missing (not leaks)\n",
                mta_commas(a, sizeof a, m->unknown_bytes),
                mta_commas(b, sizeof b, m->unknown_blocks), lv->unknown.total,
                mta_incomplete_reason(m));
    }
    if (m->untracked_frees)
        fprintf(out, "  frees of blocks allocated before %s: %s\n",
                m->info.window_start_ns ? "the window" : "tracing began",
                mta_commas(a, sizeof a, m->untracked_frees));
    const struct mta_anomalies *an = &m->anomalies;
    if (m->replaced_blocks || an->null_allocs || an->impossible_sizes || an->totals_saturated) {
        fprintf(out, "  %sanomalies%s:", MTA_RED(o), MTA_RESET(o));
        const char *sep = " ";
        if (m->replaced_blocks) {
            fprintf(out, "%s%s allocations of an address already live", sep,
                    mta_commas(a, sizeof a, m->replaced_blocks));
            sep = "; ";
        }
        if (an->null_allocs) {
            fprintf(out, "%s%s allocations at address 0 (ignored)", sep,
                    mta_commas(a, sizeof a, an->null_allocs));
            sep = "; ";
        }
        if (an->impossible_sizes) {
            fprintf(out, "%s%s allocations of 2^56 bytes or more", sep,
                    mta_commas(a, sizeof a, an->impossible_sizes));
            sep = "; ";
        }
        if (an->totals_saturated)
            fprintf(out, "%sbyte totals exceed 2^63-1 and are shown capped at %s", sep,
                    mta_commas(a, sizeof a, MTA_TOTAL_MAX));
        fprintf(out, "\n    (a trace of a real process has none: it was damaged or "
                "hand-made; totals above may be wrong)\n");
    }
}

/* Three lines that say where the memory came from; --sources has the rest. */
static void print_sources_brief(FILE *out, const struct mta_model *m,
                                const struct mta_report_opts *o)
{
    struct mta_sources_view v;
    mta_sources_view_make(&v, m);
    const uint64_t *req = v.requests, *bytes = v.bytes;
    char a[32], b[32];
    fprintf(out, "\n%sWhere the memory came from%s  (mtrace-report --sources for the timeline)\n",
            MTA_BOLD(o), MTA_RESET(o));
    static const char *what[4] = {"not glibc's malloc", "brk heap (main arena)",
                                  "thread arenas", "dedicated mmap"};
    for (int s = 1; s < 4; s++) {
        if (!req[s])
            continue;
        fprintf(out, "  %-22s %12s requests  %12s\n", what[s], mta_commas(a, sizeof a, req[s]),
                mta_human_bytes(b, sizeof b, bytes[s]));
    }
    if (req[0])
        fprintf(out, "  %-22s %12s requests  %12s\n", what[0], mta_commas(a, sizeof a, req[0]),
                mta_human_bytes(b, sizeof b, bytes[0]));
    if (m->brk_initial)
        fprintf(out, "  program break: grew by %s at most; %s above where it started at the end\n",
                mta_human_bytes(a, sizeof a, m->brk_max - m->brk_initial),
                mta_human_bytes(b, sizeof b, m->brk_final - m->brk_initial));
    fprintf(out, "  mmap threshold: %s at start", mta_human_bytes(a, sizeof a, m->threshold_initial));
    if (m->n_thresholds)
        fprintf(out, ", raised %zu time%s to %s", m->n_thresholds, m->n_thresholds == 1 ? "" : "s",
                mta_human_bytes(b, sizeof b, m->threshold_now));
    fputc('\n', out);
    mta_report_startup_text(out, m, 1);
}

/* Blocks of unknown fate (an incomplete trace) by stack. */
static void print_unknown(FILE *out, const struct mta_model *m, const struct mta_leaks_view *lv,
                          struct mta_symbolizer *sym, const struct mta_report_opts *o)
{
    const struct mta_ranking *r = &lv->unknown;
    if (!r->total)
        return;
    fprintf(out, "\n%sUnknown fate by call stack%s (live when the trace ends; %s), "
            "largest first\n", MTA_BOLD(o), MTA_RESET(o), mta_incomplete_reason(m));
    for (size_t i = 0; i < r->n; i++) {
        const struct mta_site *s = &m->sites[r->stacks[i]];
        char a[32], b[32];
        fprintf(out, "\n  #%zu  %s bytes in %s block%s", i + 1,
                mta_commas(a, sizeof a, s->unknown_bytes),
                mta_commas(b, sizeof b, s->unknown_blocks), s->unknown_blocks == 1 ? "" : "s");
        fprintf(out, "  (%s allocated here in all)\n", mta_commas(a, sizeof a, s->allocs));
        mta_print_stack(out, sym, m, r->stacks[i], o);
    }
    if (r->n < r->total)
        fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", r->total - r->n);
}

void mta_report_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                     const struct mta_report_opts *o)
{
    struct mta_leaks_view lv;
    mta_leaks_view_make(&lv, m, o->top);
    print_header(out, m, o);
    print_summary(out, m, &lv, o);
    print_sources_brief(out, m, o);
    mta_report_leaks_text(out, m, &lv, sym, o);
    if (m->fate_unknown)
        print_unknown(out, m, &lv, sym, o);
    mta_leaks_view_free(&lv);
    const char *w = mta_sym_warnings(sym);
    if (w && *w)
        fprintf(out, "\n%sSymbols%s\n%s", MTA_BOLD(o), MTA_RESET(o), w);
}

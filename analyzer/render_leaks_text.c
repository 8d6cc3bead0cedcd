/* The leak verdict for people: a summary line per class, and the lost
 * blocks (definitely and indirectly) grouped by stack, largest first.
 * Formats the leaks view (view_leaks.h) and nothing else. */
#include "render_text.h"
#include "text_util.h"

void mta_report_leak_summary_text(FILE *out, const struct mta_model *m,
                                  const struct mta_leaks_view *v, const struct mta_report_opts *o)
{
    char a[32], b[32];
    fprintf(out, "  unfreed       %14s bytes in %s blocks at %s\n",
            mta_commas(a, sizeof a, m->unfreed_bytes), mta_commas(b, sizeof b, m->unfreed_blocks),
            v->released ? "exec()" : "exit");
    switch (v->verdict) {
    case MTA_VERDICT_UNKNOWN:
        return; /* the "unknown" line says it (render_report_text.c) */
    case MTA_VERDICT_RELEASED:
        if (m->unfreed_blocks)
            fprintf(out, "    released by exec(): not leaks (the exec replaced this image "
                    "and its memory)\n");
        return;
    case MTA_VERDICT_INCONCLUSIVE:
        if (m->unfreed_blocks)
            fprintf(out, "  %sleak check inconclusive%s: %s; the unfreed blocks are listed "
                    "unclassified (lost or still reachable is not known)\n", MTA_RED(o), MTA_RESET(o),
                    m->leak_inconclusive);
        return;
    case MTA_VERDICT_CLASSIFIED:
        break;
    }
    for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++) {
        if (c == MTA_LEAK_UNSCANNED && !m->cls_blocks[c])
            continue;
        int bad = (c == MTA_LEAK_DEFINITE || c == MTA_LEAK_INDIRECT) && m->cls_blocks[c];
        fprintf(out, "    %s%-16s%s%12s bytes in %s blocks%s\n", bad ? MTA_RED(o) : "",
                mta_leak_class_name(c), c == MTA_LEAK_UNSCANNED ? "\n                  " : "",
                mta_commas(a, sizeof a, m->cls_bytes[c]), mta_commas(b, sizeof b, m->cls_blocks[c]),
                bad ? MTA_RESET(o) : "");
    }
    if (m->suppressed_blocks)
        fprintf(out, "    %-16s%12s bytes in %s blocks of those lost (a suppression matched "
                "their stack)\n", "suppressed", mta_commas(a, sizeof a, m->suppressed_bytes),
                mta_commas(b, sizeof b, m->suppressed_blocks));
    if (m->cls_blocks[MTA_LEAK_UNSCANNED])
        fprintf(out, "    (blocks allocated after the scan at exit, by destructors that ran "
                "later, are not classified)\n");
}

static void print_class_line(FILE *out, const struct mta_model *m,
                             const struct mta_leaks_view *v, unsigned cls)
{
    char a[32], b[32];
    if (m->cls_blocks[cls])
        fprintf(out, "  %s: %s bytes in %s blocks from %zu call stacks (--json lists them)\n",
                mta_leak_class_name(cls), mta_commas(a, sizeof a, m->cls_bytes[cls]),
                mta_commas(b, sizeof b, m->cls_blocks[cls]), v->class_stacks[cls]);
}

static void print_headline(FILE *out, const struct mta_model *m, const struct mta_leaks_view *v,
                           const struct mta_report_opts *o)
{
    switch (v->headline) {
    case MTA_HEADLINE_NONE_KNOWN:
        fprintf(out, "\n%sNo leaks known%s: %s, so blocks still live at the end are "
                "unknown, not leaks, and leaks after that point cannot be seen.\n",
                MTA_BOLD(o), MTA_RESET(o), mta_incomplete_reason(m));
        break;
    case MTA_HEADLINE_RELEASED:
        fprintf(out, "\n%sNo leaks%s: this image was replaced by exec(), which released the "
                "memory it held; the new image's trace has its own verdict.\n", MTA_BOLD(o),
                MTA_RESET(o));
        break;
    case MTA_HEADLINE_ALL_FREED:
        fprintf(out, "\n%sNo leaks%s: every block allocated during the trace was freed.\n",
                MTA_BOLD(o), MTA_RESET(o));
        break;
    case MTA_HEADLINE_NONE_LOST:
        fprintf(out, "\n%sNo leaks%s: no block unfreed at exit was lost.\n", MTA_BOLD(o),
                MTA_RESET(o));
        break;
    case MTA_HEADLINE_UNCLASSIFIED:
        fprintf(out, "\n%sUnfreed blocks by call stack%s, largest first (not classified: %s)\n",
                MTA_BOLD(o), MTA_RESET(o), m->leak_inconclusive);
        break;
    case MTA_HEADLINE_LOST:
        fprintf(out, "\n%sLost blocks by call stack%s (definitely and indirectly lost), "
                "largest first\n", MTA_BOLD(o), MTA_RESET(o));
        break;
    }
}

void mta_report_leaks_text(FILE *out, const struct mta_model *m, const struct mta_leaks_view *v,
                           struct mta_symbolizer *sym, const struct mta_report_opts *o)
{
    const struct mta_ranking *r = &v->lost;
    print_headline(out, m, v, o);
    for (size_t i = 0; i < r->n; i++) {
        const struct mta_site *s = &m->sites[r->stacks[i]];
        char a[32], b[32], c[32];
        fprintf(out, "\n  %s#%zu  %s bytes in %s block%s%s", MTA_RED(o), i + 1,
                mta_commas(a, sizeof a, s->leak_bytes), mta_commas(b, sizeof b, s->leak_blocks),
                s->leak_blocks == 1 ? "" : "s", MTA_RESET(o));
        if (!m->leak_inconclusive)
            fprintf(out, "  (%s definitely, %s indirectly lost)",
                    mta_commas(b, sizeof b, s->cls_blocks[MTA_LEAK_DEFINITE]),
                    mta_commas(c, sizeof c, s->cls_blocks[MTA_LEAK_INDIRECT]));
        fprintf(out, "  (%s allocated here in all)\n", mta_commas(a, sizeof a, s->allocs));
        mta_print_stack(out, sym, m, r->stacks[i], o);
    }
    if (r->n < r->total)
        fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", r->total - r->n);
    if (v->other_classes) {
        fputc('\n', out);
        print_class_line(out, m, v, MTA_LEAK_POSSIBLE);
        print_class_line(out, m, v, MTA_LEAK_REACHABLE);
    }
}

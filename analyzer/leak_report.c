/* The leak verdict in the reports: a summary line per class, the lost
 * blocks (definitely and indirectly) grouped by stack, largest first; the
 * JSON form lists every class with its stacks (docs/report-json.md). */
#include <jansson.h>
#include <stdlib.h>

#include "xalloc.h"
#include "render_json.h"
#include "render_text.h"
#include "text_util.h"



void mta_report_leak_summary_text(FILE *out, const struct mta_model *m,
                                  const struct mta_report_opts *o)
{
    char a[32], b[32];
    int released = m->info.end_state == MT_END_EXEC;
    fprintf(out, "  unfreed       %14s bytes in %s blocks at %s\n",
            mta_commas(a, sizeof a, m->unfreed_bytes), mta_commas(b, sizeof b, m->unfreed_blocks),
            released ? "exec()" : "exit");
    if (m->fate_unknown)
        return; /* the "unknown" line says it (report_text.c) */
    if (released) {
        if (m->unfreed_blocks)
            fprintf(out, "    released by exec(): not leaks (the exec replaced this image "
                    "and its memory)\n");
        return;
    }
    if (m->leak_inconclusive) {
        if (m->unfreed_blocks)
            fprintf(out, "  %sleak check inconclusive%s: %s; the unfreed blocks are listed "
                    "unclassified (lost or still reachable is not known)\n", MTA_RED(o), MTA_RESET(o),
                    m->leak_inconclusive);
        return;
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

static void print_class_line(FILE *out, const struct mta_model *m, unsigned cls)
{
    size_t n;
    n = mta_sites_count(m, (enum mta_cost)(MTA_COST_CLASS + cls));
    char a[32], b[32];
    if (m->cls_blocks[cls])
        fprintf(out, "  %s: %s bytes in %s blocks from %zu call stacks (--json lists them)\n",
                mta_leak_class_name(cls), mta_commas(a, sizeof a, m->cls_bytes[cls]),
                mta_commas(b, sizeof b, m->cls_blocks[cls]), n);
}

void mta_report_leaks_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o)
{
    size_t n;
    uint32_t *order = mta_sites_ranked(m, MTA_COST_LEAKED, &n);
    if (!n && m->fate_unknown) {
        fprintf(out, "\n%sNo leaks known%s: %s, so blocks still live at the end are "
                "unknown, not leaks, and leaks after that point cannot be seen.\n",
                MTA_BOLD(o), MTA_RESET(o), mta_incomplete_reason(m));
    } else if (!n && m->info.end_state == MT_END_EXEC) {
        fprintf(out, "\n%sNo leaks%s: this image was replaced by exec(), which released the "
                "memory it held; the new image's trace has its own verdict.\n", MTA_BOLD(o),
                MTA_RESET(o));
    } else if (!n) {
        if (!m->unfreed_blocks)
            fprintf(out, "\n%sNo leaks%s: every block allocated during the trace was freed.\n",
                    MTA_BOLD(o), MTA_RESET(o));
        else
            fprintf(out, "\n%sNo leaks%s: no block unfreed at exit was lost.\n", MTA_BOLD(o),
                    MTA_RESET(o));
    } else if (m->leak_inconclusive) {
        fprintf(out, "\n%sUnfreed blocks by call stack%s, largest first (not classified: %s)\n",
                MTA_BOLD(o), MTA_RESET(o), m->leak_inconclusive);
    } else {
        fprintf(out, "\n%sLost blocks by call stack%s (definitely and indirectly lost), "
                "largest first\n", MTA_BOLD(o), MTA_RESET(o));
    }
    size_t shown = o->top && o->top < n ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct mta_site *s = &m->sites[order[i]];
        char a[32], b[32], c[32];
        fprintf(out, "\n  %s#%zu  %s bytes in %s block%s%s", MTA_RED(o), i + 1,
                mta_commas(a, sizeof a, s->leak_bytes), mta_commas(b, sizeof b, s->leak_blocks),
                s->leak_blocks == 1 ? "" : "s", MTA_RESET(o));
        if (!m->leak_inconclusive)
            fprintf(out, "  (%s definitely, %s indirectly lost)",
                    mta_commas(b, sizeof b, s->cls_blocks[MTA_LEAK_DEFINITE]),
                    mta_commas(c, sizeof c, s->cls_blocks[MTA_LEAK_INDIRECT]));
        fprintf(out, "  (%s allocated here in all)\n", mta_commas(a, sizeof a, s->allocs));
        mta_print_stack(out, sym, m, order[i], o);
    }
    if (shown < n)
        fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", n - shown);
    free(order);
    if (!m->leak_inconclusive && (m->cls_blocks[MTA_LEAK_POSSIBLE] ||
                                  m->cls_blocks[MTA_LEAK_REACHABLE])) {
        fputc('\n', out);
        print_class_line(out, m, MTA_LEAK_POSSIBLE);
        print_class_line(out, m, MTA_LEAK_REACHABLE);
    }
}

/* "leak_check": the verdict and each class with its stacks. */
json_t *mta_leak_check_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o)
{
    const struct mta_reach *r = &m->reach;
    json_t *classes = json_object();
    for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++) {
        size_t n;
        uint32_t *order = mta_sites_ranked(m, (enum mta_cost)(MTA_COST_CLASS + c), &n);
        json_t *stacks = json_array();
        size_t shown = o->top && o->top < n ? o->top : n;
        for (size_t i = 0; i < shown && order; i++) {
            const struct mta_site *s = &m->sites[order[i]];
            json_array_append_new(stacks, json_pack("{s:I,s:I,s:I,s:o}",
                "blocks", (json_int_t)s->cls_blocks[c], "bytes", (json_int_t)s->cls_bytes[c],
                "stack", (json_int_t)order[i], "frames", mta_json_frames(sym, m, order[i], o)));
        }
        free(order);
        json_object_set_new(classes, mta_leak_class_key(c), json_pack("{s:I,s:I,s:I,s:o}",
            "blocks", (json_int_t)m->cls_blocks[c], "bytes", (json_int_t)m->cls_bytes[c],
            "call_stacks", (json_int_t)n, "stacks", stacks));
    }
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

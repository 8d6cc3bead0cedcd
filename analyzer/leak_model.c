/* Leak verdicts in the model: every block unfreed at the end of the trace
 * gets its class from the scan at exit (leak_reach.c), or the verdict is
 * inconclusive and says why.  "Lost" (mta_site.leak_*, mta_model.leaked_*,
 * the leak listing, --fail-on-leaks) is definitely + indirectly lost; with
 * no verdict it is every unfreed block, and the report says it guessed
 * nothing. */
#include <stdlib.h>

#include "xalloc.h"
#include "leak_model.h"

static const char *inconclusive_why(const struct mta_model *m)
{
    const struct mta_trace_info *in = &m->info;
    if (in->ring_bytes)
        return "flight-recorder mode (MTRACE_RING) does not scan at exit";
    switch (in->end_state) {
    case MT_END_EXIT: break;
    case MT_END_EXEC: return NULL; /* nothing lost: exec released the image (mta_leaks_finish) */
    case MT_END_ABORT: return "the process ended by abort(): no scan at exit";
    case MT_END_UNDERSCORE_EXIT: return "the process ended by _exit(): no scan at exit";
    case MT_END_SIGNAL: return "the process was killed by a signal: no scan at exit";
    case MT_END_DETACHED:
        return "mtrace-run detached before the process ended: no scan; the blocks live then "
               "are of unknown fate";
    default: return "the process did not finish (killed, crashed or still running): no scan";
    }
    if (m->reach.failed)
        return m->reach.why;
    if (!m->reach.complete)
        return "no scan at exit in the trace (MTRACE_LEAK_CHECK=off, a trace.json input, "
               "an allocator other than glibc's under mtrace, or the process exited "
               "where the scan could not run)";
    return NULL;
}

/* With an incomplete trace (m->fate_unknown) the blocks live at its end are
 * "unknown" (never lost: their frees may be among the missing events); with
 * no scan they are unfreed and unclassified, listed as "lost" by the report
 * under an inconclusive verdict; otherwise each gets its class. */
void mta_leaks_finish(struct mta_model *m)
{
    m->leak_inconclusive = m->fate_unknown ? mta_incomplete_reason(m) : inconclusive_why(m);
    /* An image replaced by exec() lost nothing: the exec released all its
     * memory.  Its unfreed blocks stay unclassified and are never "lost". */
    int released = m->info.end_state == MT_END_EXEC;
    for (size_t i = 0; i < m->live.cap; i++) {
        const struct mta_block *b = &m->live.slots[i];
        if (!b->ptr)
            continue;
        unsigned cls = m->leak_inconclusive || released || b->outside ? MTA_LEAK_UNSCANNED
                                                                      : mta_reach_class(&m->reach, b);
        struct mta_site *s = mta_site_at(m, b->stack);
        m->unfreed_blocks++;
        mta_total_add(m, &m->unfreed_bytes, b->size);
        m->cls_blocks[cls]++;
        mta_total_add(m, &m->cls_bytes[cls], b->size);
        if (s) {
            s->cls_blocks[cls]++;
            mta_total_add(m, &s->cls_bytes[cls], b->size);
        }
        if (m->fate_unknown || b->outside) {
            m->unknown_blocks++;
            mta_total_add(m, &m->unknown_bytes, b->size);
            if (s) {
                s->unknown_blocks++;
                mta_total_add(m, &s->unknown_bytes, b->size);
            }
            continue;
        }
        if (released)
            continue;
        if (!m->leak_inconclusive && cls != MTA_LEAK_DEFINITE && cls != MTA_LEAK_INDIRECT)
            continue;
        m->leaked_blocks++;
        mta_total_add(m, &m->leaked_bytes, b->size);
        if (s) {
            s->leak_blocks++;
            mta_total_add(m, &s->leak_bytes, b->size);
        }
    }
}

/* The leak verdict as plain data (view_leaks.h). */
#include "view_leaks.h"

#include <string.h>

#include "model_core.h"

static enum mta_leak_verdict verdict_of(const struct mta_model *m)
{
    if (m->fate_unknown)
        return MTA_VERDICT_UNKNOWN;
    if (m->info.end_state == MT_END_EXEC)
        return MTA_VERDICT_RELEASED;
    return m->leak_inconclusive ? MTA_VERDICT_INCONCLUSIVE : MTA_VERDICT_CLASSIFIED;
}

static enum mta_leak_headline headline_of(const struct mta_model *m, size_t lost_stacks)
{
    if (!lost_stacks && m->fate_unknown)
        return MTA_HEADLINE_NONE_KNOWN;
    if (!lost_stacks && m->info.end_state == MT_END_EXEC)
        return MTA_HEADLINE_RELEASED;
    if (!lost_stacks)
        return m->unfreed_blocks ? MTA_HEADLINE_NONE_LOST : MTA_HEADLINE_ALL_FREED;
    return m->leak_inconclusive ? MTA_HEADLINE_UNCLASSIFIED : MTA_HEADLINE_LOST;
}

void mta_leaks_view_make(struct mta_leaks_view *v, const struct mta_model *m, unsigned top)
{
    memset(v, 0, sizeof *v);
    v->verdict = verdict_of(m);
    v->released = m->info.end_state == MT_END_EXEC;
    mta_ranking_make(&v->lost, m, MTA_COST_LEAKED, top);
    mta_ranking_make(&v->unknown, m, MTA_COST_UNKNOWN, top);
    v->headline = headline_of(m, v->lost.total);
    v->other_classes = !m->leak_inconclusive && (m->cls_blocks[MTA_LEAK_POSSIBLE] ||
                                                 m->cls_blocks[MTA_LEAK_REACHABLE]);
    for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++)
        v->class_stacks[c] = mta_sites_count(m, (enum mta_cost)(MTA_COST_CLASS + c));
}

void mta_leaks_view_free(struct mta_leaks_view *v)
{
    mta_ranking_free(&v->lost);
    mta_ranking_free(&v->unknown);
}

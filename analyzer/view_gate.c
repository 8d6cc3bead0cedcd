/* What the leak gates count (view_gate.h). */
#include "model.h"
#include "report_opts.h"
#include "view_gate.h"

uint64_t mta_gate_bytes(const struct mta_model *m, const struct mta_report_opts *o)
{
    if (!o->leak_kinds || m->leak_inconclusive || m->info.end_state == MT_END_EXEC)
        return mta_process_leaked_bytes(m);
    uint64_t t = 0;
    for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++)
        if (o->leak_kinds & (1u << c))
            t = mta_sat_sum(t, m->cls_bytes[c] - (m->supp_bytes[c] < m->cls_bytes[c]
                                                   ? m->supp_bytes[c] : m->cls_bytes[c]));
    return t;
}

uint64_t mta_process_leaked_bytes(const struct mta_model *m)
{
    return m->info.end_state == MT_END_EXEC ? 0 : m->leaked_bytes;
}

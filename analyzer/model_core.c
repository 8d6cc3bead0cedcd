/* The helpers every part of the model shares (model_core.h). */
#include "model_core.h"

const uint64_t mta_band_lo[MTA_BANDS] = {0, 64, 512, 4096, 32768, 131072, 1048576, 16777216};

void mta_total_add(struct mta_model *m, uint64_t *total, uint64_t v)
{
    if (v > MTA_TOTAL_MAX - *total) {
        *total = MTA_TOTAL_MAX;
        m->anomalies.totals_saturated = 1;
    } else {
        *total += v;
    }
}

void mta_total_sub(struct mta_model *m, uint64_t *total, uint64_t v)
{
    if (v > *total) { /* only after a saturated add */
        *total = 0;
        m->anomalies.totals_saturated = 1;
    } else {
        *total -= v;
    }
}

struct mta_site *mta_site_at(struct mta_model *m, uint32_t index)
{
    return index < m->sites_cap ? &m->sites[index] : NULL;
}

const char *mta_incomplete_reason(const struct mta_model *m)
{
    const struct mta_trace_info *in = &m->info;
    switch (in->stop_reason) {
    case MT_STOP_NONE: break;
    case MT_STOP_MAX_SIZE: return "recording stopped: MTRACE_MAX_SIZE was reached";
    case MT_STOP_NO_SPACE: return "recording stopped: the file system refused to grow the trace";
    case MT_STOP_FD_LOST:
        return "recording stopped: the program closed or replaced the trace's file descriptor";
    case MT_STOP_SECCOMP: return "recording stopped: the program installed a seccomp filter";
    case MT_STOP_IO_ERROR: return "recording stopped: an I/O error growing the trace";
    default: return "recording stopped early (reason unknown to this mtrace-report)";
    }
    if (in->lost_events)
        return "events were lost";
    if (in->truncated)
        return "the file is shorter than its header says (later records are missing)";
    return NULL;
}

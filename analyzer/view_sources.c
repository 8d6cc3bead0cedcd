/* Where the memory came from, as plain data (view_sources.h). */
#include "view_sources.h"

#include <string.h>

#include "fmt.h"

void mta_sources_view_make(struct mta_sources_view *v, const struct mta_model *m)
{
    memset(v, 0, sizeof *v);
    for (int band = 0; band < MTA_BANDS; band++) {
        struct mta_band_row *row = &v->bands[band];
        row->min_size = mta_band_lo[band];
        row->open = band + 1 == MTA_BANDS;
        row->max_size = row->open ? 0 : mta_band_lo[band + 1] - 1;
        for (int s = 0; s < 4; s++) {
            row->requests[s] = m->band_requests[band][s];
            row->bytes[s] = m->band_bytes[band][s];
            row->total_requests += m->band_requests[band][s];
            row->total_bytes = mta_sat_sum(row->total_bytes, m->band_bytes[band][s]);
            v->requests[s] += m->band_requests[band][s];
            v->bytes[s] = mta_sat_sum(v->bytes[s], m->band_bytes[band][s]);
        }
    }
    v->largest_heap_request = m->n_thresholds ? m->thresholds[m->n_thresholds - 1].stats.heap_max
                                              : m->initial_stats.heap_max;
}

static const char *step_kind(const struct mta_heap_event *h)
{
    if (h->type == MTA_EV_BRK)
        return "brk";
    switch (h->op) {
    case MT_MAP_CHUNK_MMAP: case MT_MAP_MMAP: return "mmap";
    case MT_MAP_CHUNK_MUNMAP: case MT_MAP_MUNMAP: return "munmap";
    case MT_MAP_CHUNK_MREMAP: case MT_MAP_MREMAP: return "mremap";
    default: return mta_map_op_name(h->op);
    }
}

struct mta_heap_step mta_heap_step_of(const struct mta_heap_event *h)
{
    struct mta_heap_step s = {.ev = h, .kind = step_kind(h)};
    int moved = h->op == MT_MAP_CHUNK_MREMAP || h->op == MT_MAP_MREMAP;
    if (h->type == MTA_EV_BRK) {
        s.shape = MTA_STEP_BREAK;
        s.bytes = (int64_t)(h->naddr - h->addr);
        s.malloc_driven = h->cause != MT_CAUSE_APP;
        return s;
    }
    s.shape = h->op == MT_MAP_ARENA_HEAP ? MTA_STEP_ARENA_HEAP : moved ? MTA_STEP_MOVE : MTA_STEP_MAP;
    s.bytes = (int64_t)(moved ? h->nlen : h->len);
    s.malloc_driven = h->op >= MT_MAP_CHUNK_MMAP;
    return s;
}

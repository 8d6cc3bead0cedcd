#include "model.h"
#include "leak_model.h"
#include "model_sources.h"
#include "model_temporary.h"
#include "model_usage.h"
#include "regions.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "xalloc.h"

#define GLIBC_DEFAULT_MMAP_THRESHOLD (128u * 1024)

int mta_model_init(struct mta_model *m)
{
    memset(m, 0, sizeof *m);
    if (mta_stacks_init(&m->stacks) || mta_live_init(&m->live))
        return -1;
    m->threshold_initial = m->threshold_now = GLIBC_DEFAULT_MMAP_THRESHOLD;
    m->threshold_dynamic = 1;
    return 0;
}

void mta_model_free(struct mta_model *m)
{
    mta_stacks_free(&m->stacks);
    mta_live_free(&m->live);
    mta_park_free(&m->park);
    free(m->sites);
    free(m->windows);
    for (size_t i = 0; i < m->n_modules; i++)
        free(m->modules[i].path);
    free(m->modules);
    free(m->info.cmdline);
    free(m->info.exe);
    free(m->info.tunables);
    free(m->info.own_memory);
    free(m->info.foreign_allocator);
    free(m->info.suppressions);
    free(m->heap_events);
    free(m->thresholds);
    free(m->arena_heaps);
    free(m->peak_dirty);
    free(m->usage);
    free(m->tid_last);
    if (m->have_live_at_exit)
        mta_live_free(&m->live_at_exit);
    mta_reach_free(&m->reach);
    free(m->maps_start);
    if (m->start_regions)
        mta_regions_free(m->start_regions);
    free(m->start_regions);
    free(m->maps_exit);
    free(m->smaps_exit);
    free(m->maps_latest);
    free(m->source_path);
    memset(m, 0, sizeof *m);
}

static struct mta_site *site(struct mta_model *m, uint32_t index)
{
    if (index >= m->sites_cap) {
        size_t ncap = m->sites_cap ? m->sites_cap : 256;
        while (ncap <= index)
            ncap *= 2;
        struct mta_site *ns = mta_xreallocarray(m->sites, ncap, sizeof *ns);
        memset(ns + m->sites_cap, 0, (ncap - m->sites_cap) * sizeof *ns);
        m->sites = ns;
        m->sites_cap = ncap;
    }
    return &m->sites[index];
}

static char *dup_str(const char *s)
{
    return s ? mta_xstrdup(s) : NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = mta_xmalloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Keeps our own copies of the info strings. */
static void take_info(struct mta_model *m, const struct mta_trace_info *in)
{
    free(m->info.cmdline);
    free(m->info.exe);
    free(m->info.tunables);
    free(m->info.own_memory);
    free(m->info.foreign_allocator);
    free(m->info.suppressions);
    m->info = *in;
    m->info.cmdline = dup_str(in->cmdline);
    m->info.exe = dup_str(in->exe);
    m->info.tunables = dup_str(in->tunables);
    m->info.own_memory = dup_str(in->own_memory);
    m->info.foreign_allocator = dup_str(in->foreign_allocator);
    m->info.suppressions = dup_str(in->suppressions);
    if (m->info.tunables && !m->tunables_applied) {
        m->tunables_applied = 1;
        mta_sources_tunables(m);
    }
}

/* Called with the header's facts, and again as info records add to them
 * (the tunables arrive before the first event). */
static void park_flush(struct mta_model *m, uint64_t before);

static void on_info(void *ctx, const struct mta_trace_info *in)
{
    struct mta_model *m = ctx;
    if (!m->have_info) {
        m->have_info = 1;
        m->brk_initial = m->brk_final = m->brk_max = in->initial_brk;
        m->coarse_order = (in->flags & MT_HDR_COARSE_TICKS) != 0;
    }
    if ((in->flags & MT_HDR_DORMANT) && !m->windowed)
        m->windowed = 1; /* and outside a window until the first opens */
    take_info(m, in);
}

static void on_done(void *ctx, const struct mta_trace_info *in)
{
    struct mta_model *m = ctx;
    park_flush(m, UINT64_MAX);
    take_info(m, in);
}

static void on_stack(void *ctx, uint64_t id, const uint64_t *frames, unsigned n)
{
    struct mta_model *m = ctx;
    mta_stacks_add(&m->stacks, id, frames, n);
}

static void on_stack_cut(void *ctx, uint64_t id)
{
    struct mta_model *m = ctx;
    mta_stacks_set_cut(&m->stacks, id);
}

static void on_module(void *ctx, const struct mta_module *mod)
{
    struct mta_model *m = ctx;
    const char *path = mod->path ? mod->path : ""; /* trace.json: "path" is optional */
    for (size_t i = 0; i < m->n_modules; i++)
        if (m->modules[i].start == mod->start && !strcmp(m->modules[i].path, path))
            return;
    if (m->n_modules == m->modules_cap) {
        size_t ncap = m->modules_cap ? m->modules_cap * 2 : 32;
        struct mta_module *nm = mta_xreallocarray(m->modules, ncap, sizeof *nm);
        if (!nm)
            return;
        m->modules = nm;
        m->modules_cap = ncap;
    }
    m->modules[m->n_modules] = *mod;
    m->modules[m->n_modules].path = dup_str(path);
    if (!m->modules[m->n_modules].path)
        return;
    m->n_modules++;
}

static void park_alloc(struct mta_model *m, const struct mta_event *ev, uint32_t stack);
static void add_live_now(struct mta_model *m, const struct mta_event *ev, uint32_t stack);

/* A block leaves the live set (freed, replaced, or of a closed window):
 * the live totals, its site's and the peak bookkeeping follow.  Returns its
 * site. */
static struct mta_site *unlive(struct mta_model *m, const struct mta_block *b)
{
    mta_total_sub(m, &m->live_bytes, b->size);
    mta_total_sub(m, &m->live_by_source[b->source & 3], b->size);
    struct mta_site *s = site(m, b->stack);
    s->live_blocks--;
    mta_total_sub(m, &s->live_bytes, b->size);
    mta_peak_touch(m, b->stack);
    return s;
}

/* may_park: an allocation at an address still live is held back
 * (reorder.h) instead of replacing the block there. */
static void add_live_at(struct mta_model *m, const struct mta_event *ev, uint32_t stack,
                        int may_park)
{
    if (!ev->ptr) {
        /* 0 marks an empty slot of the live table; no allocator returns it */
        m->anomalies.null_allocs++;
        return;
    }
    if (ev->size >= MTA_SIZE_IMPOSSIBLE)
        m->anomalies.impossible_sizes++;
    struct mta_block b = {ev->ptr, ev->size, ev->ns, stack, (uint8_t)ev->source,
                          (uint8_t)ev->kind, 0, (uint8_t)(m->windowed && !m->in_window)};
    struct mta_block old;
    int r = mta_live_put(&m->live, &b, &old);
    if (r == 1 && old.outside) {
        /* a block of a closed window, freed while nothing was recorded */
        m->outside_reused++;
        unlive(m, &old);
        r = 0;
    }
    if (r == 1 && may_park) {
        mta_live_put(&m->live, &old, NULL); /* back as it was */
        park_alloc(m, ev, stack);
        return;
    }
    if (r == 1) {
        /* the address is live twice: its free was not recorded */
        m->replaced_blocks++;
        unlive(m, &old);
    }
    m->allocations++;
    mta_total_add(m, &m->bytes_allocated, ev->size);
    mta_total_add(m, &m->live_bytes, ev->size);
    mta_total_add(m, &m->live_by_source[ev->source & 3], ev->size);
    struct mta_site *s = site(m, stack);
    s->allocs++;
    mta_total_add(m, &s->alloc_bytes, ev->size);
    s->live_blocks++;
    mta_total_add(m, &s->live_bytes, ev->size);
    mta_peak_touch(m, stack);
    if (m->live_bytes > m->peak_bytes) {
        m->peak_bytes = m->live_bytes;
        m->peak_blocks = m->live.count;
        m->peak_ns = ev->ns;
        mta_peak_reached(m);
    }
    mta_temporary_on_alloc(m, ev->tid, ev->ptr);
    mta_usage_on_change(m, ev->ns, stack, ev->source, ev->size, 1);
    mta_sources_on_alloc(m, ev, stack);
}

int mta_model_could_be_heap(struct mta_model *m, uint64_t p)
{
    /* the brk heap: from where it started (the [heap] of the start
     * snapshot, else the initial break) to the highest break seen */
    if (!m->start_regions_tried) {
        m->start_regions_tried = 1;
        struct mta_regions *rs = calloc(1, sizeof *rs);
        if (rs && m->maps_start && mta_regions_parse(m->maps_start, rs) == 0)
            m->start_regions = rs;
        else
            free(rs);
    }
    uint64_t heap_lo = m->brk_initial, heap_hi = m->brk_max > m->brk_final ? m->brk_max
                                                                            : m->brk_final;
    const struct mta_regions *rs = m->start_regions;
    for (size_t i = 0; rs && i < rs->n; i++)
        if (mta_region_named(&rs->v[i], "[heap]") && (!heap_lo || rs->v[i].start < heap_lo))
            heap_lo = rs->v[i].start;
    if (heap_hi < m->brk_initial)
        heap_hi = m->brk_initial;
    if (heap_lo && p >= heap_lo && p < heap_hi)
        return 1;
    for (size_t i = 0; i < m->n_arena_heaps; i++)
        if (p >= m->arena_heaps[i].base && p - m->arena_heaps[i].base < m->arena_heaps[i].size)
            return 1;
    for (size_t i = 0; i < m->n_heap_events; i++) {
        const struct mta_heap_event *h = &m->heap_events[i];
        if (h->type == MTA_EV_MAP && (h->op == MT_MAP_CHUNK_MMAP || h->op == MT_MAP_ARENA_HEAP) &&
            p >= h->addr && p - h->addr < h->len)
            return 1;
    }
    /* an anonymous mapping there at start may hold a block malloc mapped
     * before tracing began (named ones are stacks, files, the vdso...) */
    const struct mta_region *r = rs ? mta_regions_find(rs, p) : NULL;
    if (r && !r->name_len)
        return 1;
    if (!rs)
        return 1; /* nothing known about the start: give the benefit of the doubt */
    if (m->heap_events_dropped)
        return 1; /* a chunk mapping may have been among the dropped events */
    return 0;
}

/* A free of an address that is not live. */
static void unmatched_free(struct mta_model *m, uint64_t ptr)
{
    if (mta_model_could_be_heap(m, ptr)) {
        m->untracked_frees++;
    } else {
        if (m->invalid_frees < MTA_INVALID_FREES_KEPT)
            m->invalid_free_ptrs[m->invalid_frees] = ptr;
        m->invalid_frees++;
    }
}

/* Frees the live block at ptr; 0 if none is live there. */
static int take_live(struct mta_model *m, uint64_t ptr, uint64_t ns, uint32_t tid,
                     int by_realloc)
{
    struct mta_block b;
    if (!mta_live_take(&m->live, ptr, &b))
        return 0;
    m->frees++;
    struct mta_site *s = unlive(m, &b);
    s->frees++;
    if (by_realloc != 1 && mta_temporary_on_free(m, tid, ptr)) {
        s->temporary++;
        m->temporary++;
    }
    mta_usage_on_change(m, ns, b.stack, b.source, b.size, -1);
    unsigned slot = tid % 64;
    m->recent_free[slot].tid = tid;
    m->recent_free[slot].ptr = b.ptr;
    m->recent_free[slot].size = b.size;
    m->recent_free[slot].stack = b.stack;
    m->recent_free[slot].by_realloc = by_realloc;
    return 1;
}

/* Applies parked events as they stand, the oldest first: a free whose
 * allocation never came is unmatched, an allocation whose address was never
 * freed replaces the block there. */
static void park_flush(struct mta_model *m, uint64_t before)
{
    struct mta_parked *v;
    size_t n = mta_park_drain(&m->park, before, &v);
    for (size_t i = 0; i < n; i++) {
        if (v[i].is_free)
            unmatched_free(m, v[i].ptr);
        else
            add_live_now(m, &v[i].ev, v[i].stack);
    }
    free(v);
}

static void add_live_now(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    add_live_at(m, ev, stack, 0);
}

/* Live already: the free of the block there, by another thread, may be
 * still to come (frees carry exact stamps, allocations coarse ones).
 * Allocations of one address wait first in, first out. */
static void park_alloc(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    struct mta_parked *e = mta_park_add(&m->park, ev->ptr, 0, ev->ns);
    if (!e) {
        add_live_now(m, ev, stack);
        return;
    }
    e->ev = *ev;
    e->ev.text = NULL;
    e->ev.text_len = 0;
    e->stack = stack;
    e->tid = ev->tid;
}

static void add_live(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    if (m->coarse_order && m->park.n && mta_park_find(&m->park, ev->ptr, 0))
        park_alloc(m, ev, stack); /* behind the others of its address */
    else
        add_live_at(m, ev, stack, m->coarse_order);
}

static int drop_live(struct mta_model *m, uint64_t ptr, uint64_t ns, uint32_t tid,
                     int by_realloc)
{
    if (!take_live(m, ptr, ns, tid, by_realloc)) {
        unmatched_free(m, ptr);
        return 0;
    }
    struct mta_parked *e, pe;
    if (m->park.n && (e = mta_park_find(&m->park, ptr, 0))) {
        /* an allocation of the address was waiting for this free */
        mta_park_take(&m->park, e, &pe);
        add_live_now(m, &pe.ev, pe.stack);
        m->reordered++;
    }
    return 1;
}

static void keep_text(char **slot, const struct mta_event *ev)
{
    free(*slot);
    *slot = dup_n(ev->text, ev->text_len);
}

/* The window an event belongs to: the open one, else the last (a thread
 * that raced the switch off); NULL before the first. */
static struct mta_window *current_window(struct mta_model *m)
{
    return m->windowed && m->n_windows ? &m->windows[m->n_windows - 1] : NULL;
}

static void window_edge(struct mta_model *m, const struct mta_event *ev)
{
    m->windowed = 1;
    struct mta_window *w = current_window(m);
    if (ev->reason == MT_MAPS_WINDOW_ON) {
        if (w && w->open)
            return; /* already open */
        if (m->n_windows == m->windows_cap) {
            size_t ncap = m->windows_cap ? m->windows_cap * 2 : 8;
            m->windows = mta_xreallocarray(m->windows, ncap, sizeof *m->windows);
            m->windows_cap = ncap;
        }
        w = &m->windows[m->n_windows++];
        memset(w, 0, sizeof *w);
        w->start_ns = ev->ns;
        w->open = 1;
        m->in_window = 1;
        return;
    }
    if (w && w->open) {
        w->open = 0;
        w->end_ns = ev->ns;
    }
    m->in_window = 0;
    /* nothing is recorded until the next window: the blocks live now may
     * be freed unseen */
    for (size_t i = 0; i < m->live.cap; i++)
        if (m->live.slots[i].ptr)
            m->live.slots[i].outside = 1;
}

static void window_count(struct mta_model *m, const struct mta_event *ev)
{
    struct mta_window *w = current_window(m);
    int alloc = ev->type == MTA_EV_ALLOC || (ev->type == MTA_EV_REALLOC && ev->ptr);
    int free_ = ev->type == MTA_EV_FREE || (ev->type == MTA_EV_REALLOC && ev->old_ptr);
    if (!w) {
        m->outside_events += (uint64_t)alloc;
        return;
    }
    if (alloc) {
        w->allocs++;
        mta_total_add(m, &w->alloc_bytes, ev->size);
    }
    if (free_)
        w->frees++;
}

static int on_event(void *ctx, const struct mta_event *ev)
{
    struct mta_model *m = ctx;
    if (m->park.n && (ev->type == MTA_EV_SCAN ||
                      (ev->type == MTA_EV_MAPS && ev->reason == MT_MAPS_EXIT)))
        park_flush(m, UINT64_MAX); /* the live set must be whole from here */
    else if (m->park.n && ev->ns > m->park.oldest_ns + MTA_REORDER_WINDOW_NS)
        park_flush(m, ev->ns - MTA_REORDER_WINDOW_NS);
    if (ev->type == MTA_EV_SCAN) { /* the scan's records are not program events */
        mta_reach_on_event(&m->reach, ev, &m->live);
        return 0;
    }
    m->events++;
    m->last_ns = ev->ns;
    if (m->windowed && ev->type <= MTA_EV_REALLOC)
        window_count(m, ev);
    /* consecutive events often share a stack: skip the lookup then */
    uint32_t stack;
    if (ev->stack == m->last_stack_id && ev->stack) {
        stack = m->last_stack_index;
    } else {
        stack = mta_stacks_index(&m->stacks, ev->stack);
        if (stack) {
            m->last_stack_id = ev->stack;
            m->last_stack_index = stack;
        }
    }
    switch (ev->type) {
    case MTA_EV_ALLOC:
        add_live(m, ev, stack);
        break;
    case MTA_EV_FREE:
        drop_live(m, ev->ptr, ev->ns, ev->tid, 0);
        break;
    case MTA_EV_REALLOC:
        m->reallocs++;
        if (ev->old_ptr) /* 2: realloc(p, 0), which frees p */
            drop_live(m, ev->old_ptr, ev->ns, ev->tid, ev->ptr ? 1 : 2);
        if (ev->ptr)
            add_live(m, ev, stack);
        break;
    case MTA_EV_BRK:
    case MTA_EV_MAP:
        mta_sources_on_heap_event(m, ev, stack);
        break;
    case MTA_EV_MAPS:
        m->maps_snapshots++;
        if (ev->reason == MT_MAPS_WINDOW_ON || ev->reason == MT_MAPS_WINDOW_OFF) {
            park_flush(m, UINT64_MAX); /* the live set is whole at an edge */
            window_edge(m, ev);
            keep_text(&m->maps_latest, ev);
            break;
        }
        if (ev->reason == MT_MAPS_START && !m->maps_start)
            keep_text(&m->maps_start, ev);
        else if (ev->reason == MT_MAPS_EXIT) {
            keep_text(&m->maps_exit, ev);
            if (m->have_live_at_exit)
                mta_live_free(&m->live_at_exit);
            m->have_live_at_exit = mta_live_copy(&m->live_at_exit, &m->live) == 0;
        }
        else if (ev->reason == MT_MAPS_SMAPS_EXIT)
            keep_text(&m->smaps_exit, ev);
        else
            keep_text(&m->maps_latest, ev);
        break;
    case MTA_EV_SETTING:
        mta_sources_on_setting(m, ev);
        break;
    case MTA_EV_SCAN:
        break; /* above */
    }
    return 0;
}

static void on_upcoming(void *ctx, const struct mta_event *ev)
{
    struct mta_model *m = ctx;
    uint64_t ptr = ev->type == MTA_EV_REALLOC ? ev->old_ptr : ev->ptr;
    if (ptr)
        mta_live_prefetch(&m->live, ptr);
}

struct mta_sink mta_model_sink(struct mta_model *m)
{
    struct mta_sink s = {m, on_info, on_stack, on_module, on_event, on_done, on_upcoming,
                         on_stack_cut};
    return s;
}

/* Blocks still live at the end are leaks, or, when the trace is incomplete,
 * of unknown fate: the trace does not say where in a stream events were
 * lost, so every block live at the end of what can be read may have been
 * freed by a missing record (docs/report-json.md, "unknown"). */
void mta_model_finish(struct mta_model *m)
{
    if (m->finished)
        return;
    m->finished = 1;
    park_flush(m, UINT64_MAX);
    m->fate_unknown = mta_incomplete_reason(m) != NULL;
    struct mta_window *w = current_window(m);
    if (w && w->open)
        w->end_ns = m->info.duration_ns > m->last_ns ? m->info.duration_ns : m->last_ns;
    if (m->info.end_state == MT_END_DETACHED)
        for (size_t i = 0; i < m->live.cap; i++)
            if (m->live.slots[i].ptr)
                m->live.slots[i].outside = 1;
    site(m, (uint32_t)m->stacks.n); /* sites cover every stack index */
    mta_leaks_finish(m);
}

int mta_model_load(struct mta_model *m, const char *path, struct mta_error *err)
{
    struct mta_sink sink = mta_model_sink(m);
    m->source_path = mta_xstrdup(path);
    int rc = mta_read_any(path, &sink, err);
    if (rc == 0)
        mta_model_finish(m);
    return rc;
}

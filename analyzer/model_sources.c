/* The model's account of where the memory came from: requests per size
 * band and source, the program-break and mapping timeline, thread-arena
 * heaps, and glibc's mmap threshold, replayed with glibc's own rules from
 * what the trace recorded (tunables, mallopt, frees of mmapped chunks). */
#include "model_sources.h"
#include "model_usage.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define GLIBC_MMAP_THRESHOLD_MAX (32u * 1024 * 1024) /* 64-bit DEFAULT_MMAP_THRESHOLD_MAX */
#define GLIBC_HEAP_MAX (64ull << 20)                /* a thread arena's heap, 64-bit */
#define GLIBC_CHUNK_HEADER 16                       /* prev_size and size words */
#define MAX_HEAP_EVENTS 1000000                     /* kept for the timeline */

static unsigned band_of(uint64_t size)
{
    unsigned b = MTA_BANDS - 1;
    while (b && size < mta_band_lo[b])
        b--;
    return b;
}

/* Reads glibc's settings from the recorded tunables text, if any. */
void mta_sources_tunables(struct mta_model *m)
{
    const char *t = m->info.tunables;
    if (!t)
        return;
    const char *keys[] = {"MALLOC_MMAP_THRESHOLD_=", "glibc.malloc.mmap_threshold="};
    for (size_t i = 0; i < 2; i++) {
        const char *p = strstr(t, keys[i]);
        if (!p)
            continue;
        /* glibc ignores a value above HEAP_MAX / 2 altogether */
        uint64_t v = strtoull(p + strlen(keys[i]), NULL, 0);
        if (v <= GLIBC_HEAP_MAX / 2) {
            m->threshold_initial = m->threshold_now = v;
            m->threshold_dynamic = 0;
            m->threshold_by_tunable = 1;
        }
    }
    /* glibc.malloc.hugetlb other than 0 or 1 resizes thread-arena heaps */
    const char *h = strstr(t, "glibc.malloc.hugetlb=");
    if (h) {
        h += strlen("glibc.malloc.hugetlb=");
        m->heap_max_unknown = !((*h == '0' || *h == '1') && (h[1] == ':' || h[1] == '\n' || !h[1]));
    }
    /* glibc: any of these set explicitly also freezes the threshold */
    const char *freeze[] = {"MALLOC_TRIM_THRESHOLD_=", "MALLOC_TOP_PAD_=", "MALLOC_MMAP_MAX_=",
                            "glibc.malloc.trim_threshold=", "glibc.malloc.top_pad=",
                            "glibc.malloc.mmap_max="};
    for (size_t i = 0; i < sizeof freeze / sizeof freeze[0]; i++)
        if (strstr(t, freeze[i])) {
            m->threshold_dynamic = 0;
            m->threshold_by_tunable = 1;
        }
}

/* Counts a request against the threshold value in force. */
static void threshold_stats_add(struct mta_model *m, uint64_t size, int mmapped)
{
    struct mta_threshold_stats *st = &m->initial_stats;
    uint64_t lo = 0, hi = 0;
    if (m->n_thresholds) {
        struct mta_threshold_change *c = &m->thresholds[m->n_thresholds - 1];
        st = &c->stats;
        lo = c->old_value < c->new_value ? c->old_value : c->new_value;
        hi = c->old_value < c->new_value ? c->new_value : c->old_value;
    }
    int between = size >= lo && size < hi;
    if (mmapped) {
        if (!st->mmap_min || size < st->mmap_min)
            st->mmap_min = size;
        st->mmap_between += between;
    } else {
        if (size > st->heap_max)
            st->heap_max = size;
        st->heap_between += between;
    }
}

/* Records a thread arena's heap, once per base: from the shim's record
 * (exact) or inferred from a block an arena served (used = 0). */
static void add_arena_heap(struct mta_model *m, uint64_t base, uint64_t size, uint64_t used,
                           uint64_t ns, uint32_t stack, uint32_t tid)
{
    for (size_t i = 0; i < m->n_arena_heaps; i++) {
        struct mta_arena_heap *h = &m->arena_heaps[i];
        if (h->base == base) {
            if (!h->used && used) { /* the record after an inference */
                h->used = used;
                h->size = size;
            }
            return;
        }
    }
    if (m->n_arena_heaps == m->arena_heaps_cap) {
        size_t ncap = m->arena_heaps_cap ? m->arena_heaps_cap * 2 : 8;
        struct mta_arena_heap *nh = mta_xreallocarray(m->arena_heaps, ncap, sizeof *nh);
        if (!nh)
            return;
        m->arena_heaps = nh;
        m->arena_heaps_cap = ncap;
    }
    m->arena_heaps[m->n_arena_heaps++] = (struct mta_arena_heap){base, size, used, ns, stack, tid};
}

static void note_arena_block(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    if (m->heap_max_unknown)
        return;
    uint64_t base = ev->ptr & ~(GLIBC_HEAP_MAX - 1);
    for (size_t i = 0; i < m->n_arena_heaps; i++)
        if (m->arena_heaps[i].base == base)
            return;
    add_arena_heap(m, base, GLIBC_HEAP_MAX, 0, ev->ns, stack, ev->tid);
}

static void add_heap_event(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    if (m->n_heap_events == MAX_HEAP_EVENTS) {
        m->heap_events_dropped++;
        return;
    }
    if (m->n_heap_events == m->heap_events_cap) {
        size_t ncap = m->heap_events_cap ? m->heap_events_cap * 2 : 64;
        struct mta_heap_event *ne = mta_xreallocarray(m->heap_events, ncap, sizeof *ne);
        if (!ne) {
            m->heap_events_dropped++;
            return;
        }
        m->heap_events = ne;
        m->heap_events_cap = ncap;
    }
    struct mta_heap_event *h = &m->heap_events[m->n_heap_events++];
    memset(h, 0, sizeof *h);
    h->ns = ev->ns;
    h->type = ev->type;
    h->op = ev->op;
    h->cause = ev->cause;
    h->stack = stack;
    h->tid = ev->tid;
    h->addr = ev->addr;
    h->len = ev->len;
    h->naddr = ev->naddr;
    h->nlen = ev->nlen;
}

static struct mta_threshold_change *add_threshold_change(struct mta_model *m, uint64_t ns,
                                                         uint64_t value, uint32_t tid)
{
    if (m->n_thresholds == m->thresholds_cap) {
        size_t ncap = m->thresholds_cap ? m->thresholds_cap * 2 : 8;
        struct mta_threshold_change *nt = mta_xreallocarray(m->thresholds, ncap, sizeof *nt);
        if (!nt)
            return NULL;
        m->thresholds = nt;
        m->thresholds_cap = ncap;
    }
    struct mta_threshold_change *c = &m->thresholds[m->n_thresholds++];
    memset(c, 0, sizeof *c);
    c->ns = ns;
    c->old_value = m->threshold_now;
    c->new_value = value;
    c->free_tid = tid;
    return c;
}

/* glibc 2.36 free() (and realloc(p, 0), which calls it) of an mmapped chunk:
 *   if (!mp_.no_dyn_threshold && chunksize_nomask (p) > mp_.mmap_threshold
 *       && chunksize_nomask (p) <= DEFAULT_MMAP_THRESHOLD_MAX)
 *     mp_.mmap_threshold = chunksize (p);
 * chunksize_nomask keeps the IS_MMAPPED bit (2); chunksize is the mapping
 * length less memalign's offset (the chunk starts 16 bytes before the block).
 * A realloc that moves a block out of its mapping unmaps it without this. */
static void threshold_on_chunk_unmap(struct mta_model *m, const struct mta_event *ev)
{
    unsigned slot = ev->tid % 64;
    int known = m->recent_free[slot].tid == ev->tid && m->recent_free[slot].ptr >= ev->addr &&
                m->recent_free[slot].ptr < ev->addr + ev->len;
    int is_free = ev->cause == MT_CAUSE_FREE ||
                  (ev->cause == MT_CAUSE_REALLOC && known && m->recent_free[slot].by_realloc == 2);
    if (!is_free)
        return;
    uint64_t chunk = ev->len;
    if (known && m->recent_free[slot].ptr - GLIBC_CHUNK_HEADER >= ev->addr)
        chunk = ev->len - (m->recent_free[slot].ptr - GLIBC_CHUNK_HEADER - ev->addr);
    uint64_t raw = chunk | 2;
    if (!m->threshold_dynamic || raw <= m->threshold_now || raw > GLIBC_MMAP_THRESHOLD_MAX)
        return;
    struct mta_threshold_change *c = add_threshold_change(m, ev->ns, chunk, ev->tid);
    if (!c)
        return;
    if (known) {
        c->freed_ptr = m->recent_free[slot].ptr;
        c->freed_size = m->recent_free[slot].size;
        c->alloc_stack = m->recent_free[slot].stack;
    }
    m->threshold_now = chunk;
}

void mta_sources_on_alloc(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    unsigned band = band_of(ev->size), src = ev->source & 3;
    m->band_requests[band][src]++;
    mta_total_add(m, &m->band_bytes[band][src], ev->size);
    if (src == MT_SRC_MMAP || src == MT_SRC_BRK || src == MT_SRC_ARENA)
        threshold_stats_add(m, ev->size, src == MT_SRC_MMAP);
    if (src == MT_SRC_ARENA)
        note_arena_block(m, ev, stack);
}

void mta_sources_on_heap_event(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    add_heap_event(m, ev, stack);
    if (ev->type == MTA_EV_BRK) {
        m->brk_final = ev->naddr;
        if (ev->naddr > m->brk_max)
            m->brk_max = ev->naddr;
        if (!m->brk_initial)
            m->brk_initial = ev->addr;
        mta_usage_on_brk(m, ev->ns);
    } else if (ev->op == MT_MAP_CHUNK_MUNMAP) {
        threshold_on_chunk_unmap(m, ev);
    } else if (ev->op == MT_MAP_ARENA_HEAP) {
        add_arena_heap(m, ev->addr, ev->len, ev->nlen, ev->ns, stack, ev->tid);
    }
}

/* glibc: setting M_TRIM_THRESHOLD (-1), M_TOP_PAD (-2), M_MMAP_THRESHOLD
 * (-3) or M_MMAP_MAX (-4) freezes the threshold. */
void mta_sources_on_setting(struct mta_model *m, const struct mta_event *ev)
{
    if ((int)ev->kind >= -4 && (int)ev->kind <= -1)
        m->threshold_dynamic = 0;
    if ((int)ev->kind == -3 && (int64_t)ev->size >= 0) {
        struct mta_threshold_change *c = add_threshold_change(m, ev->ns, ev->size, ev->tid);
        if (c)
            c->by_mallopt = 1;
        m->threshold_now = ev->size;
    }
}

#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"

#define GLIBC_DEFAULT_MMAP_THRESHOLD (128u * 1024)
#define GLIBC_MMAP_THRESHOLD_MAX (32u * 1024 * 1024) /* 64-bit DEFAULT_MMAP_THRESHOLD_MAX */
#define GLIBC_HEAP_MAX (64ull << 20)                /* a thread arena's heap, 64-bit */
#define GLIBC_CHUNK_HEADER 16                       /* prev_size and size words */
#define MAX_HEAP_EVENTS 1000000                     /* kept for the timeline */
#define TEMPORARY_NS 1000000ull

const uint64_t mta_band_lo[MTA_BANDS] = {0, 64, 512, 4096, 32768, 131072, 1048576, 16777216};

static unsigned band_of(uint64_t size)
{
    unsigned b = MTA_BANDS - 1;
    while (b && size < mta_band_lo[b])
        b--;
    return b;
}

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
    free(m->sites);
    for (size_t i = 0; i < m->n_modules; i++)
        free(m->modules[i].path);
    free(m->modules);
    free(m->info.cmdline);
    free(m->info.exe);
    free(m->info.tunables);
    free(m->info.own_memory);
    free(m->heap_events);
    free(m->thresholds);
    free(m->arena_heaps);
    if (m->have_live_at_exit)
        mta_live_free(&m->live_at_exit);
    free(m->maps_start);
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
        struct mta_site *ns = realloc(m->sites, ncap * sizeof *ns);
        if (!ns)
            return NULL;
        memset(ns + m->sites_cap, 0, (ncap - m->sites_cap) * sizeof *ns);
        m->sites = ns;
        m->sites_cap = ncap;
    }
    return &m->sites[index];
}

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Reads glibc's settings from the recorded tunables text, if any. */
static void apply_tunables(struct mta_model *m)
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

/* Keeps our own copies of the info strings. */
static void take_info(struct mta_model *m, const struct mta_trace_info *in)
{
    free(m->info.cmdline);
    free(m->info.exe);
    free(m->info.tunables);
    free(m->info.own_memory);
    m->info = *in;
    m->info.cmdline = dup_str(in->cmdline);
    m->info.exe = dup_str(in->exe);
    m->info.tunables = dup_str(in->tunables);
    m->info.own_memory = dup_str(in->own_memory);
    if (m->info.tunables && !m->tunables_applied) {
        m->tunables_applied = 1;
        apply_tunables(m);
    }
}

/* Called with the header's facts, and again as info records add to them
 * (the tunables arrive before the first event). */
static void on_info(void *ctx, const struct mta_trace_info *in)
{
    struct mta_model *m = ctx;
    if (!m->have_info) {
        m->have_info = 1;
        m->brk_initial = m->brk_final = m->brk_max = in->initial_brk;
    }
    take_info(m, in);
}

static void on_done(void *ctx, const struct mta_trace_info *in)
{
    take_info(ctx, in);
}

static void on_stack(void *ctx, uint64_t id, const uint64_t *frames, unsigned n)
{
    struct mta_model *m = ctx;
    mta_stacks_add(&m->stacks, id, frames, n);
}

static void on_module(void *ctx, const struct mta_module *mod)
{
    struct mta_model *m = ctx;
    for (size_t i = 0; i < m->n_modules; i++)
        if (m->modules[i].start == mod->start && !strcmp(m->modules[i].path, mod->path))
            return;
    if (m->n_modules == m->modules_cap) {
        size_t ncap = m->modules_cap ? m->modules_cap * 2 : 32;
        struct mta_module *nm = realloc(m->modules, ncap * sizeof *nm);
        if (!nm)
            return;
        m->modules = nm;
        m->modules_cap = ncap;
    }
    m->modules[m->n_modules] = *mod;
    m->modules[m->n_modules].path = dup_str(mod->path);
    m->n_modules++;
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
        struct mta_arena_heap *nh = realloc(m->arena_heaps, ncap * sizeof *nh);
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

static void add_live(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    struct mta_block b = {ev->ptr, ev->size, ev->ns, stack, (uint8_t)ev->source,
                          (uint8_t)ev->kind};
    struct mta_block old;
    int r = mta_live_put(&m->live, &b, &old);
    if (r == 1) {
        /* the address is live twice: its free was not recorded */
        m->replaced_blocks++;
        m->live_bytes -= old.size;
        struct mta_site *s = site(m, old.stack);
        if (s) {
            s->live_blocks--;
            s->live_bytes -= old.size;
        }
    }
    m->allocations++;
    m->bytes_allocated += ev->size;
    m->live_bytes += ev->size;
    struct mta_site *s = site(m, stack);
    if (s) {
        s->allocs++;
        s->alloc_bytes += ev->size;
        s->live_blocks++;
        s->live_bytes += ev->size;
    }
    if (m->live_bytes > m->peak_bytes) {
        m->peak_bytes = m->live_bytes;
        m->peak_blocks = m->live.count;
        m->peak_ns = ev->ns;
    }
    unsigned band = band_of(ev->size), src = ev->source & 3;
    m->band_requests[band][src]++;
    m->band_bytes[band][src] += ev->size;
    if (src == MT_SRC_MMAP || src == MT_SRC_BRK || src == MT_SRC_ARENA)
        threshold_stats_add(m, ev->size, src == MT_SRC_MMAP);
    if (src == MT_SRC_ARENA)
        note_arena_block(m, ev, stack);
}

static int drop_live(struct mta_model *m, uint64_t ptr, uint64_t ns, uint32_t tid,
                     int by_realloc)
{
    struct mta_block b;
    if (!mta_live_take(&m->live, ptr, &b)) {
        m->untracked_frees++;
        return 0;
    }
    m->frees++;
    m->live_bytes -= b.size;
    struct mta_site *s = site(m, b.stack);
    if (s) {
        s->live_blocks--;
        s->live_bytes -= b.size;
        if (ns - b.ns < TEMPORARY_NS)
            s->temporary++;
    }
    unsigned slot = tid % 64;
    m->recent_free[slot].tid = tid;
    m->recent_free[slot].ptr = b.ptr;
    m->recent_free[slot].size = b.size;
    m->recent_free[slot].stack = b.stack;
    m->recent_free[slot].by_realloc = by_realloc;
    return 1;
}

static void add_heap_event(struct mta_model *m, const struct mta_event *ev, uint32_t stack)
{
    if (m->n_heap_events == MAX_HEAP_EVENTS) {
        m->heap_events_dropped++;
        return;
    }
    if (m->n_heap_events == m->heap_events_cap) {
        size_t ncap = m->heap_events_cap ? m->heap_events_cap * 2 : 64;
        struct mta_heap_event *ne = realloc(m->heap_events, ncap * sizeof *ne);
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
        struct mta_threshold_change *nt = realloc(m->thresholds, ncap * sizeof *nt);
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

static void keep_text(char **slot, const struct mta_event *ev)
{
    free(*slot);
    *slot = dup_n(ev->text, ev->text_len);
}

static int on_event(void *ctx, const struct mta_event *ev)
{
    struct mta_model *m = ctx;
    m->events++;
    m->last_ns = ev->ns;
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
        add_heap_event(m, ev, stack);
        m->brk_final = ev->naddr;
        if (ev->naddr > m->brk_max)
            m->brk_max = ev->naddr;
        if (!m->brk_initial)
            m->brk_initial = ev->addr;
        break;
    case MTA_EV_MAP:
        add_heap_event(m, ev, stack);
        if (ev->op == MT_MAP_CHUNK_MUNMAP)
            threshold_on_chunk_unmap(m, ev);
        else if (ev->op == MT_MAP_ARENA_HEAP)
            add_arena_heap(m, ev->addr, ev->len, ev->nlen, ev->ns, stack, ev->tid);
        break;
    case MTA_EV_MAPS:
        m->maps_snapshots++;
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
        /* glibc: setting M_TRIM_THRESHOLD (-1), M_TOP_PAD (-2),
         * M_MMAP_THRESHOLD (-3) or M_MMAP_MAX (-4) freezes the threshold */
        if ((int)ev->kind >= -4 && (int)ev->kind <= -1)
            m->threshold_dynamic = 0;
        if ((int)ev->kind == -3 && (int64_t)ev->size >= 0) {
            struct mta_threshold_change *c = add_threshold_change(m, ev->ns, ev->size, ev->tid);
            if (c)
                c->by_mallopt = 1;
            m->threshold_now = ev->size;
        }
        break;
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
    struct mta_sink s = {m, on_info, on_stack, on_module, on_event, on_done, on_upcoming};
    return s;
}

void mta_model_finish(struct mta_model *m)
{
    if (m->finished)
        return;
    m->finished = 1;
    for (size_t i = 0; i < m->live.cap; i++) {
        const struct mta_block *b = &m->live.slots[i];
        if (!b->ptr)
            continue;
        m->leaked_blocks++;
        m->leaked_bytes += b->size;
        struct mta_site *s = site(m, b->stack);
        if (s) {
            s->leak_blocks++;
            s->leak_bytes += b->size;
        }
    }
    site(m, (uint32_t)m->stacks.n); /* sites cover every stack index */
}

int mta_model_load(struct mta_model *m, const char *path, struct mta_error *err)
{
    struct mta_sink sink = mta_model_sink(m);
    m->source_path = strdup(path);
    int rc = mta_read_any(path, &sink, err);
    if (rc == 0)
        mta_model_finish(m);
    return rc;
}

/* The address space at exit as plain data (view_maps.h). */
#include "view_maps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "model_core.h"
#include "xalloc.h"

/* Keeps the region's MTA_MAP_OWNERS largest (stack, bytes) totals. */
static void offer_owner(struct mta_map_annotation *a, struct mta_map_owner o)
{
    int i = MTA_MAP_OWNERS;
    while (i > 0 && (!a->top[i - 1].blocks || a->top[i - 1].bytes < o.bytes))
        i--;
    if (i == MTA_MAP_OWNERS)
        return;
    memmove(&a->top[i + 1], &a->top[i], (MTA_MAP_OWNERS - 1 - (size_t)i) * sizeof o);
    a->top[i] = o;
}

struct placed {
    uint32_t region, stack;
    uint64_t size;
};

static int by_region_stack(const void *a, const void *b)
{
    const struct placed *x = a, *y = b;
    if (x->region != y->region)
        return x->region < y->region ? -1 : 1;
    return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* The live blocks of the snapshot's moment: those live when the exit
 * snapshot was taken, else (an unfinished trace) those live at its end. */
static const struct mta_live *live_blocks(const struct mta_model *m)
{
    return m->have_live_at_exit ? &m->live_at_exit : &m->live;
}

/* Exact per-region owner totals: sort the live blocks by (region, stack). */
static void place_blocks(struct mta_maps_view *view, const struct mta_model *m)
{
    const struct mta_live *live = live_blocks(m);
    struct placed *v = mta_xmalloc((live->count + 1) * sizeof *v);
    size_t n = 0;
    if (!v)
        return;
    for (size_t i = 0; i < live->cap; i++) {
        const struct mta_block *b = &live->slots[i];
        if (!b->ptr)
            continue;
        const struct mta_region *r = mta_regions_find(&view->rs, b->ptr);
        if (!r)
            continue;
        struct mta_map_annotation *a = &view->an[r - view->rs.v];
        a->live_blocks++;
        a->live_bytes += b->size;
        a->sources |= 1u << (b->source & 3);
        v[n++] = (struct placed){(uint32_t)(r - view->rs.v), b->stack, b->size};
    }
    qsort(v, n, sizeof *v, by_region_stack);
    for (size_t i = 0; i < n;) {
        struct mta_map_owner o = {v[i].stack, 0, 0};
        size_t j = i;
        for (; j < n && v[j].region == v[i].region && v[j].stack == v[i].stack; j++) {
            o.blocks++;
            o.bytes += v[j].size;
        }
        offer_owner(&view->an[v[i].region], o);
        i = j;
    }
    free(v);
}

static const struct mta_arena_heap *arena_heap_of(const struct mta_model *m,
                                                  const struct mta_region *r)
{
    for (size_t i = 0; i < m->n_arena_heaps; i++) {
        const struct mta_arena_heap *h = &m->arena_heaps[i];
        if (r->start >= h->base && r->end <= h->base + h->size)
            return h;
    }
    return NULL;
}

/* Regions of the start snapshot, to mark those present from the start. */
static int present_at_start(const struct mta_regions *start, const struct mta_region *r)
{
    const struct mta_region *s = mta_regions_find(start, r->start);
    return s && s->start == r->start && s->name_len == r->name_len &&
           !memcmp(s->name, r->name, r->name_len);
}

static const char *anonymous_label(const struct mta_model *m, const struct mta_region *r,
                                   const struct mta_map_annotation *a)
{
    if (arena_heap_of(m, r))
        return strcmp(r->perms, "---p") ? "thread arena heap"
                                        : "thread arena heap (reserved, not yet writable)";
    if (a->sources & (1u << MT_SRC_ARENA))
        return "thread arena heap";
    if (a->sources & (1u << MT_SRC_MMAP))
        return a->live_blocks == 1 ? "malloc'd block in its own mmap"
                                   : "malloc'd blocks, each in its own mmap";
    if (a->startup)
        return "anonymous, present at start (loader, libc or mtrace data)";
    return a->live_blocks ? "anonymous, with heap blocks" : NULL;
}

/* The program's own mappings (its mmap/mremap calls, cause "app") still
 * mapped at the end, from the heap events in order. */
struct app_map {
    uint64_t start, end;
    uint32_t stack;
};

/* Appends (start, end, stack); 0, or -1 if out of memory (nothing added). */
static int push_map(struct app_map **v, size_t *n, size_t *cap, struct app_map a)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct app_map *nv = mta_xreallocarray(*v, nc, sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = a;
    return 0;
}

static size_t app_maps(const struct mta_model *m, struct app_map **out)
{
    size_t n = 0, cap = 0;
    struct app_map *v = NULL;
    for (size_t i = 0; i < m->n_heap_events; i++) {
        const struct mta_heap_event *h = &m->heap_events[i];
        if (h->type != MTA_EV_MAP || h->cause != MT_CAUSE_APP)
            continue;
        uint64_t lo = h->addr, hi = h->addr + h->len;
        if (h->op == MT_MAP_MUNMAP || h->op == MT_MAP_MREMAP) {
            /* what is gone: cut [lo, hi) out of the known mappings */
            for (size_t j = 0; j < n; j++) {
                struct app_map *a = &v[j];
                if (a->end <= lo || a->start >= hi)
                    continue;
                if (a->start < lo && a->end > hi) { /* a hole in the middle */
                    struct app_map right = {hi, a->end, a->stack};
                    if (push_map(&v, &n, &cap, right))
                        continue;
                    v[j].end = lo;
                } else if (a->start < lo) {
                    a->end = lo;
                } else if (a->end > hi) {
                    a->start = hi;
                } else {
                    a->start = a->end = 0;
                }
            }
            if (h->op == MT_MAP_MUNMAP)
                continue;
            lo = h->naddr;
            hi = h->naddr + h->nlen;
        } else if (h->op != MT_MAP_MMAP) {
            continue;
        }
        if (hi <= lo)
            continue;
        push_map(&v, &n, &cap, (struct app_map){lo, hi, h->stack});
    }
    *out = v;
    return n;
}

/* Marks the regions the program's own mmap calls made, with the stack of
 * the call that made the most of each. */
static void place_app_maps(struct mta_maps_view *view, const struct mta_model *m)
{
    struct app_map *v;
    size_t n = app_maps(m, &v);
    uint64_t *best = mta_xcalloc(view->rs.n + 1, sizeof *best);
    for (size_t j = 0; best && j < n; j++) {
        if (v[j].end <= v[j].start)
            continue;
        for (size_t i = 0; i < view->rs.n; i++) {
            const struct mta_region *r = &view->rs.v[i];
            if (r->end <= v[j].start || r->start >= v[j].end)
                continue;
            uint64_t lo = r->start > v[j].start ? r->start : v[j].start;
            uint64_t hi = r->end < v[j].end ? r->end : v[j].end;
            if (hi - lo > best[i]) {
                best[i] = hi - lo;
                view->an[i].by_program = 1;
                view->an[i].map_stack = v[j].stack;
            }
        }
    }
    free(best);
    free(v);
}

static const char *region_label(const struct mta_model *m, const struct mta_maps_view *v, size_t i)
{
    const char *kind = mta_region_kind(&v->rs, i, m->info.exe);
    const struct mta_map_annotation *a = &v->an[i];
    if (a->by_program && !a->live_blocks &&
        (!strcmp(kind, "anonymous") || !strcmp(kind, "bss of the preceding object")))
        return "mapped by the program (its own mmap)";
    if (!strcmp(kind, "anonymous") || (!strcmp(kind, "bss of the preceding object") && a->live_blocks))
        return anonymous_label(m, &v->rs.v[i], a);
    if (!strcmp(kind, "brk heap"))
        return "brk heap (main arena)";
    return kind;
}

static const char *regions_text(const struct mta_model *m, int *have_smaps)
{
    *have_smaps = m->smaps_exit != NULL;
    if (m->smaps_exit)
        return m->smaps_exit;
    if (m->maps_exit)
        return m->maps_exit;
    return m->maps_latest ? m->maps_latest : m->maps_start;
}

/* Sums the regions' sizes, whole and the program's. */
static void add_totals(struct mta_maps_view *v)
{
    for (size_t i = 0; i < v->rs.n; i++) {
        const struct mta_region *r = &v->rs.v[i];
        const struct mta_map_annotation *an = &v->an[i];
        uint64_t kb = (r->end - r->start) / 1024;
        v->all.kb += kb;
        v->all.rss_kb += r->rss_kb;
        v->all.pss_kb += r->pss_kb;
        v->all.anon_kb += r->anon_kb;
        v->size += r->end - r->start;
        if (an->tracer)
            continue;
        v->program.kb += kb - an->own_bytes / 1024;
        v->program.rss_kb += r->rss_kb;
        v->program.pss_kb += r->pss_kb;
        v->program.anon_kb += r->anon_kb;
        v->program_size += r->end - r->start - an->own_bytes;
    }
}

int mta_maps_view_make(struct mta_maps_view *v, const struct mta_model *m)
{
    int have_smaps;
    const char *text = regions_text(m, &have_smaps);
    memset(v, 0, sizeof *v);
    v->have_smaps = have_smaps;
    v->at_exit = m->maps_exit || m->smaps_exit;
    if (!text || mta_regions_parse(text, &v->rs))
        return -1;
    v->an = mta_xcalloc(v->rs.n + 1, sizeof *v->an);
    struct mta_regions start;
    if (!v->an || mta_regions_parse(m->maps_start, &start)) {
        mta_regions_free(&v->rs);
        free(v->an);
        return -1;
    }
    for (size_t i = 0; i < v->rs.n; i++)
        v->an[i].startup = present_at_start(&start, &v->rs.v[i]);
    mta_regions_free(&start);
    place_blocks(v, m);
    place_app_maps(v, m);
    for (size_t i = 0; i < v->rs.n; i++) {
        struct mta_map_annotation *a = &v->an[i];
        const struct mta_region *r = &v->rs.v[i];
        a->label = region_label(m, v, i);
        a->own_bytes = r->name_len ? 0 : mta_own_bytes(m->info.own_memory, r->start, r->end);
        const char *kind = mta_region_kind(&v->rs, i, m->info.exe);
        a->tracer = !strcmp(kind, "mtrace's own memory") || !strcmp(kind, "mtrace trace file") ||
                    !strcmp(kind, "mtrace reserved space") || !strcmp(kind, "mtrace (the tracer)");
        if (a->own_bytes == r->end - r->start) {
            a->label = "mtrace's own memory";
            a->tracer = 1;
        } else if (a->own_bytes) {
            char kib[32];
            mta_human_bytes(kib, sizeof kib, a->own_bytes);
            snprintf(a->label_buf, sizeof a->label_buf, "%s; with %s of mtrace's own memory "
                     "(the kernel merged adjacent mappings)", a->label ? a->label : "anonymous", kib);
            a->label = a->label_buf;
        }
    }
    add_totals(v);
    return 0;
}

void mta_maps_view_free(struct mta_maps_view *v)
{
    mta_regions_free(&v->rs);
    free(v->an);
}


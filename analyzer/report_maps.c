/* A pmap -X-like table of the address space at exit, each region annotated
 * with what mtrace knows it is and with the heap blocks live inside it (as
 * they were when the exit snapshot was taken) and the stacks that own them. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "regions.h"
#include "render_json.h"
#include "render_text.h"
#include "text_util.h"
#include "xalloc.h"


#define TOP_OWNERS 3

struct owner {
    uint32_t stack;
    uint64_t blocks, bytes;
};

/* What the report adds to each region of the snapshot. */
struct annotation {
    const char *label;
    char label_buf[160];  /* a label with the tracer's share appended */
    uint64_t own_bytes;   /* of it, the tracer's own memory */
    int startup;          /* the region was there when tracing began */
    uint64_t live_blocks, live_bytes;
    unsigned sources;     /* bit per enum mt_source */
    struct owner top[TOP_OWNERS];
    uint32_t map_stack;   /* the program's own mmap that made it (stack index) */
    int by_program;       /* made by the program's own mmap/mremap */
    int tracer;           /* the tracer's: own memory, trace file, reservation,
                             libmtrace.so */
};

struct table {
    struct mta_regions rs;
    struct annotation *an;
};

/* Keeps the region's TOP_OWNERS largest (stack, bytes) totals. */
static void offer_owner(struct annotation *a, struct owner o)
{
    int i = TOP_OWNERS;
    while (i > 0 && (!a->top[i - 1].blocks || a->top[i - 1].bytes < o.bytes))
        i--;
    if (i == TOP_OWNERS)
        return;
    memmove(&a->top[i + 1], &a->top[i], (TOP_OWNERS - 1 - (size_t)i) * sizeof o);
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
static void place_blocks(struct table *tb, const struct mta_model *m)
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
        const struct mta_region *r = mta_regions_find(&tb->rs, b->ptr);
        if (!r)
            continue;
        struct annotation *a = &tb->an[r - tb->rs.v];
        a->live_blocks++;
        a->live_bytes += b->size;
        a->sources |= 1u << (b->source & 3);
        v[n++] = (struct placed){(uint32_t)(r - tb->rs.v), b->stack, b->size};
    }
    qsort(v, n, sizeof *v, by_region_stack);
    for (size_t i = 0; i < n;) {
        struct owner o = {v[i].stack, 0, 0};
        size_t j = i;
        for (; j < n && v[j].region == v[i].region && v[j].stack == v[i].stack; j++) {
            o.blocks++;
            o.bytes += v[j].size;
        }
        offer_owner(&tb->an[v[i].region], o);
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
                                   const struct annotation *a)
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
                    if (n == cap) {
                        size_t nc = cap ? cap * 2 : 16;
                        struct app_map *nv = realloc(v, nc * sizeof *nv);
                        if (!nv)
                            continue;
                        v = nv;
                        cap = nc;
                        a = &v[j];
                    }
                    v[n++] = (struct app_map){hi, a->end, a->stack};
                    a->end = lo;
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
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct app_map *nv = realloc(v, nc * sizeof *nv);
            if (!nv)
                continue;
            v = nv;
            cap = nc;
        }
        v[n++] = (struct app_map){lo, hi, h->stack};
    }
    *out = v;
    return n;
}

/* Marks the regions the program's own mmap calls made, with the stack of
 * the call that made the most of each. */
static void place_app_maps(struct table *tb, const struct mta_model *m)
{
    struct app_map *v;
    size_t n = app_maps(m, &v);
    uint64_t *best = calloc(tb->rs.n + 1, sizeof *best);
    for (size_t j = 0; best && j < n; j++) {
        if (v[j].end <= v[j].start)
            continue;
        for (size_t i = 0; i < tb->rs.n; i++) {
            const struct mta_region *r = &tb->rs.v[i];
            if (r->end <= v[j].start || r->start >= v[j].end)
                continue;
            uint64_t lo = r->start > v[j].start ? r->start : v[j].start;
            uint64_t hi = r->end < v[j].end ? r->end : v[j].end;
            if (hi - lo > best[i]) {
                best[i] = hi - lo;
                tb->an[i].by_program = 1;
                tb->an[i].map_stack = v[j].stack;
            }
        }
    }
    free(best);
    free(v);
}

static const char *region_label(const struct mta_model *m, const struct table *tb, size_t i)
{
    const char *kind = mta_region_kind(&tb->rs, i, m->info.exe);
    const struct annotation *a = &tb->an[i];
    if (a->by_program && !a->live_blocks &&
        (!strcmp(kind, "anonymous") || !strcmp(kind, "bss of the preceding object")))
        return "mapped by the program (its own mmap)";
    if (!strcmp(kind, "anonymous") || (!strcmp(kind, "bss of the preceding object") && a->live_blocks))
        return anonymous_label(m, &tb->rs.v[i], a);
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

static int table_build(struct table *tb, const struct mta_model *m, int *have_smaps)
{
    const char *text = regions_text(m, have_smaps);
    memset(tb, 0, sizeof *tb);
    if (!text || mta_regions_parse(text, &tb->rs))
        return -1;
    tb->an = mta_xcalloc(tb->rs.n + 1, sizeof *tb->an);
    struct mta_regions start;
    if (!tb->an || mta_regions_parse(m->maps_start, &start)) {
        mta_regions_free(&tb->rs);
        free(tb->an);
        return -1;
    }
    for (size_t i = 0; i < tb->rs.n; i++)
        tb->an[i].startup = present_at_start(&start, &tb->rs.v[i]);
    mta_regions_free(&start);
    place_blocks(tb, m);
    place_app_maps(tb, m);
    for (size_t i = 0; i < tb->rs.n; i++) {
        struct annotation *a = &tb->an[i];
        const struct mta_region *r = &tb->rs.v[i];
        a->label = region_label(m, tb, i);
        a->own_bytes = r->name_len ? 0 : mta_own_bytes(m->info.own_memory, r->start, r->end);
        const char *kind = mta_region_kind(&tb->rs, i, m->info.exe);
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
    return 0;
}

static void table_free(struct table *tb)
{
    mta_regions_free(&tb->rs);
    free(tb->an);
}

static const char *snapshot_name(const struct mta_model *m)
{
    return m->maps_exit || m->smaps_exit ? "exit" : "last";
}

void mta_report_maps_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    int have_smaps;
    struct table tb;
    if (table_build(&tb, m, &have_smaps)) {
        fprintf(out, "No /proc/self/maps snapshot in this trace.\n");
        return;
    }
    fprintf(out, "Address space %s (from /proc/%llu/%s)\n",
            !strcmp(snapshot_name(m), "exit") ? "at exit (when main returned or exit() was called)"
                                              : "at the last snapshot",
            (unsigned long long)m->info.pid, have_smaps ? "smaps" : "maps");
    fprintf(out, "%16s %10s %8s %8s %8s %-4s %12s %14s  %s\n", "Address", "Kbytes", "RSS", "PSS",
            "Anon", "Mode", "live blocks", "live bytes", "Mapping  [what it is]");
    uint64_t tot_kb = 0, tot_rss = 0, tot_pss = 0, tot_anon = 0;
    uint64_t prog_kb = 0, prog_rss = 0, prog_pss = 0, prog_anon = 0;
    char a[32], b[32];
    for (size_t i = 0; i < tb.rs.n; i++) {
        const struct mta_region *r = &tb.rs.v[i];
        const struct annotation *an = &tb.an[i];
        uint64_t kb = (r->end - r->start) / 1024;
        tot_kb += kb;
        tot_rss += r->rss_kb;
        tot_pss += r->pss_kb;
        tot_anon += r->anon_kb;
        if (!an->tracer) {
            /* a merged region: its size without the tracer's share (RSS of
             * the share is unknown: counted as the program's) */
            prog_kb += kb - an->own_bytes / 1024;
            prog_rss += r->rss_kb;
            prog_pss += r->pss_kb;
            prog_anon += r->anon_kb;
        }
        fprintf(out, "%16llx %10llu %8llu %8llu %8llu %-4s %12s %14s  %.*s",
                (unsigned long long)r->start, (unsigned long long)kb,
                (unsigned long long)r->rss_kb, (unsigned long long)r->pss_kb,
                (unsigned long long)r->anon_kb, r->perms,
                an->live_blocks ? mta_commas(a, sizeof a, an->live_blocks) : "",
                an->live_blocks ? mta_commas(b, sizeof b, an->live_bytes) : "",
                (int)r->name_len, r->name);
        if (an->label)
            fprintf(out, "%s[%s]", r->name_len ? "  " : "", an->label);
        fputc('\n', out);
        for (int k = 0; k < TOP_OWNERS && an->top[k].blocks; k++) {
            struct mta_frame frames[MT_MAX_DEPTH * 2];
            unsigned nf = mta_stack_frames(sym, m, an->top[k].stack, o, frames, 64);
            fprintf(out, "%16s   owner #%d: %s bytes in %s blocks, allocated at\n", "", k + 1,
                    mta_commas(a, sizeof a, an->top[k].bytes),
                    mta_commas(b, sizeof b, an->top[k].blocks));
            for (unsigned f = 0; f < nf && f < 3; f++)
                mta_print_frame(out, &frames[f], o);
        }
        if (an->by_program) {
            struct mta_frame frames[MT_MAX_DEPTH * 2];
            unsigned nf = mta_stack_frames(sym, m, an->map_stack, o, frames, 64);
            fprintf(out, "%16s   mapped by the program at\n", "");
            if (!nf)
                fprintf(out, "      (no stack recorded)\n");
            for (unsigned f = 0; f < nf && f < 3; f++)
                mta_print_frame(out, &frames[f], o);
        }
    }
    fprintf(out, "%16s %10llu %8llu %8llu %8llu\n", "total kB", (unsigned long long)tot_kb,
            (unsigned long long)tot_rss, (unsigned long long)tot_pss, (unsigned long long)tot_anon);
    fprintf(out, "%16s %10llu %8llu %8llu %8llu  (the program's: without mtrace's own memory, "
            "trace file, reserved space and libmtrace.so)\n", "program kB",
            (unsigned long long)prog_kb, (unsigned long long)prog_rss,
            (unsigned long long)prog_pss, (unsigned long long)prog_anon);
    table_free(&tb);
}

static json_t *region_json(const struct mta_model *m, const struct mta_region *r,
                           const struct annotation *an, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o)
{
    json_t *owners = json_array();
    for (int k = 0; k < TOP_OWNERS && an->top[k].blocks; k++)
        json_array_append_new(owners, json_pack("{s:I,s:I,s:o}", "blocks",
                                                (json_int_t)an->top[k].blocks, "bytes",
                                                (json_int_t)an->top[k].bytes, "frames",
                                                mta_json_frames(sym, m, an->top[k].stack, o)));
    json_t *jr = json_pack("{s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:s,s:I,s:s%,s:o,s:b}",
        "start", mta_json_hex(r->start), "end", mta_json_hex(r->end),
        "size", (json_int_t)(r->end - r->start), "rss", (json_int_t)(r->rss_kb * 1024),
        "pss", (json_int_t)(r->pss_kb * 1024), "anonymous", (json_int_t)(r->anon_kb * 1024),
        "swap", (json_int_t)(r->swap_kb * 1024), "perms", r->perms,
        "offset", (json_int_t)r->offset, "device", r->dev, "inode", (json_int_t)r->inode,
        "name", r->name, r->name_len,
        "label", an->label ? json_string(an->label) : json_null(), "startup", an->startup);
    json_object_set_new(jr, "mtrace_bytes", json_integer((json_int_t)an->own_bytes));
    json_object_set_new(jr, "live_blocks", json_integer((json_int_t)an->live_blocks));
    json_object_set_new(jr, "live_bytes", json_integer((json_int_t)an->live_bytes));
    json_object_set_new(jr, "owners", owners);
    json_object_set_new(jr, "tracer", json_boolean(an->tracer));
    json_object_set_new(jr, "mapped_by_program",
                        an->by_program ? mta_json_frames(sym, m, an->map_stack, o) : json_null());
    return jr;
}

json_t *mta_maps_json(const struct mta_model *m, struct mta_symbolizer *sym,
                      const struct mta_report_opts *o)
{
    int have_smaps;
    struct table tb;
    json_t *arr = json_array();
    if (table_build(&tb, m, &have_smaps))
        return json_pack("{s:o,s:n}", "regions", arr, "snapshot");
    uint64_t total = 0, program = 0;
    for (size_t i = 0; i < tb.rs.n; i++) {
        const struct mta_region *r = &tb.rs.v[i];
        json_array_append_new(arr, region_json(m, r, &tb.an[i], sym, o));
        total += r->end - r->start;
        if (!tb.an[i].tracer)
            program += r->end - r->start - tb.an[i].own_bytes;
    }
    table_free(&tb);
    return json_pack("{s:o,s:s,s:b,s:I,s:I}", "regions", arr, "snapshot", snapshot_name(m),
                     "smaps", have_smaps, "total_size", (json_int_t)total, "program_size",
                     (json_int_t)program);
}

/* A pmap -X-like table of the address space at exit, each region annotated
 * with the live heap blocks inside it and the stacks that own them. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

json_t *mta_json_hex(uint64_t v);
json_t *mta_json_frames(struct mta_symbolizer *sym, const struct mta_model *m, uint32_t stack,
                        const struct mta_report_opts *o);
void mta_print_frame(FILE *out, const struct mta_frame *f, const struct mta_report_opts *o);

#define TOP_OWNERS 3

struct owner {
    uint32_t stack;
    uint64_t blocks, bytes;
};

struct region {
    uint64_t start, end, offset, inode;
    char perms[5];
    char dev[16];
    const char *name;     /* points into the maps text copy */
    size_t name_len;
    uint64_t rss_kb, pss_kb, anon_kb, swap_kb;
    int have_smaps;
    const char *label;    /* what mtrace knows it is */
    uint64_t live_blocks, live_bytes;
    unsigned sources;     /* bit per enum mt_source */
    struct owner top[TOP_OWNERS];
};

struct regions {
    struct region *v;
    size_t n;
    char *text;           /* owned copy with NULs at line ends */
};

static int parse_header_line(char *line, struct region *r)
{
    unsigned long long s, e, off, ino;
    char perms[8], dev[16];
    int name_at = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &s, &e, perms, &off, dev, &ino,
               &name_at) < 6)
        return -1;
    memset(r, 0, sizeof *r);
    r->start = s;
    r->end = e;
    r->offset = off;
    r->inode = ino;
    memcpy(r->perms, perms, 4);
    snprintf(r->dev, sizeof r->dev, "%s", dev);
    r->name = name_at ? line + name_at : "";
    r->name_len = strlen(r->name);
    return e >= s ? 0 : -1;
}

/* Parses maps or smaps text (smaps: a header line, then "Key: N kB" lines). */
static int parse_regions(const char *text, struct regions *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return 0;
    out->text = strdup(text);
    if (!out->text)
        return -1;
    size_t cap = 64;
    out->v = calloc(cap, sizeof *out->v);
    if (!out->v)
        return -1;
    struct region *cur = NULL;
    for (char *line = out->text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        struct region r;
        if (parse_header_line(line, &r) == 0) {
            if (out->n == cap) {
                cap *= 2;
                struct region *nv = realloc(out->v, cap * sizeof *nv);
                if (!nv)
                    return -1;
                out->v = nv;
            }
            out->v[out->n] = r;
            cur = &out->v[out->n++];
        } else if (cur) {
            unsigned long long kb;
            if (sscanf(line, "Rss: %llu kB", &kb) == 1)
                cur->rss_kb = kb, cur->have_smaps = 1;
            else if (sscanf(line, "Pss: %llu kB", &kb) == 1)
                cur->pss_kb = kb;
            else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
                cur->anon_kb = kb;
            else if (sscanf(line, "Swap: %llu kB", &kb) == 1)
                cur->swap_kb = kb;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

static struct region *find_region(struct regions *rs, uint64_t addr)
{
    size_t lo = 0, hi = rs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (addr < rs->v[mid].start)
            hi = mid;
        else if (addr >= rs->v[mid].end)
            lo = mid + 1;
        else
            return &rs->v[mid];
    }
    return NULL;
}

/* Keeps the region's TOP_OWNERS largest (stack, bytes) totals. */
static void offer_owner(struct region *r, struct owner o)
{
    int i = TOP_OWNERS;
    while (i > 0 && (!r->top[i - 1].blocks || r->top[i - 1].bytes < o.bytes))
        i--;
    if (i == TOP_OWNERS)
        return;
    memmove(&r->top[i + 1], &r->top[i], (TOP_OWNERS - 1 - (size_t)i) * sizeof o);
    r->top[i] = o;
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

/* Exact per-region owner totals: sort the live blocks by (region, stack). */
static void compute_owners(struct regions *rs, const struct mta_model *m)
{
    struct placed *v = malloc((m->live.count + 1) * sizeof *v);
    size_t n = 0;
    if (!v)
        return;
    for (size_t i = 0; i < m->live.cap; i++) {
        const struct mta_block *b = &m->live.slots[i];
        if (!b->ptr)
            continue;
        struct region *r = find_region(rs, b->ptr);
        if (!r)
            continue;
        r->live_blocks++;
        r->live_bytes += b->size;
        r->sources |= 1u << (b->source & 3);
        v[n++] = (struct placed){(uint32_t)(r - rs->v), b->stack, b->size};
    }
    qsort(v, n, sizeof *v, by_region_stack);
    for (size_t i = 0; i < n;) {
        struct owner o = {v[i].stack, 0, 0};
        size_t j = i;
        for (; j < n && v[j].region == v[i].region && v[j].stack == v[i].stack; j++) {
            o.blocks++;
            o.bytes += v[j].size;
        }
        offer_owner(&rs->v[v[i].region], o);
        i = j;
    }
    free(v);
}

static int name_is(const struct region *r, const char *s)
{
    return r->name_len == strlen(s) && !memcmp(r->name, s, r->name_len);
}

static void label_regions(struct regions *rs, const struct mta_model *m)
{
    compute_owners(rs, m);
    for (size_t i = 0; i < rs->n; i++) {
        struct region *r = &rs->v[i];
        if (name_is(r, "[heap]"))
            r->label = "brk heap (main arena)";
        else if (name_is(r, "[stack]"))
            r->label = "main thread stack";
        else if (r->name_len > 6 && !memcmp(r->name + r->name_len - 6, ".trace", 6))
            r->label = "mtrace trace file";
        else if (i > 0 && !r->name_len && !strcmp(r->perms, "---p") && rs->v[i - 1].label &&
                 !strcmp(rs->v[i - 1].label, "mtrace trace file"))
            r->label = "mtrace reserved space";
        else if (r->sources & (1u << MT_SRC_ARENA))
            r->label = "thread arena heap";
        else if (r->sources & (1u << MT_SRC_MMAP))
            r->label = "malloc'd block(s) in their own mmap";
        else if (!r->name_len && r->live_blocks)
            r->label = "anonymous";
    }
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

static void free_regions(struct regions *rs)
{
    free(rs->v);
    free(rs->text);
}

void mta_report_maps_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    int have_smaps;
    const char *text = regions_text(m, &have_smaps);
    struct regions rs;
    if (!text || parse_regions(text, &rs)) {
        fprintf(out, "No /proc/self/maps snapshot in this trace.\n");
        return;
    }
    label_regions(&rs, m);
    fprintf(out, "Address space %s (from /proc/%llu/%s)\n",
            m->maps_exit || m->smaps_exit ? "at exit" : "at the last snapshot",
            (unsigned long long)m->info.pid, have_smaps ? "smaps" : "maps");
    fprintf(out, "%16s %10s %8s %8s %8s %-4s %12s %14s  %s\n", "Address", "Kbytes", "RSS", "PSS",
            "Anon", "Mode", "live blocks", "live bytes", "Mapping");
    uint64_t tot_kb = 0, tot_rss = 0, tot_pss = 0, tot_anon = 0;
    char a[32], b[32];
    for (size_t i = 0; i < rs.n; i++) {
        struct region *r = &rs.v[i];
        uint64_t kb = (r->end - r->start) / 1024;
        tot_kb += kb;
        tot_rss += r->rss_kb;
        tot_pss += r->pss_kb;
        tot_anon += r->anon_kb;
        fprintf(out, "%16llx %10llu %8llu %8llu %8llu %-4s %12s %14s  %.*s%s%s%s\n",
                (unsigned long long)r->start, (unsigned long long)kb,
                (unsigned long long)r->rss_kb, (unsigned long long)r->pss_kb,
                (unsigned long long)r->anon_kb, r->perms,
                r->live_blocks ? mta_commas(a, sizeof a, r->live_blocks) : "",
                r->live_blocks ? mta_commas(b, sizeof b, r->live_bytes) : "",
                (int)r->name_len, r->name, r->name_len && r->label ? "  " : "",
                r->label ? "[" : "", r->label ? r->label : "");
        if (r->label)
            fputc(']', out), fputc('\n', out);
        for (int k = 0; k < TOP_OWNERS && r->top[k].blocks; k++) {
            struct mta_frame frames[MT_MAX_DEPTH * 2];
            unsigned nf = mta_stack_frames(sym, m, r->top[k].stack, o, frames, 64);
            fprintf(out, "%16s   owner #%d: %s bytes in %s blocks, allocated at\n", "", k + 1,
                    mta_commas(a, sizeof a, r->top[k].bytes), mta_commas(b, sizeof b, r->top[k].blocks));
            for (unsigned f = 0; f < nf && f < 3; f++)
                mta_print_frame(out, &frames[f], o);
        }
    }
    fprintf(out, "%16s %10llu %8llu %8llu %8llu\n", "total kB", (unsigned long long)tot_kb,
            (unsigned long long)tot_rss, (unsigned long long)tot_pss, (unsigned long long)tot_anon);
    free_regions(&rs);
}

json_t *mta_maps_json(const struct mta_model *m, struct mta_symbolizer *sym,
                      const struct mta_report_opts *o)
{
    int have_smaps;
    const char *text = regions_text(m, &have_smaps);
    struct regions rs;
    json_t *arr = json_array();
    if (!text || parse_regions(text, &rs))
        return json_pack("{s:o,s:n}", "regions", arr, "snapshot");
    label_regions(&rs, m);
    for (size_t i = 0; i < rs.n; i++) {
        struct region *r = &rs.v[i];
        json_t *owners = json_array();
        for (int k = 0; k < TOP_OWNERS && r->top[k].blocks; k++)
            json_array_append_new(owners, json_pack("{s:I,s:I,s:o}", "blocks",
                                                    (json_int_t)r->top[k].blocks, "bytes",
                                                    (json_int_t)r->top[k].bytes, "frames",
                                                    mta_json_frames(sym, m, r->top[k].stack, o)));
        json_array_append_new(arr, json_pack(
            "{s:o,s:o,s:I,s:I,s:I,s:I,s:s,s:s%,s:o,s:I,s:I,s:o}",
            "start", mta_json_hex(r->start), "end", mta_json_hex(r->end),
            "size", (json_int_t)(r->end - r->start), "rss", (json_int_t)(r->rss_kb * 1024),
            "pss", (json_int_t)(r->pss_kb * 1024), "anonymous", (json_int_t)(r->anon_kb * 1024),
            "perms", r->perms, "name", r->name, r->name_len,
            "label", r->label ? json_string(r->label) : json_null(),
            "live_blocks", (json_int_t)r->live_blocks, "live_bytes", (json_int_t)r->live_bytes,
            "owners", owners));
    }
    free_regions(&rs);
    return json_pack("{s:o,s:s,s:b}", "regions", arr, "snapshot",
                     m->maps_exit || m->smaps_exit ? "exit" : "last", "smaps", have_smaps);
}

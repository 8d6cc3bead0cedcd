/* Folded stacks and flame graphs (view_folded.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "model.h"
#include "view_folded.h"
#include "xalloc.h"

/* Appends a frame's name: the function, else module+offset, else the address. */
static void put_name(FILE *out, const struct mta_frame *f)
{
    char buf[64];
    const char *name = f->function;
    if (!name) {
        const char *mod = f->module ? strrchr(f->module, '/') : NULL;
        mod = mod ? mod + 1 : f->module;
        if (mod && *mod)
            snprintf(buf, sizeof buf, "%.40s+0x%llx", mod, (unsigned long long)f->offset);
        else
            snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)f->address);
        name = buf;
    }
    for (const char *c = name; *c; c++)
        fputc(*c == ';' || (unsigned char)*c < 0x20 || *c == 0x7f ? '_' : *c, out);
}

/* Frame by frame: ';' sorts before every other byte, so the lines that
 * share leading frames are neighbours. */
static int frames_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = *a == ';' ? 1 : (unsigned char)*a;
        unsigned char y = *b == ';' ? 1 : (unsigned char)*b;
        if (x != y || !x)
            return (x > y) - (x < y);
    }
}

static int by_frames(const void *a, const void *b)
{
    return frames_cmp(((const struct mta_folded_line *)a)->frames,
                      ((const struct mta_folded_line *)b)->frames);
}

/* Sorted frame by frame, and stacks that symbolise alike (two call sites
 * on one line; one stack in two processes) are one line. */
static void sort_and_sum(struct mta_folded *f)
{
    qsort(f->v, f->n, sizeof *f->v, by_frames);
    size_t out = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (out && !strcmp(f->v[out - 1].frames, f->v[i].frames)) {
            f->v[out - 1].weight = mta_sat_sum(f->v[out - 1].weight, f->v[i].weight);
            free(f->v[i].frames);
        } else {
            f->v[out++] = f->v[i];
        }
    }
    f->n = out;
}

void mta_folded_make(struct mta_folded *f, const struct mta_model *m, struct mta_symbolizer *sym,
                     const struct mta_report_opts *o, enum mta_cost weight)
{
    memset(f, 0, sizeof *f);
    size_t n;
    uint32_t *order = mta_sites_ranked(m, weight, &n);
    struct mta_report_opts all = *o;
    all.max_frames = 0;
    struct mta_frame *frames = mta_xmalloc(MT_MAX_DEPTH * 2 * sizeof *frames);
    f->v = mta_xcalloc(n + 1, sizeof *f->v);
    for (size_t i = 0; i < n; i++) {
        uint64_t w = mta_site_cost(&m->sites[order[i]], weight);
        if (!w)
            continue;
        unsigned k = mta_stack_frames(sym, m, order[i], &all, frames, MT_MAX_DEPTH * 2);
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        if (!out)
            mta_out_of_memory("folded stacks");
        if (!k)
            fputs("[no stack]", out);
        for (unsigned j = k; j-- > 0;) {
            put_name(out, &frames[j]);
            if (j)
                fputc(';', out);
        }
        if (fclose(out))
            mta_out_of_memory("folded stacks");
        f->v[f->n++] = (struct mta_folded_line){text, w};
        f->total = mta_sat_sum(f->total, w);
    }
    free(frames);
    free(order);
    sort_and_sum(f);
}

void mta_folded_merge(struct mta_folded *into, struct mta_folded *from)
{
    into->v = mta_xreallocarray(into->v, into->n + from->n + 1, sizeof *into->v);
    memcpy(into->v + into->n, from->v, from->n * sizeof *from->v);
    into->n += from->n;
    into->total = mta_sat_sum(into->total, from->total);
    free(from->v);
    memset(from, 0, sizeof *from);
    sort_and_sum(into);
}

void mta_folded_free(struct mta_folded *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].frames);
    free(f->v);
    memset(f, 0, sizeof *f);
}

static uint32_t add_node(struct mta_flame *t, const char *name, size_t len, uint32_t parent,
                         uint32_t *last_child)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->v = mta_xreallocarray(t->v, t->cap, sizeof *t->v);
    }
    uint32_t i = (uint32_t)t->n++;
    char *s = mta_xmalloc(len + 1);
    memcpy(s, name, len);
    s[len] = '\0';
    t->v[i] = (struct mta_flame_node){s, 0, 0, 0};
    if (last_child && *last_child)
        t->v[*last_child].next = i;
    else if (parent != UINT32_MAX)
        t->v[parent].child = i;
    if (last_child)
        *last_child = i;
    return i;
}

/* How many leading frames line a shares with line b (at most max); *a is
 * moved past them. */
static size_t shared_frames(const char **a, const char *b, size_t max)
{
    size_t same = 0;
    const char *x = *a;
    while (same < max && *x) {
        size_t lx = strcspn(x, ";"), ly = strcspn(b, ";");
        if (lx != ly || memcmp(x, b, lx))
            break;
        same++;
        x += lx + (x[lx] == ';');
        b += ly + (b[ly] == ';');
    }
    *a = x;
    return same;
}

/* The full tree: lines are sorted frame by frame, so a line shares its
 * path with the previous one up to the first frame that differs. */
static void build_full(struct mta_flame *t, const struct mta_folded *f)
{
    enum { DEPTH = MT_MAX_DEPTH * 2 + 2 };
    uint32_t path[DEPTH], last[DEPTH + 1]; /* last[d]: last child of path[d - 1] */
    size_t depth = 0;                      /* frames on the path */
    path[0] = add_node(t, "all", 3, UINT32_MAX, NULL);
    last[1] = 0;
    const char *prev = "";
    for (size_t i = 0; i < f->n; i++) {
        const char *s = f->v[i].frames;
        depth = shared_frames(&s, prev, depth);
        while (*s && depth + 1 < DEPTH) {
            size_t len = strcspn(s, ";");
            uint32_t node = add_node(t, s, len, path[depth], &last[depth + 1]);
            path[++depth] = node;
            last[depth + 1] = 0;
            s += len + (s[len] == ';');
        }
        for (size_t d = 0; d <= depth; d++)
            t->v[path[d]].weight = mta_sat_sum(t->v[path[d]].weight, f->v[i].weight);
        prev = f->v[i].frames;
    }
}

struct prune {
    struct mta_flame *out;
    const struct mta_flame *in;
    uint64_t min;
    size_t max_nodes;
};

/* Copies node i of the full tree under `parent` of the pruned one. */
static void copy_node(struct prune *p, uint32_t i, uint32_t parent, uint32_t *last)
{
    const struct mta_flame_node *n = &p->in->v[i];
    const char *name = n->name;
    uint32_t at = add_node(p->out, name, strlen(name), parent, last);
    p->out->v[at].weight = n->weight;
    uint64_t small = 0;
    uint32_t clast = 0;
    for (uint32_t c = n->child; c; c = p->in->v[c].next) {
        if (p->in->v[c].weight < p->min || p->out->n >= p->max_nodes) {
            small = mta_sat_sum(small, p->in->v[c].weight);
            p->out->merged++;
        } else {
            copy_node(p, c, at, &clast);
        }
    }
    if (small) {
        uint32_t s = add_node(p->out, "[small]", 7, at, &clast);
        p->out->v[s].weight = small;
    }
}

void mta_flame_make(struct mta_flame *t, const struct mta_folded *f, double min_share,
                    size_t max_nodes)
{
    struct mta_flame full = {0};
    memset(t, 0, sizeof *t);
    build_full(&full, f);
    struct prune p = {t, &full, (uint64_t)((double)full.v[0].weight * min_share), max_nodes};
    copy_node(&p, 0, UINT32_MAX, NULL);
    mta_flame_free(&full);
}

void mta_flame_free(struct mta_flame *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
    memset(t, 0, sizeof *t);
}

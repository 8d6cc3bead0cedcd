/* Leak verdicts from the scan at exit.
 *
 * The shim records (location, value) pairs for every pointer-like word it
 * read at exit, and the ranges it read with their class (format.h,
 * mt_scan_class).  Here, with the live set at the END record:
 *   - a pair whose value is inside a live block points to that block: at
 *     its start (a start pointer) or inside it (an interior pointer);
 *   - located inside a live block, it is an edge from that block;
 *   - located in root space outside live blocks, it is a root;
 *   - located in heap space outside live blocks it is malloc's own (free
 *     chunks, bins) and ignored.
 * Then memcheck's rules (mc_leakcheck.c): from the roots, a start pointer
 * from a root or a Reachable block makes a block Reachable; any other
 * pointer makes an unreached block Possible, and whatever a Possible block
 * points to is at most Possible.  The blocks left unreached are lost; in
 * address order each one still unreached leads a clique: every unreached
 * block it reaches (by any pointer) is indirectly lost, and a former leader
 * reached this way stops being one.  The leaders are definitely lost.
 *
 * Not done: memcheck's heuristics (stdstring, length64, newarray,
 * multipleinheritance) need the blocks' contents, which the scan does not
 * record; memcheck skips words it knows are undefined, the scan cannot.
 * The input is untrusted: every decode is bounds-checked. */
#include "xalloc.h"
#include "leak_reach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtrace/varint.h"

static const char *const class_names[MTA_LEAK_CLASSES] = {
    "definitely lost", "indirectly lost", "possibly lost", "still reachable",
    "allocated after the scan"};
static const char *const class_keys[MTA_LEAK_CLASSES] = {
    "definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable",
    "after_scan"};

const char *mta_leak_class_name(unsigned cls)
{
    return cls < MTA_LEAK_CLASSES ? class_names[cls] : "?";
}

const char *mta_leak_class_key(unsigned cls)
{
    return cls < MTA_LEAK_CLASSES ? class_keys[cls] : "?";
}

static void fail(struct mta_reach *r, const char *why)
{
    if (!r->failed)
        snprintf(r->why, sizeof r->why, "%s", why);
    r->failed = 1;
}

static int add_pairs(struct mta_reach *r, const uint8_t *p, const uint8_t *end)
{
    uint64_t loc = 0, val = 0;
    while (p < end) {
        uint64_t d;
        int64_t dv;
        if (mt_get_uv(&p, end, &d) || mt_get_sv(&p, end, &dv))
            return fail(r, "a scan words record is cut short"), -1;
        if (d > (UINT64_MAX - loc) / 8)
            return fail(r, "a scan words record runs past the address space"), -1;
        loc += d * 8;
        val += (uint64_t)dv;
        if (r->n_pairs == r->pairs_cap) {
            size_t cap = r->pairs_cap ? r->pairs_cap * 2 : 4096;
            void *n = mta_xrealloc(r->pairs, cap * sizeof *r->pairs);
            if (!n)
                return fail(r, "out of memory for the scan's words"), -1;
            r->pairs = n;
            r->pairs_cap = cap;
        }
        r->pairs[r->n_pairs][0] = loc;
        r->pairs[r->n_pairs][1] = val;
        r->n_pairs++;
    }
    return 0;
}

static int add_ranges(struct mta_reach *r, const uint8_t *p, const uint8_t *end)
{
    uint64_t prev_end = 0;
    while (p < end) {
        uint64_t d, len, cls;
        if (mt_get_uv(&p, end, &d) || mt_get_uv(&p, end, &len) || mt_get_uv(&p, end, &cls))
            return fail(r, "a scan ranges record is cut short"), -1;
        if (d > UINT64_MAX - prev_end || len > UINT64_MAX - (prev_end + d) || !len ||
            cls < MT_SCAN_ROOT || cls > MT_SCAN_SKIPPED)
            return fail(r, "a scan ranges record has a bad range or class"), -1;
        if (r->n_ranges == r->ranges_cap) {
            size_t cap = r->ranges_cap ? r->ranges_cap * 2 : 256;
            void *n = mta_xrealloc(r->ranges, cap * sizeof *r->ranges);
            if (!n)
                return fail(r, "out of memory for the scan's ranges"), -1;
            r->ranges = n;
            r->ranges_cap = cap;
        }
        uint64_t s = prev_end + d;
        r->ranges[r->n_ranges++] = (struct mta_reach_range){s, s + len, (unsigned)cls};
        prev_end = s + len;
    }
    return 0;
}

static int by_range(const void *a, const void *b)
{
    const struct mta_reach_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int by_loc(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int by_ptr(const void *a, const void *b)
{
    const struct mta_reach_block *x = a, *y = b;
    return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

#define NONE ((size_t)-1)

/* The block containing v (a zero-sized block contains its own address). */
static size_t find_block(const struct mta_reach_block *b, size_t n, uint64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first block with ptr > v */
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid].ptr <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NONE;
    const struct mta_reach_block *c = &b[lo - 1];
    if (v - c->ptr < c->size || (c->size == 0 && v == c->ptr))
        return lo - 1;
    return NONE;
}

static unsigned range_class(const struct mta_reach_range *r, size_t n, uint64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].start <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo && v < r[lo - 1].end ? r[lo - 1].cls : 0;
}

enum { UNREACHED = 0, POSSIBLE = 1, REACHABLE = 2, INDIRECT = 3 };

struct marker {
    uint8_t *state;
    size_t *stack, top;
};

/* memcheck's lc_push_if_a_chunk_ptr */
static void push_if(struct marker *k, size_t tgt, int is_start, int prior_definite)
{
    if (k->state[tgt] == REACHABLE)
        return;
    if (is_start && prior_definite) {
        k->state[tgt] = REACHABLE;
        k->stack[k->top++] = tgt;
    } else if (k->state[tgt] == UNREACHED) {
        k->state[tgt] = POSSIBLE;
        k->stack[k->top++] = tgt;
    }
}

int mta_reach_classify(struct mta_reach_block *blocks, size_t n_blocks,
                       uint64_t (*pairs)[2], size_t n_pairs,
                       const struct mta_reach_range *ranges, size_t n_ranges,
                       uint64_t *roots_out, uint64_t *edges_out)
{
    qsort(pairs, n_pairs, sizeof *pairs, by_loc);
    size_t *first = mta_xcalloc(n_blocks + 1, sizeof *first);
    uint8_t *state = mta_xcalloc(n_blocks ? n_blocks : 1, 1);
    size_t *stack = mta_xmalloc((2 * n_blocks + 2) * sizeof *stack);
    uint64_t *edge = NULL, *root = NULL;
    size_t n_edges = 0, n_roots = 0;
    int rc = -1;
    if (!first || !state || !stack)
        goto out;
    /* pass 1: count edges per source block and roots */
    for (size_t i = 0; i < n_pairs; i++) {
        size_t tgt = find_block(blocks, n_blocks, pairs[i][1]);
        if (tgt == NONE)
            continue;
        size_t src = find_block(blocks, n_blocks, pairs[i][0]);
        if (src != NONE) {
            first[src + 1]++;
            n_edges++;
        } else {
            unsigned c = range_class(ranges, n_ranges, pairs[i][0]);
            if (c == MT_SCAN_ROOT || c == MT_SCAN_STACK)
                n_roots++;
        }
    }
    for (size_t i = 0; i < n_blocks; i++)
        first[i + 1] += first[i];
    edge = mta_xmalloc((n_edges ? n_edges : 1) * sizeof *edge);
    root = mta_xmalloc((n_roots ? n_roots : 1) * sizeof *root);
    size_t *fill = mta_xmalloc((n_blocks ? n_blocks : 1) * sizeof *fill);
    if (!edge || !root || !fill) {
        free(fill);
        goto out;
    }
    memcpy(fill, first, n_blocks * sizeof *fill);
    n_roots = 0;
    for (size_t i = 0; i < n_pairs; i++) { /* pass 2: fill */
        size_t tgt = find_block(blocks, n_blocks, pairs[i][1]);
        if (tgt == NONE)
            continue;
        uint64_t e = (uint64_t)tgt << 1 | (pairs[i][1] == blocks[tgt].ptr);
        size_t src = find_block(blocks, n_blocks, pairs[i][0]);
        if (src != NONE) {
            edge[fill[src]++] = e;
        } else {
            unsigned c = range_class(ranges, n_ranges, pairs[i][0]);
            if (c == MT_SCAN_ROOT || c == MT_SCAN_STACK)
                root[n_roots++] = e;
        }
    }
    free(fill);
    *roots_out = n_roots;
    *edges_out = n_edges;

    /* primary pass: from the roots */
    struct marker k = {state, stack, 0};
    for (size_t i = 0; i < n_roots; i++) {
        push_if(&k, (size_t)(root[i] >> 1), (int)(root[i] & 1), 1);
        while (k.top) {
            size_t b = k.stack[--k.top];
            int definite = state[b] != POSSIBLE;
            for (size_t e = first[b]; e < first[b + 1]; e++)
                push_if(&k, (size_t)(edge[e] >> 1), (int)(edge[e] & 1), definite);
        }
    }
    /* cliques of the unreached, in address order */
    for (size_t lead = 0; lead < n_blocks; lead++) {
        if (state[lead] != UNREACHED)
            continue;
        k.top = 0;
        k.stack[k.top++] = lead;
        while (k.top) {
            size_t b = k.stack[--k.top];
            for (size_t e = first[b]; e < first[b + 1]; e++) {
                size_t t = (size_t)(edge[e] >> 1);
                if (state[t] == UNREACHED && t != lead) {
                    state[t] = INDIRECT;
                    k.stack[k.top++] = t;
                }
            }
        }
    }
    for (size_t i = 0; i < n_blocks; i++)
        blocks[i].cls = state[i] == REACHABLE  ? MTA_LEAK_REACHABLE
                        : state[i] == POSSIBLE ? MTA_LEAK_POSSIBLE
                        : state[i] == INDIRECT ? MTA_LEAK_INDIRECT
                                               : MTA_LEAK_DEFINITE;
    rc = 0;
out:
    free(first);
    free(state);
    free(stack);
    free(edge);
    free(root);
    return rc;
}

static void finish_scan(struct mta_reach *r, const struct mta_event *ev,
                        struct mta_live *live)
{
    const uint8_t *p = (const uint8_t *)ev->text, *end = p + ev->text_len;
    uint64_t version;
    if (mt_get_uv(&p, end, &version) || version != 1 || mt_get_uv(&p, end, &r->pairs_claimed) ||
        mt_get_uv(&p, end, &r->words) || mt_get_uv(&p, end, &r->cost_ns) ||
        mt_get_uv(&p, end, &r->sp))
        return fail(r, "the scan's end record is cut short or of an unknown version");
    if (r->pairs_claimed != r->n_pairs)
        return fail(r, "the scan's words records are incomplete");
    qsort(r->ranges, r->n_ranges, sizeof *r->ranges, by_range);
    for (size_t i = 1; i < r->n_ranges; i++)
        if (r->ranges[i].start < r->ranges[i - 1].end)
            return fail(r, "the scan's ranges overlap");
    struct mta_reach_block *blocks = mta_xmalloc((live->count ? live->count : 1) * sizeof *blocks);
    if (!blocks)
        return fail(r, "out of memory for the live set at the scan");
    size_t n = 0;
    for (size_t i = 0; i < live->cap && n < live->count; i++) {
        const struct mta_block *b = &live->slots[i];
        if (b->ptr)
            blocks[n++] = (struct mta_reach_block){b->ptr, b->size, i, 0};
    }
    qsort(blocks, n, sizeof *blocks, by_ptr);
    if (mta_reach_classify(blocks, n, r->pairs, r->n_pairs, r->ranges, r->n_ranges, &r->roots,
                           &r->edges)) {
        free(blocks);
        return fail(r, "out of memory classifying the blocks");
    }
    for (size_t i = 0; i < n; i++)
        live->slots[blocks[i].slot].verdict = (uint8_t)(1 + blocks[i].cls);
    free(blocks);
    r->n_blocks = n;
    r->scan_ns = ev->ns;
    r->complete = 1;
    free(r->pairs); /* no longer needed */
    r->pairs = NULL;
    r->pairs_cap = 0;
}

void mta_reach_on_event(struct mta_reach *r, const struct mta_event *ev,
                        struct mta_live *live)
{
    if (r->complete || r->failed)
        return; /* one scan per trace; after a failure nothing is concluded */
    const uint8_t *p = (const uint8_t *)ev->text, *end = p + ev->text_len;
    if (ev->op == MT_TAG_SCAN_WORDS)
        add_pairs(r, p, end);
    else if (ev->reason == MT_SCAN_RANGES)
        add_ranges(r, p, end);
    else if (ev->reason == MT_SCAN_END)
        finish_scan(r, ev, live);
    else
        fail(r, "a scan record of an unknown kind");
}

unsigned mta_reach_class(const struct mta_reach *r, const struct mta_block *b)
{
    if (!r->complete || !b->verdict || b->verdict > MTA_LEAK_UNSCANNED)
        return MTA_LEAK_UNSCANNED;
    return b->verdict - 1u;
}

void mta_reach_free(struct mta_reach *r)
{
    free(r->pairs);
    free(r->ranges);
    memset(r, 0, sizeof *r);
}

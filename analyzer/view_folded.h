/* Folded stacks (flamegraph.pl, inferno, speedscope): one line per
 * distinct symbolised stack, frames root first, and its weight; and the
 * same as a tree for the HTML flame graphs, small nodes merged so that its
 * size stays bounded whatever the number of stacks. */
#ifndef MTA_VIEW_FOLDED_H
#define MTA_VIEW_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#include "report_opts.h"
#include "view_sites.h"

struct mta_model;
struct mta_symbolizer;

struct mta_folded_line {
    char *frames;      /* "main;parse;xmalloc": function names, inlined frames
                          included; ';' and control characters in names
                          replaced by '_' */
    uint64_t weight;
};

struct mta_folded {
    struct mta_folded_line *v; /* sorted by frames, frame by frame */
    size_t n;
    uint64_t total;
};

/* The stacks with a weight (MTA_COST_BYTES, _CALLS, _LEAKED, _PEAK ...), all
 * their frames (--frames does not cut them; --all-frames applies); stacks
 * that symbolise alike are one line.  Free with mta_folded_free. */
void mta_folded_make(struct mta_folded *f, const struct mta_model *m, struct mta_symbolizer *sym,
                     const struct mta_report_opts *o, enum mta_cost weight);
void mta_folded_free(struct mta_folded *f);
/* Moves the lines of from into `into` (from is left empty): identical
 * stacks of several processes become one line with the weights summed. */
void mta_folded_merge(struct mta_folded *into, struct mta_folded *from);

/* A flame graph: node 0 is the root ("all"), children in name order. */
struct mta_flame_node {
    char *name;        /* owned */
    uint64_t weight;   /* its own and its children's */
    uint32_t child, next; /* first child, next sibling (0: none) */
};

struct mta_flame {
    struct mta_flame_node *v;
    size_t n, cap;
    size_t merged;     /* nodes merged into "[small]" ones */
};

/* Builds the tree of f: children lighter than min_share of the total are
 * merged, per parent, into one leaf named "[small]", and at most max_nodes
 * nodes are kept (the rest merged the same way).  Free with
 * mta_flame_free. */
void mta_flame_make(struct mta_flame *t, const struct mta_folded *f, double min_share,
                    size_t max_nodes);
void mta_flame_free(struct mta_flame *t);

#endif

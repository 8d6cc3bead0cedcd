/* The leak verdict as plain data: which verdict the model reached, what
 * the leak section says first, the lost (or unclassified) stacks and those
 * of unknown fate ranked and cut to --top, and how many stacks hold blocks
 * of each class.  The
 * numbers themselves are the model's (mta_model.cls_*, unfreed_*). */
#ifndef MTA_VIEW_LEAKS_H
#define MTA_VIEW_LEAKS_H

#include <stddef.h>

#include "leak_reach.h"
#include "view_sites.h"

struct mta_model;

enum mta_leak_verdict {
    MTA_VERDICT_UNKNOWN,       /* an incomplete trace: the unfreed blocks'
                                  fate is unknown */
    MTA_VERDICT_RELEASED,      /* replaced by exec(), which released them */
    MTA_VERDICT_INCONCLUSIVE,  /* no scan: unfreed blocks not classified */
    MTA_VERDICT_CLASSIFIED,    /* each unfreed block has its class */
};

/* What the list of lost blocks says before its entries. */
enum mta_leak_headline {
    MTA_HEADLINE_NONE_KNOWN,   /* nothing lost, and the trace is incomplete */
    MTA_HEADLINE_RELEASED,     /* nothing lost: the image was replaced by exec() */
    MTA_HEADLINE_ALL_FREED,    /* nothing lost: every block was freed */
    MTA_HEADLINE_NONE_LOST,    /* nothing lost of the blocks unfreed at exit */
    MTA_HEADLINE_UNCLASSIFIED, /* unfreed blocks, listed unclassified */
    MTA_HEADLINE_LOST,         /* definitely and indirectly lost blocks */
};

struct mta_leaks_view {
    enum mta_leak_verdict verdict;
    int released;       /* the image was replaced by exec() (also when the
                           trace is incomplete) */
    enum mta_leak_headline headline;
    struct mta_ranking lost;                /* MTA_COST_LEAKED, cut to --top */
    struct mta_ranking unknown;             /* MTA_COST_UNKNOWN (an incomplete
                                               trace), cut to --top */
    size_t class_stacks[MTA_LEAK_CLASSES];  /* stacks with blocks of each class */
    int other_classes;  /* a classified verdict with possibly lost or still
                           reachable blocks (listed after the lost ones) */
};

/* top 0: all.  Free with mta_leaks_view_free. */
void mta_leaks_view_make(struct mta_leaks_view *v, const struct mta_model *m, unsigned top);
void mta_leaks_view_free(struct mta_leaks_view *v);

#endif

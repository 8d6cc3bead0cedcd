/* The mappings present before tracing began, as plain data: each region
 * of the start snapshot (/proc/self/maps when tracing started) with what
 * it is, the objects they make up (consecutive mappings of one file), and
 * how many objects of each kind there were. */
#ifndef MTA_VIEW_STARTUP_H
#define MTA_VIEW_STARTUP_H

#include <stddef.h>
#include <stdint.h>

#include "regions.h"

struct mta_model;

/* The kinds the one-line summary counts (mta_region_kind's words). */
enum mta_startup_kind {
    MTA_STARTUP_EXECUTABLE,
    MTA_STARTUP_LOADER,
    MTA_STARTUP_TRACER,
    MTA_STARTUP_LIBRARY,
    MTA_STARTUP_STACK,
    MTA_STARTUP_VDSO,
    MTA_STARTUP_ANONYMOUS,
    MTA_STARTUP_KINDS
};

struct mta_startup_region {
    const struct mta_region *r;
    const char *label;     /* what it is; anonymous memory that is the
                              tracer's own is said so */
    char label_buf[128];
};

/* Consecutive regions of one object (or one anonymous/special region). */
struct mta_startup_object {
    size_t first, count;   /* regions[first .. first + count) */
    uint64_t start, end, bytes;
};

struct mta_startup_view {
    int have;              /* the trace has a start snapshot that parsed */
    struct mta_regions rs;
    struct mta_startup_region *regions;  /* rs.n of them */
    struct mta_startup_object *objects;
    size_t n_objects;
    size_t kinds[MTA_STARTUP_KINDS];     /* objects of each kind */
};

/* Free with mta_startup_view_free (also when have is 0). */
void mta_startup_view_make(struct mta_startup_view *v, const struct mta_model *m);
void mta_startup_view_free(struct mta_startup_view *v);

#endif

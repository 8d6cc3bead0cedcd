/* The mappings present before tracing began, as plain data
 * (view_startup.h): the executable, the dynamic loader and the libraries
 * it mapped, the stack, the vdso, libc's and the loader's anonymous data,
 * and mtrace's own file and memory, from the snapshot taken when tracing
 * started, so a reader can account for what strace shows before main(). */
#include "view_startup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "model_core.h"
#include "xalloc.h"

static int same_object(const struct mta_region *a, const struct mta_region *b)
{
    return a->name_len && a->name_len == b->name_len && !memcmp(a->name, b->name, a->name_len);
}

/* What the region is; anonymous memory the trace lists as the tracer's
 * own (still mapped at exit) is said so. */
static const char *startup_label(const struct mta_model *m, const struct mta_regions *rs,
                                 size_t i, char *buf, size_t cap)
{
    const char *k = mta_region_kind(rs, i, m->info.exe);
    const struct mta_region *r = &rs->v[i];
    if (r->name_len)
        return k;
    uint64_t own = mta_own_bytes(m->info.own_memory, r->start, r->end);
    if (own == r->end - r->start)
        return "mtrace's own memory";
    if (own) {
        char kib[32];
        snprintf(buf, cap, "%s, with %s of mtrace's own memory", k,
                 mta_human_bytes(kib, sizeof kib, own));
        return buf;
    }
    return k;
}

static int kind_of(const char *k)
{
    static const char *const words[MTA_STARTUP_KINDS] = {
        [MTA_STARTUP_EXECUTABLE] = "executable",
        [MTA_STARTUP_LOADER] = "dynamic loader",
        [MTA_STARTUP_TRACER] = "mtrace (the tracer)",
        [MTA_STARTUP_LIBRARY] = "shared library",
        [MTA_STARTUP_STACK] = "main thread stack",
        [MTA_STARTUP_VDSO] = "vdso",
        [MTA_STARTUP_ANONYMOUS] = "anonymous",
    };
    for (int j = 0; j < MTA_STARTUP_KINDS; j++)
        if (!strcmp(k, words[j]))
            return j;
    return -1;
}

void mta_startup_view_make(struct mta_startup_view *v, const struct mta_model *m)
{
    memset(v, 0, sizeof *v);
    if (!m->maps_start || mta_regions_parse(m->maps_start, &v->rs))
        return;
    const struct mta_regions *rs = &v->rs;
    v->have = 1;
    v->regions = mta_xcalloc(rs->n + 1, sizeof *v->regions);
    v->objects = mta_xcalloc(rs->n + 1, sizeof *v->objects);
    for (size_t i = 0; i < rs->n; i++) {
        struct mta_startup_region *sr = &v->regions[i];
        sr->r = &rs->v[i];
        sr->label = startup_label(m, rs, i, sr->label_buf, sizeof sr->label_buf);
    }
    for (size_t i = 0; i < rs->n;) {
        size_t j = i + 1;
        while (j < rs->n && same_object(&rs->v[i], &rs->v[j]))
            j++;
        struct mta_startup_object *ob = &v->objects[v->n_objects++];
        ob->first = i;
        ob->count = j - i;
        ob->start = rs->v[i].start;
        ob->end = rs->v[j - 1].end;
        for (size_t k = i; k < j; k++)
            ob->bytes += rs->v[k].end - rs->v[k].start;
        int kind = kind_of(mta_region_kind(rs, i, m->info.exe));
        if (kind >= 0)
            v->kinds[kind]++;
        i = j;
    }
}

void mta_startup_view_free(struct mta_startup_view *v)
{
    if (v->have)
        mta_regions_free(&v->rs);
    free(v->regions);
    free(v->objects);
    memset(v, 0, sizeof *v);
}

/* The mappings that were there before tracing began: the executable, the
 * dynamic loader and the libraries it mapped, the stack, the vdso, libc's
 * and the loader's anonymous data, and mtrace's own file and memory.  They
 * come from the /proc/self/maps snapshot taken when tracing started, so a
 * reader can account for what strace shows before main() runs. */
#include <jansson.h>
#include <string.h>

#include "regions.h"
#include "render_json.h"
#include "render_text.h"


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

json_t *mta_startup_json(const struct mta_model *m)
{
    json_t *arr = json_array();
    struct mta_regions rs;
    if (mta_regions_parse(m->maps_start, &rs))
        return arr;
    for (size_t i = 0; i < rs.n; i++) {
        const struct mta_region *r = &rs.v[i];
        char buf[128];
        json_array_append_new(arr, json_pack("{s:o,s:o,s:I,s:s,s:I,s:s%,s:s}",
            "start", mta_json_hex(r->start), "end", mta_json_hex(r->end),
            "size", (json_int_t)(r->end - r->start), "perms", r->perms,
            "offset", (json_int_t)r->offset, "name", r->name, r->name_len,
            "label", startup_label(m, &rs, i, buf, sizeof buf)));
    }
    mta_regions_free(&rs);
    return arr;
}

/* One line per object (its consecutive mappings together), one per
 * anonymous or special region. */
static void print_full(FILE *out, const struct mta_model *m, const struct mta_regions *rs)
{
    char a[32];
    fprintf(out, "\nMappings present before tracing began (from /proc/%llu/maps at start)\n",
            (unsigned long long)m->info.pid);
    for (size_t i = 0; i < rs->n;) {
        size_t j = i + 1;
        while (j < rs->n && same_object(&rs->v[i], &rs->v[j]))
            j++;
        const struct mta_region *r = &rs->v[i];
        uint64_t end = rs->v[j - 1].end, bytes = 0;
        for (size_t k = i; k < j; k++)
            bytes += rs->v[k].end - rs->v[k].start;
        char buf[128];
        fprintf(out, "  %12llx-%-12llx %10s  %-2zu  %-22s %.*s\n", (unsigned long long)r->start,
                (unsigned long long)end, mta_human_bytes(a, sizeof a, bytes), j - i,
                startup_label(m, rs, i, buf, sizeof buf), (int)r->name_len, r->name);
        i = j;
    }
}

/* "the executable, the dynamic loader, 3 shared libraries, ..." */
static void print_brief(FILE *out, const struct mta_model *m, const struct mta_regions *rs)
{
    static const struct { const char *kind, *one, *many; } kinds[] = {
        {"executable", "the executable", NULL},
        {"dynamic loader", "the dynamic loader", NULL},
        {"mtrace (the tracer)", "libmtrace.so", NULL},
        {"shared library", "1 shared library", "shared libraries"},
        {"main thread stack", "the stack", NULL},
        {"vdso", "the vdso", NULL},
        {"anonymous", "1 anonymous region", "anonymous regions"},
    };
    size_t count[sizeof kinds / sizeof kinds[0]] = {0};
    for (size_t i = 0; i < rs->n; i++) {
        if (i && same_object(&rs->v[i - 1], &rs->v[i]))
            continue;
        const char *k = mta_region_kind(rs, i, m->info.exe);
        for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++)
            if (!strcmp(k, kinds[j].kind))
                count[j]++;
    }
    fprintf(out, "  start-up: %zu mappings were there before tracing began (", rs->n);
    const char *sep = "";
    for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
        if (!count[j])
            continue;
        if (count[j] > 1 && kinds[j].many)
            fprintf(out, "%s%zu %s", sep, count[j], kinds[j].many);
        else
            fprintf(out, "%s%s", sep, kinds[j].one);
        sep = ", ";
    }
    fprintf(out, "); --sources lists them\n");
}

void mta_report_startup_text(FILE *out, const struct mta_model *m, int brief)
{
    struct mta_regions rs;
    if (!m->maps_start || mta_regions_parse(m->maps_start, &rs)) {
        if (!brief)
            fprintf(out, "\nNo /proc/self/maps snapshot from the start of tracing.\n");
        return;
    }
    if (brief)
        print_brief(out, m, &rs);
    else
        print_full(out, m, &rs);
    mta_regions_free(&rs);
}

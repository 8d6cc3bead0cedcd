/* The mappings present before tracing began, for people: one line per
 * object (--sources) or one summary line (the default report).  Formats
 * the start-up view (view_startup.h) and nothing else. */
#include "render_text.h"
#include "text_util.h"
#include "view_startup.h"

static void print_full(FILE *out, const struct mta_model *m, const struct mta_startup_view *v)
{
    char a[32];
    fprintf(out, "\nMappings present before tracing began (from /proc/%llu/maps at start)\n",
            (unsigned long long)m->info.pid);
    for (size_t i = 0; i < v->n_objects; i++) {
        const struct mta_startup_object *ob = &v->objects[i];
        const struct mta_startup_region *sr = &v->regions[ob->first];
        fprintf(out, "  %12llx-%-12llx %10s  %-2zu  %-22s %.*s\n", (unsigned long long)ob->start,
                (unsigned long long)ob->end, mta_human_bytes(a, sizeof a, ob->bytes), ob->count,
                sr->label, (int)sr->r->name_len, sr->r->name);
    }
}

/* "the executable, the dynamic loader, 3 shared libraries, ..." */
static void print_brief(FILE *out, const struct mta_startup_view *v)
{
    static const struct { const char *one, *many; } words[MTA_STARTUP_KINDS] = {
        [MTA_STARTUP_EXECUTABLE] = {"the executable", NULL},
        [MTA_STARTUP_LOADER] = {"the dynamic loader", NULL},
        [MTA_STARTUP_TRACER] = {"libmtrace.so", NULL},
        [MTA_STARTUP_LIBRARY] = {"1 shared library", "shared libraries"},
        [MTA_STARTUP_STACK] = {"the stack", NULL},
        [MTA_STARTUP_VDSO] = {"the vdso", NULL},
        [MTA_STARTUP_ANONYMOUS] = {"1 anonymous region", "anonymous regions"},
    };
    fprintf(out, "  start-up: %zu mappings were there before tracing began (", v->rs.n);
    const char *sep = "";
    for (size_t j = 0; j < MTA_STARTUP_KINDS; j++) {
        if (!v->kinds[j])
            continue;
        if (v->kinds[j] > 1 && words[j].many)
            fprintf(out, "%s%zu %s", sep, v->kinds[j], words[j].many);
        else
            fprintf(out, "%s%s", sep, words[j].one);
        sep = ", ";
    }
    fprintf(out, "); --sources lists them\n");
}

void mta_report_startup_text(FILE *out, const struct mta_model *m, int brief)
{
    struct mta_startup_view v;
    mta_startup_view_make(&v, m);
    if (!v.have) {
        if (!brief)
            fprintf(out, "\nNo /proc/self/maps snapshot from the start of tracing.\n");
    } else if (brief) {
        print_brief(out, &v);
    } else {
        print_full(out, m, &v);
    }
    mta_startup_view_free(&v);
}

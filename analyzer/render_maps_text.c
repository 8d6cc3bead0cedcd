/* The address space at exit for people (--maps), a pmap -X-like table:
 * each region with what it is, its live heap blocks and their owners'
 * stacks.  Formats the maps view (view_maps.h) and nothing else. */

#include <stdio.h>

#include "render_text.h"
#include "text_util.h"
#include "view_maps.h"

static void print_totals(FILE *out, const char *what, const struct mta_map_totals *t,
                         const char *note)
{
    fprintf(out, "%16s %10llu %8llu %8llu %8llu%s\n", what, (unsigned long long)t->kb,
            (unsigned long long)t->rss_kb, (unsigned long long)t->pss_kb,
            (unsigned long long)t->anon_kb, note);
}

void mta_report_maps_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    struct mta_maps_view v;
    if (mta_maps_view_make(&v, m)) {
        fprintf(out, "No /proc/self/maps snapshot in this trace.\n");
        return;
    }
    fprintf(out, "Address space %s (from /proc/%llu/%s)\n",
            v.at_exit ? "at exit (when main returned or exit() was called)"
                      : "at the last snapshot",
            (unsigned long long)m->info.pid, v.have_smaps ? "smaps" : "maps");
    fprintf(out, "%16s %10s %8s %8s %8s %-4s %12s %14s  %s\n", "Address", "Kbytes", "RSS", "PSS",
            "Anon", "Mode", "live blocks", "live bytes", "Mapping  [what it is]");
    char a[32], b[32];
    for (size_t i = 0; i < v.rs.n; i++) {
        const struct mta_region *r = &v.rs.v[i];
        const struct mta_map_annotation *an = &v.an[i];
        uint64_t kb = (r->end - r->start) / 1024;
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
        for (int k = 0; k < MTA_MAP_OWNERS && an->top[k].blocks; k++) {
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
    print_totals(out, "total kB", &v.all, "");
    print_totals(out, "program kB", &v.program, "  (the program's: without mtrace's own memory, "
                 "trace file, reserved space and libmtrace.so)");
    mta_maps_view_free(&v);
}

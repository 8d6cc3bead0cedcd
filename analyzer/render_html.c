/* The HTML page: one self-contained file (inline style, script and SVG;
 * nothing fetched).  This renderer only gathers the views as one JSON
 * object embedded in the page; html/report.js draws it.  Its size is
 * bounded whatever the trace: lists are cut to --top (at most HTML_TOP),
 * flame graphs merge nodes under 0.1% of their total and keep at most
 * FLAME_NODES nodes, the usage series has at most MTA_USAGE_POINTS points,
 * the region map at most HTML_REGIONS regions. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "render_json.h"
#include "render_views.h"

#define HTML_TOP 50
#define HTML_FRAMES 12
#define HTML_REGIONS 1000
#define FLAME_SHARE 0.001
#define FLAME_NODES 4000

extern const char mta_html_report_js[];
extern const char mta_html_report_css[];

/* [name, weight, child...]: compact, recursive. */
static json_t *flame_node_json(const struct mta_flame *t, uint32_t i)
{
    const struct mta_flame_node *n = &t->v[i];
    json_t *a = json_pack("[o,I]", mta_json_str(n->name), (json_int_t)n->weight);
    for (uint32_t c = n->child; c; c = t->v[c].next)
        json_array_append_new(a, flame_node_json(t, c));
    return a;
}

json_t *mta_html_flame_json(const struct mta_folded *f)
{
    struct mta_flame t;
    mta_flame_make(&t, f, FLAME_SHARE, FLAME_NODES);
    json_t *j = json_pack("{s:I,s:I,s:o}", "stacks", (json_int_t)f->n, "merged",
                          (json_int_t)t.merged, "root", flame_node_json(&t, 0));
    mta_flame_free(&t);
    return j;
}

static json_t *flame_json(const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o, enum mta_cost cost)
{
    struct mta_folded f;
    mta_folded_make(&f, m, sym, o, cost);
    json_t *j = mta_html_flame_json(&f);
    mta_folded_free(&f);
    return j;
}

/* The leak stacks with their frames. */
static json_t *leaks_json(const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o)
{
    struct mta_ranking r;
    mta_ranking_make(&r, m, MTA_COST_LEAKED, o->top);
    json_t *arr = json_array();
    for (size_t i = 0; i < r.n; i++) {
        const struct mta_site *s = &m->sites[r.stacks[i]];
        json_array_append_new(arr, json_pack("{s:I,s:I,s:I,s:o}", "bytes",
            (json_int_t)s->leak_bytes, "blocks", (json_int_t)s->leak_blocks, "allocations",
            (json_int_t)s->allocs, "frames", mta_json_frames(sym, m, r.stacks[i], o)));
    }
    json_t *j = json_pack("{s:I,s:o}", "call_stacks", (json_int_t)r.total, "stacks", arr);
    mta_ranking_free(&r);
    return j;
}

/* The region map at exit, without the owners' frames. */
static json_t *regions_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o)
{
    json_t *maps = mta_maps_json(m, sym, o), *out = json_array();
    json_t *regions = json_object_get(maps, "regions");
    size_t i;
    json_t *r;
    json_array_foreach(regions, i, r) {
        if (i >= HTML_REGIONS)
            break;
        json_array_append_new(out, json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O}",
            "start", json_object_get(r, "start"), "size", json_object_get(r, "size"),
            "perms", json_object_get(r, "perms"), "name", json_object_get(r, "name"),
            "label", json_object_get(r, "label"), "live_bytes", json_object_get(r, "live_bytes"),
            "rss", json_object_get(r, "rss")));
    }
    json_t *j = json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(regions),
                          "regions", out);
    json_decref(maps);
    return j;
}

json_t *mta_html_process_data(const struct mta_model *m, struct mta_symbolizer *sym,
                              const struct mta_report_opts *o, int whole)
{
    const struct mta_trace_info *in = &m->info;
    json_t *summary = json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
        "command", mta_json_str(in->cmdline && *in->cmdline ? in->cmdline : in->exe),
        "pid", (json_int_t)in->pid, "duration_ns", (json_int_t)in->duration_ns,
        "allocations", (json_int_t)m->allocations, "frees", (json_int_t)m->frees,
        "bytes_allocated", (json_int_t)m->bytes_allocated,
        "peak_bytes", (json_int_t)m->peak_bytes, "peak_blocks", (json_int_t)m->peak_blocks,
        "peak_ns", (json_int_t)m->peak_ns, "leaked_bytes", (json_int_t)m->leaked_bytes,
        "leaked_blocks", (json_int_t)m->leaked_blocks, "temporary", (json_int_t)m->temporary,
        "end", mta_end_state_name(in->end_state));
    json_object_set_new(summary, "trace", mta_json_str(mta_short_path(m->source_path)));
    json_t *d = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}",
        "summary", summary, "leaks", leaks_json(m, sym, o),
        "peak", mta_peak_json(m, sym, o), "temporary", mta_temporary_json(m, sym, o),
        "usage", mta_usage_json(m, sym, o), "allocators", mta_allocators_json(m, sym, o));
    if (whole) {
        json_object_set_new(d, "regions", regions_json(m, sym, o));
        json_object_set_new(d, "flames", json_pack("{s:o,s:o,s:o}",
            "allocated", flame_json(m, sym, o, MTA_COST_BYTES),
            "leaked", flame_json(m, sym, o, MTA_COST_LEAKED),
            "peak", flame_json(m, sym, o, MTA_COST_PEAK)));
    }
    return d;
}

/* Text in the page's HTML (the title). */
static void put_html_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
        }
    }
}

/* JSON inside <script>: no "</script>" or "<!--" can appear once every '<'
 * is written \u003c (a '<' can only stand inside a string). */
static int put_script_json(FILE *out, const json_t *data)
{
    char *s = json_dumps(data, JSON_COMPACT);
    if (!s)
        return -1;
    for (const char *c = s; *c; c++) {
        if (*c == '<')
            fputs("\\u003c", out);
        else
            fputc(*c, out);
    }
    free(s);
    return 0;
}

void mta_html_page_opts(struct mta_report_opts *page, const struct mta_report_opts *o)
{
    *page = *o;
    page->top = o->top && o->top < HTML_TOP ? o->top : HTML_TOP;
    page->max_frames = o->max_frames && o->max_frames < HTML_FRAMES ? o->max_frames
                                                                    : HTML_FRAMES;
}

int mta_html_write_page(FILE *out, const char *title, json_t *data)
{
    if (!data)
        return -1;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n<title>mtrace: ", out);
    put_html_text(out, title ? title : "report");
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
            "<pre id=\"script-errors\" hidden></pre>\n<main id=\"report\">"
            "<p>This report is drawn by its script: enable JavaScript.</p></main>\n"
            "<script type=\"application/json\" id=\"mtrace-data\">", mta_html_report_css);
    int rc = put_script_json(out, data);
    fprintf(out, "</script>\n<script>\n%s</script>\n</body></html>\n", mta_html_report_js);
    json_decref(data);
    return rc;
}

int mta_render_html(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                    const struct mta_report_opts *o)
{
    struct mta_report_opts page;
    mta_html_page_opts(&page, o);
    const char *cmd = m->info.cmdline && *m->info.cmdline ? m->info.cmdline : m->info.exe;
    return mta_html_write_page(out, cmd, mta_html_process_data(m, sym, &page, 1));
}

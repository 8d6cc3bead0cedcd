/* "maps" of the JSON report (docs/report-json.md): the address space at
 * exit, each region with what it is, its live heap blocks and their owners.
 * Formats the maps view (view_maps.h) and nothing else. */
#include <jansson.h>

#include "render_json.h"
#include "view_maps.h"

static json_t *region_json(const struct mta_model *m, const struct mta_region *r,
                           const struct mta_map_annotation *an, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o)
{
    json_t *owners = json_array();
    for (int k = 0; k < MTA_MAP_OWNERS && an->top[k].blocks; k++)
        json_array_append_new(owners, json_pack("{s:I,s:I,s:o}", "blocks",
                                                (json_int_t)an->top[k].blocks, "bytes",
                                                (json_int_t)an->top[k].bytes, "frames",
                                                mta_json_frames(sym, m, an->top[k].stack, o)));
    json_t *jr = json_pack("{s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:s,s:I,s:s%,s:o,s:b}",
        "start", mta_json_hex(r->start), "end", mta_json_hex(r->end),
        "size", (json_int_t)(r->end - r->start), "rss", (json_int_t)(r->rss_kb * 1024),
        "pss", (json_int_t)(r->pss_kb * 1024), "anonymous", (json_int_t)(r->anon_kb * 1024),
        "swap", (json_int_t)(r->swap_kb * 1024), "perms", r->perms,
        "offset", (json_int_t)r->offset, "device", r->dev, "inode", (json_int_t)r->inode,
        "name", r->name, r->name_len,
        "label", an->label ? json_string(an->label) : json_null(), "startup", an->startup);
    json_object_set_new(jr, "mtrace_bytes", json_integer((json_int_t)an->own_bytes));
    json_object_set_new(jr, "live_blocks", json_integer((json_int_t)an->live_blocks));
    json_object_set_new(jr, "live_bytes", json_integer((json_int_t)an->live_bytes));
    json_object_set_new(jr, "owners", owners);
    json_object_set_new(jr, "tracer", json_boolean(an->tracer));
    json_object_set_new(jr, "mapped_by_program",
                        an->by_program ? mta_json_frames(sym, m, an->map_stack, o) : json_null());
    return jr;
}

json_t *mta_maps_json(const struct mta_model *m, struct mta_symbolizer *sym,
                      const struct mta_report_opts *o)
{
    struct mta_maps_view v;
    json_t *arr = json_array();
    if (mta_maps_view_make(&v, m))
        return json_pack("{s:o,s:n}", "regions", arr, "snapshot");
    for (size_t i = 0; i < v.rs.n; i++)
        json_array_append_new(arr, region_json(m, &v.rs.v[i], &v.an[i], sym, o));
    json_t *maps = json_pack("{s:o,s:s,s:b,s:I,s:I}", "regions", arr, "snapshot",
                             v.at_exit ? "exit" : "last", "smaps", v.have_smaps, "total_size",
                             (json_int_t)v.size, "program_size", (json_int_t)v.program_size);
    mta_maps_view_free(&v);
    return maps;
}

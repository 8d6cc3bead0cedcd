/* "startup" of the JSON report's "sources" (docs/report-json.md): each
 * region present before tracing began, with what it is.  Formats the
 * start-up view (view_startup.h) and nothing else. */
#include <jansson.h>

#include "render_json.h"
#include "view_startup.h"

json_t *mta_startup_json(const struct mta_model *m)
{
    json_t *arr = json_array();
    struct mta_startup_view v;
    mta_startup_view_make(&v, m);
    for (size_t i = 0; i < v.rs.n; i++) {
        const struct mta_startup_region *sr = &v.regions[i];
        const struct mta_region *r = sr->r;
        json_array_append_new(arr, json_pack("{s:o,s:o,s:I,s:s,s:I,s:s%,s:s}",
            "start", mta_json_hex(r->start), "end", mta_json_hex(r->end),
            "size", (json_int_t)(r->end - r->start), "perms", r->perms,
            "offset", (json_int_t)r->offset, "name", r->name, r->name_len,
            "label", sr->label));
    }
    mta_startup_view_free(&v);
    return arr;
}

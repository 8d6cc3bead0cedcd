/* Helpers of the JSON renderers. */
#include <stdlib.h>

#include "json_util.h"
#include "xalloc.h"

json_t *mta_json_hex(uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return json_string(buf);
}

/* Text from the trace need not be UTF-8 (a command line, a path): bytes
 * that are not are shown as '?' rather than losing the whole report. */
json_t *mta_json_str(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *c = mta_xstrdup(s);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(c);
    free(c);
    return j;
}

json_t *mta_json_frame_list(const struct mta_frame *f, unsigned n)
{
    json_t *arr = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:o,s:o,s:i,s:b,s:o,s:o}",
            "function", mta_json_str(f[i].function), "file", mta_json_str(f[i].file),
            "line", f[i].line, "inlined", f[i].inlined, "module", mta_json_str(f[i].module),
            "address", mta_json_hex(f[i].address)));
    return arr;
}

json_t *mta_json_frames(struct mta_symbolizer *sym, const struct mta_model *m, uint32_t stack,
                        const struct mta_report_opts *o)
{
    struct mta_frame frames[MT_MAX_DEPTH * 2];
    unsigned k = mta_stack_frames(sym, m, stack, o, frames, sizeof frames / sizeof frames[0]);
    return mta_json_frame_list(frames, k);
}

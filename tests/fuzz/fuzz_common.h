/* Shared by the fuzz harnesses: load a trace into the model from memory and
 * run every report over it (symbols off: a fuzzed module path must not make
 * the harness open files).  Any crash, sanitizer report, leak or failed
 * invariant is a finding. */
#ifndef MTA_FUZZ_COMMON_H
#define MTA_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "model.h"
#include "render_json.h"
#include "render_text.h"
#include "trace.h"

typedef int (*fuzz_reader)(const char *name, const uint8_t *data, size_t size,
                           const struct mta_sink *sink, struct mta_error *err);

static FILE *fuzz_devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}

/* Reads with `read`, then prints every report.  Returns the reader's result. */
static int fuzz_model_reports(fuzz_reader read, const uint8_t *data, size_t size)
{
    struct mta_model m;
    struct mta_error err = {{0}, 0};
    if (mta_model_init(&m))
        abort();
    struct mta_sink sink = mta_model_sink(&m);
    int rc = read("fuzz", data, size, &sink, &err);
    if (rc == 0) {
        mta_model_finish(&m);
        struct mta_report_opts o = {.all_frames = 1};
        FILE *out = fuzz_devnull();
        mta_report_text(out, &m, NULL, &o);
        mta_report_json(out, &m, NULL, &o);
        mta_report_sources_text(out, &m, NULL, &o);
        mta_report_maps_text(out, &m, NULL, &o);
    } else if (!err.msg[0] || !err.code) {
        fprintf(stderr, "reader failed without a message or exit code\n");
        abort();
    }
    mta_model_free(&m);
    return rc;
}

#endif

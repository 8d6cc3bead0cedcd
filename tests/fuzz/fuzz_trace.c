/* libFuzzer harness for the binary trace reader (analyzer/trace_reader.c),
 * the model and the reports.  Oracle beyond "no crash": a trace the binary
 * reader accepts must export to trace.json, and that export must read back. */
#include "fuzz_common.h"
#include "json_export.h"

static int read_bin(const char *name, const uint8_t *data, size_t size,
                    const struct mta_sink *sink, struct mta_error *err)
{
    return mta_read_binary_mem(name, data, size, sink, err);
}

static int read_json(const char *name, const uint8_t *data, size_t size,
                     const struct mta_sink *sink, struct mta_error *err)
{
    return mta_read_json_mem(name, (const char *)data, size, sink, err);
}

/* binary -> trace.json (in memory) -> must read back */
static void roundtrip(const uint8_t *data, size_t size)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return;
    struct mta_json_export *x = mta_json_export_new(mem);
    if (!x) {
        fclose(mem);
        free(buf);
        return;
    }
    struct mta_sink sink;
    mta_json_export_sink(x, &sink);
    struct mta_error err = {{0}, 0};
    int rc = mta_read_binary_mem("fuzz", data, size, &sink, &err);
    if (rc == 0)
        rc = mta_json_export_finish(x, &err);
    else
        mta_json_export_free(x);
    fclose(mem);
    if (rc == 0 && fuzz_model_reports(read_json, (const uint8_t *)buf, len) != 0) {
        fprintf(stderr, "an accepted binary trace exported to trace.json that does not "
                        "read back\n");
        abort();
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_model_reports(read_bin, data, size) == 0)
        roundtrip(data, size);
    return 0;
}

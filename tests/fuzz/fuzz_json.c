/* libFuzzer harness for the trace.json reader (analyzer/json_reader.c), the
 * model and the reports. */
#include "fuzz_common.h"

static int read_json(const char *name, const uint8_t *data, size_t size,
                     const struct mta_sink *sink, struct mta_error *err)
{
    return mta_read_json_mem(name, (const char *)data, size, sink, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_model_reports(read_json, data, size);
    return 0;
}

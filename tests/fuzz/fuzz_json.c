/* libFuzzer harness for the trace.json reader (analyzer/json_reader.c,
 * json_stream.c), the model and the reports.
 *
 * Each input is read twice: from memory (the whole input in the window)
 * and from a file with a window of a few bytes, so that every element
 * straddles refills, the window grows and shrinks and pass 2 seeks.  Both
 * must give the same result and the same message (the model and the
 * reports run on the first read only). */
#include <unistd.h>
#include <sys/mman.h>

#include "fuzz_common.h"
#include "json_stream.h"

static int read_json(const char *name, const uint8_t *data, size_t size,
                     const struct mta_sink *sink, struct mta_error *err)
{
    return mta_read_json_mem(name, (const char *)data, size, sink, err);
}

static char fd_path[64];

static int read_json_fd(const char *name, const uint8_t *data, size_t size,
                        const struct mta_sink *sink, struct mta_error *err)
{
    (void)name;
    int fd = memfd_create("fuzz_json", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%d", fd);
    size_t saved = mta_json_window;
    mta_json_window = 1 + size % 61; /* a few bytes: every element straddles refills */
    int rc = mta_read_json(fd_path, sink, err);
    mta_json_window = saved;
    close(fd);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = fuzz_model_reports(read_json, data, size);
    struct mta_error e1 = {{0}, 0};
    struct mta_sink none = {0};
    int rc1 = read_json("fuzz", data, size, &none, &e1);
    struct mta_error e2 = {{0}, 0};
    int rc2 = read_json_fd("fuzz", data, size, &none, &e2);
    if (rc1 != rc || rc2 != rc1 ||
        (rc1 && strcmp(e1.msg + strlen("fuzz"), e2.msg + strlen(fd_path)) != 0)) {
        fprintf(stderr, "memory and file reads differ: %d [%s] vs %d [%s]\n", rc1, e1.msg, rc2,
                e2.msg);
        abort();
    }
    return 0;
}

/* libFuzzer harness for packed traces (analyzer/pack_*.c).  Each input is
 * tried both ways:
 *  - as a packed trace: unpacking must not crash, and must either fail with
 *    a message and an exit code or give a trace the reader and every report
 *    then take (accepted or refused cleanly);
 *  - as a trace: packing must succeed whatever the bytes, and unpacking the
 *    result must give the input back byte for byte. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "pack.h"
#include "pack_format.h"

#define UNPACKED_MAX (64u << 20) /* the harness's own bound, not the reader's */

static int read_bin(const char *name, const uint8_t *data, size_t size,
                    const struct mta_sink *sink, struct mta_error *err)
{
    return mta_read_binary_mem(name, data, size, sink, err);
}

static int memfd_with(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
        abort();
    return fd;
}

/* The whole of fd into a fresh buffer; *size its length. */
static uint8_t *slurp(int fd, size_t *size)
{
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0)
        abort();
    uint8_t *buf = malloc((size_t)end + 1);
    if (!buf || pread(fd, buf, (size_t)end, 0) != end)
        abort();
    *size = (size_t)end;
    return buf;
}

static void as_packed(const uint8_t *data, size_t size)
{
    struct mta_pack_header h;
    if (size < sizeof h)
        return;
    memcpy(&h, data, sizeof h);
    if (h.original_size > UNPACKED_MAX)
        return;
    int in = memfd_with(data, size), out = memfd_create("fuzz-out", MFD_CLOEXEC);
    struct mta_error err = {{0}, 0};
    if (mta_unpack_fd(in, out, "fuzz", &err) == 0) {
        size_t n;
        uint8_t *trace = slurp(out, &n);
        if (n != h.original_size) {
            fprintf(stderr, "unpacked %zu bytes, the header says %llu\n", n,
                    (unsigned long long)h.original_size);
            abort();
        }
        fuzz_model_reports(read_bin, trace, n);
        free(trace);
    } else if (!err.msg[0] || !err.code) {
        fprintf(stderr, "unpacking failed without a message or exit code\n");
        abort();
    }
    close(in);
    close(out);
}

static void roundtrip(const uint8_t *data, size_t size)
{
    int in = memfd_with(data, size), packed = memfd_create("fuzz-packed", MFD_CLOEXEC),
        back = memfd_create("fuzz-back", MFD_CLOEXEC);
    struct mta_error err = {{0}, 0};
    if (mta_pack_fd(in, size, packed, "/tmp", 1, "fuzz", NULL, &err)) {
        fprintf(stderr, "packing failed: %s\n", err.msg);
        abort();
    }
    if (mta_unpack_fd(packed, back, "fuzz", &err)) {
        fprintf(stderr, "unpacking what was just packed failed: %s\n", err.msg);
        abort();
    }
    size_t n;
    uint8_t *got = slurp(back, &n);
    if (n != size || memcmp(got, data, size)) {
        fprintf(stderr, "pack + unpack did not give the input back\n");
        abort();
    }
    free(got);
    close(in);
    close(packed);
    close(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    as_packed(data, size);
    roundtrip(data, size);
    return 0;
}

/* Packed traces (pack_format.h): a binary trace compressed at rest with
 * zstd after a lossless split into columns, and the way back. */
#ifndef MTA_PACK_H
#define MTA_PACK_H

#include <stdint.h>

#include "trace.h"

#define MTA_PACK_LEVEL_DEFAULT 3
#define MTA_PACK_LEVEL_MAX 19 /* higher levels need a window the reader refuses */

struct mta_pack_stats {
    uint64_t in_bytes, out_bytes;
    uint64_t events;   /* timed records seen (allocations, frees, ...) */
};

/* Packs the `size` bytes of in (read sequentially from its start) into out
 * (written from its start); the streams wait in unlinked temporary files in
 * tmpdir meanwhile.  Never fails on odd input: what it cannot split is stored
 * as it is.  0, or -1 with err (I/O, out of memory); `name` is for messages. */
int mta_pack_fd(int in, uint64_t size, int out, const char *tmpdir, int level, const char *name,
                struct mta_pack_stats *st, struct mta_error *err);

/* Unpacks the packed file in into out (written sequentially from its
 * current position).  0, or -1 with err (MTA_EXIT_CORRUPT: not a valid
 * packed trace; the message names `name`). */
int mta_unpack_fd(int in, int out, const char *name, struct mta_error *err);

/* 1 if the 8 bytes at head are the packed magic. */
int mta_is_packed(const void *head, size_t n);

/* An unlinked temporary file in dir (O_TMPFILE, else mkstemp + unlink);
 * -1 with errno on failure. */
int mta_temp_fd(const char *dir);

/* Unpacks path into an unlinked temporary file in $TMPDIR or /tmp; *fd is
 * that file, positioned anywhere.  0, or -1 with err. */
int mta_unpack_to_temp(const char *path, int *fd, struct mta_error *err);

/* The command-line operations: a new file `out` (refused if it exists,
 * mode 0600 like a trace), removed again on failure.  0, or -1 with err. */
int mta_pack_file(const char *in, const char *out, int level, struct mta_pack_stats *st,
                  struct mta_error *err);
int mta_unpack_file(const char *in, const char *out, struct mta_error *err);

/* The fields after dt of a record packing splits into columns: p a pointer
 * delta, s a size, k a stack id (free "p", allocation "psk", realloc
 * "ppsk"); NULL for a record stored whole. */
const char *mta_pack_columns(uint8_t tag);

/* mtrace-report --pack / --unpack over the files given (output: --output,
 * with one file only).  An exit status (errors.h); messages on stderr. */
int mta_pack_cli(int unpack, char **paths, int n, const char *output, int level);

#endif

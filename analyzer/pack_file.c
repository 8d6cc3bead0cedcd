/* Packed traces as files (pack.h): packing and unpacking on the command
 * line, and unpacking for the reader into an unlinked temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "errors.h"
#include "mtrace/format.h"
#include "pack.h"
#include "pack_format.h"

int mta_is_packed(const void *head, size_t n)
{
    return n >= 8 && !memcmp(head, MTA_PACK_MAGIC, 8);
}

int mta_temp_fd(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/.mtrace-tmp.XXXXXX", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* The input: a regular file, opened, with its first 8 bytes.  0 or -1. */
static int open_input(const char *path, int *fd, uint64_t *size, char head[8],
                      struct mta_error *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return mta_set_error(err, MTA_EXIT_IO, "%s: cannot open: %s", path, strerror(errno)), -1;
    struct stat st;
    if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
        close(*fd);
        return mta_set_error(err, MTA_EXIT_IO, "%s: not a regular file", path), -1;
    }
    *size = (uint64_t)st.st_size;
    memset(head, 0, 8);
    if (*size >= 8 && pread(*fd, head, 8, 0) != 8) {
        close(*fd);
        return mta_set_error(err, MTA_EXIT_IO, "%s: read error at byte 0", path), -1;
    }
    return 0;
}

static int create_output(const char *path, struct mta_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        mta_set_error(err, MTA_EXIT_IO, "cannot write %s: %s", path,
                      errno == EEXIST ? "the file exists (never overwritten: remove it, or "
                                        "give another name with --output)"
                                      : strerror(errno));
    return fd;
}

/* Closes the output; on failure (rc, or close/fsync failing) removes it. */
static int finish_output(int fd, const char *path, int rc, struct mta_error *err)
{
    if (rc == 0 && (fsync(fd) || close(fd))) {
        mta_set_error(err, MTA_EXIT_IO, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    } else if (rc) {
        close(fd);
    }
    if (rc)
        unlink(path);
    return rc;
}

int mta_pack_file(const char *in, const char *out, int level, struct mta_pack_stats *st,
                  struct mta_error *err)
{
    int fd;
    uint64_t size;
    char head[8];
    if (open_input(in, &fd, &size, head, err))
        return -1;
    if (mta_is_packed(head, sizeof head) || memcmp(head, MT_FILE_MAGIC, 8)) {
        close(fd);
        return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: %s", in,
                             mta_is_packed(head, sizeof head)
                                 ? "already packed"
                                 : "not a binary mtrace trace (bad magic at byte 0); --pack "
                                   "takes a .trace written by libmtrace.so"), -1;
    }
    int ofd = create_output(out, err);
    if (ofd < 0) {
        close(fd);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", out);
    int rc = mta_pack_fd(fd, size, ofd, dirname(dir), level, in, st, err);
    close(fd);
    return finish_output(ofd, out, rc, err);
}

int mta_unpack_file(const char *in, const char *out, struct mta_error *err)
{
    int fd;
    uint64_t size;
    char head[8];
    if (open_input(in, &fd, &size, head, err))
        return -1;
    if (!mta_is_packed(head, sizeof head)) {
        close(fd);
        return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: not a packed mtrace trace (bad magic "
                             "at byte 0)", in), -1;
    }
    int ofd = create_output(out, err);
    if (ofd < 0) {
        close(fd);
        return -1;
    }
    int rc = mta_unpack_fd(fd, ofd, in, err);
    close(fd);
    return finish_output(ofd, out, rc, err);
}

int mta_unpack_to_temp(const char *path, int *fd_out, struct mta_error *err)
{
    int fd;
    uint64_t size;
    char head[8];
    if (open_input(path, &fd, &size, head, err))
        return -1;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int tfd = mta_temp_fd(dir);
    if (tfd < 0) {
        close(fd);
        return mta_set_error(err, MTA_EXIT_IO, "%s: cannot create a temporary file in %s to "
                             "unpack it into: %s (set TMPDIR)", path, dir, strerror(errno)), -1;
    }
    /* refuse early what the temporary file system cannot hold */
    uint64_t want = 0;
    struct statvfs vfs;
    if (pread(fd, &want, sizeof want, 16) == (ssize_t)sizeof want && fstatvfs(tfd, &vfs) == 0 &&
        want > (uint64_t)vfs.f_bavail * vfs.f_frsize) {
        mta_set_error(err, MTA_EXIT_IO, "%s: unpacking needs %llu bytes in %s, which has %llu "
                      "free (set TMPDIR to a larger file system)", path,
                      (unsigned long long)want, dir,
                      (unsigned long long)vfs.f_bavail * vfs.f_frsize);
        close(fd);
        close(tfd);
        return -1;
    }
    int rc = mta_unpack_fd(fd, tfd, path, err);
    close(fd);
    if (rc) {
        close(tfd);
        return -1;
    }
    *fd_out = tfd;
    return 0;
}

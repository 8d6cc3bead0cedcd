/* The file descriptors the shim owns: the trace file and libunwind's
 * address-check pipe.
 *
 * The program must see its descriptors exactly as without mtrace.  So ours
 * live high (just below min(soft RLIMIT_NOFILE, 1024), where open() does not
 * reach in practice), are close-on-exec, and are listed here so that the
 * interposed close, close_range, closefrom, dup2 and dup3 (hooks_fd.c) can
 * keep the program from closing or replacing them: close(ours) fails with
 * EBADF as it would untraced, a range is split around ours, and dup2 onto
 * one of ours first moves ours elsewhere.
 *
 * A slot remembers where its owner keeps the number (the writer's w.fd,
 * libunwind's static pipe array), so a move updates the owner too, and the
 * file's identity (st_dev, st_ino), so a descriptor closed behind our back
 * with a raw system call (and perhaps reused by the program) is recognised
 * before we touch it again (mt_fd_intact).
 *
 * Slots change on cold paths only (start, libunwind's pipe, a dup2 onto
 * ours), claimed and cleared with compare-and-swap; a move holds the slot
 * lock, which the writer also holds while it uses its descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#define SLOTS 8
static struct slot {
    int fd1;         /* fd + 1; 0: free (read without the lock) */
    int *where;      /* the owner's copy of the number, or NULL */
    int lost;        /* closed behind our back, the number given up to the
                        program: its owner may still close it (libunwind
                        does, to reopen its pipe); that close must fail */
    uint64_t dev, ino;
} slots[SLOTS];
static mt_spin lock;

/* The highest descriptor we may take: below the soft limit, and not so high
 * that the kernel's descriptor table grows large for our sake. */
static int top_fd(void)
{
    struct rlimit rl;
    long top = 1024;
    if (mt_raw_syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0, 0) == 0 &&
        rl.rlim_cur < (rlim_t)top)
        top = (long)rl.rlim_cur;
    return (int)top - 1;
}

/* A close-on-exec duplicate of fd in the high range; -1 if none is free. */
static int dup_high(int fd)
{
    int top = top_fd();
    for (int want = top; want > 2 && want > top - 64; want--) {
        long r = mt_raw_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, want, 0, 0, 0);
        if (r >= 0 && r <= top)
            return (int)r;
        if (r >= 0) { /* want was taken: the next free one is above top */
            mt_raw_syscall(SYS_close, r, 0, 0, 0, 0, 0);
            continue;
        }
        if (r != -EMFILE && r != -EINVAL)
            return -1;
    }
    return -1;
}

static int identify(int fd, uint64_t *dev, uint64_t *ino)
{
    struct stat st;
    if (mt_raw_syscall(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0)
        return -1;
    *dev = (uint64_t)st.st_dev;
    *ino = (uint64_t)st.st_ino;
    return 0;
}

int mt_fd_adopt(int fd, int *where)
{
    if (fd < 0) {
        if (where)
            *where = fd;
        return fd;
    }
    int high = dup_high(fd);
    if (high >= 0) {
        mt_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
        fd = high;
    }
    if (where)
        *where = fd;
    uint64_t dev = 0, ino = 0;
    identify(fd, &dev, &ino);
    for (int i = 0; where && i < SLOTS; i++) /* the owner's lost one is replaced */
        if (__atomic_load_n(&slots[i].lost, __ATOMIC_ACQUIRE) && slots[i].where == where)
            mt_fd_forget(__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) - 1);
    for (int i = 0; i < SLOTS; i++) {
        int expected = 0;
        if (__atomic_load_n(&slots[i].fd1, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&slots[i].fd1, &expected, -1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            slots[i].where = where;
            slots[i].lost = 0;
            slots[i].dev = dev;
            slots[i].ino = ino;
            __atomic_store_n(&slots[i].fd1, fd + 1, __ATOMIC_RELEASE);
            break;
        }
    }
    return fd;
}

int mt_fd_owned(int fd)
{
    if (fd < 0)
        return 0;
    for (int i = 0; i < SLOTS; i++)
        if (MT_UNLIKELY(__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) == fd + 1) &&
            !__atomic_load_n(&slots[i].lost, __ATOMIC_ACQUIRE))
            return 1;
    return 0;
}

int mt_fd_known(int fd)
{
    for (int i = 0; fd >= 0 && i < SLOTS; i++)
        if (MT_UNLIKELY(__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) == fd + 1))
            return 1;
    return 0;
}

void mt_fd_mark_lost(int fd)
{
    for (int i = 0; fd >= 0 && i < SLOTS; i++)
        if (__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) == fd + 1)
            __atomic_store_n(&slots[i].lost, 1, __ATOMIC_RELEASE);
}

int mt_fd_owned_in(unsigned lo, unsigned hi, unsigned *first)
{
    int found = 0;
    for (int i = 0; i < SLOTS; i++) {
        int f1 = __atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE);
        if (f1 > 0 && !__atomic_load_n(&slots[i].lost, __ATOMIC_ACQUIRE) && (unsigned)(f1 - 1) >= lo && (unsigned)(f1 - 1) <= hi &&
            (!found || (unsigned)(f1 - 1) < *first)) {
            *first = (unsigned)(f1 - 1);
            found = 1;
        }
    }
    return found;
}

static int find(int fd)
{
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].fd1 == fd + 1)
            return i;
    return -1;
}

/* Lock-free and without a system call: usable after seccomp too. */
void mt_fd_forget(int fd)
{
    for (int i = 0; fd >= 0 && i < SLOTS; i++) {
        int expected = fd + 1;
        __atomic_compare_exchange_n(&slots[i].fd1, &expected, 0, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED);
    }
}

int mt_fd_intact(int fd)
{
    uint64_t dev, ino;
    if (fd < 0 || identify(fd, &dev, &ino))
        return 0;
    for (int i = 0; i < SLOTS; i++)
        if (__atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE) == fd + 1)
            return !slots[i].lost && slots[i].dev == dev && slots[i].ino == ino;
    return 0; /* not one of ours */
}

int mt_fd_close_own(int fd)
{
    int ok = mt_fd_intact(fd);
    mt_fd_forget(fd);
    if (!ok)
        return -EBADF; /* the number is no longer ours: never close it */
    return (int)mt_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
}

int mt_fd_move_away(int fd)
{
    int i = find(fd), rc = -1;
    if (i >= 0) {
        int high = dup_high(fd);
        if (high >= 0) {
            if (slots[i].where)
                __atomic_store_n(slots[i].where, high, __ATOMIC_RELEASE);
            __atomic_store_n(&slots[i].fd1, high + 1, __ATOMIC_RELEASE);
            mt_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
            rc = 0;
        }
    }
    return rc;
}

void mt_fd_check_others(const int *except)
{
    for (int i = 0; i < SLOTS; i++) {
        int f1 = __atomic_load_n(&slots[i].fd1, __ATOMIC_ACQUIRE);
        int *where = slots[i].where;
        if (f1 <= 0 || where == except || slots[i].lost || mt_fd_intact(f1 - 1))
            continue;
        /* Lost behind our back: its owner (libunwind) must stop using the
         * number, which may be the program's now.  With -1 in its copy,
         * libunwind's next read fails and it opens a new pipe (ours again). */
        __atomic_store_n(&slots[i].lost, 1, __ATOMIC_RELEASE);
        if (where)
            __atomic_store_n(where, -1, __ATOMIC_RELEASE);
    }
}

int mt_fd_lock(void)
{
    return mt_spin_lock(&lock);
}

void mt_fd_unlock(void)
{
    mt_spin_unlock(&lock);
}

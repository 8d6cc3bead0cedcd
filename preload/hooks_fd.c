/* Interposers that keep the program's view of its file descriptors exactly
 * as without mtrace (see fds.c), and stop the tracer before a seccomp filter
 * could kill the process for one of the tracer's own system calls.
 *
 *  close(ours)            fails with EBADF, as the number was never open
 *  close_range, closefrom split around ours
 *  dup2/dup3(x, ours)     move ours to another high number first
 *  dup2/dup3(ours, x)     fail with EBADF
 *  pipe/pipe2             inside the shim's own work (libunwind's
 *                         address-check pipe): the ends move high and are ours
 *  prctl(PR_SET_SECCOMP), syscall(SYS_seccomp): finish the trace, go quiet,
 *                         then install the filter
 *  syscall()              glibc's generic wrapper: the calls above made
 *                         through it take the same paths.
 * A system call made without glibc (inline assembly) is not seen: the writer
 * then recognises a lost descriptor before it uses it (mt_fd_intact) and
 * stops cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static long set_errno(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* The real function, resolving the lot if no hook has run yet (a library
 * constructor before ours); NULL while mt_init is under way or if libc has
 * no such function: the caller then makes the system call itself. */
#define REAL(f) (MT_LIKELY(mt_real.f) ? mt_real.f : (mt_init(), mt_real.f))

/* One of ours that a raw system call closed (and the program may have
 * reused) is the program's again: mark it lost, so the hooks leave it be and
 * the writer stops.  One fstat, only when the program names one of ours. */
static int still_ours(int fd)
{
    if (mt_quiet || mt_fd_intact(fd))
        return 1;
    mt_fd_mark_lost(fd);
    return 0;
}

static int owned_in(unsigned lo, unsigned hi, unsigned *first)
{
    unsigned f;
    while (mt_fd_owned_in(lo, hi, &f))
        if (still_ours((int)f)) {
            *first = f;
            return 1;
        }
    return 0;
}

static int real_close(int fd)
{
    int (*f)(int) = REAL(close);
    return f ? f(fd) : (int)set_errno(mt_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0));
}

static int real_close_range(unsigned lo, unsigned hi, int flags)
{
    int (*f)(unsigned, unsigned, int) = REAL(close_range);
    return f ? f(lo, hi, flags)
             : (int)set_errno(mt_raw_syscall(SYS_close_range, lo, hi, flags, 0, 0, 0));
}

int close(int fd)
{
    if (MT_UNLIKELY(mt_tls_internal) && !mt_quiet && mt_fd_known(fd)) {
        /* the shim's own work: libunwind closing its pipe to reopen it;
         * never a number the program has taken over */
        return (int)set_errno(mt_fd_close_own(fd));
    }
    if (MT_LIKELY(!mt_fd_owned(fd)) || !still_ours(fd))
        return real_close(fd);
    errno = EBADF; /* the program never had this number */
    return -1;
}

/* close_range over [lo, hi] without ours: one call per gap between them.
 * The first failure's errno is kept. */
static int close_range_around(unsigned lo, unsigned hi, int flags)
{
    int rc = 0, err = 0;
    for (;;) {
        unsigned ours;
        int found = owned_in(lo, hi, &ours);
        unsigned end = found ? ours - 1 : hi;
        if (!found || ours > lo) {
            if (real_close_range(lo, end, flags) != 0 && !rc) {
                rc = -1;
                err = errno;
            }
        }
        if (!found || ours >= hi)
            break;
        lo = ours + 1;
    }
    if (rc)
        errno = err;
    return rc;
}

int close_range(unsigned lo, unsigned hi, int flags)
{
    if (MT_LIKELY(lo > hi || !owned_in(lo, hi, &(unsigned){0})))
        return real_close_range(lo, hi, flags);
    return close_range_around(lo, hi, flags);
}

void closefrom(int low)
{
    unsigned lo = low < 0 ? 0 : (unsigned)low, first;
    void (*f)(int) = REAL(closefrom);
    if (MT_LIKELY(!owned_in(lo, UINT_MAX, &first))) {
        if (f)
            f(low);
        else /* a libc without closefrom */
            real_close_range(lo, UINT_MAX, 0);
        return;
    }
    /* The gaps below our highest one are short (ours sit below 1024): close
     * them one by one where close_range is missing. */
    unsigned last = first;
    while (last < UINT_MAX && owned_in(last + 1, UINT_MAX, &last))
        ;
    int saved = errno;
    if (close_range_around(lo, last, 0) != 0)
        for (unsigned fd = lo; fd < last; fd++)
            if (!mt_fd_owned((int)fd))
                mt_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
    if (f)
        f((int)last + 1);
    else
        close_range_around(last + 1, UINT_MAX, 0);
    errno = saved;
}

/* dup2/dup3 whose target is one of ours: ours moves away first (the slot
 * lock keeps the writer from using the old number meanwhile). */
static int dup_onto(int old, int new, int flags, int three)
{
    if (mt_fd_owned(old) && still_ours(old)) {
        errno = EBADF;
        return -1;
    }
    int (*f2)(int, int) = three ? NULL : REAL(dup2);
    int (*f3)(int, int, int) = three ? REAL(dup3) : NULL;
#define CALL_REAL()                                                                 \
    (three ? (f3 ? f3(old, new, flags)                                              \
                 : (int)set_errno(mt_raw_syscall(SYS_dup3, old, new, flags, 0, 0, 0))) \
           : (f2 ? f2(old, new)                                                     \
                 : (int)set_errno(mt_raw_syscall(SYS_dup2, old, new, 0, 0, 0, 0))))
    if (MT_LIKELY(!mt_fd_owned(new)) || !still_ours(new))
        return CALL_REAL();
    if (old == new) { /* dup2(x, x) checks x only; dup3 refuses */
        errno = three ? EINVAL : EBADF;
        return -1;
    }
    if (mt_quiet) {
        /* no system call of ours any more: the trace is finished, let the
         * program have the number */
        mt_fd_forget(new);
        return CALL_REAL();
    }
    struct mt_internal in;
    mt_internal_begin(&in);
    int locked = mt_fd_lock() == 0;
    if (locked && mt_fd_owned(new) && mt_fd_move_away(new) != 0)
        mt_fd_mark_lost(new); /* closed behind our back (or no room): the
                                 number is the program's; the writer stops */
    int r = CALL_REAL();
    int err = errno;
    if (locked)
        mt_fd_unlock();
    mt_internal_end(&in);
    errno = err;
    return r;
#undef CALL_REAL
}

int dup2(int old, int new)
{
    return dup_onto(old, new, 0, 0);
}

int dup3(int old, int new, int flags)
{
    return dup_onto(old, new, flags, 1);
}

/* libunwind opens its address-check pipe (and reopens it) inside the shim's
 * own work: those ends are ours.  The program's own pipes are untouched. */
static int own_pipe(int fds[2], int r)
{
    if (r == 0 && mt_tls_internal && !mt_quiet && mt_state != MT_OFF) {
        mt_fd_adopt(fds[0], &fds[0]);
        mt_fd_adopt(fds[1], &fds[1]);
    }
    return r;
}

int pipe2(int fds[2], int flags)
{
    int (*f)(int[2], int) = REAL(pipe2);
    int r = f ? f(fds, flags) : (int)set_errno(mt_raw_syscall(SYS_pipe2, (long)fds, flags, 0, 0, 0, 0));
    return own_pipe(fds, r);
}

int pipe(int fds[2])
{
    int (*f)(int[2]) = REAL(pipe);
    int r = f ? f(fds) : (int)set_errno(mt_raw_syscall(SYS_pipe2, (long)fds, 0, 0, 0, 0, 0));
    return own_pipe(fds, r);
}

int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long),
                  c = va_arg(ap, unsigned long), d = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP)
        mt_before_seccomp();
    int (*f)(int, unsigned long, unsigned long, unsigned long, unsigned long) = REAL(prctl);
    return f ? f(option, a, b, c, d)
             : (int)set_errno(mt_raw_syscall(SYS_prctl, option, (long)a, (long)b, (long)c,
                                             (long)d, 0));
}

/* glibc's syscall(): the calls the hooks above stand for take their paths;
 * everything else goes straight to the kernel.  The shim's own syscall()
 * calls come here too (the symbol is ours), and take the default path. */
long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long),
         d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    switch (nr) {
    case SYS_close:
        if (mt_fd_known((int)a))
            return close((int)a);
        break;
    case SYS_close_range:
        if ((unsigned)a <= (unsigned)b && owned_in((unsigned)a, (unsigned)b, &(unsigned){0}))
            return close_range_around((unsigned)a, (unsigned)b, (int)c);
        break;
    case SYS_dup2:
        return dup_onto((int)a, (int)b, 0, 0);
    case SYS_dup3:
        return dup_onto((int)a, (int)b, (int)c, 1);
    case SYS_seccomp:
        if (a == SECCOMP_SET_MODE_STRICT || a == SECCOMP_SET_MODE_FILTER)
            mt_before_seccomp();
        break;
    case SYS_prctl:
        if (a == PR_SET_SECCOMP)
            mt_before_seccomp();
        break;
    }
    return set_errno(mt_raw_syscall(nr, a, b, c, d, e, f));
}

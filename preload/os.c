/* The operating-system boundary of the shim: its own memory, locks, thread
 * ids and clocks, all by raw system calls so that none of it passes through
 * the functions mtrace interposes (malloc, mmap, ...). */
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

/* The mappings mt_os_alloc made and has not freed, so the trace can say
 * which anonymous regions of the process are the tracer's own.  A spin lock
 * on a cold path; a call from a signal handler that interrupted one of ours
 * goes unlisted. */
#define OWN_MAX MT_OS_OWN_MAX
static struct own { uintptr_t start, len; } own[OWN_MAX];
static unsigned own_n;
static mt_spin own_lock;

static void own_note(void *p, size_t bytes, int add)
{
    if (mt_spin_lock(&own_lock))
        return;
    if (add && own_n < OWN_MAX) {
        own[own_n++] = (struct own){(uintptr_t)p, bytes};
    } else if (!add) {
        for (unsigned i = 0; i < own_n; i++)
            if (own[i].start == (uintptr_t)p) {
                own[i] = own[--own_n];
                break;
            }
    }
    mt_spin_unlock(&own_lock);
}

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* The name of the tracer's anonymous mappings in /proc/PID/maps:
 * "[anon:mtrace]".  A named mapping is never merged by the kernel with the
 * program's unnamed anonymous memory next to it, so the region map tells
 * the program's memory from the tracer's.  Kernels without
 * CONFIG_ANON_VMA_NAME (before 5.17, or built without it) refuse: then
 * MADV_NOHUGEPAGE keeps the mappings apart, and the own-memory list says
 * which ranges are ours. */
static const char own_name[] = "mtrace";
static int own_name_refused;

void *mt_os_alloc(size_t bytes)
{
    long r = syscall(SYS_mmap, NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0 && r > -4096)
        return NULL;
    if (__atomic_load_n(&own_name_refused, __ATOMIC_RELAXED) ||
        syscall(SYS_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, r, bytes, own_name) != 0) {
        __atomic_store_n(&own_name_refused, 1, __ATOMIC_RELAXED);
        /* no names: a VMA flag the program's memory does not carry keeps
         * ours apart all the same (the kernel merges only equal flags, and
         * splits what mmap just merged) */
        syscall(SYS_madvise, r, bytes, MADV_NOHUGEPAGE);
    }
    own_note((void *)r, bytes, 1);
    return (void *)r;
}

void mt_os_free(void *p, size_t bytes)
{
    if (p) {
        own_note(p, bytes, 0);
        syscall(SYS_munmap, p, bytes);
    }
}

/* "START-END\n" per own mapping (page-rounded), into buf; the length. */
size_t mt_os_own_list(char *buf, size_t cap)
{
    size_t n = 0;
    if (mt_spin_lock(&own_lock))
        return 0;
    for (unsigned i = 0; i < own_n && n + 35 <= cap; i++) { /* 34 characters and a NUL */
        uintptr_t end = (own[i].start + own[i].len + 4095) & ~(uintptr_t)4095;
        n += mt_format(buf + n, cap - n, "%lx-%lx\n", (unsigned long)own[i].start,
                       (unsigned long)end);
    }
    mt_spin_unlock(&own_lock);
    return n;
}

unsigned mt_os_own_ranges(uintptr_t (*out)[2], unsigned max)
{
    unsigned n = 0;
    if (mt_spin_lock(&own_lock))
        return 0;
    for (unsigned i = 0; i < own_n && n < max; i++, n++) {
        out[n][0] = own[i].start;
        out[n][1] = (own[i].start + own[i].len + 4095) & ~(uintptr_t)4095;
    }
    mt_spin_unlock(&own_lock);
    return n;
}

pid_t mt_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

int mt_spin_lock(mt_spin *l)
{
    int self = (int)mt_gettid();
    if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self)
        return -1; /* re-entered from a signal handler: refuse, don't deadlock */
    int expected = 0;
    while (!__atomic_compare_exchange_n(&l->owner, &expected, self, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expected = 0;
        sched_yield();
    }
    return 0;
}

void mt_spin_unlock(mt_spin *l)
{
    __atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
}

uint64_t mt_ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A system call that passes through nothing: not glibc's syscall() (which
 * libmtrace.so interposes, hooks_fd.c), not errno.  Returns -errno. */
long mt_raw_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#else
#error "mt_raw_syscall: port me"
#endif
}

/* The operating-system boundary of the shim: its own memory, locks, thread
 * ids and clocks, all by raw system calls so that none of it passes through
 * the functions mtrace interposes (malloc, mmap, ...). */
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

void *mt_os_alloc(size_t bytes)
{
    long r = syscall(SYS_mmap, NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0 && r > -4096)
        return NULL;
    return (void *)r;
}

void mt_os_free(void *p, size_t bytes)
{
    if (p)
        syscall(SYS_munmap, p, bytes);
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

/* Internal sections: the shim's own work inside a hook (libunwind, the
 * loader's module list, /proc reads, growing the trace file, thread
 * bookkeeping).  While a thread is inside one:
 *  - allocations it makes pass straight through (mt_tls_internal);
 *  - asynchronous signals wait until it leaves, so a signal handler's hook
 *    never finds this thread halfway through libunwind, dl_iterate_phdr or
 *    one of our spinlocks (the nested hook would otherwise have to skip the
 *    event, deadlock, or corrupt libunwind's per-thread cache);
 *  - fork() waits until no thread is inside any, so a child never inherits
 *    a spinlock, libunwind's internal locks or the loader's lock held by a
 *    thread that does not exist in the child.
 * Sections are cold: the hot path (cached stack, record write) has none.
 *
 * Signals are held with the raw system call so nothing in glibc runs; the
 * synchronous fatal signals are never held (a fault must still reach the
 * program's handler), nor glibc's internal SIGCANCEL/SIGSETXID. */
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

static volatile int gate_pending;   /* a fork waits for sections to drain */
static volatile unsigned gate_inside; /* threads inside a section */
static __thread unsigned tls_depth __attribute__((tls_model("initial-exec")));
__thread int mt_tls_forker __attribute__((tls_model("initial-exec")));

static uint64_t held_signals(void)
{
    uint64_t m = ~0ull;
    static const int never[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT,
                                SIGKILL, SIGSTOP, 32, 33};
    for (unsigned i = 0; i < sizeof never / sizeof never[0]; i++)
        m &= ~(1ull << (never[i] - 1));
    return m;
}

void mt_internal_begin(struct mt_internal *s)
{
    uint64_t m = held_signals();
    s->old_mask = 0;
    /* after seccomp (mt_quiet) no system call of ours */
    s->masked = !mt_quiet &&
                mt_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&m, (long)&s->old_mask,
                               sizeof m, 0, 0) == 0;
    mt_tls_internal++;
    if (tls_depth++ || mt_tls_forker)
        return;
    for (;;) {
        __atomic_add_fetch(&gate_inside, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&gate_pending, __ATOMIC_SEQ_CST))
            return;
        __atomic_sub_fetch(&gate_inside, 1, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(&gate_pending, __ATOMIC_SEQ_CST))
            sched_yield();
    }
}

void mt_internal_end(struct mt_internal *s)
{
    if (--tls_depth == 0 && !mt_tls_forker)
        __atomic_sub_fetch(&gate_inside, 1, __ATOMIC_SEQ_CST);
    mt_tls_internal--;
    if (s->masked)
        mt_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&s->old_mask, 0,
                       sizeof s->old_mask, 0, 0);
}

/* Before fork: wait until every other thread is out of its sections and
 * keep new ones from starting.  The forking thread itself passes freely
 * (atfork handlers may allocate). */
void mt_gate_close(void)
{
    int expected = 0;
    while (!__atomic_compare_exchange_n(&gate_pending, &expected, 1, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
        expected = 0;
        sched_yield(); /* another thread is forking */
    }
    mt_tls_forker = 1;
    while (__atomic_load_n(&gate_inside, __ATOMIC_SEQ_CST))
        sched_yield();
}

void mt_gate_open(void)
{
    mt_tls_forker = 0;
    __atomic_store_n(&gate_pending, 0, __ATOMIC_SEQ_CST);
}

/* In a fork child only this thread exists, and it was in no section. */
void mt_gate_after_fork_child(void)
{
    gate_inside = 0;
    tls_depth = 0;
    mt_gate_open();
}

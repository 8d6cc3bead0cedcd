/* Signals that end the program: the trace records which one, and the program
 * never notices that anything watched.
 *
 * Where the program leaves a default-terminating signal at SIG_DFL, a handler
 * of ours stands in for the default action: it records the end state
 * (MT_END_SIGNAL with the signal number; MT_END_ABORT when the SIGABRT came
 * from abort(), even glibc's internal calls to it such as malloc_printerr's),
 * puts SIG_DFL back and sends the signal again with it unblocked, so the
 * process dies of it in the handler, exactly as it would have: same signal,
 * same core dump, and no instruction of the program runs after it.  So:
 *  - a default-terminating signal never returns to the program: there is no
 *    EINTR nor restarted call to get wrong;
 *  - signals the program blocks stay blocked (the kernel never runs the
 *    handler; sigwait and signalfd get them as before);
 *  - SIG_IGN is never replaced (exec keeps it, and must);
 *  - exec resets our handler to SIG_DFL, as it would the default; a fork
 *    child keeps it, and the shim with it.
 *
 * The program sees its own dispositions: sigaction, signal, bsd_signal,
 * ssignal, sysv_signal and sigset are interposed.  A program's handler or
 * SIG_IGN replaces ours in the kernel; setting SIG_DFL puts ours back, and
 * querying answers the SIG_DFL action the program set (read back from the
 * kernel before ours went in, so flags and mask are what the kernel had).
 * Whether ours is in place is always read from the kernel, so calls that
 * bypass these functions (glibc's own sigignore, system(), abort) can make
 * the answer stale for no longer than they last.  A program that asks the
 * kernel directly (rt_sigaction) sees our handler. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "shim.h"

typedef void (*handler_fn)(int);
typedef handler_fn (*signal_fn)(int, handler_fn);

static struct {
    int (*sigaction)(int, const struct sigaction *, struct sigaction *);
    signal_fn signal, bsd_signal, ssignal, sysv_signal, sysv_signal_, sigset;
} real;

/* The default-terminating signals we stand in for while they are SIG_DFL. */
static const int watched_list[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
                                   SIGTERM, SIGINT, SIGHUP, SIGQUIT};
#define MAX_SIG 32
static int watching;                    /* our handler may be installed */
static struct sigaction view[MAX_SIG];  /* the SIG_DFL action the program set */
static mt_spin lock;
static uintptr_t abort_lo, abort_hi;    /* glibc's abort() code */

static int watched(int sig)
{
    for (size_t i = 0; i < sizeof watched_list / sizeof watched_list[0]; i++)
        if (watched_list[i] == sig)
            return 1;
    return 0;
}

#define RESOLVE(field, name) (*(void **)&real.field = dlsym(RTLD_NEXT, name))

static void resolve(void)
{
    if (__atomic_load_n(&real.sigaction, __ATOMIC_ACQUIRE))
        return;
    struct mt_internal in;
    mt_internal_begin(&in); /* dlsym allocates: pass it through */
    RESOLVE(signal, "signal");
    RESOLVE(bsd_signal, "bsd_signal");
    RESOLVE(ssignal, "ssignal");
    RESOLVE(sysv_signal, "sysv_signal");
    RESOLVE(sysv_signal_, "__sysv_signal");
    RESOLVE(sigset, "sigset");
    void *sa = dlsym(RTLD_NEXT, "sigaction");
    __atomic_store_n((void **)&real.sigaction, sa, __ATOMIC_RELEASE);
    mt_internal_end(&in);
}

/* ---- the handler ---- */

/* Is the SIGABRT being handled raised by abort()?  glibc calls its abort
 * directly (malloc_printerr, assert, fortify), not through the PLT, so look
 * for a return address into abort() on the stack above the interrupted
 * frame (abort -> raise -> pthread_kill: a few hundred bytes).  The stack is
 * read with process_vm_readv, which fails instead of faulting where a page
 * is not readable, in small pieces: the handler may run on a program's
 * small alternate signal stack. */
__attribute__((noinline)) static int raised_by_abort(const siginfo_t *si, const void *ucv)
{
    if (!abort_lo || si->si_code != SI_TKILL || si->si_pid != (pid_t)syscall(SYS_getpid))
        return 0;
    uintptr_t sp;
#if defined(__x86_64__)
    sp = (uintptr_t)((const ucontext_t *)ucv)->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    sp = (uintptr_t)((const ucontext_t *)ucv)->uc_mcontext.sp;
#else
    (void)ucv;
    return 0;
#endif
    enum { PIECE = 256, WINDOW = 4096 };
    uintptr_t words[PIECE / sizeof(uintptr_t)];
    sp &= ~(uintptr_t)(sizeof(uintptr_t) - 1);
    long pid = syscall(SYS_getpid);
    for (uintptr_t a = sp, end = sp + WINDOW; a < end;) {
        /* a piece never crosses a page: it is read whole or not at all */
        uintptr_t next = (a | (PIECE - 1)) + 1;
        struct iovec local = {words, next - a}, remote = {(void *)a, next - a};
        long got = syscall(SYS_process_vm_readv, pid, &local, 1UL, &remote, 1UL, 0UL);
        if (got != (long)(next - a))
            return 0;
        for (size_t i = 0; i < (next - a) / sizeof(uintptr_t); i++)
            if (words[i] > abort_lo && words[i] <= abort_hi)
                return 1;
        a = next;
    }
    return 0;
}

static int own_trace(void)
{
    return mt_header && mt_header->pid == (uint64_t)syscall(SYS_getpid);
}

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    int saved = errno;
    /* Still running (destructors and exit handlers included: ours runs
     * last), or exit() recorded but the process not gone yet: this signal
     * is the end.  After abort(), _exit() or exec, the end is known. */
    uint32_t was = own_trace() ? __atomic_load_n(&mt_header->end_state, __ATOMIC_ACQUIRE)
                               : MT_END_EXEC;
    if (was == MT_END_RUNNING || was == MT_END_EXIT) {
        uint32_t state = sig == SIGABRT && raised_by_abort(si, ucv) ? MT_END_ABORT
                                                                   : MT_END_SIGNAL;
        if (__atomic_compare_exchange_n(&mt_header->end_state, &was, state, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            mt_header->end_code = sig;
            mt_writer_finish();
        }
    }
    /* The default action, now: the signal is pending with SIG_DFL and, once
     * unblocked, ends the process here (all other signals stay blocked by
     * our sa_mask, so no other handler runs first). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real.sigaction(sig, &dfl, NULL);
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), sig);
    uint64_t one = 1ull << (sig - 1);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &one, NULL, sizeof one);
    /* Not reached.  Should it be, returning delivers the pending signal. */
    sigdelset(&((ucontext_t *)ucv)->uc_sigmask, sig);
    errno = saved;
}

static int is_ours(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_signal;
}

static int install_ours(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    return real.sigaction(sig, &sa, NULL);
}

/* ---- the program's view ---- */

/* Changes of a watched signal's action happen with every signal blocked
 * (a handler of the program may call sigaction too) and under a lock
 * (another thread may). */
struct section {
    uint64_t old_mask;
    int masked, locked;
};

static void enter(struct section *s)
{
    /* not the synchronous ones: a fault must still reach its handler */
    uint64_t all = ~0ull;
    static const int never[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        all &= ~(1ull << (never[i] - 1));
    s->masked = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &s->old_mask, sizeof all) == 0;
    s->locked = mt_spin_lock(&lock) == 0;
}

static void leave(struct section *s)
{
    if (s->locked)
        mt_spin_unlock(&lock);
    if (s->masked)
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &s->old_mask, NULL, sizeof s->old_mask);
}

/* After the program set an action for sig: where the kernel now holds
 * SIG_DFL, remember it as the program's and put ours in its place. */
static void retake(int sig)
{
    struct sigaction now;
    if (!watching || real.sigaction(sig, NULL, &now) != 0 || now.sa_handler != SIG_DFL)
        return;
    view[sig] = now;
    install_ours(sig);
}

/* Starts standing in for the default action (mt_init, with tracing on). */
void mt_signals_watch(void)
{
    resolve();
    if (!real.sigaction)
        return;
    /* abort's code, from the symbol table: [start, end] holds its calls'
     * return addresses */
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (mt_real.abort_ && dladdr1((void *)mt_real.abort_, &info, (void **)&sym, RTLD_DL_SYMENT) &&
        sym && sym->st_size) {
        abort_lo = (uintptr_t)mt_real.abort_;
        abort_hi = abort_lo + sym->st_size;
    }
    struct section s;
    enter(&s);
    watching = 1;
    for (size_t i = 0; i < sizeof watched_list / sizeof watched_list[0]; i++)
        retake(watched_list[i]);
    leave(&s);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve();
    if (!real.sigaction) {
        errno = ENOSYS;
        return -1;
    }
    if (sig <= 0 || sig >= MAX_SIG || !watched(sig))
        return real.sigaction(sig, act, old);
    struct sigaction was;
    struct section s;
    enter(&s);
    int r = real.sigaction(sig, act, &was);
    if (r == 0) {
        if (is_ours(&was))
            was = view[sig];
        if (act)
            retake(sig);
    }
    leave(&s);
    if (r == 0 && old)
        *old = was;
    return r;
}

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return sigaction(sig, act, old);
}

/* The signal() family: the real one sets the action with its own flags;
 * then the same fix-up as sigaction. */
static handler_fn via(signal_fn fn, int sig, handler_fn h)
{
    if (!fn) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    if (sig <= 0 || sig >= MAX_SIG || !watched(sig))
        return fn(sig, h);
    struct section s;
    enter(&s);
    handler_fn r = fn(sig, h);
    if (r != SIG_ERR) {
        if ((uintptr_t)r == (uintptr_t)on_signal)
            r = SIG_DFL;
        retake(sig);
    }
    leave(&s);
    return r;
}

handler_fn signal(int sig, handler_fn h)
{
    resolve();
    return via(real.signal, sig, h);
}

handler_fn bsd_signal(int sig, handler_fn h)
{
    resolve();
    return via(real.bsd_signal, sig, h);
}

handler_fn ssignal(int sig, handler_fn h)
{
    resolve();
    return via(real.ssignal, sig, h);
}

handler_fn sysv_signal(int sig, handler_fn h)
{
    resolve();
    return via(real.sysv_signal, sig, h);
}

handler_fn __sysv_signal(int sig, handler_fn h)
{
    resolve();
    return via(real.sysv_signal_, sig, h);
}

handler_fn sigset(int sig, handler_fn h)
{
    resolve();
    return via(real.sigset, sig, h);
}

int mt_signals_real_action(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve();
    if (!real.sigaction) {
        errno = ENOSYS;
        return -1;
    }
    return real.sigaction(sig, act, old);
}

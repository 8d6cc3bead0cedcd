/* Start-up, shut-down and process life cycle: resolving the real functions,
 * opening the trace, fork (the child gets its own trace), exec (the trace
 * says the image was replaced), exit and abort (fatal signals: signals.c). */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "heap_events.h"
#include "log.h"
#include "options.h"
#include "glibc.h"
#include "shim.h"
#include "unwind.h"

struct mt_real mt_real;
volatile int mt_state;
volatile int mt_quiet;
uint64_t mt_generation = 1;

void mt_threads_init(void) MT_HIDDEN;

#define RESOLVE(field, name) (*(void **)&mt_real.field = dlsym(RTLD_NEXT, name))

static void resolve_real(void)
{
    RESOLVE(malloc, "malloc");
    RESOLVE(free, "free");
    RESOLVE(calloc, "calloc");
    RESOLVE(realloc, "realloc");
    RESOLVE(posix_memalign, "posix_memalign");
    RESOLVE(aligned_alloc, "aligned_alloc");
    RESOLVE(memalign, "memalign");
    RESOLVE(valloc, "valloc");
    RESOLVE(pvalloc, "pvalloc");
    RESOLVE(fork, "fork");
    RESOLVE(fork_, "_Fork");
    RESOLVE(execve, "execve");
    RESOLVE(execvpe, "execvpe");
    RESOLVE(fexecve, "fexecve");
    RESOLVE(exit_, "_exit");
    RESOLVE(exit, "exit");
    RESOLVE(libc_start_main, "__libc_start_main");
    RESOLVE(abort_, "abort");
    RESOLVE(mmap, "mmap");
    RESOLVE(munmap, "munmap");
    RESOLVE(mremap, "mremap");
    RESOLVE(brk, "brk");
    RESOLVE(sbrk, "sbrk");
    RESOLVE(mallopt, "mallopt");
    RESOLVE(close, "close");
    RESOLVE(close_range, "close_range");
    RESOLVE(closefrom, "closefrom");
    RESOLVE(dup2, "dup2");
    RESOLVE(dup3, "dup3");
    RESOLVE(pipe, "pipe");
    RESOLVE(pipe2, "pipe2");
    RESOLVE(prctl, "prctl");
}

/* Writes the records that describe the process: command line, modules,
 * the address space at start (also while paused: a dormant start). */
static void write_start_records(void)
{
    struct mt_thread *t = mt_hook_enter_any();
    if (!t)
        return;
    struct mt_internal in;
    mt_internal_begin(&in);
    mt_write_process_info(t);
    mt_check_modules(t);
    mt_write_maps(t, MT_MAPS_START);
    mt_internal_end(&in);
    mt_hook_leave(t);
}

/* Is this process the one the trace belongs to?  Not in a vfork child (or a
 * child of a raw clone), which shares our memory but must not end our trace. */
static int own_trace(void)
{
    return mt_trace_open();
}

static void on_exit_handler(int status, void *arg)
{
    (void)arg;
    /* registered before libc registers the loader's destructor pass (our
     * __libc_start_main runs mt_init first), so this runs after every
     * destructor: the latest moment to scan */
    mt_reach_at_exit();
    mt_finalize(MT_END_EXIT, status);
}

/* After the real functions are known: options, the trace, the records of
 * the start.  settings: an environment block to read the options from
 * (attach), else the process's environment. */
static void start_tracing(struct mt_internal *in, const char *settings)
{
    if (settings)
        mt_options_load_from(settings);
    else
        mt_options_load();
    mt_glibc_init();
    mt_glibc_find_loader_lock();
    mt_threads_init();
    mt_unwind_init();
    mt_heap_init();
    const char *foreign = mt_opt.attached ? NULL : mt_foreign_allocator();
    if (foreign)
        mt_warn("malloc in this process is %s's, not mtrace's (preloaded before "
                "libmtrace.so, or the program's own): no allocation can be traced, and "
                "the report says so; put libmtrace.so first in LD_PRELOAD", foreign);
    int ok = mt_writer_open() == 0;
    if (ok) {
        mt_header->initial_brk = mt_heap_current_brk();
        if (!mt_opt.start)
            mt_header->flags |= MT_HDR_DORMANT;
        if (mt_opt.attached)
            mt_header->flags |= MT_HDR_ATTACHED;
        on_exit(on_exit_handler, NULL);
        /* an attached shim leaves the program's signal dispositions alone:
         * its sigaction calls do not come to ours */
        if (!mt_opt.attached)
            mt_signals_watch();
    }
    mt_internal_end(in);
    int dormant = !mt_opt.start && !mt_opt.attached;
    mt_state = !ok ? MT_INERT : dormant ? MT_PAUSED : MT_ON;
    if (!ok)
        return;
    write_start_records();
    if ((dormant || mt_opt.attached) && mt_control_install() != 0 && dormant)
        mt_warn("MTRACE_START=off: the control signal could not be installed; tracing "
                "stays off");
}

void mt_init(void)
{
    int expected = MT_OFF;
    if (!__atomic_compare_exchange_n(&mt_state, &expected, MT_INITIALIZING, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    struct mt_internal in;
    mt_internal_begin(&in);
    /* The real functions first: even an inert shim passes every call on. */
    resolve_real();
    if (getauxval(AT_SECURE)) {
        /* setuid/setgid/capabilities: never read our settings, never write
         * files for such a process */
        mt_internal_end(&in);
        mt_state = MT_INERT;
        return;
    }
    start_tracing(&in, NULL);
}

/* The program's fork() does not come to ours once attached. */
static void attached_fork_child(void)
{
    if (mt_fork_child_pending())
        mt_after_fork_child();
}

/* Loaded into a running program (mtrace-run --pid): the constructor did
 * nothing but wait (mt_loaded_late); the injector calls this with the
 * settings as an environment block.  0 when tracing started. */
int mtrace_attach(const char *settings);
__attribute__((visibility("default"))) int mtrace_attach(const char *settings)
{
    int expected = MT_OFF;
    if (!settings || !__atomic_compare_exchange_n(&mt_state, &expected, MT_INITIALIZING, 0,
                                                  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return -1;
    struct mt_internal in;
    mt_internal_begin(&in);
    resolve_real();
    /* our own copy: the block lies on the injector's scratch stack */
    size_t len = 0;
    while (settings[len] || settings[len + 1])
        len++;
    char *copy = len < 65536 ? mt_os_alloc(len + 2) : NULL;
    if (!copy || getauxval(AT_SECURE)) {
        mt_internal_end(&in);
        mt_state = MT_INERT;
        return -1;
    }
    memcpy(copy, settings, len + 2);
    mt_opt.attached = 1;
    start_tracing(&in, copy);
    if (mt_state != MT_ON)
        return -1;
    pthread_atfork(NULL, NULL, attached_fork_child);
    /* from here the program's calls come to our hooks */
    if (mt_attach_redirect() != 0) {
        mt_detach();
        return -1;
    }
    return 0;
}

__attribute__((constructor(101))) static void mt_constructor(void)
{
    /* loaded by dlopen into a running program: wait for mtrace_attach */
    if (mt_state == MT_OFF && !mt_loaded_late())
        mt_init();
}

/* The last word: runs after the program's own destructors. */
__attribute__((destructor(101))) static void mt_destructor(void)
{
    if (mt_state == MT_ON || mt_state == MT_PAUSED)
        mt_writer_finish();
}

void mt_finalize(uint32_t end_state, int code)
{
    if (!own_trace())
        return;
    if (end_state != MT_END_EXEC)
        mt_exit_snapshot(); /* unless main's return or exit() took it */
    if (mt_header->end_state == MT_END_RUNNING || end_state == MT_END_EXEC) {
        mt_header->end_state = end_state;
        mt_header->end_code = code;
    }
    mt_writer_finish();
}

/* The program is about to install a seccomp filter, after which any system
 * call the filter does not allow kills the process.  Finish the trace while
 * calls still work, then make none: the shim passes every call through
 * (MT_INERT) and skips its own bookkeeping (mt_quiet), in every thread. */
void mt_before_seccomp(void)
{
    if (mt_quiet)
        return;
    if (mt_state == MT_OFF)
        mt_init(); /* the real functions, while system calls still work */
    if (own_trace()) {
        if (mt_writer_stop(MT_STOP_SECCOMP, 0))
            mt_warn("the program installs a seccomp filter, which could forbid the tracer's "
                    "own system calls: tracing stops here; the trace holds the events "
                    "before it");
        mt_writer_finish();
    }
    mt_state = MT_INERT;
    __atomic_store_n(&mt_quiet, 1, __ATOMIC_SEQ_CST);
}

/* ---- fork ---- */

/* After fork, in the child: our header still names the parent. */
int mt_fork_child_pending(void)
{
    return (mt_state == MT_ON || mt_state == MT_PAUSED) && mt_header &&
           mt_header->pid != (uint64_t)syscall(SYS_getpid);
}

/* The child's own trace.  Runs when fork() returns in the child, or earlier
 * from the first hook of an atfork child handler (thread.c). */
void mt_after_fork_child(void)
{
    mt_gate_after_fork_child();
    struct mt_internal in;
    mt_internal_begin(&in);
    mt_writer_abandon();
    mt_threads_after_fork();
    if (!mt_opt.start || mt_opt.attached) {
        /* a dormant or attached process's children are not traced: a
         * forking service would leave a file per child, and the windows
         * are switched for one process */
        mt_internal_end(&in);
        mt_state = MT_INERT;
        return;
    }
    mt_heap_after_fork();
    mt_generation++;
    int ok = mt_writer_open() == 0;
    if (ok)
        mt_header->initial_brk = mt_heap_current_brk();
    mt_internal_end(&in);
    mt_state = ok ? MT_ON : MT_INERT;
    if (ok)
        write_start_records();
}

/* No thread may be inside the shim's own work (libunwind, the loader's list,
 * a spinlock) when the address space is copied: the gate waits for them. */
static pid_t traced_fork(pid_t (*real)(void))
{
    if (mt_state != MT_ON && mt_state != MT_PAUSED)
        return real();
    mt_gate_close();
    pid_t r = real();
    if (r == 0) {
        if (mt_fork_child_pending())
            mt_after_fork_child();
        else
            mt_gate_after_fork_child();
    } else {
        mt_gate_open();
    }
    return r;
}

pid_t fork(void)
{
    if (!mt_real.fork)
        mt_init();
    return traced_fork(mt_real.fork);
}

/* glibc 2.34+: fork without atfork handlers. */
pid_t _Fork(void)
{
    if (!mt_real.fork_)
        mt_init();
    if (!mt_real.fork_)
        return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); /* older glibc */
    return traced_fork(mt_real.fork_);
}

/* ---- exec: the trace ends with the image; the new image starts its own ---- */

static void before_exec(void)
{
    if (own_trace())
        mt_finalize(MT_END_EXEC, 0);
}

static void exec_failed(void)
{
    if (own_trace())
        mt_header->end_state = MT_END_RUNNING;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    if (!mt_real.execve)
        mt_init();
    before_exec();
    int r = mt_real.execve(path, argv, envp);
    exec_failed();
    return r;
}

int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    if (!mt_real.execvpe)
        mt_init();
    before_exec();
    int r = mt_real.execvpe(file, argv, envp);
    exec_failed();
    return r;
}

int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
    if (!mt_real.fexecve)
        mt_init();
    before_exec();
    int r = mt_real.fexecve(fd, argv, envp);
    exec_failed();
    return r;
}

/* execl, execlp, execle: gather the variadic arguments on the stack. */
static size_t count_args(const char *arg0, va_list ap)
{
    size_t n = 1;
    if (arg0)
        while (va_arg(ap, const char *))
            n++;
    return n;
}

#define EXECL_BODY(first, call, with_env)                            \
    va_list ap;                                                      \
    va_start(ap, arg);                                               \
    size_t n = count_args(arg, ap);                                  \
    va_end(ap);                                                      \
    char *argv[n + 1];                                               \
    va_start(ap, arg);                                               \
    argv[0] = (char *)arg;                                           \
    for (size_t i = 1; i < n; i++)                                   \
        argv[i] = va_arg(ap, char *);                                \
    argv[n] = NULL;                                                  \
    char *const *envp = environ;                                     \
    if (with_env) {                                                  \
        (void)va_arg(ap, char *);                                    \
        envp = va_arg(ap, char *const *);                            \
    }                                                                \
    va_end(ap);                                                      \
    return call(first, argv, envp);

int execl(const char *path, const char *arg, ...) { EXECL_BODY(path, execve, 0) }
int execlp(const char *file, const char *arg, ...) { EXECL_BODY(file, execvpe, 0) }
int execle(const char *path, const char *arg, ...) { EXECL_BODY(path, execve, 1) }

/* ---- ends without exit handlers ---- */

void _exit(int code)
{
    if (own_trace() && mt_header->end_state == MT_END_RUNNING) {
        mt_header->end_state = MT_END_UNDERSCORE_EXIT;
        mt_header->end_code = code;
        mt_writer_finish();
    }
    syscall(SYS_exit_group, code);
    __builtin_unreachable();
}

void _Exit(int code)
{
    _exit(code);
}

void abort(void)
{
    if (!mt_real.abort_)
        mt_init();
    if (own_trace() && mt_header->end_state == MT_END_RUNNING) {
        mt_header->end_state = MT_END_ABORT;
        mt_header->end_code = SIGABRT;
        mt_writer_finish();
    }
    mt_real.abort_();
}

/* ---- dlopen/dlclose seen through the loader's add/remove counters ---- */

struct adds_subs {
    unsigned long long adds, subs;
};

static int read_counters(struct dl_phdr_info *info, size_t size, void *data)
{
    struct adds_subs *as = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        as->adds = info->dlpi_adds;
        as->subs = info->dlpi_subs;
    }
    return 1;
}

static struct adds_subs seen_counters;
static mt_spin modules_lock;
static uint64_t seen_generation;

/* The executable segments of the modules at the last change: a new stack
 * whose frames all lie in them needs no walk of the loader's list (a lock
 * and two signal-mask system calls, as much as the rest of a new stack).
 * Two copies: the writer (under modules_lock) fills the one readers are
 * not directed to, then flips.  A module unloaded and another loaded at the
 * same addresses is noticed by the full check every CHECK_EVERY new stacks. */
#define MAX_RANGES 512
#define CHECK_EVERY 64
struct code_ranges {
    unsigned n;
    uintptr_t lo[MAX_RANGES], hi[MAX_RANGES];
};
static struct code_ranges ranges[2];
static int ranges_live = -1; /* index readers use; -1: none yet */
static unsigned new_stacks;

static int add_range(struct dl_phdr_info *info, size_t size, void *data)
{
    struct code_ranges *r = data;
    (void)size;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || r->n == MAX_RANGES)
            continue;
        r->lo[r->n] = info->dlpi_addr + ph->p_vaddr;
        r->hi[r->n] = r->lo[r->n] + ph->p_memsz;
        r->n++;
    }
    return 0;
}

static int in_known_code(const uintptr_t *f, unsigned n)
{
    int live = __atomic_load_n(&ranges_live, __ATOMIC_ACQUIRE);
    if (live < 0)
        return 0;
    const struct code_ranges *r = &ranges[live];
    for (unsigned i = 0; i < n; i++) {
        unsigned k = 0;
        while (k < r->n && !(f[i] - 1 >= r->lo[k] && f[i] - 1 < r->hi[k]))
            k++;
        if (k == r->n)
            return 0;
    }
    return 1;
}

int mt_code_known(uintptr_t pc)
{
    return in_known_code(&pc, 1);
}

void mt_check_modules_for(struct mt_thread *t, const uintptr_t *f, unsigned n)
{
    if (t->generation == seen_generation &&
        __atomic_add_fetch(&new_stacks, 1, __ATOMIC_RELAXED) % CHECK_EVERY != 0 &&
        in_known_code(f, n))
        return;
    mt_check_modules(t);
}

void mt_check_modules(struct mt_thread *t)
{
    struct adds_subs now = {0, 0};
    int fresh = t->generation != seen_generation;
    if (!mt_glibc_loader_walk_ok()) {
        /* the loader's lock died with a thread of our parent: the module
         * list as it was at fork is all this process will know */
        if (fresh && mt_spin_lock(&modules_lock) == 0) {
            seen_generation = t->generation;
            mt_write_cached_modules(t);
            mt_spin_unlock(&modules_lock);
        }
        return;
    }
    if (fresh) {
        /* a fork child's new trace starts without modules */
        seen_generation = t->generation;
        seen_counters.adds = seen_counters.subs = 0;
    }
    struct mt_internal in;
    mt_internal_begin(&in);
    dl_iterate_phdr(read_counters, &now);
    if ((now.adds != seen_counters.adds || now.subs != seen_counters.subs) &&
        mt_spin_lock(&modules_lock) == 0) {
        int first = seen_counters.adds == 0 && seen_counters.subs == 0;
        if (now.subs != seen_counters.subs)
            mt_unwind_forget_code();
        seen_counters = now;
        int spare = ranges_live == 0 ? 1 : 0;
        ranges[spare].n = 0;
        dl_iterate_phdr(add_range, &ranges[spare]);
        __atomic_store_n(&ranges_live, spare, __ATOMIC_RELEASE);
        mt_write_modules(t);
        if (!first)
            mt_write_maps(t, MT_MAPS_DLOPEN);
        mt_spin_unlock(&modules_lock);
    }
    mt_internal_end(&in);
}

/* Internal interfaces of libmtrace.so.  Nothing here is seen by the analyzer. */
#ifndef MT_SHIM_H
#define MT_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <signal.h>
#include <sys/types.h>

#include "mtrace/format.h"

#define MT_HIDDEN __attribute__((visibility("hidden")))
#define MT_LIKELY(x) __builtin_expect(!!(x), 1)
#define MT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Nesting levels a thread can record at: 0 is ordinary code, 1.. are signal
 * handlers that interrupted a hook.  Each level writes its own chunk, so a
 * handler never interleaves bytes with the record it interrupted. */
#define MT_LEVELS 4

struct mt_intern;

/* One writer context: a claimed chunk and the delta-encoding state. */
struct mt_cursor {
    struct mt_chunk_header *chunk; /* NULL until the first record */
    uint8_t *pos, *end;            /* write position and end of payload */
    uint64_t last_ticks;
    uint64_t last_ptr;
    uint32_t coarse;               /* events since the clock was last read */
    uint64_t coarse_seen;          /* the coarse clock then (threads) */
    struct mt_intern *intern;      /* stacks this level has written */
};

struct mt_thread {
    uint32_t tid;
    uint32_t level;           /* hook nesting depth */
    uint64_t generation;      /* mt_generation when attached (fork resets) */
    uint32_t stale;           /* bit L: cur[L] belongs to the parent's trace
                                 (a fork inside a signal handler) */
    struct mt_cursor cur[MT_LEVELS];
    struct mt_thread *next;   /* free list of exited threads' states */
};

/* ---- real functions (resolved with dlsym(RTLD_NEXT)) ---- */
struct mt_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    pid_t (*fork)(void);
    pid_t (*fork_)(void);  /* _Fork */
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*fexecve)(int, char *const[], char *const[]);
    void (*exit_)(int) __attribute__((noreturn)); /* _exit */
    void (*exit)(int) __attribute__((noreturn));
    int (*libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void),
                           void (*)(void), void (*)(void), void *);
    void (*abort_)(void) __attribute__((noreturn));
    void *(*mmap)(void *, size_t, int, int, int, off_t);
    int (*munmap)(void *, size_t);
    void *(*mremap)(void *, size_t, size_t, int, ...);
    int (*brk)(void *);
    void *(*sbrk)(intptr_t);
    int (*mallopt)(int, int);
    void *(*dlopen)(const char *, int);
    int (*dlclose)(void *);
    /* hooks_fd.c */
    int (*close)(int);
    int (*close_range)(unsigned, unsigned, int);
    void (*closefrom)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*pipe)(int[2]);
    int (*pipe2)(int[2], int);
    int (*prctl)(int, unsigned long, unsigned long, unsigned long, unsigned long);
};
extern struct mt_real mt_real MT_HIDDEN;

/* ---- global state ---- */
/* MT_PAUSED: the trace is open but nothing is recorded (MTRACE_START=off
 * between windows, control.c): the hooks pass through at the cost of the
 * one test of mt_state they make anyway. */
enum mt_state { MT_OFF = 0, MT_INITIALIZING = 1, MT_ON = 2, MT_INERT = 3, MT_PAUSED = 4 };
extern volatile int mt_state MT_HIDDEN;
/* Set once the program installed a seccomp filter (hooks_fd.c): the shim
 * makes no system call of its own from then on (state is MT_INERT). */
extern volatile int mt_quiet MT_HIDDEN;
extern uint64_t mt_generation MT_HIDDEN;          /* bumped in a fork child */
extern __thread unsigned mt_tls_internal MT_HIDDEN; /* >0: pass allocations through */
extern __thread struct mt_thread *mt_tls_self MT_HIDDEN;

void mt_init(void) MT_HIDDEN;
void mt_finalize(uint32_t end_state, int code) MT_HIDDEN;
/* A fork child that has not opened its own trace yet (see thread.c). */
int mt_fork_child_pending(void) MT_HIDDEN;
void mt_after_fork_child(void) MT_HIDDEN;

/* ---- tracing windows and the control signal (control.c) ---- */
/* Is the trace open (recording or paused) and this process's? */
int mt_trace_open(void) MT_HIDDEN;
/* Installs the control signal's handler (MTRACE_START=off, or attached);
 * 0 if it is in place. */
int mt_control_install(void) MT_HIDDEN;
/* The control signal's number (MTRACE_SIGNAL, else SIGRTMAX - 2). */
int mt_control_signal(void) MT_HIDDEN;
/* Opens (on = 1) or closes (0) a window; 1 if the state changed. */
int mt_window_switch(int on) MT_HIDDEN;
/* Ends the trace of an attached process and leaves it untraced (the GOT
 * entries restored: attach.c).  Async-signal-safe. */
void mt_detach(void) MT_HIDDEN;
/* attach.c: the program's calls to malloc & co. redirected to ours, and
 * back. */
int mt_attach_redirect(void) MT_HIDDEN;
void mt_attach_restore(void) MT_HIDDEN;
/* Was this copy of the shim loaded by dlopen into a running program? */
int mt_loaded_late(void) MT_HIDDEN;

/* ---- default-terminating signals (signals.c) ---- */
/* The real sigaction (never the program's view). */
int mt_signals_real_action(int sig, const struct sigaction *act,
                           struct sigaction *old) MT_HIDDEN;
/* Stands in for SIG_DFL to record the end state (mt_init, tracing on). */
void mt_signals_watch(void) MT_HIDDEN;

/* ---- internal sections and the fork gate (gate.c) ---- */
struct mt_internal {
    uint64_t old_mask;
    int masked;
};
/* The shim's own work inside a hook: allocations pass through, signals are
 * held, fork waits.  Sections nest. */
void mt_internal_begin(struct mt_internal *s) MT_HIDDEN;
void mt_internal_end(struct mt_internal *s) MT_HIDDEN;
void mt_gate_close(void) MT_HIDDEN;
void mt_gate_open(void) MT_HIDDEN;
void mt_gate_after_fork_child(void) MT_HIDDEN;
extern __thread int mt_tls_forker MT_HIDDEN; /* this thread is inside fork() */
/* Snapshots maps and smaps "at exit", once per trace (main_exit.c). */
void mt_exit_snapshot(void) MT_HIDDEN;
/* The reachability scan at exit (reach_scan.c): once per trace, from the
 * on_exit handler, before the trace is finalised. */
void mt_reach_at_exit(void) MT_HIDDEN;

/* ---- thread states (thread.c) ---- */
struct mt_thread *mt_thread_attach(void) MT_HIDDEN;
void mt_thread_fix_stale(struct mt_thread *t) MT_HIDDEN;
void mt_threads_after_fork(void) MT_HIDDEN;
unsigned mt_threads_live(void) MT_HIDDEN;
extern unsigned mt_live_threads MT_HIDDEN;

/* The part of mt_hook_enter after the state test: also for records written
 * while paused (the start records, a window's edges). */
static inline struct mt_thread *mt_hook_enter_any(void)
{
    struct mt_thread *t = mt_tls_self;
    if (MT_UNLIKELY(!t || t->generation != mt_generation)) {
        t = mt_thread_attach();
        if (!t)
            return NULL;
    }
    if (MT_UNLIKELY(t->level >= MT_LEVELS))
        return NULL;
    t->level++;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (MT_UNLIKELY(t->stale))
        mt_thread_fix_stale(t);
    return t;
}

/* Enters a hook: returns the thread's state with level raised, or NULL if
 * this call must pass straight through unrecorded (our own work, tracing
 * off or paused, or nesting too deep). */
static inline struct mt_thread *mt_hook_enter(void)
{
    if (MT_UNLIKELY(mt_tls_internal))
        return NULL;
    if (MT_UNLIKELY(mt_state != MT_ON)) {
        if (mt_state == MT_OFF)
            mt_init(); /* a library constructor allocated before ours ran */
        if (mt_state != MT_ON)
            return NULL;
    }
    return mt_hook_enter_any();
}

static inline void mt_hook_leave(struct mt_thread *t)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->level--;
}

static inline struct mt_cursor *mt_cursor_of(struct mt_thread *t)
{
    return &t->cur[t->level - 1];
}

/* ---- trace file (writer.c) ---- */
int mt_writer_open(void) MT_HIDDEN;
void mt_writer_abandon(void) MT_HIDDEN;     /* fork child: drop parent's file */
void mt_writer_finish(void) MT_HIDDEN;
void mt_cursor_release(struct mt_cursor *c) MT_HIDDEN;
size_t mt_writer_max_record(void) MT_HIDDEN;  /* bytes one record may take */
extern struct mt_file_header *mt_header MT_HIDDEN;
/* Makes room for `need` bytes at the cursor; NULL if the trace is full. */
uint8_t *mt_cursor_claim(struct mt_thread *t, struct mt_cursor *c, size_t need,
                         uint64_t ticks) MT_HIDDEN;
static inline uint8_t *mt_reserve(struct mt_thread *t, struct mt_cursor *c,
                                  size_t need, uint64_t ticks)
{
    if (MT_LIKELY(c->pos && (size_t)(c->end - c->pos) >= need))
        return c->pos;
    return mt_cursor_claim(t, c, need, ticks);
}
/* Publishes the bytes written up to `p`: a reader (even after kill -9) sees
 * every record committed before. */
static inline void mt_commit(struct mt_cursor *c, uint8_t *p)
{
    c->pos = p;
    __atomic_store_n(&c->chunk->used,
                     (uint32_t)(p - (uint8_t *)(c->chunk + 1)), __ATOMIC_RELEASE);
}
void mt_lost_event(void) MT_HIDDEN;
/* Stops recording for good with an mt_stop_reason (1: this call stopped it). */
int mt_writer_stop(uint32_t reason, int err) MT_HIDDEN;
void mt_note_self_alloc(void) MT_HIDDEN;

/* ---- clock (clock.c) ---- */
uint64_t mt_ns_now(void) MT_HIDDEN;
#if defined(__x86_64__)
#include <x86intrin.h>
static inline uint64_t mt_ticks(void) { return __rdtsc(); }
#else
static inline uint64_t mt_ticks(void) { return mt_ns_now(); }
#endif

/* The timestamp of an event.  A clock read costs ~15 ns here; while only one
 * stream is being written, order needs none (the stream is the order), so the
 * clock is read every 32nd event and the previous reading reused between.
 * A reused reading is always older than the truth, so a free logged this way
 * still sorts before another stream's later reuse of the address.
 * "One stream" means one thread AND the same cursor as the last clock read:
 * a signal handler that interrupts a hook writes to another level's chunk,
 * and a thread that exits leaves the field to one thread again; either way
 * the next event reads the clock (mt_last_cursor). */
extern struct mt_cursor *mt_last_cursor MT_HIDDEN;
/* CLOCK_MONOTONIC_COARSE (the kernel's tick, 1-4 ms; a vDSO read of a few
 * ns, no TSC): only compared, to notice that time went on. */
static inline uint64_t mt_coarse_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static inline uint64_t mt_event_ticks(struct mt_cursor *c, int is_free)
{
    if (__atomic_load_n(&mt_live_threads, __ATOMIC_RELAXED) > 1) {
        /* Threads: a free reads the clock, so frees are in true order
         * across threads and after the allocation of their block.  An
         * allocation reads it every 32nd event of a stream and whenever the
         * kernel's tick moved since, so its stamp is at most one tick old:
         * merged by time, it may land before another thread's free of the
         * block that was at its address, and the reader puts it back after
         * (MT_HDR_COARSE_TICKS, analyzer/reorder.h).  mt_last_cursor is left
         * alone (written once, to NULL): a global written on every event
         * would bounce its cache line between the cores. */
        if (mt_last_cursor)
            mt_last_cursor = NULL;
        if (is_free)
            return mt_ticks();
        uint64_t tick = mt_coarse_now();
        if (!c->chunk || (++c->coarse & 31) == 0 || tick != c->coarse_seen) {
            c->coarse_seen = tick;
            return mt_ticks();
        }
        return c->last_ticks;
    }
    if (!c->chunk || (++c->coarse & 31) == 0 || mt_last_cursor != c) {
        mt_last_cursor = c;
        return mt_ticks();
    }
    return c->last_ticks;
}

/* ---- records (record.c) ---- */
/* mt_record_alloc, mt_record_free: record_hot.h */
void mt_record_realloc(struct mt_thread *t, void *old, void *p, size_t size,
                       uint32_t stack) MT_HIDDEN;
/* Returns where the record starts in the chunk (NULL if lost). */
const uint8_t *mt_record_info(struct mt_thread *t, unsigned kind, const void *data,
                              size_t len) MT_HIDDEN;
/* A mapping change (MT_TAG_MAP): the program's own call or malloc's. */
struct mt_map_record {
    unsigned op, cause;
    uint64_t addr, len, naddr, nlen, prot, flags;
    uint32_t stack;
    const char *path;
    size_t pathlen;
};
void mt_record_map(struct mt_thread *t, const struct mt_map_record *m) MT_HIDDEN;
void mt_record_blob(struct mt_thread *t, unsigned tag, unsigned reason,
                    const void *data, size_t len) MT_HIDDEN;
const uint8_t *mt_record_info_filled(struct mt_thread *t, unsigned kind, size_t max,
                                     size_t (*fill)(char *buf, size_t cap)) MT_HIDDEN;
/* cut: the program's stack had more frames than the depth limit
 * (written as MT_TAG_STACK_CUT). */
int mt_record_stack(struct mt_thread *t, uint32_t id, const uintptr_t *frames,
                    unsigned n, int cut) MT_HIDDEN;

/* ---- stacks (stack.c) ---- */
/* Captures the caller's stack and returns its interned id (0 if none). */
uint32_t mt_stack_here(struct mt_thread *t) MT_HIDDEN;
struct mt_frame;
/* The same from the program's frame that called the hook (MT_CALLER_FRAME). */
uint32_t mt_stack_at(struct mt_thread *t, const struct mt_frame *from) MT_HIDDEN;
/* The frame that called the function this is written in: its return
 * address, stack pointer and rbp, from the function's own frame (the whole
 * shim keeps frame pointers).  A macro: it must expand in the hook itself. */
#define MT_CALLER_FRAME(f)                                                     \
    do {                                                                       \
        const uintptr_t *fp_ = (const uintptr_t *)__builtin_frame_address(0); \
        (f)->ip = fp_[1];                                                      \
        (f)->sp = (uintptr_t)(fp_ + 2);                                        \
        (f)->bp = fp_[0];                                                      \
    } while (0)
void mt_stack_init(void) MT_HIDDEN;
void mt_intern_reset(struct mt_intern **in) MT_HIDDEN;


/* ---- /proc and modules (procfs.c) ---- */
void mt_write_process_info(struct mt_thread *t) MT_HIDDEN;
void mt_write_modules(struct mt_thread *t) MT_HIDDEN;
void mt_write_maps(struct mt_thread *t, unsigned reason) MT_HIDDEN;
/* Re-records modules and maps if the loader's object list changed (dlopen,
 * dlclose) since the last look.  Cheap enough for cold paths only. */
void mt_check_modules(struct mt_thread *t) MT_HIDDEN;
/* The same before a new stack is written: skipped when every frame lies in
 * code of the modules already recorded (but every 64th time). */
void mt_check_modules_for(struct mt_thread *t, const uintptr_t *f, unsigned n) MT_HIDDEN;
/* Is the return address pc in the code of a module recorded so far? */
int mt_code_known(uintptr_t pc) MT_HIDDEN;
/* Writes the module records last written (after fork, when the loader's
 * list cannot be walked). */
void mt_write_cached_modules(struct mt_thread *t) MT_HIDDEN;
/* The path of the object whose malloc the program calls if it is not
 * libmtrace.so's (MT_INFO_FOREIGN_ALLOCATOR), else NULL. */
const char *mt_foreign_allocator(void) MT_HIDDEN;
/* Threads in the process (/proc/self/stat), 0 if unknown. */
unsigned mt_proc_thread_count(void) MT_HIDDEN;

/* ---- memory the shim owns (os.c): mmap'd, never the program's malloc ---- */
void *mt_os_alloc(size_t bytes) MT_HIDDEN;
void mt_os_free(void *p, size_t bytes) MT_HIDDEN;
/* The live ones as "START-END\n" lines (MT_INFO_OWN_MEMORY); the length.
 * MT_OS_OWN_LIST_MAX bytes always suffice. */
size_t mt_os_own_list(char *buf, size_t cap) MT_HIDDEN;
/* The same as [start, end) pairs (page-rounded); how many. */
unsigned mt_os_own_ranges(uintptr_t (*out)[2], unsigned max) MT_HIDDEN;
#define MT_OS_OWN_MAX 1024
#define MT_OS_OWN_LIST_MAX (MT_OS_OWN_MAX * 35)

/* A system call made directly (not through glibc's interposed syscall());
 * returns -errno on failure. */
long mt_raw_syscall(long nr, long a, long b, long c, long d, long e, long f) MT_HIDDEN;

/* A tiny spinlock for cold paths (chunk file growth, thread free list). */
typedef struct { volatile int owner; } mt_spin;
int mt_spin_lock(mt_spin *l) MT_HIDDEN;   /* -1 if this thread holds it */
void mt_spin_unlock(mt_spin *l) MT_HIDDEN;
pid_t mt_gettid(void) MT_HIDDEN;

/* ---- the shim's own file descriptors (fds.c) ---- */
/* Moves fd to the high range (close-on-exec), lists it as ours and stores
 * the new number in *where (may be NULL); the number. */
int mt_fd_adopt(int fd, int *where) MT_HIDDEN;
int mt_fd_owned(int fd) MT_HIDDEN;
/* The lowest of ours in [lo, hi] into *first; 0 if none. */
int mt_fd_owned_in(unsigned lo, unsigned hi, unsigned *first) MT_HIDDEN;
void mt_fd_forget(int fd) MT_HIDDEN;
/* Ours, or ours once and lost (mt_fd_mark_lost): only the shim's own work
 * may still try to close it, and that must fail. */
int mt_fd_known(int fd) MT_HIDDEN;
void mt_fd_mark_lost(int fd) MT_HIDDEN;
/* Checks every one of ours but *except's: one closed behind our back is
 * marked lost and its owner's copy of the number set to -1. */
void mt_fd_check_others(const int *except) MT_HIDDEN;
/* fd is ours and still the file we opened (not closed behind our back). */
int mt_fd_intact(int fd) MT_HIDDEN;
/* Closes one of ours (forgets it); -EBADF if it is no longer ours. */
int mt_fd_close_own(int fd) MT_HIDDEN;
/* The slot lock, held around a use of ours that a move must not overlap
 * (growing the trace file) and around a move. */
int mt_fd_lock(void) MT_HIDDEN;
void mt_fd_unlock(void) MT_HIDDEN;
/* With the lock held: gives one of ours another high number (dup2 onto it). */
int mt_fd_move_away(int fd) MT_HIDDEN;
/* Stops recording before a seccomp filter is installed (hooks_fd.c calls it;
 * init.c). */
void mt_before_seccomp(void) MT_HIDDEN;

#endif

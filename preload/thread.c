/* Per-thread writer state: created on a thread's first hook, recycled when
 * the thread exits.  It lives in the shim's own mmap'd memory.
 *
 * Exited threads' states wait on a lock-free stack for reuse: a thread's
 * first hook may run in a signal handler, or while another thread forks, and
 * must neither wait for a lock nor skip the event.  The stack's head carries
 * a 28-bit counter in the bits a page-aligned user-space pointer leaves free,
 * so a pop that raced with a pop and a push of the same state fails. */
#include <pthread.h>
#include <string.h>

#include "shim.h"

__thread unsigned mt_tls_internal __attribute__((tls_model("initial-exec")));
__thread struct mt_thread *mt_tls_self __attribute__((tls_model("initial-exec")));

static uint64_t free_head; /* tagged pointer to the first free state */
unsigned mt_live_threads;  /* thread states in use */
struct mt_cursor *mt_last_cursor; /* cursor of the last clock read (shim.h) */
static pthread_key_t exit_key;
static int exit_key_ok;

#define PTR_BITS 0x0000fffffffff000ull

static uint64_t next_tag(uint64_t old)
{
    uint64_t n = ((old & 0xfff) | ((old >> 48) << 12)) + 1;
    return (n & 0xfff) | ((n >> 12 & 0xffff) << 48);
}

static void push_free(struct mt_thread *t)
{
    uint64_t old = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE), nw;
    do {
        t->next = (struct mt_thread *)(uintptr_t)(old & PTR_BITS);
        nw = (uint64_t)(uintptr_t)t | next_tag(old);
    } while (!__atomic_compare_exchange_n(&free_head, &old, nw, 1, __ATOMIC_RELEASE,
                                          __ATOMIC_ACQUIRE));
}

static struct mt_thread *pop_free(void)
{
    uint64_t old = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE), nw;
    struct mt_thread *t;
    do {
        t = (struct mt_thread *)(uintptr_t)(old & PTR_BITS);
        if (!t)
            return NULL;
        /* states are never unmapped, so reading a stale next is safe */
        nw = (uint64_t)(uintptr_t)__atomic_load_n(&t->next, __ATOMIC_RELAXED) | next_tag(old);
    } while (!__atomic_compare_exchange_n(&free_head, &old, nw, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return t;
}

static void reset_cursor(struct mt_cursor *c)
{
    mt_intern_reset(&c->intern);
    memset(c, 0, sizeof *c);
}

/* pthread key destructor.  The thread's records are already in the shared
 * mapping; hand its chunks back (ring mode reuses them) and its state. */
static void thread_exit(void *arg)
{
    struct mt_thread *t = arg;
    if (mt_quiet)
        return; /* after seccomp: no system call of ours (madvise, gettid) */
    struct mt_internal in;
    mt_internal_begin(&in);
    if (mt_tls_self == t) {
        mt_tls_self = NULL;
        for (int i = 0; i < MT_LEVELS; i++) {
            if (t->generation == mt_generation)
                mt_cursor_release(&t->cur[i]);
            reset_cursor(&t->cur[i]);
        }
        push_free(t);
        __atomic_sub_fetch(&mt_live_threads, 1, __ATOMIC_RELAXED);
        mt_last_cursor = NULL; /* the others' next events read the clock */
    }
    mt_internal_end(&in);
}

void mt_threads_init(void) MT_HIDDEN;
void mt_threads_init(void)
{
    struct mt_internal in;
    mt_internal_begin(&in);
    exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
    mt_internal_end(&in);
}

/* A fork inside a signal handler left cursors in use by the interrupted
 * hooks: each is started afresh when its level is next entered. */
void mt_thread_fix_stale(struct mt_thread *t)
{
    uint32_t bit = 1u << (t->level - 1);
    if (t->stale & bit) {
        reset_cursor(&t->cur[t->level - 1]);
        t->stale &= ~bit;
    }
}

struct mt_thread *mt_thread_attach(void)
{
    struct mt_thread *t = mt_tls_self;
    if (t && mt_tls_forker && mt_fork_child_pending())
        mt_after_fork_child(); /* an atfork child handler allocates before fork returns */
    t = mt_tls_self;
    if (t && t->generation != mt_generation) {
        /* We are the thread that survived fork: start afresh in the new file.
         * Cursors of levels below ours belong to hooks this one interrupted. */
        for (uint32_t i = 0; i < MT_LEVELS; i++) {
            if (i < t->level)
                t->stale |= 1u << i;
            else
                reset_cursor(&t->cur[i]);
        }
        t->tid = (uint32_t)mt_gettid();
        t->generation = mt_generation;
        return t;
    }
    if (t)
        return t;
    struct mt_internal in;
    mt_internal_begin(&in);
    t = mt_tls_self; /* a signal handler may have attached us meanwhile */
    if (!t) {
        t = pop_free();
        if (!t)
            t = mt_os_alloc(sizeof *t);
        if (t) {
            memset(t, 0, sizeof *t);
            t->tid = (uint32_t)mt_gettid();
            t->generation = mt_generation;
            __atomic_add_fetch(&mt_live_threads, 1, __ATOMIC_RELAXED);
            mt_tls_self = t;
            if (exit_key_ok)
                pthread_setspecific(exit_key, t);
        }
    }
    mt_internal_end(&in);
    return t;
}

unsigned mt_threads_live(void)
{
    return __atomic_load_n(&mt_live_threads, __ATOMIC_RELAXED);
}

/* In a fork child only the forking thread exists. */
void mt_threads_after_fork(void)
{
    mt_live_threads = mt_tls_self ? 1 : 0;
}

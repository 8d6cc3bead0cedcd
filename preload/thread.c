/* Per-thread writer state: created on a thread's first hook, recycled when
 * the thread exits.  It lives in the shim's own mmap'd memory. */
#include <pthread.h>
#include <string.h>

#include "shim.h"

__thread unsigned mt_tls_internal __attribute__((tls_model("initial-exec")));
__thread struct mt_thread *mt_tls_self __attribute__((tls_model("initial-exec")));

static mt_spin list_lock;
static struct mt_thread *free_list;
unsigned mt_live_threads; /* thread states in use */
static pthread_key_t exit_key;
static int exit_key_ok;

static void thread_exit(void *arg)
{
    struct mt_thread *t = arg;
    /* Records are already in the shared mapping: nothing to flush.  Keep
     * the intern tables (they are valid for the next thread, whose stacks
     * will be re-interned under its own tables after a reset). */
    mt_tls_internal++;
    mt_tls_self = NULL;
    for (int i = 0; i < MT_LEVELS; i++) {
        mt_intern_reset(&t->cur[i].intern);
        memset(&t->cur[i], 0, sizeof t->cur[i]);
    }
    if (mt_spin_lock(&list_lock) == 0) {
        t->next = free_list;
        free_list = t;
        mt_live_threads--;
        mt_spin_unlock(&list_lock);
    }
    mt_tls_internal--;
}

void mt_threads_init(void) MT_HIDDEN;
void mt_threads_init(void)
{
    mt_tls_internal++;
    exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
    mt_tls_internal--;
}

struct mt_thread *mt_thread_attach(void)
{
    struct mt_thread *t = mt_tls_self;
    if (t && t->generation != mt_generation) {
        /* We are the thread that survived fork: start afresh in the new file. */
        for (int i = 0; i < MT_LEVELS; i++) {
            mt_intern_reset(&t->cur[i].intern);
            memset(&t->cur[i], 0, sizeof t->cur[i]);
        }
        t->tid = (uint32_t)mt_gettid();
        t->generation = mt_generation;
        return t;
    }
    mt_tls_internal++;
    t = NULL;
    if (mt_spin_lock(&list_lock) == 0) {
        t = free_list;
        if (t)
            free_list = t->next;
        mt_live_threads++;
        mt_spin_unlock(&list_lock);
    } else {
        mt_tls_internal--;
        return NULL;
    }
    if (!t)
        t = mt_os_alloc(sizeof *t);
    if (t) {
        memset(t, 0, sizeof *t);
        t->tid = (uint32_t)mt_gettid();
        t->generation = mt_generation;
        mt_tls_self = t;
        if (exit_key_ok)
            pthread_setspecific(exit_key, t);
    }
    mt_tls_internal--;
    return t;
}

unsigned mt_threads_live(void)
{
    return __atomic_load_n(&mt_live_threads, __ATOMIC_RELAXED);
}

/* In a fork child only the forking thread exists. */
void mt_threads_after_fork(void)
{
    list_lock.owner = 0;
    mt_live_threads = mt_tls_self ? 1 : 0;
}

/*
 * fork_stress.c - fork while other threads are inside the tracer's slow paths.
 *
 * usage: fork_stress CHILDREN THREADS [LIBRARY]
 *
 * THREADS threads allocate and free at ever new call stacks (a chain of 16
 * calls through two functions chosen by the bits of a counter: 65536
 * distinct stacks, each new one unwound and interned, with the loader's
 * module list checked), and, if LIBRARY is given, one of them dlopen()s and
 * dlclose()s it in a loop (module lists rewritten, /proc/self/maps read).
 * Meanwhile main forks CHILDREN children one after the other.  Child i
 * allocates and frees at a new stack, leaks one block of 1000 + i bytes from
 * child_leak, and exits 0.  A child that has not exited 20 s after its fork
 * is reported as hung (a lock inherited from a thread that does not exist in
 * the child) and killed.
 * stderr: "fork_stress: N children ok" or the first failure.  Exit 0 if all
 * children exited 0 in time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

static atomic_int stop;
static const char *library;

NOINLINE static void *chain_a(unsigned bits, int d);
NOINLINE static void *chain_b(unsigned bits, int d);

NOINLINE static void *chain_a(unsigned bits, int d)
{
    void *p = d == 0 ? malloc(32 + bits % 64)
                     : ((bits >> d) & 1 ? chain_b : chain_a)(bits, d - 1);
    escape(p);
    return p;
}

NOINLINE static void *chain_b(unsigned bits, int d)
{
    void *p = d == 0 ? malloc(48 + bits % 32)
                     : ((bits >> d) & 1 ? chain_a : chain_b)(bits, d - 1);
    escape(p);
    return p;
}

static void *worker(void *arg)
{
    unsigned bits = (unsigned)(uintptr_t)arg * 7919u;
    int dl = library && (uintptr_t)arg == 0;
    while (!atomic_load(&stop)) {
        free(chain_a(bits++ & 0xffff, 16));
        if (dl && (bits & 63) == 0) {
            void *h = dlopen(library, RTLD_NOW);
            if (h)
                dlclose(h);
        }
    }
    return NULL;
}

NOINLINE static void child_leak(int i)
{
    char *p = malloc(1000 + (size_t)i);
    if (!p)
        _exit(3);
    memset(p, 5, 1000 + (size_t)i);
    escape(p);
}

static int wait_deadline(pid_t pid, int i)
{
    uint64_t deadline = now_ns() + 20000000000ull;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ns() > deadline) {
            say(2, "fork_stress: child %d pid %d hung\n", i, (int)pid);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(1000);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        say(2, "usage: fork_stress CHILDREN THREADS [LIBRARY]\n");
        return 64;
    }
    long children = arg_long(argc, argv, 1, 10, 0);
    long threads = arg_long(argc, argv, 2, 2, 0);
    library = argc > 3 ? argv[3] : NULL;
    if (threads > 64)
        threads = 64;
    pthread_t tid[64];
    for (long i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)i);
    usleep(20000);
    int failed = 0;
    for (int i = 0; i < children && !failed; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            say(2, "fork_stress: fork: %s\n", strerror(errno));
            failed = 1;
            break;
        }
        if (pid == 0) {
            free(chain_b(0x5a5au ^ (unsigned)i * 31u, 16));
            child_leak(i);
            /* _exit, not exit: in the child of a multi-threaded process
             * exit() can block for ever on glibc's __exit_funcs_lock, which
             * a parent thread inside dlclose (__cxa_finalize) held at the
             * fork (seen under load: the child stuck in __run_exit_handlers,
             * with or without mtrace). */
            _exit(0);
        }
        if (wait_deadline(pid, i)) {
            say(2, "fork_stress: child %d failed\n", i);
            failed = 1;
        }
    }
    atomic_store(&stop, 1);
    for (long i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    if (failed)
        return 1;
    say(2, "fork_stress: %ld children ok\n", children);
    return 0;
}

/*
 * forker.c - children that each leak a known amount.
 *
 * usage: forker [N]          (default 3; 1..64 children)
 *
 * The parent mallocs and frees a scratch block, then forks N children one
 * after the other (they run concurrently), then waits for all of them, then
 * mallocs and frees a scratch block again.  The parent has NO live heap block
 * while it forks, so a child inherits no allocation from it, and the parent
 * itself leaks nothing (2 malloc, 2 free).
 *
 * Child i (i = 0 .. N-1) calls the noinline function leak_in_child(i), which
 * mallocs (i + 1) * 1000 bytes in ONE block, writes into it and drops the
 * pointer, then the child calls exit(0) (so atexit handlers and destructors
 * run, as in a normal exit).  Per child: 1 malloc, 0 free, leaked:
 *   child 0: 1000 bytes   child 1: 2000 bytes   child 2: 3000 bytes ...
 *   child i: (i + 1) * 1000 bytes in 1 block, allocated by leak_in_child.
 * All sizes are below the 128 KiB mmap threshold (brk heap) for N <= 64.
 *
 * stderr (written by the parent, one line per child, after each fork):
 *   forker: parent pid P
 *   forker: child 0 pid C0 expected_leak=1000
 *   forker: child 1 pid C1 expected_leak=2000
 *   ...
 *   forker: all N children exited 0
 * Exit status 0 if every child exited with status 0, else 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <sys/types.h>
#include <sys/wait.h>

#define MAX_CHILDREN 64

NOINLINE static void leak_in_child(int i)
{
    size_t size = (size_t)(i + 1) * 1000;
    unsigned char *p = malloc(size);
    if (!p)
        _exit(3);
    memset(p, 0xc0 + i % 16, size);
    escape(p);
    /* p is dropped: (i + 1) * 1000 bytes leaked */
}

NOINLINE static void parent_scratch(void)
{
    char *s = malloc(4096);
    if (!s)
        abort();
    s[0] = 's';
    escape(s);
    free(s);
}

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 3, 0);
    if (n > MAX_CHILDREN) {
        say(2, "forker: at most %d children\n", MAX_CHILDREN);
        return 64;
    }
    pid_t pids[MAX_CHILDREN];

    say(2, "forker: parent pid %d\n", (int)getpid());
    parent_scratch();

    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            say(2, "forker: fork failed: %s\n", strerror(errno));
            return 1;
        }
        if (pid == 0) {
            leak_in_child(i);
            exit(0);
        }
        pids[i] = pid;
        say(2, "forker: child %d pid %d expected_leak=%d\n", i, (int)pid, (i + 1) * 1000);
    }

    int failed = 0;
    for (int i = 0; i < n; i++) {
        int status;
        while (waitpid(pids[i], &status, 0) < 0) {
            if (errno != EINTR) {
                status = -1;
                break;
            }
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            say(2, "forker: child %d pid %d failed (status %#x)\n", i, (int)pids[i], status);
            failed++;
        }
    }

    parent_scratch();
    if (failed)
        return 1;
    say(2, "forker: all %ld children exited 0\n", n);
    return 0;
}

/*
 * spawner.c - children started without fork(): posix_spawn and vfork.
 *
 * usage: spawner PROGRAM [ARG]
 *
 * 1. posix_spawn(PROGRAM ARG) and wait for it.
 * 2. vfork(); the child execv()s PROGRAM ARG; the parent waits.
 * 3. vfork(); the child execv()s a path that does not exist, then _exit(3)s;
 *    the parent waits (status 3).
 * Between and after, the parent makes malloc/free pairs in spawner_work
 * (3 pairs, 1000 bytes each) and leaks one block of 4321 bytes from
 * spawner_leak.  Its own trace must end "exit" with exactly that leak: the
 * vfork children share its memory but must not end its trace.
 * stderr: "spawner: children ok" when all three children behaved.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

NOINLINE static void spawner_work(void)
{
    char *p = malloc(1000);
    if (!p)
        abort();
    p[0] = 1;
    escape(p);
    free(p);
}

NOINLINE static void spawner_leak(void)
{
    char *p = malloc(4321);
    if (!p)
        abort();
    memset(p, 2, 4321);
    escape(p);
}

static int wait_for(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        say(2, "usage: spawner PROGRAM [ARG]\n");
        return 64;
    }
    char *args[] = {argv[1], argc > 2 ? argv[2] : NULL, NULL};
    spawner_work();
    pid_t pid;
    if (posix_spawn(&pid, argv[1], NULL, NULL, args, environ) != 0)
        return 1;
    int s1 = wait_for(pid);
    spawner_work();
    pid = vfork();
    if (pid == 0) {
        execv(argv[1], args);
        _exit(127);
    }
    int s2 = wait_for(pid);
    pid = vfork();
    if (pid == 0) {
        char *none[] = {"/nonexistent/program", NULL};
        execv(none[0], none);
        _exit(3);
    }
    int s3 = wait_for(pid);
    spawner_work();
    spawner_leak();
    if (s1 != 0 || s2 != 0 || s3 != 3) {
        say(2, "spawner: statuses %d %d %d (want 0 0 3)\n", s1, s2, s3);
        return 1;
    }
    say(2, "spawner: children ok\n");
    return 0;
}

/*
 * attach_target.c - a program started untraced that mtrace-run --pid
 * attaches to.
 *
 * usage: attach_target DIR
 *
 * 1. early_hold: 8 blocks of 3000 bytes, held in a global (allocated
 *    before any tracer was there).
 * 2. writes DIR/ready, then waits (sleeping in nanosleep) until DIR/go
 *    exists (the test attaches meanwhile).
 * 3. leak_after_attach: one block of 4242 bytes, its address dropped (a
 *    leak); frees 4 of the early blocks (frees of blocks allocated before
 *    the attach); one malloc/free pair of 100 bytes.
 * 4. writes DIR/done, waits until DIR/end exists, exits with status 7.
 * Expected from the report: the 4242-byte leak from leak_after_attach; the
 * early blocks never called leaks; 4 untracked frees; exit status 7.
 */
#include <fcntl.h>

#include "prog_util.h"

static char *early[8];

NOINLINE static void early_hold(void)
{
    for (int i = 0; i < 8; i++) {
        early[i] = malloc(3000);
        if (!early[i])
            abort();
        memset(early[i], i, 3000);
    }
}

NOINLINE static void leak_after_attach(void)
{
    char *p = malloc(4242);
    if (!p)
        abort();
    memset(p, 1, 4242);
    escape(p);
    p = NULL;
}

static void touch(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

static void wait_for(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct timespec ts = {0, 5000000};
    while (access(path, F_OK) != 0)
        nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    early_hold();
    touch(argv[1], "ready");
    wait_for(argv[1], "go");
    leak_after_attach();
    for (int i = 0; i < 4; i++)
        free(early[i]);
    char *t = malloc(100);
    escape(t);
    free(t);
    touch(argv[1], "done");
    wait_for(argv[1], "end");
    return 7;
}

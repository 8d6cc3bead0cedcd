/*
 * fd_closer - a program that closes file descriptors it did not open, then
 * works with files of its own, the way daemons and sandboxes do.  Traced, it
 * must behave exactly as untraced: same output, same files, same status.
 *
 *   fd_closer MODE [ROUNDS]
 *     close      close(fd) for fd 3..1023, as Python's os.close loop does
 *     syscall    syscall(SYS_close, fd) for fd 3..1023
 *     closefrom  closefrom(3)
 *     range      close_range(3, ~0U, 0)
 *     dup2       dup2(file, fd) onto every fd >= 3 in /proc/self/fd that is
 *                not its own, then close(fd) of each (the trace's among them)
 *     dup3       the same with dup3(file, fd, O_CLOEXEC)
 *     raw        close 3..1023 with an inline system call (no glibc), then
 *                fill 1000..1023 with F_DUPFD copies of its own file: the
 *                numbers the tracer had are the program's now
 *
 * Then: opens out.txt, and ROUNDS (default 400000) times mallocs and frees
 * (enough records to grow the trace file several times), writing a line to
 * out.txt every 1000 rounds; closes everything it opened and prints a line
 * with what it saw.  Exit 0; 3 if a write failed, 4 if a close failed.
 * Every number printed is the same traced and untraced.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "prog_util.h"

static long raw_close(long fd)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_close), "D"(fd)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "close";
    long rounds = arg_long(argc, argv, 2, 400000, 1);
    int closed = 0, ebadf = 0;
    int held[64], nheld = 0;

    if (!strcmp(mode, "close") || !strcmp(mode, "syscall")) {
        for (int fd = 3; fd < 1024; fd++) {
            int r = mode[0] == 'c' ? close(fd) : (int)syscall(SYS_close, fd);
            if (r == 0)
                closed++;
            else if (errno == EBADF)
                ebadf++;
        }
    } else if (!strcmp(mode, "closefrom")) {
        closefrom(3);
    } else if (!strcmp(mode, "range")) {
        if (close_range(3, ~0U, 0) != 0)
            say(1, "close_range failed: %s\n", strerror(errno));
    } else if (!strcmp(mode, "dup2") || !strcmp(mode, "dup3")) {
        int mine = open("mine.txt", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int targets[64], n = 0;
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        while (d && (e = readdir(d)) && n < 64) {
            int fd = atoi(e->d_name);
            if (fd >= 3 && fd != mine && fd != dirfd(d))
                targets[n++] = fd;
        }
        if (d)
            closedir(d);
        for (int i = 0; i < n; i++) {
            int r = mode[3] == '2' ? dup2(mine, targets[i])
                                   : dup3(mine, targets[i], O_CLOEXEC);
            if (r != targets[i])
                say(1, "dup2 onto %d failed: %s\n", targets[i], strerror(errno));
            else if (close(targets[i]) != 0)
                say(1, "close of %d failed: %s\n", targets[i], strerror(errno));
        }
        close(mine);
    } else if (!strcmp(mode, "raw")) {
        for (int fd = 3; fd < 1024; fd++)
            raw_close(fd);
    } else {
        say(2, "fd_closer: unknown mode %s\n", mode);
        return 2;
    }

    int out = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        say(1, "open out.txt: %s\n", strerror(errno));
        return 3;
    }
    if (!strcmp(mode, "raw")) /* the program's own copies at the high numbers */
        for (int fd = 1000; fd < 1024 && nheld < 64; fd++) {
            int r = fcntl(out, F_DUPFD, fd);
            if (r >= 0)
                held[nheld++] = r;
        }
    unsigned long sum = 0;
    for (long i = 0; i < rounds; i++) {
        char *p = malloc(16 + (size_t)(i & 255));
        escape(p);
        p[0] = (char)i;
        sum += (unsigned char)p[0];
        free(p);
        if (i % 1000 == 999) {
            char line[64];
            int len = snprintf(line, sizeof line, "%ld %lu\n", i, sum);
            if (write(out, line, (size_t)len) != len) {
                say(1, "write failed at round %ld: %s\n", i, strerror(errno));
                return 3;
            }
        }
    }
    for (int i = 0; i < nheld; i++)
        if (close(held[i]) != 0) {
            say(1, "close of own fd %d failed: %s\n", held[i], strerror(errno));
            return 4;
        }
    if (close(out) != 0) {
        say(1, "close out.txt: %s\n", strerror(errno));
        return 4;
    }
    say(1, "mode %s: closed %d, EBADF %d, rounds %ld, sum %lu\n", mode, closed, ebadf, rounds,
        sum);
    return 0;
}

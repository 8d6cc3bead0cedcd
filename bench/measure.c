/* measure [-e NAME=VALUE]... PROGRAM [ARGS...]: runs PROGRAM (with the given
 * variables added to its environment only, so measure itself is never traced)
 * and prints to stderr one line "measure: wall_ns=N maxrss_kib=N status=N".
 * The benchmark script uses it because a child forked from Python inherits
 * Python's peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int first = 1;
    while (first + 1 < argc && !strcmp(argv[first], "-e"))
        first += 2;
    if (first >= argc) {
        fprintf(stderr, "usage: measure [-e NAME=VALUE]... PROGRAM [ARGS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 1; i < first; i += 2)
            putenv(argv[i + 1]);
        execvp(argv[first], argv + first);
        perror(argv[first]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
        perror("measure");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(stderr, "measure: wall_ns=%lld maxrss_kib=%ld status=%d\n", ns, ru.ru_maxrss, code);
    return 0;
}

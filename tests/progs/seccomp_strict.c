/*
 * seccomp_strict - installs a strict seccomp filter, then keeps allocating
 * and printing.  Anything but the system calls malloc, write and exit need
 * kills the process (SECCOMP_RET_KILL_PROCESS), so a tracer that makes one
 * of its own calls after the filter (ftruncate, openat, rt_sigprocmask,
 * gettid, ...) kills the program.  Traced, it must behave as untraced.
 *
 *   seccomp_strict MODE
 *     prctl    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)
 *     syscall  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), the
 *              way libseccomp's seccomp_load does it
 *     thread   as prctl, also allowing what pthread_create needs, and then
 *              allocating in a new thread too
 *
 * Before the filter: 1000 mallocs of 100 bytes, freed.  After it: 300000
 * malloc/free rounds of varied sizes (a few of 200 KiB: mmap'd blocks), a
 * line per 50000 rounds on stdout.  Exit 0 (the untraced run's status too),
 * 2 if the filter could not be installed.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "prog_util.h"

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static unsigned long churn(long rounds, const char *who)
{
    unsigned long sum = 0;
    for (long i = 0; i < rounds; i++) {
        size_t n = (i % 997 == 0) ? 200 * 1024 : 16 + (size_t)(i % 500);
        unsigned char *p = malloc(n);
        escape(p);
        p[0] = (unsigned char)i;
        p[n - 1] = (unsigned char)(i >> 3);
        sum += p[0] + p[n - 1];
        free(p);
        if (i % 50000 == 49999)
            say(1, "%s: round %ld sum %lu\n", who, i + 1, sum);
    }
    return sum;
}

static void *thread_main(void *arg)
{
    (void)arg;
    churn(60000, "thread");
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "prctl";
    int thread = !strcmp(mode, "thread");
    void *before[1000];
    for (int i = 0; i < 1000; i++)
        before[i] = malloc(100);
    for (int i = 0; i < 1000; i++)
        free(before[i]);

    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_exit_group), ALLOW(SYS_exit),
        ALLOW(SYS_futex), ALLOW(SYS_brk), ALLOW(SYS_mmap), ALLOW(SYS_munmap),
        ALLOW(SYS_mremap),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffff, 0, 0), /* thread extras follow */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        ALLOW(SYS_clone), ALLOW(SYS_clone3), ALLOW(SYS_set_robust_list), ALLOW(SYS_rseq),
        ALLOW(SYS_rt_sigprocmask), ALLOW(SYS_rt_sigaction), ALLOW(SYS_mprotect), ALLOW(SYS_madvise),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
    if (thread) {
        /* drop the early "kill" so the extras are reached */
        size_t k = 4 + 2 * 9 + 1;
        filter[k] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof(struct seccomp_data, nr));
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        say(1, "no_new_privs: %s\n", strerror(errno));
        return 2;
    }
    int r = !strcmp(mode, "syscall")
                ? (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)
                : prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    if (r != 0) {
        say(1, "seccomp: %s\n", strerror(errno));
        return 2;
    }
    say(1, "filter installed (%s)\n", mode);
    unsigned long sum = churn(300000, "main");
    if (thread) {
        pthread_t t;
        if (pthread_create(&t, NULL, thread_main, NULL) == 0)
            pthread_join(t, NULL);
        else
            say(1, "pthread_create failed\n");
    }
    say(1, "done, sum %lu\n", sum);
    exit(0);
}

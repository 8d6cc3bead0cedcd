/*
 * sigprobe.c - how a program dies of a signal, and what it sees of its own
 * signal dispositions.  Every mode prints the same thing and ends the same
 * way traced or not; the integration test (test_signals.py) compares the
 * two runs: exit status (signal, core-dump bit), stdout and stderr.
 *
 * usage: sigprobe MODE [ARG]
 *   sleep MS      print "ready", sleep MS ms, print "woke", exit 0
 *                 (the test kills it while it sleeps: nothing more prints)
 *   spin MS       print "ready", malloc/free pairs for MS ms, print "done"
 *   threads N MS  N threads doing malloc/free pairs for MS ms; main prints
 *                 "ready" once they all run, joins them, prints "done"
 *   view          SIGSEGV as the program sees it (sigaction(SIGSEGV, NULL,
 *                 &old)): before anything, after installing a handler,
 *                 after signal(SIGSEGV, SIG_DFL); then kill(getpid(),
 *                 SIGSEGV) -> killed by SIGSEGV
 *   viewall       every default-terminating signal's disposition, and the
 *                 SigIgn line of /proc/self/status
 *   ign-exec      SIG_IGN for SIGINT (signal) and SIGTERM (sigaction), a
 *                 handler for SIGHUP, SIG_DFL for SIGQUIT (sysv_signal),
 *                 then exec "sigprobe viewall" (exec keeps SIG_IGN only)
 *   ign-kill      SIG_IGN for SIGTERM, kill(getpid(), SIGTERM), "alive", 0
 *   fork          a fork child prints viewall and kill(getpid(), SIGTERM)s
 *                 itself; the parent prints how it ended, then viewall
 *   handled       a handler for SIGTERM that prints "handled 15" and
 *                 _exit(3)s; "ready"; sleeps 5 s (the test sends SIGTERM)
 *   blocked       SIGTERM blocked, kill(getpid(), SIGTERM), sigwait gets it:
 *                 "got 15", exit 0
 *   double-free   free(p) twice: glibc aborts (SIGABRT, status 134)
 *   assert        a failed assert(): glibc's __assert_fail aborts
 *   raise SIG     raise(SIG)
 *   sigqueue SIG  sigqueue(getpid(), SIG, 42)
 *   null          writes through NULL: a real SIGSEGV
 *   exit-hang     main returns 0; a destructor (after the exit handlers)
 *                 prints "ready" and sleeps 5 s (the test sends SIGTERM)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#undef NDEBUG /* the assert mode needs assert() in every build type */
#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "prog_util.h"

static const int watched[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
                              SIGTERM, SIGINT, SIGHUP, SIGQUIT};

static void on_any(int sig)
{
    (void)sig;
}

static void on_term(int sig)
{
    say(1, "handled %d\n", sig);
    _exit(3);
}

static void show(const char *when, int sig)
{
    struct sigaction old;
    memset(&old, 0x5a, sizeof old);
    if (sigaction(sig, NULL, &old) != 0) {
        say(1, "%s: sig %d: sigaction failed: %d\n", when, sig, errno);
        return;
    }
    const char *what = old.sa_handler == SIG_DFL   ? "SIG_DFL"
                       : old.sa_handler == SIG_IGN ? "SIG_IGN"
                       : (old.sa_flags & SA_SIGINFO) ? "sigaction handler"
                       : old.sa_handler == on_any  ? "on_any"
                       : old.sa_handler == on_term ? "on_term"
                                                   : "another handler";
    unsigned long long mask = 0;
    for (int s = 1; s < 64; s++)
        if (sigismember(&old.sa_mask, s) == 1)
            mask |= 1ull << (s - 1);
    say(1, "%s: sig %d: %s flags=%#x mask=%#llx\n", when, sig, what, (unsigned)old.sa_flags,
        mask);
}

static void show_all(const char *when)
{
    for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
        show(when, watched[i]);
    /* what the kernel ignores (what it catches differs: the tracer's) */
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    char *line = strstr(buf, "SigIgn:");
    char *end = line ? strchr(line, '\n') : NULL;
    if (end)
        say(1, "%s: %.*s\n", when, (int)(end - line), line);
}

static void wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        say(1, "waitpid failed: %d\n", errno);
    else if (WIFSIGNALED(st))
        say(1, "child: killed by signal %d%s\n", WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
    else
        say(1, "child: exit %d\n", WEXITSTATUS(st));
}

static int hang_at_exit;

__attribute__((destructor)) static void late_destructor(void)
{
    if (!hang_at_exit)
        return;
    say(1, "ready\n");
    sleep_ms(5000);
    say(1, "woke\n");
}

static void *volatile launder; /* keeps the compiler out of the double free */

static long spin_ms;
static volatile int started;

static void *spinner(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg + 1;
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    uint64_t end = now_ns() + (uint64_t)spin_ms * 1000000u;
    while (now_ns() < end)
        for (int i = 0; i < 1000; i++) {
            void *p = malloc(16 + xorshift32(&seed) % 500);
            *(volatile char *)p = 1;
            free(p);
        }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        say(2, "usage: sigprobe MODE [ARG]\n");
        return 64;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "sleep")) {
        long ms = arg_long(argc, argv, 2, 5000, 0);
        say(1, "ready\n");
        sleep_ms(ms);
        say(1, "woke\n");
        return 0;
    }
    if (!strcmp(mode, "spin")) {
        long ms = arg_long(argc, argv, 2, 5000, 0);
        uint32_t seed = 1;
        say(1, "ready\n");
        uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
        while (now_ns() < end)
            for (int i = 0; i < 1000; i++) {
                launder = malloc(16 + xorshift32(&seed) % 500);
                free(launder);
            }
        say(1, "done\n");
        return 0;
    }
    if (!strcmp(mode, "threads")) {
        long n = arg_long(argc, argv, 2, 4, 1);
        spin_ms = arg_long(argc, argv, 3, 5000, 0);
        pthread_t th[64];
        if (n > 64)
            n = 64;
        for (long i = 0; i < n; i++)
            if (pthread_create(&th[i], NULL, spinner, (void *)(uintptr_t)i) != 0)
                return 1;
        while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n)
            sleep_ms(1);
        say(1, "ready\n");
        for (long i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        say(1, "done\n");
        return 0;
    }
    if (!strcmp(mode, "view")) {
        show("start", SIGSEGV);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_any;
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, SIGUSR1);
        sa.sa_flags = SA_RESTART;
        struct sigaction old;
        if (sigaction(SIGSEGV, &sa, &old) != 0)
            return 1;
        say(1, "old handler was %s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "not SIG_DFL");
        show("handler", SIGSEGV);
        say(1, "signal() returned %s\n",
            signal(SIGSEGV, SIG_DFL) == on_any ? "on_any" : "something else");
        show("default again", SIGSEGV);
        kill(getpid(), SIGSEGV);
        say(1, "survived SIGSEGV\n");
        return 0;
    }
    if (!strcmp(mode, "viewall")) {
        show_all("viewall");
        return 0;
    }
    if (!strcmp(mode, "ign-exec")) {
        signal(SIGINT, SIG_IGN);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGHUP, on_any);
        sysv_signal(SIGQUIT, SIG_DFL);
        show_all("before exec");
        execl(argv[0], argv[0], "viewall", (char *)NULL);
        say(1, "exec failed: %d\n", errno);
        return 1;
    }
    if (!strcmp(mode, "ign-kill")) {
        signal(SIGTERM, SIG_IGN);
        kill(getpid(), SIGTERM);
        say(1, "alive\n");
        return 0;
    }
    if (!strcmp(mode, "fork")) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            show_all("child");
            kill(getpid(), SIGTERM);
            say(1, "child survived SIGTERM\n");
            _exit(0);
        }
        wait_child(pid);
        show_all("parent");
        return 0;
    }
    if (!strcmp(mode, "handled")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
        say(1, "ready\n");
        sleep_ms(5000);
        say(1, "woke\n");
        return 0;
    }
    if (!strcmp(mode, "blocked")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        kill(getpid(), SIGTERM);
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            return 1;
        say(1, "got %d\n", sig);
        return 0;
    }
    if (!strcmp(mode, "double-free")) {
        launder = malloc(64);
        void *p = launder;
        free(p);
        free(launder);
        say(1, "survived the double free\n");
        return 0;
    }
    if (!strcmp(mode, "assert")) {
        assert(argc == 1000);
        say(1, "survived the assert\n");
        return 0;
    }
    if (!strcmp(mode, "raise")) {
        int sig = (int)arg_long(argc, argv, 2, SIGABRT, 1);
        raise(sig);
        say(1, "survived raise(%d)\n", sig);
        return 0;
    }
    if (!strcmp(mode, "sigqueue")) {
        int sig = (int)arg_long(argc, argv, 2, SIGTERM, 1);
        union sigval v;
        v.sival_int = 42;
        sigqueue(getpid(), sig, v);
        say(1, "survived sigqueue(%d)\n", sig);
        return 0;
    }
    if (!strcmp(mode, "exit-hang")) {
        hang_at_exit = 1;
        return 0;
    }
    if (!strcmp(mode, "null")) {
        volatile int *p = NULL;
        *p = 1;
        say(1, "survived the NULL write\n");
        return 0;
    }
    say(2, "sigprobe: unknown mode %s\n", mode);
    return 64;
}

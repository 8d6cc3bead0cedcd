/* mtrace-run --pid PID (attach, trace a window, detach) and --start/--stop
 * PID (the dormant shim's windows).  The commands reach the shim as its
 * control signal sent with sigqueue (preload/control.c): the value is
 * CONTROL_MAGIC | command. */
#include "run_attach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "inject.h"
#include "mtrace/format.h"

#define CONTROL_MAGIC 0x6d740000
enum { CMD_OFF = 0, CMD_ON = 1, CMD_DETACH = 2 };

/* A signal mask line of /proc/PID/status ("SigCgt:", "ShdPnd:"...). */
static uint64_t status_mask(pid_t pid, const char *field)
{
    char name[64], buf[8192];
    snprintf(name, sizeof name, "/proc/%d/status", (int)pid);
    if (mta_read_small_file(name, buf, sizeof buf) < 0)
        return 0;
    const char *p = strstr(buf, field);
    return p ? strtoull(p + strlen(field), NULL, 16) : 0;
}

static int has_bit(uint64_t mask, int sig)
{
    return (int)(mask >> (sig - 1) & 1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Sends a command; waits (up to 2 s) until the process took the signal:
 * the handler then runs before the thread that took it goes on. */
static int send_command(pid_t pid, int sig, int cmd)
{
    union sigval v;
    v.sival_int = CONTROL_MAGIC | cmd;
    if (sigqueue(pid, sig, v) != 0)
        return -1;
    for (int i = 0; i < 400; i++) {
        if (!has_bit(status_mask(pid, "ShdPnd:"), sig) && !has_bit(status_mask(pid, "SigPnd:"), sig))
            return 0;
        sleep_ms(5);
    }
    return 0;
}

/* The control signal of the shim in pid: its MTRACE_SIGNAL, else
 * SIGRTMAX - 2. */
static int target_signal(pid_t pid)
{
    char name[64];
    static char env[1 << 20];
    snprintf(name, sizeof name, "/proc/%d/environ", (int)pid);
    int n = mta_read_small_file(name, env, sizeof env);
    for (int i = 0; n > 0 && i < n; i += (int)strlen(env + i) + 1)
        if (!strncmp(env + i, "MTRACE_SIGNAL=", 14)) {
            int s = atoi(env + i + 14);
            if (s >= SIGRTMIN && s <= SIGRTMAX)
                return s;
        }
    return SIGRTMAX - 2;
}

int mta_run_control(pid_t pid, int on)
{
    char name[64];
    snprintf(name, sizeof name, "/proc/%d", (int)pid);
    if (access(name, F_OK) != 0) {
        fprintf(stderr, "mtrace-run: no process %d\n", (int)pid);
        return 1;
    }
    if (!mta_has_mtrace(pid)) {
        fprintf(stderr, "mtrace-run: process %d does not run libmtrace.so: start it with "
                "MTRACE_START=off LD_PRELOAD=.../libmtrace.so (or attach with --pid)\n",
                (int)pid);
        return 1;
    }
    int sig = target_signal(pid);
    if (!has_bit(status_mask(pid, "SigCgt:"), sig)) {
        fprintf(stderr, "mtrace-run: libmtrace.so in process %d does not listen for signal %d "
                "(started without MTRACE_START=off, or with another MTRACE_SIGNAL): nothing "
                "sent\n", (int)pid, sig);
        return 1;
    }
    if (send_command(pid, sig, on ? CMD_ON : CMD_OFF) != 0) {
        fprintf(stderr, "mtrace-run: cannot signal process %d: %s\n", (int)pid, strerror(errno));
        return 1;
    }
    fprintf(stderr, "mtrace-run: tracing switched %s in process %d\n", on ? "on" : "off",
            (int)pid);
    return 0;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* The end state of pid's trace in dir (MT_END_RUNNING until finished). */
static uint32_t trace_end_state(const char *dir, pid_t pid)
{
    DIR *d = opendir(dir);
    uint32_t state = MT_END_RUNNING;
    if (!d)
        return state;
    struct dirent *e;
    while ((e = readdir(d)) && state == MT_END_RUNNING) {
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct mt_file_header h;
        if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
            !memcmp(h.magic, MT_FILE_MAGIC, 8) && h.pid == (uint64_t)pid)
            state = h.end_state;
        close(fd);
    }
    closedir(d);
    return state;
}

int mta_run_attach(pid_t pid, const char *lib, const char *out, double duration,
                   const char *exe)
{
    /* the control signal: one the program does not handle itself */
    uint64_t caught = status_mask(pid, "SigCgt:");
    int sig = SIGRTMAX - 2;
    while (sig > SIGRTMIN + 2 && has_bit(caught, sig))
        sig--;
    /* the settings: our MTRACE_* (but the ones set here), the output, the signal */
    size_t cap = 65536, len = 0;
    char *block = calloc(1, cap);
    if (!block)
        return 5;
    len += (size_t)snprintf(block + len, cap - len, "MTRACE_OUT=%s", out) + 1;
    len += (size_t)snprintf(block + len, cap - len, "MTRACE_SIGNAL=%d", sig) + 1;
    extern char **environ;
    for (char **e = environ; *e; e++)
        if (!strncmp(*e, "MTRACE_", 7) && strncmp(*e, "MTRACE_OUT=", 11) &&
            strncmp(*e, "MTRACE_SIGNAL=", 14) && strncmp(*e, "MTRACE_START=", 13) &&
            strncmp(*e, "MTRACE_LIB=", 11) && len + strlen(*e) + 2 < cap)
            len += (size_t)snprintf(block + len, cap - len, "%s", *e) + 1;
    block[len++] = '\0';
    char why[1024];
    if (mta_inject(pid, lib, block, len, why, sizeof why) != 0) {
        free(block);
        fprintf(stderr, "mtrace-run: cannot attach: %s\n", why);
        return 1;
    }
    free(block);
    time_t now = time(NULL);
    struct tm tm;
    char when[64] = "?";
    if (localtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    const char *base = strrchr(exe, '/');
    fprintf(stderr, "mtrace-run: attached to %d (%s) at %s; tracing until it exits, Ctrl-C%s\n",
            (int)pid, base ? base + 1 : exe, when, duration ? " or --duration" : "");

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int exited = 0;
    while (!interrupted) {
        if (pfd >= 0) {
            struct pollfd p = {pfd, POLLIN, 0};
            if (poll(&p, 1, 100) > 0) {
                exited = 1;
                break;
            }
        } else {
            if (kill(pid, 0) != 0 && errno == ESRCH) {
                exited = 1;
                break;
            }
            sleep_ms(100);
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (duration && (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= duration)
            break;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (pfd >= 0)
        close(pfd);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (exited) {
        fprintf(stderr, "mtrace-run: process %d exited\n", (int)pid);
        return 0;
    }
    if (send_command(pid, sig, CMD_DETACH) != 0) {
        fprintf(stderr, "mtrace-run: cannot signal process %d to detach: %s\n", (int)pid,
                strerror(errno));
        return 0;
    }
    for (int i = 0; i < 500 && trace_end_state(dir, pid) == MT_END_RUNNING; i++)
        sleep_ms(10);
    fprintf(stderr, "mtrace-run: detached from %d; it runs on untraced\n", (int)pid);
    return 0;
}

/* Words and numbers for people: names of the trace's enums, thousands
 * separators, human sizes, paths relative to the current directory. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "mtrace/format.h"

const char *mta_end_state_name(uint32_t s)
{
    switch (s) {
    case MT_END_RUNNING: return "running";
    case MT_END_EXIT: return "exit";
    case MT_END_EXEC: return "exec";
    case MT_END_ABORT: return "abort";
    case MT_END_UNDERSCORE_EXIT: return "_exit";
    case MT_END_SIGNAL: return "signal";
    case MT_END_DETACHED: return "detached";
    default: return "unknown";
    }
}

const char *mta_ended_text(char *buf, size_t cap, uint32_t end_state, int end_code)
{
    switch (end_state) {
    case MT_END_EXIT: snprintf(buf, cap, "exit %d", end_code); break;
    case MT_END_UNDERSCORE_EXIT: snprintf(buf, cap, "_exit %d", end_code); break;
    case MT_END_SIGNAL: snprintf(buf, cap, "signal %d", end_code); break;
    case MT_END_RUNNING: snprintf(buf, cap, "did not finish"); break;
    default: snprintf(buf, cap, "%s", mta_end_state_name(end_state)); break;
    }
    return buf;
}

/* Linux's names (the trace's numbers are Linux's, whatever host reads it);
 * NULL for a number without one. */
const char *mta_signal_name(int sig)
{
    static const char *names[] = {
        NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
        "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
        "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
        "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
        "SIGIO", "SIGPWR", "SIGSYS"};
    return sig > 0 && sig < (int)(sizeof names / sizeof names[0]) ? names[sig] : NULL;
}

const char *mta_stop_reason_name(uint32_t r)
{
    static const char *names[] = {"none", "max_size", "no_space", "fd_lost", "seccomp",
                                  "io_error"};
    return r < 6 ? names[r] : "unknown";
}

/* "ENOSPC" for 28; "errno N" when this libc has no name. */
const char *mta_errno_name(char *buf, size_t cap, int err)
{
    const char *n = err > 0 ? strerrorname_np(err) : NULL;
    if (n)
        return n;
    snprintf(buf, cap, "errno %d", err);
    return buf;
}

/* What made the writer stop recording, for a sentence: "no space left on
 * device (ENOSPC)". */
const char *mta_stop_text(char *buf, size_t cap, uint32_t reason, int err)
{
    char nb[32];
    switch (reason) {
    case MT_STOP_MAX_SIZE:
        snprintf(buf, cap, "the trace reached MTRACE_MAX_SIZE");
        break;
    case MT_STOP_NO_SPACE:
    case MT_STOP_IO_ERROR: {
        const char *e = err > 0 ? strerror(err) : "cannot grow the file";
        snprintf(buf, cap, "%c%s (%s)", e[0] >= 'A' && e[0] <= 'Z' ? e[0] - 'A' + 'a' : e[0],
                 e + 1, mta_errno_name(nb, sizeof nb, err));
        break;
    }
    case MT_STOP_FD_LOST:
        snprintf(buf, cap, "the program closed or replaced the trace's file descriptor");
        break;
    case MT_STOP_SECCOMP:
        snprintf(buf, cap, "the program installed a seccomp filter");
        break;
    default:
        snprintf(buf, cap, "unknown reason %u", reason);
        break;
    }
    return buf;
}

const char *mta_source_name(unsigned s)
{
    static const char *names[] = {"unknown", "brk", "arena", "mmap"};
    return s < 4 ? names[s] : "unknown";
}

const char *mta_cause_name(unsigned c)
{
    static const char *names[] = {"none", "malloc", "free", "realloc", "app", "startup"};
    return c < 6 ? names[c] : "unknown";
}

const char *mta_map_op_name(unsigned op)
{
    static const char *names[] = {"none", "mmap", "munmap", "mremap", "mprotect",
                                  "chunk_mmap", "chunk_munmap", "chunk_mremap", "arena_heap"};
    return op < 9 ? names[op] : "unknown";
}

const char *mta_commas(char *buf, size_t cap, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < cap; i++) {
        if (i && (n - i) % 3 == 0 && o + 2 < cap)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *mta_human_bytes(char *buf, size_t cap, uint64_t v)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)v);
    else
        snprintf(buf, cap, "%.1f %s", d, units[u]);
    return buf;
}

const char *mta_short_path(const char *path)
{
    static char cwd[4096];
    static size_t cwd_len = (size_t)-1;
    if (!path)
        return NULL;
    if (cwd_len == (size_t)-1) {
        cwd_len = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    }
    if (cwd_len > 1 && !strncmp(path, cwd, cwd_len) && path[cwd_len] == '/')
        return path + cwd_len + 1;
    return path;
}


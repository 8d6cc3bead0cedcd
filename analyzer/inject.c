/* A small ptrace injector of our own (x86-64, glibc 2.34+ where libc.so.6
 * exports dlopen): why not gdb, as heaptrack does?  gdb is a large
 * dependency to have on a production host, slow to start on a big binary
 * (it reads all its debug information), and it stops every thread.  The
 * job is small: two function calls in the target.
 *
 * One thread is stopped (the main one): dlopen and the shim's GOT stores
 * are safe while other threads run (each store is one word), so the others
 * never notice.  The thread is taken at a safe point: stopped inside a
 * system call that malloc does not make (a thread stopped in malloc's own
 * brk or mmap could hold an arena lock that dlopen then waits for forever);
 * elsewhere it is let go and tried again.  The calls: registers saved, the
 * arguments written on its stack well below the red zone, rdi/rsi set,
 * return address 0, so the function's return faults at address 0 and the
 * tracer takes the SIGSEGV (never delivered), reads rax, and puts the
 * registers back.  orig_rax is -1 during the calls (no system-call restart
 * into our code) and its old value afterwards, so the interrupted call is
 * restarted as if after any signal.
 *
 * The addresses: libc's dlopen from the dynamic symbols of the libc file
 * the target maps, plus where it is mapped (/proc/PID/maps); the shim's
 * mtrace_attach the same way once dlopen returned. */
#include "inject.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* dlopen flags (dlfcn.h): load now, never unload */
#define RTLD_NOW_NODELETE (0x00002 | 0x01000)

/* ---- /proc ---- */

int mta_read_small_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = '\0';
    return (int)n;
}

/* The start of the first mapping of a file whose name ends with `suffix`
 * (offset 0), and its path. */
static uint64_t find_mapping(pid_t pid, const char *suffix, char *path, size_t cap)
{
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(name, "re");
    if (!f)
        return 0;
    char line[4096 + 256];
    uint64_t found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long lo, off;
        int pos = 0;
        if (sscanf(line, "%llx-%*x %*s %llx %*s %*s %n", &lo, &off, &pos) < 2 || !pos)
            continue;
        char *p = line + pos;
        p[strcspn(p, "\n")] = '\0';
        size_t pl = strlen(p), sl = strlen(suffix);
        if (off == 0 && pl >= sl && !strcmp(p + pl - sl, suffix) && p[0] == '/') {
            found = lo;
            if (path) {
                size_t n = pl < cap - 1 ? pl : cap - 1;
                memcpy(path, p, n);
                path[n] = '\0';
            }
        }
    }
    fclose(f);
    return found;
}

int mta_has_mtrace(pid_t pid)
{
    return find_mapping(pid, "/libmtrace.so", NULL, 0) != 0;
}

/* A dynamic symbol's value in an ELF file, and the lowest PT_LOAD vaddr
 * (to turn a mapping's start into the load bias).  0 if not found. */
static uint64_t elf_symbol(const char *path, const char *want, uint64_t *first_vaddr)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    uint8_t *img = NULL;
    uint64_t value = 0;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr))
        goto out;
    img = malloc((size_t)st.st_size);
    if (!img || pread(fd, img, (size_t)st.st_size, 0) != st.st_size)
        goto out;
    size_t size = (size_t)st.st_size;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff > size || eh->e_shnum > (size - eh->e_shoff) / sizeof(Elf64_Shdr) ||
        eh->e_phoff > size || eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
        goto out;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
    *first_vaddr = UINT64_MAX;
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < *first_vaddr)
            *first_vaddr = ph[i].p_vaddr & ~(uint64_t)4095;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum && !value; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *ss = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
            ss->sh_offset > size || ss->sh_size > size - ss->sh_offset)
            continue;
        const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
        const char *str = (const char *)(img + ss->sh_offset);
        for (size_t k = 0; k < sh[i].sh_size / sizeof *sym; k++)
            if (sym[k].st_name < ss->sh_size && sym[k].st_shndx != SHN_UNDEF &&
                ELF64_ST_TYPE(sym[k].st_info) == STT_FUNC &&
                !strncmp(str + sym[k].st_name, want, ss->sh_size - sym[k].st_name) &&
                sym[k].st_value) {
                value = sym[k].st_value;
                break;
            }
    }
out:
    free(img);
    close(fd);
    return value;
}

/* ---- refusals ---- */

static long status_field(pid_t pid, const char *field)
{
    char name[64], buf[8192];
    snprintf(name, sizeof name, "/proc/%d/status", (int)pid);
    if (mta_read_small_file(name, buf, sizeof buf) < 0)
        return -1;
    const char *p = strstr(buf, field);
    return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

const char *mta_attach_refusal(pid_t pid, char *why, size_t cap)
{
    char name[64], buf[64];
    struct stat st;
    snprintf(name, sizeof name, "/proc/%d", (int)pid);
    if (pid <= 0 || stat(name, &st) != 0) {
        snprintf(why, cap, "no process %d", (int)pid);
        return why;
    }
    if (pid == getpid()) {
        snprintf(why, cap, "process %d is mtrace-run itself", (int)pid);
        return why;
    }
    if (geteuid() != 0 && st.st_uid != geteuid()) {
        snprintf(why, cap, "process %d belongs to another user (uid %u): no permission to "
                 "trace it", (int)pid, (unsigned)st.st_uid);
        return why;
    }
    if (mta_read_small_file("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof buf) > 0) {
        int scope = atoi(buf);
        if (scope == 3 || (scope == 2 && geteuid() != 0) || (scope == 1 && geteuid() != 0)) {
            snprintf(why, cap, "no permission to trace process %d: "
                     "/proc/sys/kernel/yama/ptrace_scope is %d (%s)", (int)pid, scope,
                     scope == 1 ? "only a parent may trace its children; run as root, or "
                                  "set it to 0" : scope == 2 ? "only root may trace"
                                                             : "nobody may trace");
            return why;
        }
    }
    long tracer = status_field(pid, "TracerPid:");
    if (tracer > 0) {
        snprintf(why, cap, "process %d is already traced by process %ld (a debugger, strace, "
                 "another mtrace-run --pid): a process has one tracer at a time", (int)pid,
                 tracer);
        return why;
    }
    if (mta_has_mtrace(pid)) {
        snprintf(why, cap, "process %d already runs libmtrace.so (started under mtrace): use "
                 "mtrace-run --start/--stop %d with MTRACE_START=off", (int)pid, (int)pid);
        return why;
    }
    char libc[4096];
    if (!find_mapping(pid, "/libc.so.6", libc, sizeof libc)) {
        char exe[4096];
        snprintf(name, sizeof name, "/proc/%d/exe", (int)pid);
        ssize_t n = readlink(name, exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        snprintf(why, cap, "process %d (%s) does not use the C library's shared object (a "
                 "statically linked program): there is no dlopen in it to load libmtrace.so "
                 "with", (int)pid, exe[0] ? exe : "?");
        return why;
    }
    uint64_t v = 0;
    if (!elf_symbol(libc, "dlopen", &v)) {
        snprintf(why, cap, "%s exports no dlopen (glibc older than 2.34?): cannot load "
                 "libmtrace.so into process %d", libc, (int)pid);
        return why;
    }
    return NULL;
}

/* ---- ptrace ---- */

static int mem_rw(pid_t pid, uint64_t addr, void *buf, size_t len, int write_)
{
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/mem", (int)pid);
    int fd = open(name, (write_ ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = write_ ? pwrite(fd, buf, len, (off_t)addr) : pread(fd, buf, len, (off_t)addr);
    close(fd);
    return r == (ssize_t)len ? 0 : -1;
}

/* Waits for the next stop of pid; -1 if it ended. */
static int wait_stop(pid_t pid, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || WIFEXITED(*status) || WIFSIGNALED(*status))
            return -1;
        return 0;
    }
}

/* Calls fn(arg1, arg2) in the stopped thread; data (if any) is copied to its
 * stack and arg1 points to it.  0 with the return value in *ret. */
static int remote_call(pid_t pid, const struct user_regs_struct *saved, uint64_t fn,
                       const void *data, size_t len, uint64_t arg1, uint64_t arg2,
                       uint64_t *ret, char *why, size_t cap)
{
    struct user_regs_struct r = *saved;
    uint64_t top = (saved->rsp - 4096 - len) & ~(uint64_t)15;
    uint64_t sp = top - 8; /* as after a call: rsp + 8 is 16-aligned */
    size_t span = 8 + len;
    uint8_t *backup = malloc(span), *img = calloc(1, span);
    if (!backup || !img || mem_rw(pid, sp, backup, span, 0)) {
        free(backup);
        free(img);
        snprintf(why, cap, "cannot read the target's stack");
        return -1;
    }
    if (data) {
        memcpy(img + 8, data, len);
        arg1 = top;
    }
    int rc = -1;
    if (mem_rw(pid, sp, img, span, 1)) {
        snprintf(why, cap, "cannot write the target's stack");
        goto out;
    }
    r.rsp = sp;
    r.rip = fn;
    r.rdi = arg1;
    r.rsi = arg2;
    r.rax = 0;
    r.orig_rax = (uint64_t)-1;
    if (ptrace(PTRACE_SETREGS, pid, 0, &r) || ptrace(PTRACE_CONT, pid, 0, 0)) {
        snprintf(why, cap, "ptrace: %s", strerror(errno));
        goto out;
    }
    for (;;) {
        int st;
        if (wait_stop(pid, &st)) {
            snprintf(why, cap, "the process ended during the call");
            free(backup);
            free(img);
            return -2;
        }
        int sig = WSTOPSIG(st);
        if ((st >> 16) == PTRACE_EVENT_STOP) {
            ptrace(PTRACE_CONT, pid, 0, 0);
            continue;
        }
        if (sig == SIGSEGV) {
            struct user_regs_struct now;
            ptrace(PTRACE_GETREGS, pid, 0, &now);
            if (now.rip == 0) {
                *ret = now.rax;
                rc = 0;
                break;
            }
            snprintf(why, cap, "the call faulted at 0x%llx", (unsigned long long)now.rip);
            break;
        }
        /* the program's own signal: delivered, its handler runs on top */
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
    }
out:
    mem_rw(pid, sp, backup, span, 1);
    free(backup);
    free(img);
    return rc;
}

/* System calls malloc makes: a thread stopped in one may hold an arena lock. */
static int unsafe_syscall(long nr)
{
    return nr == SYS_brk || nr == SYS_mmap || nr == SYS_munmap || nr == SYS_mremap ||
           nr == SYS_mprotect || nr == SYS_madvise;
}

int mta_inject(pid_t pid, const char *lib, const char *settings, size_t len, char *why,
               size_t cap)
{
#if !defined(__x86_64__)
    (void)pid; (void)lib; (void)settings; (void)len;
    snprintf(why, cap, "attaching is implemented for x86-64 only");
    return -1;
#else
    char libc[4096];
    uint64_t libc_map = find_mapping(pid, "/libc.so.6", libc, sizeof libc), libc_first = 0;
    uint64_t dlopen_off = libc_map ? elf_symbol(libc, "dlopen", &libc_first) : 0;
    if (!dlopen_off) {
        snprintf(why, cap, "cannot find dlopen in process %d", (int)pid);
        return -1;
    }
    uint64_t dlopen_at = libc_map - libc_first + dlopen_off;
    if (ptrace(PTRACE_SEIZE, pid, 0, 0)) {
        snprintf(why, cap, "cannot trace process %d: %s", (int)pid, strerror(errno));
        return -1;
    }
    struct user_regs_struct saved;
    int st, safe = 0;
    for (int tries = 0; tries < 1000 && !safe; tries++) {
        if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) || wait_stop(pid, &st)) {
            snprintf(why, cap, "process %d ended", (int)pid);
            return -1;
        }
        if ((st >> 16) != PTRACE_EVENT_STOP) {
            /* a signal of the program's arrived first: deliver it */
            ptrace(PTRACE_CONT, pid, 0, (void *)(long)WSTOPSIG(st));
            continue;
        }
        if (ptrace(PTRACE_GETREGS, pid, 0, &saved)) {
            snprintf(why, cap, "ptrace: %s", strerror(errno));
            ptrace(PTRACE_DETACH, pid, 0, 0);
            return -1;
        }
        long nr = (long)saved.orig_rax;
        safe = nr >= 0 && !unsafe_syscall(nr);
        if (!safe) {
            ptrace(PTRACE_CONT, pid, 0, 0);
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    if (!safe) {
        ptrace(PTRACE_DETACH, pid, 0, 0);
        snprintf(why, cap, "process %d never waited in a system call where loading a library "
                 "is safe (it computes, or allocates, all the time): not attached", (int)pid);
        return -1;
    }
    uint64_t handle = 0, ok = 1;
    int rc = remote_call(pid, &saved, dlopen_at, lib, strlen(lib) + 1, 0,
                         RTLD_NOW_NODELETE, &handle, why, cap);
    if (rc == 0 && !handle) {
        snprintf(why, cap, "dlopen(%s) failed in process %d", lib, (int)pid);
        rc = -1;
    }
    if (rc == 0) {
        uint64_t first = 0, base = find_mapping(pid, "/libmtrace.so", NULL, 0);
        char real[4096];
        uint64_t off = realpath(lib, real) ? elf_symbol(real, "mtrace_attach", &first) : 0;
        if (!base || !off) {
            snprintf(why, cap, "libmtrace.so is loaded but mtrace_attach was not found");
            rc = -1;
        } else {
            rc = remote_call(pid, &saved, base - first + off, settings, len, 0, 0, &ok, why,
                             cap);
            if (rc == 0 && (int)ok != 0) {
                snprintf(why, cap, "libmtrace.so could not start tracing in process %d (see "
                         "its standard error)", (int)pid);
                rc = -1;
            }
        }
    }
    if (rc != -2) {
        ptrace(PTRACE_SETREGS, pid, 0, &saved);
        ptrace(PTRACE_DETACH, pid, 0, 0);
    }
    return rc ? -1 : 0;
#endif
}

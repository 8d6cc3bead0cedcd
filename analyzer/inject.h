/* Loading libmtrace.so into a running process (mtrace-run --pid): inject.c. */
#ifndef MTA_INJECT_H
#define MTA_INJECT_H

#include <stddef.h>
#include <sys/types.h>

/* Why a process cannot be attached to, or NULL if it looks possible:
 * permission (ptrace scope, another user), a static binary, a process
 * already traced or already running libmtrace.so.  why: a message buffer. */
const char *mta_attach_refusal(pid_t pid, char *why, size_t cap);

/* Loads lib into pid and calls its mtrace_attach(settings): settings is an
 * environment block ("NAME=value" strings, an empty one last; len bytes in
 * all).  0 on success; else -1 and a message in why. */
int mta_inject(pid_t pid, const char *lib, const char *settings, size_t len, char *why,
               size_t cap);

/* Reads at most cap - 1 bytes of a small file (/proc) into buf, NUL
 * terminated; the length, or -1 if it cannot be opened. */
int mta_read_small_file(const char *path, char *buf, size_t cap);

/* 1 if pid has a mapping of a file named libmtrace.so. */
int mta_has_mtrace(pid_t pid);

#endif

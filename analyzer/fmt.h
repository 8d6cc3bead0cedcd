/* Words and numbers for people (A0: depends on nothing of the analyzer). */
#ifndef MTA_FMT_H
#define MTA_FMT_H

#include <stddef.h>
#include <stdint.h>

/* "1,234,567" into buf */
const char *mta_commas(char *buf, size_t cap, uint64_t v);
/* "12.5 KiB" into buf */
const char *mta_human_bytes(char *buf, size_t cap, uint64_t v);
/* The path shown to people: relative to the current directory if under it. */
const char *mta_short_path(const char *path);

/* enum mt_end_state: "running", "exit", "exec", ... */
const char *mta_end_state_name(uint32_t state);
/* How a process ended, for a table: "exit 0", "signal 9", "did not finish". */
const char *mta_ended_text(char *buf, size_t cap, uint32_t end_state, int end_code);
/* "SIGTERM" for 15; NULL if the number has no name. */
const char *mta_signal_name(int sig);
/* enum mt_stop_reason: "none", "max_size", "no_space", ... */
const char *mta_stop_reason_name(uint32_t reason);
/* "ENOSPC", or "errno N" into buf */
const char *mta_errno_name(char *buf, size_t cap, int err);
/* Why recording stopped, as words: "no space left on device (ENOSPC)" */
const char *mta_stop_text(char *buf, size_t cap, uint32_t reason, int err);
/* enum mt_source: "unknown", "brk", "arena", "mmap" */
const char *mta_source_name(unsigned source);
/* enum mt_cause: "none", "malloc", "free", ... */
const char *mta_cause_name(unsigned cause);
/* enum mt_map_op: "mmap", "chunk_mmap", ... */
const char *mta_map_op_name(unsigned op);

#endif

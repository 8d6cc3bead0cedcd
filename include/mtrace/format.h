/* mtrace trace file format, version 1.
 *
 * This header is the only thing the preload library (writer) and the analyzer
 * (reader) share.  All integers are little-endian.  docs/trace-format.md is the
 * prose description of the same layout.
 *
 * File layout:
 *   [0, MT_HEADER_SIZE)  struct mt_file_header (zero padded to one page)
 *   [MT_HEADER_SIZE, ..) chunks, back to back, each starting with
 *                        struct mt_chunk_header followed by `used` bytes of
 *                        records.  A chunk belongs to one thread ("stream").
 *
 * Each thread writes records into its own chunk; a chunk is claimed with one
 * compare-and-swap on mt_file_header.data_end (whole pages), or is an empty
 * chunk split off the unused tail of another (any multiple of 8 bytes; see
 * docs/trace-format.md for the layout rules a reader relies on).  Records inside a stream are
 * delta-encoded against the previous record of the same stream (pointer and
 * timestamp), and the delta state resets at every chunk start, so every chunk
 * decodes on its own.
 *
 * Record encoding: one tag byte, then LEB128 varints ("uv" unsigned, "sv"
 * zigzag-signed).  A varint may be padded (0x80 continuation bytes carrying
 * zero bits): the writer pads a length it only knows afterwards to 5 bytes.  dt is the tick delta to the previous record of the chunk
 * (the first record's dt is relative to mt_chunk_header.ticks0).
 */
#ifndef MTRACE_FORMAT_H
#define MTRACE_FORMAT_H

#include <stdint.h>

#define MT_FILE_MAGIC "MTRACE\r\n"   /* 8 bytes, no NUL */
#define MT_FORMAT_VERSION 1u
#define MT_HEADER_SIZE 4096u
#define MT_CHUNK_MAGIC 0x4b43544du     /* "MTCK" */
#define MT_MAX_DEPTH 256u              /* frames in one stack record */

/* mt_file_header.flags */
enum {
    MT_HDR_RING = 1u << 0,     /* flight-recorder mode: chunk area wraps */
    MT_HDR_TICKS_TSC = 1u << 1, /* ticks are the invariant TSC, else ns */
    MT_HDR_DORMANT = 1u << 3,  /* MTRACE_START=off: events are recorded only
                                  inside windows, each opened and closed by a
                                  maps record (MT_MAPS_WINDOW_ON/OFF); the
                                  trace starts outside one */
    MT_HDR_ATTACHED = 1u << 4, /* libmtrace.so was loaded into a running
                                  process (mtrace-run --pid): blocks allocated
                                  before start_realtime_ns are not in the
                                  trace, and their frees count as untracked */
    MT_HDR_COARSE_TICKS = 1u << 2 /* with threads, an allocation's stamp may
                                     be one coarse-clock tick (a few ms) old:
                                     merged by time, it can land before
                                     another thread's free of the block that
                                     was at its address; the reader puts it
                                     back after (frees are stamped exactly) */
};

/* How the traced process ended (mt_file_header.end_state). */
enum mt_end_state {
    MT_END_RUNNING = 0, /* never finalised: killed, crashed, or still running */
    MT_END_EXIT = 1,    /* exit() or return from main; end_code = status */
    MT_END_EXEC = 2,    /* replaced by execve(); end_code unused */
    MT_END_ABORT = 3,   /* abort() */
    MT_END_UNDERSCORE_EXIT = 4, /* _exit()/_Exit(): no atexit handlers ran */
    MT_END_SIGNAL = 5,  /* fatal signal seen by mtrace; end_code = signo */
    MT_END_DETACHED = 6 /* mtrace-run detached; the process ran on untraced:
                           blocks live then are of unknown fate, not leaks */
};

struct mt_file_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;      /* MT_HEADER_SIZE */
    uint32_t chunk_size;       /* default chunk size the writer used */
    uint32_t flags;            /* MT_HDR_* */
    uint64_t pid;
    uint64_t ppid;
    uint64_t start_realtime_ns; /* CLOCK_REALTIME at start */
    uint64_t ticks_start;      /* clock pair at start: ticks ... */
    uint64_t ns_start;         /* ... and CLOCK_MONOTONIC ns */
    uint64_t ticks_end;        /* clock pair at finalisation (0 if none) */
    uint64_t ns_end;
    uint64_t data_end;         /* end of the last claimed chunk (atomic) */
    uint64_t ring_bytes;       /* size of the chunk area in ring mode */
    uint64_t chunk_seq;        /* chunks claimed so far (atomic) */
    uint32_t end_state;        /* enum mt_end_state */
    int32_t end_code;
    uint64_t lost_events;      /* events the writer could not record */
    uint32_t depth;            /* MTRACE_DEPTH in force */
    uint32_t pointer_bits;     /* 64 */
    uint64_t initial_brk;      /* program break when tracing started */
    uint64_t ticks_last;       /* latest clock pair, refreshed at each chunk */
    uint64_t ns_last;          /* claim, for calibrating unfinished traces */
    uint64_t ring_start_ticks; /* ring mode: a chunk was overwritten whose last
                                  record was at this time; every event from
                                  then on is in the file (0: none lost) */
    uint64_t self_allocs;      /* allocations the tracer's own work made
                                  through the program's malloc: 0, or the
                                  heap story is perturbed (atomic) */
    uint32_t stop_reason;      /* enum mt_stop_reason: why recording stopped
                                  early (0: it did not) */
    int32_t stop_errno;        /* errno behind the stop, when there is one */
    uint64_t stop_bytes;       /* trace bytes in use at the stop (the analyzer
                                  counts the events before it) */
    uint64_t reserved[11];
};

/* Why the writer stopped recording before the process ended
 * (mt_file_header.stop_reason).  Every event after the stop is counted in
 * lost_events; the fate of blocks live at the stop is unknown. */
enum mt_stop_reason {
    MT_STOP_NONE = 0,
    MT_STOP_MAX_SIZE = 1,   /* MTRACE_MAX_SIZE reached */
    MT_STOP_NO_SPACE = 2,   /* the file system refused to grow the file
                               (ENOSPC, EDQUOT, EFBIG: stop_errno) */
    MT_STOP_FD_LOST = 3,    /* the program closed or replaced the trace's
                               file descriptor behind mtrace's back */
    MT_STOP_SECCOMP = 4,    /* the program installed a seccomp filter */
    MT_STOP_IO_ERROR = 5    /* another error growing the file (stop_errno) */
};

struct mt_chunk_header {
    uint32_t magic;   /* MT_CHUNK_MAGIC */
    uint32_t size;    /* bytes of the chunk including this header */
    uint64_t seq;     /* claim order, from mt_file_header.chunk_seq */
    uint32_t tid;     /* kernel thread id of the writing thread */
    uint32_t used;    /* committed record bytes after the header */
    uint64_t ticks0;  /* timestamp base of the first record */
};

/* Record tags.  Allocation tags carry the allocating function. */
enum mt_tag {
    MT_TAG_PAD = 0,      /* ignore the rest of the chunk */
    MT_TAG_STACK = 1,    /* uv id, uv depth, depth x sv (frame - prev frame) */
    MT_TAG_FREE = 2,     /* sv dt, sv (ptr - prev ptr) */
    MT_TAG_REALLOC = 3,  /* sv dt, sv (old - prev ptr), sv (new - old),
                            uv (size << 2 | source), uv stack */
    MT_TAG_INFO = 4,     /* uv info kind, uv len, len bytes: see mt_info */
    MT_TAG_MODULE = 5,   /* uv start, uv end, uv load bias, uv idlen, id,
                            uv pathlen, path: a loaded ELF object */
    MT_TAG_BRK = 6,      /* sv dt, uv old break, uv new break, uv cause,
                            uv stack: the program break moved */
    MT_TAG_MAP = 7,      /* sv dt, uv op, uv addr, uv len, uv new addr,
                            uv new len, uv prot, uv flags, uv cause,
                            uv stack, uv pathlen, path */
    MT_TAG_MAPS = 8,     /* sv dt, uv reason, uv len, text of
                            /proc/self/maps (or smaps at exit) */
    MT_TAG_SETTING = 9,  /* sv dt, sv param, sv value: a successful mallopt() */
    MT_TAG_SCAN = 10,    /* sv dt, uv what (enum mt_scan_what), uv len, len
                            bytes: the reachability scan at exit */
    MT_TAG_SCAN_WORDS = 11, /* sv dt, uv 0, uv len, len bytes: pointer-like
                               words the scan found, pairs of uv ((location -
                               previous location) / 8), sv (value - previous
                               value); both previous start at 0 per record */
    MT_TAG_STACK_CUT = 12, /* as MT_TAG_STACK, for a stack cut at the depth
                            limit (mt_file_header.depth): the program's stack
                            had more frames than were recorded.  A stack
                            ends at the program's outermost frame: libmtrace's
                            own frames (its main wrapper) and libc's start-up
                            frames outward of them are never recorded.
                            Readers before this tag reject such traces. */
    MT_TAG_ALLOC = 16    /* 16 + enum mt_alloc_kind: sv dt, sv (ptr - prev),
                            uv (size << 2 | source), uv stack */
};

enum mt_alloc_kind {
    MT_KIND_MALLOC = 0,
    MT_KIND_CALLOC = 1,
    MT_KIND_REALLOCARRAY = 2, /* recorded as MT_TAG_REALLOC with this note */
    MT_KIND_POSIX_MEMALIGN = 3,
    MT_KIND_ALIGNED_ALLOC = 4,
    MT_KIND_MEMALIGN = 5,
    MT_KIND_VALLOC = 6,
    MT_KIND_PVALLOC = 7,
    MT_KIND_COUNT = 8
};

/* Where glibc served a block from (low two bits of the size field). */
enum mt_source {
    MT_SRC_UNKNOWN = 0,
    MT_SRC_BRK = 1,    /* main arena: the brk heap */
    MT_SRC_ARENA = 2,  /* a thread arena's mmap'd heap */
    MT_SRC_MMAP = 3    /* a dedicated mmap chunk */
};

/* MT_TAG_INFO kinds: free-form, length-prefixed payloads. */
enum mt_info {
    MT_INFO_CMDLINE = 1,  /* argv joined by NUL bytes */
    MT_INFO_EXE = 2,      /* readlink(/proc/self/exe) */
    MT_INFO_TUNABLES = 3, /* "NAME=value\n" lines of malloc settings */
    MT_INFO_THREAD = 4,   /* thread name */
    MT_INFO_OWN_MEMORY = 5, /* "START-END\n" lines, hex: the tracer's own anonymous
                              mappings (tables, thread states), written with
                              the exit snapshot */
    MT_INFO_FOREIGN_ALLOCATOR = 8, /* path of the object whose malloc the program
                              calls, when it is not libmtrace.so's (another
                              allocator preloaded first, or the program's
                              own): allocations are not traced */
    MT_INFO_SUPPRESSIONS = 9 /* what the program's __lsan_default_suppressions()
                              returned (LeakSanitizer syntax), at exit */
};

/* MT_TAG_SCAN what.  The scan at exit writes its MT_TAG_SCAN_WORDS records,
 * then MT_SCAN_RANGES records, then one MT_SCAN_END: without the END the
 * scan did not complete and nothing may be concluded from it. */
enum mt_scan_what {
    MT_SCAN_RANGES = 1, /* ranges: uv (start - previous end), uv length,
                           uv class (enum mt_scan_class); previous end
                           starts at 0 per record */
    MT_SCAN_END = 2     /* uv version (1), uv pairs, uv words scanned,
                           uv ns spent, uv stack pointer of the scanning
                           thread */
};

/* What a range of the address space was to the scan. */
enum mt_scan_class {
    MT_SCAN_ROOT = 1,    /* scanned; a word outside live blocks is a root
                            (writable module segments, anonymous memory,
                            other threads' whole stack mappings) */
    MT_SCAN_STACK = 2,   /* the exiting thread's stack from its stack pointer
                            (registers saved there): scanned, a root */
    MT_SCAN_HEAP = 3,    /* malloc's heaps (brk heap, thread-arena heaps):
                            scanned; a word outside live blocks is malloc's
                            own (free chunks, metadata) and ignored */
    MT_SCAN_OWN = 4,     /* the tracer's own memory: not scanned */
    MT_SCAN_SKIPPED = 5  /* not scanned: shared or device mappings, the
                            exiting thread's stack below its pointer,
                            unreadable pages */
};

/* MT_TAG_MAP op */
enum mt_map_op {
    MT_MAP_MMAP = 1,     /* application called mmap */
    MT_MAP_MUNMAP = 2,   /* application called munmap */
    MT_MAP_MREMAP = 3,   /* application called mremap */
    MT_MAP_MPROTECT = 4,
    MT_MAP_CHUNK_MMAP = 5,   /* malloc made a dedicated mmap for a block */
    MT_MAP_CHUNK_MUNMAP = 6, /* free released a dedicated mmap chunk */
    MT_MAP_CHUNK_MREMAP = 7, /* realloc resized a dedicated mmap chunk */
    MT_MAP_ARENA_HEAP = 8    /* a thread-arena heap, first seen: addr = base,
                                len = reserved (HEAP_MAX), new len = the
                                writable bytes then */
};

/* MT_TAG_BRK / MT_TAG_MAP cause: which call made the change. */
enum mt_cause {
    MT_CAUSE_NONE = 0,
    MT_CAUSE_MALLOC = 1,
    MT_CAUSE_FREE = 2,
    MT_CAUSE_REALLOC = 3,
    MT_CAUSE_APP = 4,      /* the application's own brk/sbrk/mmap call */
    MT_CAUSE_STARTUP = 5   /* before tracing began (loader, libc start-up) */
};

/* MT_TAG_MAPS reason */
enum mt_maps_reason {
    MT_MAPS_START = 1,
    MT_MAPS_EXIT = 2,      /* when main returns or exit() is called (else in
                              the last exit handler); then 6 */
    MT_MAPS_DLOPEN = 3,
    MT_MAPS_DLCLOSE = 4,
    MT_MAPS_MAPPING = 5,
    MT_MAPS_SMAPS_EXIT = 6,
    MT_MAPS_WINDOW_ON = 7,  /* a tracing window opens (MT_HDR_DORMANT): the
                               events from here are recorded */
    MT_MAPS_WINDOW_OFF = 8  /* the window closes: nothing is recorded until
                               the next one, so blocks live here have an
                               unknown fate (their frees go unseen) */
};

#endif

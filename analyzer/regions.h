/* The regions of a /proc/PID/maps or smaps snapshot, and what each one is
 * as far as the snapshot itself and the trace's process facts tell
 * (the executable, the loader, a library, the stack, mtrace's own file...).
 * The reports add what the heap model knows (live blocks, arenas). */
#ifndef MTA_REGIONS_H
#define MTA_REGIONS_H

#include <stddef.h>
#include <stdint.h>

struct mta_region {
    uint64_t start, end, offset, inode;
    char perms[5];
    char dev[16];
    const char *name;     /* points into the owned text copy; "" if none */
    size_t name_len;
    uint64_t rss_kb, pss_kb, anon_kb, swap_kb;
    int have_smaps;
};

struct mta_regions {
    struct mta_region *v;
    size_t n;
    char *text;           /* owned copy, NUL at line ends */
};

/* Parses maps or smaps text (smaps: a header line, then "Key: N kB" lines).
 * NULL text gives no regions.  0, or -1 out of memory. */
int mta_regions_parse(const char *text, struct mta_regions *out);
void mta_regions_free(struct mta_regions *rs);
/* The region holding addr, or NULL (regions are sorted, as /proc lists them). */
const struct mta_region *mta_regions_find(const struct mta_regions *rs, uint64_t addr);
/* 1 if the region's name is exactly s. */
int mta_region_named(const struct mta_region *r, const char *s);

/* What region i is, from names alone: "executable", "dynamic loader",
 * "shared library", "mtrace (the tracer)", "main thread stack", "brk heap",
 * "vdso", "vvar", "vsyscall", "mtrace trace file", "mtrace reserved space",
 * "mtrace's own memory" (the shim's mappings, named "[anon:mtrace]"),
 * "bss of the preceding object" (anonymous, right after an object's writable
 * mapping), "file", "anonymous" (exe: the traced program's path, may be NULL). */
const char *mta_region_kind(const struct mta_regions *rs, size_t i, const char *exe);

/* Bytes of [start, end) inside the tracer's own mappings, given as the
 * "START-END\n" lines of the trace's own_memory info (NULL: none known). */
uint64_t mta_own_bytes(const char *own_memory, uint64_t start, uint64_t end);

#endif

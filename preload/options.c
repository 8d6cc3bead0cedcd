#include "options.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

struct mt_options mt_opt;

enum opt_type { OPT_STRING, OPT_UINT, OPT_SIZE, OPT_BOOL };

struct option_def {
    const char *name;
    enum opt_type type;
    const char *def;  /* default, in the same syntax as the environment */
    uint64_t min, max;
    void *field;
    int width;        /* 4 or 8 for integers */
    const char *help;
};

#define U32(f) &mt_opt.f, 4
#define U64(f) &mt_opt.f, 8

/* The one place that lists what a user can set.  README.md documents it. */
static const struct option_def options[] = {
    {"MTRACE_OUT", OPT_STRING, NULL, 0, 0, &mt_opt.out, 0,
     "trace path; %p is the pid, %e the program name (default mtrace.%e.%p.trace)"},
    {"MTRACE_DEPTH", OPT_UINT, "64", 1, 256, U32(depth),
     "frames recorded per allocation"},
    {"MTRACE_QUIET", OPT_BOOL, "0", 0, 1, U32(quiet), "silence the shim's messages"},
    {"MTRACE_CHUNK", OPT_SIZE, "64K", 4096, 64u << 20, U64(chunk_bytes),
     "largest trace chunk a thread claims at a time (whole pages)"},
    {"MTRACE_RING", OPT_SIZE, "0", 0, 1ull << 40, U64(ring_bytes),
     "flight recorder: keep only the newest SIZE bytes of events (0 = off)"},
    {"MTRACE_MAX_SIZE", OPT_SIZE, "16G", 1u << 20, 1ull << 44, U64(max_bytes),
     "largest trace file (at least 1M; rounded down to whole pages); events past it "
     "are counted as lost"},
    {"MTRACE_MAPS_ON_MMAP", OPT_BOOL, "1", 0, 1, U32(maps_on_mmap),
     "snapshot /proc/self/maps after the program's own mmap/munmap/mremap"},
    {"MTRACE_UNWIND", OPT_UINT, "0", 0, 1, U32(unwind),
     "0: frame pointers validated against DWARF, 1: DWARF (libunwind) only"},
    {"MTRACE_LEAK_CHECK", OPT_BOOL, "1", 0, 1, U32(leak_check),
     "scan memory at exit so the report can tell lost blocks from reachable ones"},
    {"MTRACE_START", OPT_BOOL, "1", 0, 1, U32(start),
     "off: start dormant (calls pass through) until mtrace-run --start PID opens a window"},
    {"MTRACE_SIGNAL", OPT_UINT, "0", 0, 64, U32(signal),
     "the real-time signal mtrace-run --start/--stop send (0: SIGRTMAX-2)"},
};

/* The environment as the kernel gave it (/proc/self/environ), for a start
 * so early that libc has not set `environ` yet (a .preinit_array function
 * or an earlier library's constructor allocated).  Kept for good: option
 * strings point into it. */
static const char *early_env;
static size_t early_env_len;

static void load_early_env(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/environ", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t cap = 1u << 20;
    char *buf = mt_os_alloc(cap);
    size_t n = 0;
    ssize_t r;
    while (buf && n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    syscall(SYS_close, fd);
    if (buf) {
        buf[n] = '\0';
        early_env = buf;
        early_env_len = n;
    }
}

/* mt_options_load_from: the block given instead of the environment. */
static const char *given_env;

static const char *env_get(const char *name)
{
    extern char **environ;
    if (given_env) {
        size_t len = strlen(name);
        for (const char *e = given_env; *e; e += strlen(e) + 1)
            if (!strncmp(e, name, len) && e[len] == '=')
                return e + len + 1;
        return NULL;
    }
    if (environ)
        return getenv(name);
    size_t len = strlen(name);
    for (size_t i = 0; i < early_env_len; i += strlen(early_env + i) + 1)
        if (!strncmp(early_env + i, name, len) && early_env[i + len] == '=')
            return early_env + i + len + 1;
    return NULL;
}

static int parse_size(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    unsigned shift = 0;
    switch (*s) {
    case 'k': case 'K': shift = 10; s++; break;
    case 'm': case 'M': shift = 20; s++; break;
    case 'g': case 'G': shift = 30; s++; break;
    default: break;
    }
    if (*s == 'i' || *s == 'I')
        s++;
    if (*s == 'b' || *s == 'B')
        s++;
    if (*s)
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

static int parse_value(const struct option_def *o, const char *s, uint64_t *v)
{
    if (o->type == OPT_SIZE)
        return parse_size(s, v);
    if (o->type == OPT_BOOL) {
        if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on"))
            *v = 1;
        else if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off"))
            *v = 0;
        else
            return -1;
        return 0;
    }
    /* OPT_UINT: digits only, no suffix */
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return parse_size(s, v);
}

static void store(const struct option_def *o, uint64_t v)
{
    if (o->width == 4)
        *(uint32_t *)o->field = (uint32_t)v;
    else
        *(uint64_t *)o->field = v;
}

/* A value as it may be shown in a one-line warning: printable, short. */
static const char *printable(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 4 < cap; s++)
        buf[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (*s && n + 4 <= cap) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

void mt_options_load_from(const char *block)
{
    given_env = block;
    mt_options_load();
}

void mt_options_load(void)
{
    extern char **environ;
    if (!environ && !given_env)
        load_early_env();
    /* Quiet first, so that warnings about the other options obey it (a bad
     * MTRACE_QUIET value itself is reported, with quiet off). */
    uint64_t q = 0;
    const char *qs = env_get("MTRACE_QUIET");
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (!strcmp(options[i].name, "MTRACE_QUIET"))
            mt_opt.quiet = qs && *qs && parse_value(&options[i], qs, &q) == 0 && q;

    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        const struct option_def *o = &options[i];
        const char *env = env_get(o->name);
        if (o->type == OPT_STRING) {
            *(const char **)o->field = (env && *env) ? env : o->def;
            continue;
        }
        uint64_t def = 0, v = 0;
        parse_value(o, o->def, &def);
        if (!env || !*env) {
            store(o, def);
            continue;
        }
        if (parse_value(o, env, &v) || v < o->min || v > o->max) {
            char shown[80];
            mt_warn("ignoring %s=%s: expected %s from %llu to %llu (%s); using %s",
                    o->name, printable(env, shown, sizeof shown),
                    o->type == OPT_SIZE ? "a size like 64M"
                    : o->type == OPT_BOOL ? "0 or 1" : "a number",
                    (unsigned long long)o->min, (unsigned long long)o->max, o->help, o->def);
            v = def;
        }
        store(o, v);
    }
    /* Chunks are file pages (mmap offsets, ring slots): a size in between
     * would make every chunk after the first unreadable. */
    if (mt_opt.chunk_bytes % 4096) {
        uint64_t up = (mt_opt.chunk_bytes + 4095) & ~(uint64_t)4095;
        mt_warn("MTRACE_CHUNK=%llu is not a multiple of the page size (4096); using %llu",
                (unsigned long long)mt_opt.chunk_bytes, (unsigned long long)up);
        mt_opt.chunk_bytes = up;
    }
    mt_opt.max_bytes &= ~(uint64_t)4095;
}

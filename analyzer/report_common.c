#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "xalloc.h"

const char *mta_end_state_name(uint32_t s)
{
    switch (s) {
    case MT_END_RUNNING: return "running";
    case MT_END_EXIT: return "exit";
    case MT_END_EXEC: return "exec";
    case MT_END_ABORT: return "abort";
    case MT_END_UNDERSCORE_EXIT: return "_exit";
    case MT_END_SIGNAL: return "signal";
    default: return "unknown";
    }
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

int mta_frame_is_outside(const struct mta_frame *f)
{
    static const char *const startup[] = {
        "__libc_start_call_main", "__libc_start_main", "__libc_start_main_impl",
        "__libc_start_main_alias_2", "_start", "start_thread", "clone", "clone3", NULL};
    if (f->module) {
        const char *base = strrchr(f->module, '/');
        base = base ? base + 1 : f->module;
        if (!strncmp(base, "libmtrace.so", 12))
            return 1;
    }
    if (f->function)
        for (unsigned i = 0; startup[i]; i++)
            if (!strcmp(f->function, startup[i]))
                return 1;
    return 0;
}

unsigned mta_stack_frames_end(struct mta_symbolizer *sym, const struct mta_model *m,
                              uint32_t stack, const struct mta_report_opts *opts,
                              struct mta_frame *out, unsigned max, struct mta_stack_end *end)
{
    if (end) {
        end->more = 0;
        end->cut = 0;
        end->depth = m->info.depth;
    }
    if (stack == 0 || stack >= m->stacks.n)
        return 0;
    const struct mta_stack *st = &m->stacks.v[stack];
    unsigned n = 0;
    int outermost = 0; /* reached main or the program's outermost frame */
    for (unsigned i = 0; i < st->n && n < max && !outermost; i++) {
        struct mta_frame tmp[16];
        unsigned k = mta_sym_resolve(sym, st->frames[i], 1, tmp, 16);
        int is_main = 0;
        for (unsigned j = 0; j < k && n < max; j++) {
            if (mta_frame_is_outside(&tmp[j])) {
                outermost = 1;
                break;
            }
            out[n++] = tmp[j];
            if (tmp[j].function && !strcmp(tmp[j].function, "main"))
                is_main = 1;
        }
        if (is_main && !opts->all_frames)
            outermost = 1;
    }
    if (end)
        end->cut = st->cut && !outermost;
    if (opts->max_frames && n > opts->max_frames) {
        if (end)
            end->more = n - opts->max_frames;
        n = opts->max_frames;
    }
    return n;
}

unsigned mta_stack_frames(struct mta_symbolizer *sym, const struct mta_model *m,
                          uint32_t stack, const struct mta_report_opts *opts,
                          struct mta_frame *out, unsigned max)
{
    return mta_stack_frames_end(sym, m, stack, opts, out, max, NULL);
}

/* A listed stack's frames, one a line, and how it ends (cut, more frames). */
void mta_print_stack(FILE *out, struct mta_symbolizer *sym, const struct mta_model *m,
                     uint32_t stack, const struct mta_report_opts *o)
{
    struct mta_frame frames[MT_MAX_DEPTH * 2];
    struct mta_stack_end end;
    unsigned k = mta_stack_frames_end(sym, m, stack, o, frames,
                                      sizeof frames / sizeof frames[0], &end);
    if (!k)
        fprintf(out, "      (no stack recorded)\n");
    for (unsigned j = 0; j < k; j++)
        mta_print_frame(out, &frames[j], o);
    mta_print_stack_end(out, &end, "      ");
}

void mta_print_stack_end(FILE *out, const struct mta_stack_end *end, const char *indent)
{
    if (end->more)
        fprintf(out, "%s... %u more frame%s (--frames 0 shows all)%s\n", indent, end->more,
                end->more == 1 ? "" : "s", end->cut ? "," : "");
    if (end->cut) {
        if (end->depth)
            fprintf(out, "%s(stack cut at MTRACE_DEPTH=%u: the program had more frames)\n",
                    indent, end->depth);
        else
            fprintf(out, "%s(stack cut at the depth limit: the program had more frames)\n",
                    indent);
    }
}

static const struct mta_model *order_model;
static int order_unknown; /* rank by unknown_* instead of leak_* */

static int by_leak_bytes(const void *a, const void *b)
{
    const struct mta_site *x = &order_model->sites[*(const uint32_t *)a];
    const struct mta_site *y = &order_model->sites[*(const uint32_t *)b];
    uint64_t xb = order_unknown ? x->unknown_bytes : x->leak_bytes;
    uint64_t yb = order_unknown ? y->unknown_bytes : y->leak_bytes;
    uint64_t xn = order_unknown ? x->unknown_blocks : x->leak_blocks;
    uint64_t yn = order_unknown ? y->unknown_blocks : y->leak_blocks;
    if (xb != yb)
        return xb > yb ? -1 : 1;
    if (xn != yn)
        return xn > yn ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static uint32_t *site_order(const struct mta_model *m, int unknown, size_t *count)
{
    size_t n = 0;
    uint32_t *v = mta_xmalloc((m->stacks.n + 1) * sizeof *v);
    for (size_t i = 0; i < m->stacks.n && i < m->sites_cap; i++)
        if (unknown ? m->sites[i].unknown_blocks : m->sites[i].leak_blocks)
            v[n++] = (uint32_t)i;
    order_model = m;
    order_unknown = unknown;
    qsort(v, n, sizeof *v, by_leak_bytes);
    *count = n;
    return v;
}

uint32_t *mta_leak_order(const struct mta_model *m, size_t *count)
{
    return site_order(m, 0, count);
}

uint32_t *mta_unknown_order(const struct mta_model *m, size_t *count)
{
    return site_order(m, 1, count);
}

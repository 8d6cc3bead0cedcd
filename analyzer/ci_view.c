/* The CI view (ci_view.h): each process's totals, its leak findings with
 * copied frames, and its verdict under the gates. */
#include <stdlib.h>
#include <string.h>

#include "ci_view.h"
#include "model.h"
#include "report.h"
#include "view_gate.h"
#include "utf8.h"
#include "xalloc.h"

static const char *const rule_ids[] = {"mtrace/definite-leak", "mtrace/indirect-leak",
                                       "mtrace/possible-leak", "mtrace/still-reachable",
                                       "mtrace/unfreed", "mtrace/max-peak"};

const char *mta_ci_rule_id(unsigned cls)
{
    return cls <= MTA_CI_RULE_MAX_PEAK ? rule_ids[cls] : "mtrace/unknown";
}

const char *mta_ci_class_words(unsigned cls)
{
    return cls == MTA_CI_UNFREED ? "unfreed (no leak verdict)" : mta_leak_class_name(cls);
}

const char *mta_ci_rel_path(const char *file, int *relative)
{
    const char *s = mta_short_path(file);
    *relative = s && s != file;
    return s;
}

static unsigned kinds_of(const struct mta_report_opts *o)
{
    return o->leak_kinds ? o->leak_kinds
                         : (1u << MTA_LEAK_DEFINITE) | (1u << MTA_LEAK_INDIRECT);
}

static int under(const char *path, const char *dir)
{
    return !strncmp(path, dir, strlen(dir));
}

/* Installed system code: libc, libstdc++, their headers inlined into the
 * program (std::vector's allocator), the compiler's runtime. */
static int is_system_path(const char *p)
{
    static const char *const dirs[] = {"/lib/", "/lib32/", "/lib64/", "/usr/lib/",
                                       "/usr/lib32/", "/usr/lib64/", "/usr/libexec/",
                                       "/usr/include/", "/usr/src/", NULL};
    for (unsigned i = 0; dirs[i]; i++)
        if (under(p, dirs[i]))
            return 1;
    return 0;
}

/* A frame of the program's own code with a source line: where a CI system
 * should point.  Not the tracer, not system libraries or headers, and not
 * a relative file name (glibc's "./malloc/malloc.c" from its debug info). */
static int is_own_code(const struct mta_frame *f)
{
    if (!f->file || f->line <= 0 || f->file[0] != '/' || is_system_path(f->file))
        return 0;
    return !f->module || !is_system_path(f->module);
}

static void copy_frame(struct mta_ci_frame *to, const struct mta_frame *f)
{
    to->function = mta_utf8_clean(f->function);
    to->file = mta_utf8_clean(f->file);
    to->module = mta_utf8_clean(f->module);
    to->line = f->line > 0 ? f->line : 0;
    to->address = f->address;
}

static void free_frame(struct mta_ci_frame *f)
{
    free(f->function);
    free(f->file);
    free(f->module);
}

/* FNV-1a, 64 bits: the same stack and class hash alike in every run (no
 * addresses, which move with ASLR and rebuilds). */
static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static void add_finding(struct mta_ci_proc *p, struct mta_symbolizer *sym,
                        const struct mta_model *m, uint32_t site, unsigned cls,
                        const struct mta_report_opts *o, struct mta_frame *buf, unsigned cap)
{
    const struct mta_site *s = &m->sites[site];
    unsigned model_cls = cls == MTA_CI_UNFREED ? MTA_LEAK_UNSCANNED : cls;
    struct mta_ci_finding *f = &p->findings[p->nfindings++];
    memset(f, 0, sizeof *f);
    f->cls = cls;
    f->bytes = s->cls_bytes[model_cls];
    f->blocks = s->cls_blocks[model_cls];
    f->suppressed = s->supp_blocks[model_cls] > 0;
    f->counted = !p->why_inconclusive && !f->suppressed && cls != MTA_CI_UNFREED &&
                 (kinds_of(o) & (1u << cls));
    /* every frame for the location and the fingerprint; --frames for display */
    struct mta_report_opts all = *o;
    all.max_frames = 0;
    unsigned k = mta_stack_frames(sym, m, site, &all, buf, cap);
    unsigned shown = o->max_frames && k > o->max_frames ? o->max_frames : k;
    f->frames = mta_xcalloc(shown ? shown : 1, sizeof *f->frames);
    f->nframes = shown;
    f->more_frames = k - shown;
    for (unsigned i = 0; i < shown; i++)
        copy_frame(&f->frames[i], &buf[i]);
    f->loc = -1;
    for (unsigned i = 0; i < k && f->loc < 0; i++)
        if (is_own_code(&buf[i]))
            f->loc = (int)i;
    for (unsigned i = 0; i < k && f->loc < 0; i++)
        if (buf[i].file && buf[i].line > 0)
            f->loc = (int)i;
    if (f->loc >= 0)
        copy_frame(&f->where, &buf[f->loc]);
    uint64_t h = fnv(0xcbf29ce484222325ull, mta_ci_rule_id(cls));
    for (unsigned i = 0; i < k; i++)
        h = fnv(fnv(h, "\n"), buf[i].function ? buf[i].function : "?");
    f->fingerprint = h;
}

/* The findings of one class: its stacks, most bytes first, --top of them. */
static void add_class(struct mta_ci_proc *p, struct mta_symbolizer *sym,
                      const struct mta_model *m, unsigned cls, const struct mta_report_opts *o,
                      struct mta_frame *buf, unsigned cap)
{
    size_t n;
    unsigned rank_cls = cls == MTA_CI_UNFREED ? MTA_LEAK_UNSCANNED : cls;
    uint32_t *order = mta_sites_ranked(m, (enum mta_cost)(MTA_COST_CLASS + rank_cls), &n);
    size_t take = o->top && n > o->top ? o->top : n;
    p->omitted[cls] = n - take;
    p->findings = mta_xreallocarray(p->findings, p->nfindings + take + 1, sizeof *p->findings);
    for (size_t i = 0; i < take; i++)
        add_finding(p, sym, m, order[i], cls, o, buf, cap);
    free(order);
}

static struct mta_ci_proc *new_proc(struct mta_ci_run *ci, const char *trace)
{
    if (ci->n == ci->cap) {
        ci->cap = ci->cap ? ci->cap * 2 : 8;
        ci->procs = mta_xreallocarray(ci->procs, ci->cap, sizeof *ci->procs);
    }
    struct mta_ci_proc *p = &ci->procs[ci->n++];
    memset(p, 0, sizeof *p);
    p->trace = mta_utf8_clean(trace);
    return p;
}

void mta_ci_add_error(struct mta_ci_run *ci, const char *trace, int status, const char *msg)
{
    struct mta_ci_proc *p = new_proc(ci, trace);
    p->status = status;
    p->error = mta_utf8_clean(msg ? msg : "cannot read the trace");
    p->image = mta_xstrdup("?");
}

void mta_ci_add_model(struct mta_ci_run *ci, const struct mta_model *m,
                      struct mta_symbolizer *sym, const struct mta_report_opts *o,
                      const char *trace)
{
    struct mta_ci_proc *p = new_proc(ci, trace);
    const struct mta_trace_info *in = &m->info;
    p->pid = in->pid;
    p->ppid = in->ppid;
    p->start_ns = in->start_realtime_ns;
    p->exe = mta_utf8_clean(in->exe);
    p->cmdline = mta_utf8_clean(in->cmdline);
    const char *base = in->exe && *in->exe ? strrchr(in->exe, '/') : NULL;
    p->image = mta_utf8_clean(base ? base + 1 : in->exe && *in->exe ? in->exe
                              : in->cmdline && *in->cmdline ? in->cmdline : "?");
    p->end_state = in->end_state;
    p->end_code = in->end_code;
    p->exec = in->end_state == MT_END_EXEC;
    /* as the run report judges a process (view_run.c) */
    const char *why = p->exec ? NULL
                      : in->foreign_allocator ? "another allocator served malloc"
                      : m->unfreed_blocks ? m->leak_inconclusive : NULL;
    p->why_inconclusive = mta_utf8_clean(why);
    p->peak_bytes = m->peak_bytes;
    p->unfreed_bytes = m->unfreed_bytes;
    p->unfreed_blocks = m->unfreed_blocks;
    for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++) {
        p->cls_bytes[c] = m->cls_bytes[c];
        p->cls_blocks[c] = m->cls_blocks[c];
    }
    p->lost_bytes = mta_process_leaked_bytes(m);
    p->lost_blocks = p->exec ? 0 : m->leaked_blocks;
    p->suppressed_bytes = m->suppressed_bytes;
    p->suppressed_blocks = m->suppressed_blocks;
    p->gate_bytes = why ? 0 : mta_gate_bytes(m, o);
    if (p->exec || m->fate_unknown || in->foreign_allocator)
        return; /* released by exec; blocks of unknown fate; nothing traced */

    struct mta_symbolizer *own = NULL;
    if (!sym) {
        own = sym = mta_sym_new();
        if (!sym)
            mta_out_of_memory("symbolising for the CI reports");
        mta_sym_short_templates(sym, o->short_templates);
        for (size_t i = 0; i < m->n_modules; i++)
            mta_sym_add_module(sym, &m->modules[i]);
    }
    unsigned cap = MT_MAX_DEPTH * 2;
    struct mta_frame *buf = mta_xmalloc(cap * sizeof *buf);
    if (m->leak_inconclusive) {
        add_class(p, sym, m, MTA_CI_UNFREED, o, buf, cap);
    } else {
        for (unsigned c = MTA_LEAK_DEFINITE; c <= MTA_LEAK_REACHABLE; c++)
            if (c != MTA_LEAK_REACHABLE || (kinds_of(o) & (1u << c)))
                add_class(p, sym, m, c, o, buf, cap);
    }
    free(buf);
    mta_sym_free(own);
}

/* The last image of its pid ended in exec: the next one was not traced. */
static int untraced_exec(const struct mta_ci_run *ci, size_t i)
{
    const struct mta_ci_proc *p = &ci->procs[i];
    if (p->error || !p->exec)
        return 0;
    for (size_t j = 0; j < ci->n; j++) {
        const struct mta_ci_proc *q = &ci->procs[j];
        if (j != i && !q->error && q->pid == p->pid && q->start_ns >= p->start_ns &&
            (q->start_ns > p->start_ns || j > i))
            return 0;
    }
    return 1;
}

void mta_ci_judge(struct mta_ci_run *ci, long long fail_over, const struct mta_report_opts *o)
{
    ci->gate_given = fail_over >= 0;
    ci->limit = fail_over >= 0 ? fail_over : 0;
    ci->leak_kinds = kinds_of(o);
    ci->max_peak_set = o->max_peak_set;
    ci->max_peak = o->max_peak;
    ci->gate_sum = 0;
    ci->failed = ci->inconclusive = ci->unreadable = 0;
    for (size_t i = 0; i < ci->n; i++) {
        struct mta_ci_proc *p = &ci->procs[i];
        if (ci->is_run && !p->why_inconclusive && untraced_exec(ci, i))
            p->why_inconclusive = mta_xstrdup("it exec'd a program that was not traced "
                                              "(statically linked, setuid, or LD_PRELOAD "
                                              "removed): its leaks are unknown");
        if (!p->error && !p->why_inconclusive)
            ci->gate_sum = mta_sat_sum(ci->gate_sum, p->gate_bytes);
    }
    for (size_t i = 0; i < ci->n; i++) {
        struct mta_ci_proc *p = &ci->procs[i];
        if (p->error) {
            p->verdict = MTA_CI_UNREADABLE;
            ci->unreadable++;
            continue;
        }
        /* the gate sums the processes: each that adds to a failed sum fails */
        p->leak_fail = !p->why_inconclusive && p->gate_bytes &&
                       ci->gate_sum > (uint64_t)ci->limit;
        p->peak_fail = o->max_peak_set && p->peak_bytes > (uint64_t)o->max_peak;
        for (size_t j = 0; j < p->nfindings; j++)
            p->findings[j].error = p->findings[j].counted && p->leak_fail;
        if (p->leak_fail || p->peak_fail) {
            p->verdict = MTA_CI_FAIL;
            ci->failed++;
        } else if (p->why_inconclusive) {
            p->verdict = MTA_CI_INCONCLUSIVE;
            ci->inconclusive++;
        } else {
            p->verdict = MTA_CI_PASS;
        }
    }
}

void mta_ci_free(struct mta_ci_run *ci)
{
    for (size_t i = 0; i < ci->n; i++) {
        struct mta_ci_proc *p = &ci->procs[i];
        for (size_t j = 0; j < p->nfindings; j++) {
            for (unsigned k = 0; k < p->findings[j].nframes; k++)
                free_frame(&p->findings[j].frames[k]);
            free(p->findings[j].frames);
            free_frame(&p->findings[j].where);
        }
        free(p->findings);
        free(p->trace);
        free(p->error);
        free(p->exe);
        free(p->cmdline);
        free(p->image);
        free(p->why_inconclusive);
    }
    free(ci->procs);
    memset(ci, 0, sizeof *ci);
}

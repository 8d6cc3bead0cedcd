/* The run as plain data (view_run.h): each trace read in turn into a
 * model, reduced to its process's summary and leak stacks, then freed. */
#include <stdlib.h>
#include <string.h>

#include "ci_view.h"
#include "errors.h"
#include "frames.h"
#include "model.h"
#include "suppress.h"
#include "view_gate.h"
#include "view_run.h"
#include "view_sites.h"
#include "xalloc.h"

static char *dup_or_null(const char *s)
{
    return s ? mta_xstrdup(s) : NULL;
}

/* Names from the trace: a hostile one must not drive the terminal. */
static void make_printable(char *s)
{
    for (char *c = s; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

static void read_failed(struct mta_run_proc *p, int rc, const char *msg,
                        const struct mta_report_opts *o)
{
    p->rc = rc;
    p->error = mta_xstrdup(msg);
    if (o->ci)
        mta_ci_add_error(o->ci, p->path, p->rc, msg);
}

/* The leak stacks of m, largest first, with their frames copied. */
static void take_leaks(struct mta_run_proc *p, const struct mta_model *m,
                       const struct mta_report_opts *o)
{
    size_t n;
    uint32_t *order = mta_sites_ranked(m, MTA_COST_LEAKED, &n);
    struct mta_symbolizer *sym = mta_model_symbolizer(m, o);
    p->leaks = mta_xcalloc(n ? n : 1, sizeof *p->leaks);
    struct mta_frame *frames = mta_xmalloc(MT_MAX_DEPTH * 2 * sizeof *frames);
    for (size_t i = 0; i < n; i++) {
        const struct mta_site *s = &m->sites[order[i]];
        struct mta_run_leak *l = &p->leaks[p->nleaks++];
        l->bytes = s->leak_bytes;
        l->blocks = s->leak_blocks;
        l->allocs = s->allocs;
        l->nframes = mta_stack_frames(sym, m, order[i], o, frames, MT_MAX_DEPTH * 2);
        l->key = mta_stack_key(frames, l->nframes);
        if (!l->key)
            mta_out_of_memory("the leaks of a run");
        l->frames = mta_frames_dup(frames, l->nframes);
    }
    free(frames);
    free(order);
    mta_sym_free(sym);
}

static void read_proc(struct mta_run_proc *p, const struct mta_report_opts *o,
                      mta_run_visit *visit, void *ctx)
{
    struct mta_model m;
    struct mta_error err = {{0}, 0};
    if (mta_model_init(&m))
        mta_out_of_memory("a model of a run's trace");
    if (mta_model_load(&m, p->path, &err)) {
        read_failed(p, err.code ? err.code : MTA_EXIT_CORRUPT, err.msg, o);
        mta_model_free(&m);
        return;
    }
    if (o->supp && (err.code = mta_supp_apply(o->supp, &m, o, &err))) {
        read_failed(p, err.code, err.msg, o);
        mta_model_free(&m);
        return;
    }
    if (o->ci)
        mta_ci_add_model(o->ci, &m, NULL, o, p->path);
    const struct mta_trace_info *in = &m.info;
    p->pid = in->pid;
    p->ppid = in->ppid;
    p->start_ns = in->start_realtime_ns;
    p->end_state = in->end_state;
    p->end_code = in->end_code;
    p->exe = dup_or_null(in->exe);
    p->cmdline = dup_or_null(in->cmdline);
    make_printable(p->exe);
    make_printable(p->cmdline);
    p->lost_events = in->lost_events;
    p->peak_bytes = m.peak_bytes;
    p->gate_bytes = mta_gate_bytes(&m, o);
    int exec = in->end_state == MT_END_EXEC;
    p->exec_bytes = exec ? m.unfreed_bytes : 0;
    p->exec_blocks = exec ? m.unfreed_blocks : 0;
    p->leaked_bytes = exec ? 0 : m.leaked_bytes;
    p->leaked_blocks = exec ? 0 : m.leaked_blocks;
    const char *why = exec ? NULL
                      : m.info.foreign_allocator ? "another allocator served malloc"
                      : m.unfreed_blocks ? m.leak_inconclusive : NULL;
    p->inconclusive = dup_or_null(why);
    if (!exec && m.leaked_blocks)
        take_leaks(p, &m, o);
    if (visit)
        visit(ctx, &m, p);
    mta_model_free(&m);
}

const char *mta_run_image_name(const struct mta_run_proc *p)
{
    if (p->exe && *p->exe) {
        const char *s = strrchr(p->exe, '/');
        return s ? s + 1 : p->exe;
    }
    return p->cmdline && *p->cmdline ? p->cmdline : "?";
}

static int by_path(const char *x, const char *y)
{
    size_t lx = strlen(x), ly = strlen(y);
    /* t.1.trace before t.1.trace.1 before t.1.trace.10 */
    if (lx != ly && !strncmp(x, y, lx < ly ? lx : ly))
        return lx < ly ? -1 : 1;
    return strcmp(x, y);
}

static int by_start(const void *a, const void *b)
{
    const struct mta_run_proc *x = a, *y = b;
    if (x->rc != y->rc)
        return x->rc ? 1 : -1;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return by_path(x->path, y->path);
}

/* Is process i the last image of its pid, ended by exec? */
static int untraced_exec(const struct mta_run_proc *v, size_t n, size_t i)
{
    if (v[i].rc || v[i].end_state != MT_END_EXEC)
        return 0;
    for (size_t j = 0; j < n; j++)
        if (j != i && !v[j].rc && v[j].pid == v[i].pid && v[j].start_ns >= v[i].start_ns &&
            (v[j].start_ns > v[i].start_ns || j > i))
            return 0;
    return 1;
}

static int has_pid(const struct mta_run_proc *v, size_t n, uint64_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (!v[i].rc && v[i].pid == pid)
            return 1;
    return 0;
}

/* Depth-first from root: the images of its pid in order, then the
 * processes it forked. */
static void add_rows(struct mta_run *r, char *placed, size_t root, int depth)
{
    const struct mta_run_proc *v = r->procs;
    uint64_t pid = v[root].pid;
    for (size_t i = 0; i < r->n; i++)
        if (!v[i].rc && !placed[i] && v[i].pid == pid) {
            placed[i] = 1;
            r->rows[r->nrows++] = (struct mta_run_row){i, depth};
        }
    for (size_t i = 0; i < r->n; i++)
        if (!v[i].rc && !placed[i] && v[i].ppid == pid && v[i].pid != pid && depth < 64)
            add_rows(r, placed, i, depth + 1);
}

static void make_rows(struct mta_run *r)
{
    char *placed = mta_xcalloc(r->n ? r->n : 1, 1);
    r->rows = mta_xcalloc(r->n ? r->n : 1, sizeof *r->rows);
    for (size_t i = 0; i < r->n; i++)
        if (!r->procs[i].rc && !placed[i] && !has_pid(r->procs, r->n, r->procs[i].ppid))
            add_rows(r, placed, i, 0);
    for (size_t i = 0; i < r->n; i++) /* parent links that form a cycle (pid reuse) */
        if (!r->procs[i].rc && !placed[i])
            add_rows(r, placed, i, 0);
    free(placed);
}

static void merge(struct mta_run *r, const struct mta_run_proc *p)
{
    for (size_t i = 0; i < p->nleaks; i++) {
        const struct mta_run_leak *l = &p->leaks[i];
        struct mta_run_merged *g = NULL;
        for (size_t j = 0; j < r->nmerged && !g; j++)
            if (!strcmp(r->merged[j].first->key, l->key))
                g = &r->merged[j];
        if (!g) {
            r->merged = mta_xreallocarray(r->merged, r->nmerged + 1, sizeof *r->merged);
            g = &r->merged[r->nmerged++];
            memset(g, 0, sizeof *g);
            g->first = l;
        }
        g->bytes += l->bytes;
        g->blocks += l->blocks;
        if (!g->npids || g->pids[g->npids - 1] != p->pid) {
            g->pids = mta_xreallocarray(g->pids, g->npids + 1, sizeof *g->pids);
            g->pids[g->npids++] = p->pid;
        }
    }
}

static int by_merged_bytes(const void *a, const void *b)
{
    const struct mta_run_merged *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return strcmp(x->first->key, y->first->key);
}

void mta_run_make(struct mta_run *r, char **paths, size_t np, const struct mta_report_opts *o,
                  mta_run_visit *visit, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->procs = mta_xcalloc(np ? np : 1, sizeof *r->procs);
    r->n = np;
    for (size_t i = 0; i < np; i++) {
        r->procs[i].path = paths[i];
        read_proc(&r->procs[i], o, visit, ctx);
    }
    qsort(r->procs, np, sizeof *r->procs, by_start);
    for (size_t i = 0; i < np; i++) {
        struct mta_run_proc *p = &r->procs[i];
        if (p->rc) {
            if (p->rc > r->read_rc)
                r->read_rc = p->rc;
            continue;
        }
        r->good++;
        if (p->inconclusive) {
            r->inconclusive++;
        } else {
            r->leaked_bytes += p->leaked_bytes;
            r->leaked_blocks += p->leaked_blocks;
            r->gate_bytes = mta_sat_sum(r->gate_bytes, p->gate_bytes);
        }
        r->leaking += p->leaked_bytes > 0;
        p->untraced_exec = untraced_exec(r->procs, np, i);
        r->untraced |= p->untraced_exec;
        merge(r, p);
    }
    if (r->nmerged)
        qsort(r->merged, r->nmerged, sizeof *r->merged, by_merged_bytes);
    make_rows(r);
}

void mta_run_free(struct mta_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct mta_run_proc *p = &r->procs[i];
        for (size_t j = 0; j < p->nleaks; j++) {
            free(p->leaks[j].key);
            free(p->leaks[j].frames);
        }
        free(p->leaks);
        free(p->exe);
        free(p->cmdline);
        free(p->error);
        free(p->inconclusive);
    }
    for (size_t i = 0; i < r->nmerged; i++)
        free(r->merged[i].pids);
    free(r->merged);
    free(r->rows);
    free(r->procs);
    memset(r, 0, sizeof *r);
}

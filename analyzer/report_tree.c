/* The run report: a process tree of traces (fork children, exec'd images),
 * one line per process and the leaks of each, then the leaks of all
 * processes merged by symbolised stack.  Reads one trace at a time, keeping
 * only each process's summary and leak stacks, so memory grows with the
 * number of processes and leak stacks, not with the traces' sizes. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "json_util.h"
#include "report_tree.h"
#include "view_gate.h"
#include "text_util.h"



struct leak {
    uint64_t bytes, blocks, allocs;
    char *key;     /* symbolised frames, addresses left out (they differ per process) */
    char *text;    /* the frames as the text report prints them */
    json_t *frames;
};

struct proc {
    const char *path;
    int rc;                 /* 0, or the exit status of a trace that could not be read */
    char *error;
    uint64_t pid, ppid, start_ns;
    uint32_t end_state;
    int32_t end_code;
    char *exe, *cmdline;
    uint64_t lost_events;
    char *inconclusive;     /* why its leaks are not known (NULL: a verdict) */
    uint64_t leaked_bytes, leaked_blocks;   /* 0 for an image replaced by exec;
                                               unfreed, unclassified, when
                                               inconclusive */
    uint64_t exec_bytes, exec_blocks;       /* live when the image called exec */
    uint64_t peak_bytes;                    /* peak live heap */
    uint64_t gate_bytes;                    /* what --fail-on-leaks counts */
    struct leak *leaks;
    size_t nleaks;
    int printed;
};

struct merged {
    const struct leak *first;
    uint64_t bytes, blocks;
    uint64_t *pids;
    size_t npids;
};

/* NAME.trace or NAME.trace.N (a later image of the pid), each optionally
 * packed: .zst after it (mtrace-report --pack). */
static int is_trace_name(const char *name)
{
    size_t len = strlen(name);
    if (len > 4 && !strcmp(name + len - 4, ".zst"))
        len -= 4;
    const char *t = strstr(name, ".trace");
    while (t && t + 6 <= name + len) {
        const char *rest = t + 6, *stop = name + len;
        if (rest == stop)
            return 1;
        if (*rest == '.' && rest + 1 < stop) {
            const char *d = rest + 1;
            while (d < stop && *d >= '0' && *d <= '9')
                d++;
            if (d == stop)
                return 1;
        }
        t = strstr(t + 1, ".trace");
    }
    return 0;
}

/* The length of a name without a .zst suffix. */
static size_t unpacked_len(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && !strcmp(s + n - 4, ".zst") ? n - 4 : n;
}

static int by_string(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t lx = unpacked_len(x), ly = unpacked_len(y);
    /* t.1.trace before t.1.trace.1 before t.1.trace.10; packed or not */
    if (lx != ly && !strncmp(x, y, lx < ly ? lx : ly))
        return lx < ly ? -1 : 1;
    int c = strncmp(x, y, lx < ly ? lx : ly);
    return c ? c : strcmp(x, y);
}

/* Drops T.zst where T is there too (a trace packed but kept): sorted, T
 * comes right before T.zst. */
static size_t drop_packed_twins(char **v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && unpacked_len(v[i]) == strlen(v[k - 1]) &&
            !strncmp(v[i], v[k - 1], strlen(v[k - 1])) && strlen(v[i]) != strlen(v[k - 1])) {
            free(v[i]);
            continue;
        }
        v[k++] = v[i];
    }
    return k;
}

static int push(char ***v, size_t *n, size_t *cap, char *s)
{
    if (!s)
        return -1;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv) {
            free(s);
            return -1;
        }
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = s;
    return 0;
}

void mta_run_paths_free(char **paths, size_t np)
{
    for (size_t i = 0; i < np; i++)
        free(paths[i]);
    free(paths);
}

int mta_run_expand(char **inputs, int n, char ***paths, size_t *np, int *is_run,
                   struct mta_error *err)
{
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    *is_run = n > 1;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
            if (push(&v, &cnt, &cap, strdup(inputs[i])))
                goto oom;
            continue;
        }
        *is_run = 1;
        DIR *d = opendir(inputs[i]);
        if (!d) {
            mta_set_error(err, MTA_EXIT_IO, "%s: cannot read the directory: %s", inputs[i],
                          strerror(errno));
            mta_run_paths_free(v, cnt);
            return MTA_EXIT_IO;
        }
        size_t first = cnt;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!is_trace_name(e->d_name))
                continue;
            size_t len = strlen(inputs[i]) + strlen(e->d_name) + 2;
            char *p = malloc(len);
            if (p)
                snprintf(p, len, "%s/%s", inputs[i], e->d_name);
            if (push(&v, &cnt, &cap, p)) {
                closedir(d);
                goto oom;
            }
        }
        closedir(d);
        if (cnt == first) {
            mta_set_error(err, MTA_EXIT_IO,
                          "%s: no trace files in this directory (names ending in .trace or "
                          ".trace.N, packed or not: .zst); give a run directory written "
                          "by mtrace-run or the trace files themselves", inputs[i]);
            mta_run_paths_free(v, cnt);
            return MTA_EXIT_IO;
        }
        qsort(v + first, cnt - first, sizeof *v, by_string);
        cnt = first + drop_packed_twins(v + first, cnt - first);
    }
    *paths = v;
    *np = cnt;
    return 0;
oom:
    mta_run_paths_free(v, cnt);
    mta_set_error(err, MTA_EXIT_INTERNAL, "out of memory listing the traces");
    return MTA_EXIT_INTERNAL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int load_proc(struct proc *p, const struct mta_report_opts *o)
{
    struct mta_model m;
    struct mta_error err = {{0}, 0};
    if (mta_model_init(&m))
        return MTA_EXIT_INTERNAL;
    if (mta_model_load(&m, p->path, &err)) {
        p->rc = err.code ? err.code : MTA_EXIT_CORRUPT;
        p->error = strdup(err.msg);
        if (o->ci)
            mta_ci_add_error(o->ci, p->path, p->rc, err.msg);
        mta_model_free(&m);
        return 0;
    }
    if (o->supp && (err.code = mta_supp_apply(o->supp, &m, o, &err))) {
        p->rc = err.code;
        p->error = strdup(err.msg);
        if (o->ci)
            mta_ci_add_error(o->ci, p->path, p->rc, err.msg);
        mta_model_free(&m);
        return 0;
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
    if ((in->exe && !p->exe) || (in->cmdline && !p->cmdline)) {
        mta_model_free(&m);
        return MTA_EXIT_INTERNAL;
    }
    /* names from the trace: a hostile one must not drive the terminal */
    for (char *c = p->exe; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    for (char *c = p->cmdline; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
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
    if (why && !(p->inconclusive = strdup(why))) {
        mta_model_free(&m);
        return MTA_EXIT_INTERNAL;
    }
    int rc = 0;
    if (!exec && m.leaked_blocks) {
        size_t n;
        uint32_t *order = mta_sites_ranked(&m, MTA_COST_LEAKED, &n);
        struct mta_symbolizer *sym = mta_sym_new();
        if (sym)
            mta_sym_short_templates(sym, o->short_templates);
        p->leaks = calloc(n ? n : 1, sizeof *p->leaks);
        if (!order || !sym || !p->leaks) {
            free(order);
            mta_sym_free(sym);
            mta_model_free(&m);
            return MTA_EXIT_INTERNAL;
        }
        for (size_t i = 0; i < m.n_modules; i++)
            mta_sym_add_module(sym, &m.modules[i]);
        struct mta_frame *frames = malloc(MT_MAX_DEPTH * 2 * sizeof *frames);
        for (size_t i = 0; frames && i < n; i++) {
            const struct mta_site *s = &m.sites[order[i]];
            struct leak *l = &p->leaks[p->nleaks++];
            l->bytes = s->leak_bytes;
            l->blocks = s->leak_blocks;
            l->allocs = s->allocs;
            unsigned k = mta_stack_frames(sym, &m, order[i], o, frames, MT_MAX_DEPTH * 2);
            l->key = mta_stack_key(frames, k);
            size_t len = 0;
            FILE *t = open_memstream(&l->text, &len);
            if (t) {
                if (!k)
                    fprintf(t, "      (no stack recorded)\n");
                for (unsigned j = 0; j < k; j++)
                    mta_print_frame(t, &frames[j], o);
                if (fclose(t))
                    l->text = NULL;
            }
            l->frames = mta_json_frames(sym, &m, order[i], o);
            if (!l->key || !l->text || !l->frames)
                rc = MTA_EXIT_INTERNAL;
        }
        if (!frames)
            rc = MTA_EXIT_INTERNAL;
        free(frames);
        free(order);
        mta_sym_free(sym);
    }
    mta_model_free(&m);
    return rc;
}

static const char *image_name(const struct proc *p)
{
    if (p->exe && *p->exe) {
        const char *s = strrchr(p->exe, '/');
        return s ? s + 1 : p->exe;
    }
    return p->cmdline && *p->cmdline ? p->cmdline : "?";
}

static const char *ended(char *buf, size_t cap, const struct proc *p)
{
    switch (p->end_state) {
    case MT_END_EXIT: snprintf(buf, cap, "exit %d", p->end_code); break;
    case MT_END_UNDERSCORE_EXIT: snprintf(buf, cap, "_exit %d", p->end_code); break;
    case MT_END_SIGNAL: snprintf(buf, cap, "signal %d", p->end_code); break;
    case MT_END_RUNNING: snprintf(buf, cap, "did not finish"); break;
    default: snprintf(buf, cap, "%s", mta_end_state_name(p->end_state)); break;
    }
    return buf;
}

/* Is p the last image of its pid, ended by exec?  Then the next image was
 * not traced. */
static int untraced_exec(const struct proc *v, size_t n, size_t i)
{
    if (v[i].rc || v[i].end_state != MT_END_EXEC)
        return 0;
    for (size_t j = 0; j < n; j++)
        if (j != i && !v[j].rc && v[j].pid == v[i].pid && v[j].start_ns >= v[i].start_ns &&
            (v[j].start_ns > v[i].start_ns || j > i))
            return 0;
    return 1;
}

static int by_start(const void *a, const void *b)
{
    const struct proc *x = a, *y = b;
    if (x->rc != y->rc)
        return x->rc ? 1 : -1;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return by_string(&x->path, &y->path);
}

static int has_pid(const struct proc *v, size_t n, uint64_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (!v[i].rc && v[i].pid == pid)
            return 1;
    return 0;
}

static void print_row(FILE *out, const struct proc *p, int depth, const struct mta_report_opts *o)
{
    char pid[64], st[48], lk[48], a[32];
    snprintf(pid, sizeof pid, "%*s%llu", depth * 2, "", (unsigned long long)p->pid);
    if (p->end_state == MT_END_EXEC)
        snprintf(lk, sizeof lk, "- (exec)");
    else
        snprintf(lk, sizeof lk, "%s%s", mta_commas(a, sizeof a, p->leaked_bytes),
                 p->inconclusive ? "?" : "");
    fprintf(out, "  %-12s %-8llu %-15s %s%14s%s  %s", pid, (unsigned long long)p->ppid,
            ended(st, sizeof st, p), p->leaked_bytes ? MTA_RED(o) : "", lk,
            p->leaked_bytes ? MTA_RESET(o) : "", image_name(p));
    if (p->cmdline && *p->cmdline)
        fprintf(out, "  %s(%s)%s", MTA_DIM(o), p->cmdline, MTA_RESET(o));
    fputc('\n', out);
}

/* Depth-first: the images of a pid in order, then the processes it forked. */
static void print_tree(FILE *out, struct proc *v, size_t n, size_t root, int depth,
                       const struct mta_report_opts *o)
{
    uint64_t pid = v[root].pid;
    for (size_t i = 0; i < n; i++)
        if (!v[i].rc && !v[i].printed && v[i].pid == pid) {
            v[i].printed = 1;
            print_row(out, &v[i], depth, o);
        }
    for (size_t i = 0; i < n; i++)
        if (!v[i].rc && !v[i].printed && v[i].ppid == pid && v[i].pid != pid && depth < 64)
            print_tree(out, v, n, i, depth + 1, o);
}

static int merge(struct merged **mv, size_t *nm, const struct proc *p)
{
    for (size_t i = 0; i < p->nleaks; i++) {
        const struct leak *l = &p->leaks[i];
        struct merged *g = NULL;
        for (size_t j = 0; j < *nm && !g; j++)
            if (!strcmp((*mv)[j].first->key, l->key))
                g = &(*mv)[j];
        if (!g) {
            struct merged *nv = realloc(*mv, (*nm + 1) * sizeof *nv);
            if (!nv)
                return -1;
            *mv = nv;
            g = &nv[(*nm)++];
            memset(g, 0, sizeof *g);
            g->first = l;
        }
        g->bytes += l->bytes;
        g->blocks += l->blocks;
        if (!g->npids || g->pids[g->npids - 1] != p->pid) {
            uint64_t *np = realloc(g->pids, (g->npids + 1) * sizeof *np);
            if (!np)
                return -1;
            g->pids = np;
            g->pids[g->npids++] = p->pid;
        }
    }
    return 0;
}

static int by_merged_bytes(const void *a, const void *b)
{
    const struct merged *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return strcmp(x->first->key, y->first->key);
}

static void print_leak(FILE *out, size_t i, const struct leak *l, const struct mta_report_opts *o)
{
    char a[32], b[32];
    fprintf(out, "\n  %s#%zu  %s bytes in %s block%s%s  (%s allocated here in all)\n", MTA_RED(o),
            i + 1, mta_commas(a, sizeof a, l->bytes), mta_commas(b, sizeof b, l->blocks),
            l->blocks == 1 ? "" : "s", MTA_RESET(o), mta_commas(b, sizeof b, l->allocs));
    fputs(l->text, out);
}

static void text_report(FILE *out, struct proc *v, size_t n, struct merged *mv, size_t nm,
                        uint64_t total, uint64_t blocks, size_t leaking,
                        const struct mta_report_opts *o)
{
    char a[32], b[32];
    size_t good = 0;
    for (size_t i = 0; i < n; i++)
        good += !v[i].rc;
    fprintf(out, "%smtrace run report%s: %zu process image%s", MTA_BOLD(o), MTA_RESET(o), good,
            good == 1 ? "" : "s");
    if (good)
        fprintf(out, " (first: %s, pid %llu)", image_name(&v[0]),
                (unsigned long long)v[0].pid);
    fprintf(out, "\n  %sleaked %s bytes in %s block%s%s in %zu of %zu process image%s\n",
            total ? MTA_RED(o) : "", mta_commas(a, sizeof a, total),
            mta_commas(b, sizeof b, blocks), blocks == 1 ? "" : "s", MTA_RESET(o), leaking, good,
            good == 1 ? "" : "s");
    fprintf(out, "\n%sProcesses%s\n  %-12s %-8s %-15s %14s  %s\n", MTA_BOLD(o), MTA_RESET(o), "PID",
            "PARENT", "ENDED", "LEAKED BYTES", "IMAGE");
    for (size_t i = 0; i < n; i++)
        if (!v[i].rc && !v[i].printed && !has_pid(v, n, v[i].ppid))
            print_tree(out, v, n, i, 0, o);
    for (size_t i = 0; i < n; i++) /* parent links that form a cycle (pid reuse) */
        if (!v[i].rc && !v[i].printed)
            print_tree(out, v, n, i, 0, o);
    int any_exec = 0;
    for (size_t i = 0; i < n; i++)
        if (!v[i].rc && v[i].end_state == MT_END_EXEC) {
            if (!any_exec)
                fprintf(out, "\n");
            any_exec = 1;
            fprintf(out, "  pid %llu %s called exec with %s bytes in %s block%s live: released "
                    "by the exec, not a leak\n", (unsigned long long)v[i].pid,
                    image_name(&v[i]), mta_commas(a, sizeof a, v[i].exec_bytes),
                    mta_commas(b, sizeof b, v[i].exec_blocks), v[i].exec_blocks == 1 ? "" : "s");
            if (untraced_exec(v, n, i))
                fprintf(out, "  %spid %llu exec'd a program that was not traced%s (statically "
                        "linked, setuid, or LD_PRELOAD removed from its environment): its "
                        "leaks are unknown\n", MTA_RED(o), (unsigned long long)v[i].pid, MTA_RESET(o));
        }
    for (size_t i = 0; i < n; i++)
        if (v[i].rc)
            fprintf(out, "\n  %strace not read%s: %s\n", MTA_RED(o), MTA_RESET(o), v[i].error);
    for (size_t i = 0; i < n; i++) {
        const struct proc *p = &v[i];
        if (p->rc || !p->nleaks)
            continue;
        fprintf(out, "\n%sLeaks of process %llu (%s)%s: %s bytes in %s block%s, largest first\n",
                MTA_BOLD(o), (unsigned long long)p->pid, image_name(p), MTA_RESET(o),
                mta_commas(a, sizeof a, p->leaked_bytes), mta_commas(b, sizeof b, p->leaked_blocks),
                p->leaked_blocks == 1 ? "" : "s");
        size_t shown = o->top && o->top < p->nleaks ? o->top : p->nleaks;
        for (size_t j = 0; j < shown; j++)
            print_leak(out, j, &p->leaks[j], o);
        if (shown < p->nleaks)
            fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", p->nleaks - shown);
    }
    if (leaking > 1) {
        fprintf(out, "\n%sLeaks of all processes by call stack%s, largest first\n", MTA_BOLD(o),
                MTA_RESET(o));
        size_t shown = o->top && o->top < nm ? o->top : nm;
        for (size_t i = 0; i < shown; i++) {
            const struct merged *g = &mv[i];
            fprintf(out, "\n  %s#%zu  %s bytes in %s block%s%s  in %zu process%s:", MTA_RED(o),
                    i + 1, mta_commas(a, sizeof a, g->bytes), mta_commas(b, sizeof b, g->blocks),
                    g->blocks == 1 ? "" : "s", MTA_RESET(o), g->npids, g->npids == 1 ? "" : "es");
            for (size_t j = 0; j < g->npids && j < 20; j++)
                fprintf(out, " %llu", (unsigned long long)g->pids[j]);
            fprintf(out, "%s\n", g->npids > 20 ? " ..." : "");
            fputs(g->first->text, out);
        }
        if (shown < nm)
            fprintf(out, "\n  ... and %zu more stacks (--top 0 lists all)\n", nm - shown);
    }
    if (!total)
        fprintf(out, "\n%sNo leaks%s in any process.\n", MTA_BOLD(o), MTA_RESET(o));
}

/* A JSON string of s; bytes of s that are not valid UTF-8 become '?'. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *c = strdup(s);
    if (!c)
        return NULL;
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(c);
    free(c);
    return j;
}

static int json_report(FILE *out, struct proc *v, size_t n, struct merged *mv, size_t nm,
                       uint64_t total, uint64_t blocks, const struct mta_report_opts *o)
{
    json_t *procs = json_array(), *leaks = json_array(), *untraced = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct proc *p = &v[i];
        if (p->rc) {
            json_array_append_new(procs, json_pack("{s:o,s:o,s:i}", "trace", jstr(p->path),
                                                   "error", jstr(p->error ? p->error : ""),
                                                   "status", p->rc));
            continue;
        }
        json_t *pl = json_array();
        for (size_t j = 0; j < p->nleaks; j++)
            json_array_append_new(pl, json_pack("{s:I,s:I,s:I,s:O}",
                "bytes", (json_int_t)p->leaks[j].bytes, "blocks", (json_int_t)p->leaks[j].blocks,
                "allocations", (json_int_t)p->leaks[j].allocs, "frames", p->leaks[j].frames));
        json_array_append_new(procs, json_pack(
            "{s:o,s:I,s:I,s:o,s:o,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:o}",
            "trace", jstr(p->path), "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid,
            "exe", jstr(p->exe), "cmdline", jstr(p->cmdline),
            "end_state", mta_end_state_name(p->end_state), "end_code", p->end_code,
            "lost_events", (json_int_t)p->lost_events,
            "leaked_bytes", (json_int_t)p->leaked_bytes,
            "leaked_blocks", (json_int_t)p->leaked_blocks,
            "released_at_exec_bytes", (json_int_t)p->exec_bytes,
            "released_at_exec_blocks", (json_int_t)p->exec_blocks, "leaks", pl));
        if (untraced_exec(v, n, i))
            json_array_append_new(untraced, json_integer((json_int_t)p->pid));
    }
    for (size_t i = 0; i < nm; i++) {
        json_t *pids = json_array();
        for (size_t j = 0; j < mv[i].npids; j++)
            json_array_append_new(pids, json_integer((json_int_t)mv[i].pids[j]));
        json_array_append_new(leaks, json_pack("{s:I,s:I,s:o,s:O}",
            "bytes", (json_int_t)mv[i].bytes, "blocks", (json_int_t)mv[i].blocks,
            "pids", pids, "frames", mv[i].first->frames));
    }
    json_t *root = json_pack("{s:s,s:i,s:I,s:I,s:o,s:o,s:o}", "report", "mtrace-run",
                             "schema_version", 1, "leaked_bytes", (json_int_t)total,
                             "leaked_blocks", (json_int_t)blocks, "processes", procs,
                             "untraced_execs", untraced, "leaks", leaks);
    if (!root)
        return MTA_EXIT_INTERNAL;
    json_object_set_new(root, "suppressions", o->supp ? mta_supp_json(o->supp) : json_array());
    if (o->supp && o->supp->print) {
        json_t *pr = json_array();
        for (size_t i = 0; i < o->supp->nprinted; i++)
            json_array_append_new(pr, json_sprintf("leak:%s", o->supp->printed[i]));
        json_object_set_new(root, "suggested_suppressions", pr);
    }
    int rc = json_dumpf(root, out, JSON_INDENT(2)) ? MTA_EXIT_IO : 0;
    fputc('\n', out);
    json_decref(root);
    return rc;
}

int mta_report_run(FILE *out, char **paths, size_t np, const struct mta_report_opts *o, int json,
                   long long fail_over)
{
    struct proc *v = calloc(np ? np : 1, sizeof *v);
    struct merged *mv = NULL;
    size_t nm = 0;
    int rc = 0;
    if (!v) {
        fprintf(stderr, "mtrace-report: out of memory\n");
        return MTA_EXIT_INTERNAL;
    }
    for (size_t i = 0; i < np; i++)
        v[i].path = paths[i];
    for (size_t i = 0; i < np && !rc; i++)
        rc = load_proc(&v[i], o);
    qsort(v, np, sizeof *v, by_start);
    uint64_t total = 0, blocks = 0, gate = 0;
    size_t leaking = 0;
    int read_rc = 0, untraced = 0;
    size_t inconclusive = 0;
    for (size_t i = 0; i < np && !rc; i++) {
        if (v[i].rc) {
            fprintf(stderr, "mtrace-report: %s\n", v[i].error ? v[i].error : v[i].path);
            if (v[i].rc > read_rc)
                read_rc = v[i].rc;
            continue;
        }
        if (v[i].inconclusive) {
            inconclusive++;
        } else {
            total += v[i].leaked_bytes;
            blocks += v[i].leaked_blocks;
            gate = mta_sat_sum(gate, v[i].gate_bytes);
        }
        leaking += v[i].leaked_bytes > 0;
        untraced |= untraced_exec(v, np, i);
        if (merge(&mv, &nm, &v[i]))
            rc = MTA_EXIT_INTERNAL;
    }
    if (!rc && out) {
        if (nm)
            qsort(mv, nm, sizeof *mv, by_merged_bytes);
        if (json)
            rc = json_report(out, v, np, mv, nm, total, blocks, o);
        else
            text_report(out, v, np, mv, nm, total, blocks, leaking, o);
        if (!json && o->supp)
            mta_supp_report_text(out, o->supp);
    }
    if (rc == MTA_EXIT_INTERNAL)
        fprintf(stderr, "mtrace-report: out of memory\n");
    if (!rc && fail_over >= 0 && gate > (uint64_t)fail_over && o->leak_kinds) {
        char a[32];
        fprintf(stderr, "mtrace-report: %s bytes of the --leak-kinds counted (limit %lld):",
                mta_commas(a, sizeof a, gate), fail_over);
        for (size_t i = 0; i < np; i++)
            if (!v[i].rc && v[i].gate_bytes)
                fprintf(stderr, " %s pid %llu: %s bytes;", image_name(&v[i]),
                        (unsigned long long)v[i].pid, mta_commas(a, sizeof a, v[i].gate_bytes));
        fputc('\n', stderr);
        rc = MTA_EXIT_LEAKS;
    }
    if (!rc && fail_over >= 0 && total > (uint64_t)fail_over && !o->leak_kinds) {
        char a[32], b[32];
        fprintf(stderr, "mtrace-report: %s bytes leaked in %s block%s (limit %lld):",
                mta_commas(a, sizeof a, total), mta_commas(b, sizeof b, blocks),
                blocks == 1 ? "" : "s", fail_over);
        for (size_t i = 0; i < np; i++)
            if (!v[i].rc && v[i].leaked_bytes)
                fprintf(stderr, " %s pid %llu: %s bytes;", image_name(&v[i]),
                        (unsigned long long)v[i].pid, mta_commas(a, sizeof a, v[i].leaked_bytes));
        fputc('\n', stderr);
        rc = MTA_EXIT_LEAKS;
    }
    if (!rc && o->max_peak_set) {
        int over = 0;
        char a[32];
        for (size_t i = 0; i < np; i++) {
            if (v[i].rc || v[i].peak_bytes <= (uint64_t)o->max_peak)
                continue;
            if (!over++)
                fprintf(stderr, "mtrace-report: peak live heap above --max-peak %lld:",
                        o->max_peak);
            fprintf(stderr, " %s pid %llu: %s bytes;", image_name(&v[i]),
                    (unsigned long long)v[i].pid, mta_commas(a, sizeof a, v[i].peak_bytes));
        }
        if (over) {
            fputc('\n', stderr);
            rc = MTA_EXIT_LEAKS;
        }
    }
    if (!rc && read_rc)
        rc = read_rc;
    if (!rc && fail_over >= 0 && inconclusive) {
        fprintf(stderr, "mtrace-report: inconclusive: the leaks of");
        for (size_t i = 0; i < np; i++)
            if (!v[i].rc && v[i].inconclusive)
                fprintf(stderr, " %s pid %llu (%s);", image_name(&v[i]),
                        (unsigned long long)v[i].pid, v[i].inconclusive);
        fprintf(stderr, " are not known (the '?' rows count unfreed bytes)\n");
        rc = MTA_EXIT_INCONCLUSIVE;
    }
    if (!rc && fail_over >= 0 && untraced) {
        fprintf(stderr, "mtrace-report: inconclusive: a process exec'd a program that was not "
                "traced (statically linked, setuid, or LD_PRELOAD removed), so its leaks are "
                "unknown\n");
        rc = MTA_EXIT_INCONCLUSIVE;
    }
    for (size_t i = 0; i < np; i++) {
        for (size_t j = 0; j < v[i].nleaks; j++) {
            free(v[i].leaks[j].key);
            free(v[i].leaks[j].text);
            json_decref(v[i].leaks[j].frames);
        }
        free(v[i].leaks);
        free(v[i].exe);
        free(v[i].cmdline);
        free(v[i].error);
        free(v[i].inconclusive);
    }
    for (size_t i = 0; i < nm; i++)
        free(mv[i].pids);
    free(mv);
    free(v);
    return rc;
}

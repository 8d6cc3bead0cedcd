/* Leak suppressions (suppress.h). */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "model.h"
#include "report.h"
#include "suppress.h"

#define SUPP_LINE_MAX 4096
#define SUPP_RULES_MAX 100000

static int add_rule(struct mta_supp *s, const char *pat, size_t len, const char *file,
                    unsigned line, int from_program, struct mta_error *err)
{
    if (s->n >= SUPP_RULES_MAX) {
        mta_set_error(err, MTA_EXIT_USAGE, "%s:%u: more than %d suppressions", file, line,
                      SUPP_RULES_MAX);
        return -1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct mta_supp_rule *v = realloc(s->rules, cap * sizeof *v);
        if (!v)
            goto oom;
        s->rules = v;
        s->cap = cap;
    }
    struct mta_supp_rule *r = &s->rules[s->n];
    memset(r, 0, sizeof *r);
    r->pattern = strndup(pat, len);
    r->file = strdup(file);
    /* LeakSanitizer: a substring unless anchored by ^ or $ */
    int head = len && pat[0] == '^', tail = len > (size_t)head && pat[len - 1] == '$';
    size_t body = len - (size_t)head - (size_t)tail;
    r->glob = malloc(body + 3);
    if (!r->pattern || !r->file || !r->glob) {
        free(r->pattern);
        free(r->file);
        free(r->glob);
        goto oom;
    }
    char *g = r->glob;
    if (!head)
        *g++ = '*';
    memcpy(g, pat + head, body);
    g += body;
    if (!tail)
        *g++ = '*';
    *g = 0;
    r->line = line;
    r->from_program = from_program;
    s->n++;
    return 0;
oom:
    mta_set_error(err, MTA_EXIT_INTERNAL, "out of memory reading %s", file);
    return -1;
}

/* One line of a suppressions text: 0, -1 with err. */
static int parse_line(struct mta_supp *s, const char *p, size_t len, const char *file,
                      unsigned line, int from_program, struct mta_error *err)
{
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
        len--;
    if (!len || *p == '#')
        return 0;
    if (memchr(p, 0, len)) {
        mta_set_error(err, MTA_EXIT_USAGE, "%s:%u: a NUL byte in the line", file, line);
        return -1;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon) {
        mta_set_error(err, MTA_EXIT_USAGE, "%s:%u: not a suppression (want leak:PATTERN): "
                      "'%.*s'", file, line, (int)(len > 80 ? 80 : len), p);
        return -1;
    }
    size_t tl = (size_t)(colon - p);
    if (tl != 4 || memcmp(p, "leak", 4)) {
        mta_set_error(err, MTA_EXIT_USAGE, "%s:%u: suppression type '%.*s' is not known "
                      "(mtrace reads leak:PATTERN lines)", file, line,
                      (int)(tl > 40 ? 40 : tl), p);
        return -1;
    }
    const char *pat = colon + 1;
    size_t pl = len - tl - 1;
    while (pl && (*pat == ' ' || *pat == '\t'))
        pat++, pl--;
    if (!pl || (pl == 1 && (*pat == '^' || *pat == '$'))) {
        mta_set_error(err, MTA_EXIT_USAGE, "%s:%u: leak: without a pattern", file, line);
        return -1;
    }
    return add_rule(s, pat, pl, file, line, from_program, err);
}

static int parse_text(struct mta_supp *s, const char *text, size_t len, const char *file,
                      int from_program, struct mta_error *err)
{
    unsigned line = 0;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (text + i)) : len - i;
        line++;
        if (l > SUPP_LINE_MAX) {
            mta_set_error(err, MTA_EXIT_USAGE, "%s:%u: line longer than %d bytes", file, line,
                          SUPP_LINE_MAX);
            return -1;
        }
        if (parse_line(s, text + i, l, file, line, from_program, err))
            return -1;
        i += l + 1;
    }
    return 0;
}

int mta_supp_load(struct mta_supp *s, const char *path, struct mta_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        mta_set_error(err, MTA_EXIT_IO, "cannot read suppressions %s: %s", path,
                      strerror(errno));
        return MTA_EXIT_IO;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[8192];
    size_t k;
    int bad = !mem;
    while (!bad && (k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (fwrite(chunk, 1, k, mem) != k)
            bad = 1;
        if (len > (64u << 20))
            bad = 2;
    }
    int rerr = ferror(f);
    fclose(f);
    if (mem)
        fclose(mem);
    if (bad || rerr) {
        free(buf);
        mta_set_error(err, bad == 2 ? MTA_EXIT_USAGE : rerr ? MTA_EXIT_IO : MTA_EXIT_INTERNAL,
                      "cannot read suppressions %s: %s", path,
                      bad == 2 ? "larger than 64 MiB" : rerr ? "read error" : "out of memory");
        return err->code;
    }
    int rc = parse_text(s, buf ? buf : "", len, path, 0, err) ? err->code : 0;
    free(buf);
    return rc;
}

void mta_supp_free(struct mta_supp *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->rules[i].pattern);
        free(s->rules[i].glob);
        free(s->rules[i].file);
    }
    free(s->rules);
    for (size_t i = 0; i < s->nprinted; i++)
        free(s->printed[i]);
    free(s->printed);
    memset(s, 0, sizeof *s);
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static int match(const char *glob, const char *text)
{
    return text && *text && fnmatch(glob, text, 0) == 0;
}

static int frame_matches(const struct mta_supp_rule *r, const struct mta_frame *f)
{
    return match(r->glob, f->function) || match(r->glob, f->file) ||
           (f->file && match(r->glob, base_name(f->file))) || match(r->glob, f->module) ||
           (f->module && match(r->glob, base_name(f->module)));
}

/* An allocation function of libc or the C++ runtime: not what a
 * suppression should name. */
static int is_allocator_frame(const struct mta_frame *f)
{
    static const char *const fns[] = {"malloc", "calloc", "realloc", "reallocarray", "free",
        "strdup", "strndup", "posix_memalign", "aligned_alloc", "memalign", "valloc",
        "pvalloc", "__libc_malloc", "__libc_calloc", "__libc_realloc", NULL};
    if (f->module) {
        const char *b = base_name(f->module);
        if (!strncmp(b, "libc.so", 7) || !strncmp(b, "libstdc++.so", 12) ||
            !strncmp(b, "libc++.so", 9) || !strncmp(b, "libc++abi.so", 12) ||
            !strncmp(b, "libmtrace.so", 12))
            return 1;
    }
    if (!f->function)
        return 0;
    if (!strncmp(f->function, "operator new", 12))
        return 1;
    for (int i = 0; fns[i]; i++)
        if (!strcmp(f->function, fns[i]))
            return 1;
    return 0;
}

static int add_printed(struct mta_supp *s, const char *fn)
{
    for (size_t i = 0; i < s->nprinted; i++)
        if (!strcmp(s->printed[i], fn))
            return 0;
    if (s->nprinted == s->printed_cap) {
        size_t cap = s->printed_cap ? s->printed_cap * 2 : 16;
        char **v = realloc(s->printed, cap * sizeof *v);
        if (!v)
            return -1;
        s->printed = v;
        s->printed_cap = cap;
    }
    if (!(s->printed[s->nprinted] = strdup(fn)))
        return -1;
    s->nprinted++;
    return 0;
}

int mta_supp_apply(struct mta_supp *s, struct mta_model *m, const struct mta_report_opts *o,
                   struct mta_error *err)
{
    size_t first_program = s->n;
    if (m->info.suppressions) {
        char name[64];
        snprintf(name, sizeof name, "__lsan_default_suppressions() of pid %llu",
                 (unsigned long long)m->info.pid);
        if (parse_text(s, m->info.suppressions, strlen(m->info.suppressions), name, 1, err))
            return err->code;
    }
    if (!s->n && !s->print)
        return 0;
    if (m->leak_inconclusive || !m->leaked_blocks || m->info.end_state == MT_END_EXEC)
        return 0;
    struct mta_report_opts fo = *o;
    fo.all_frames = 1;
    fo.max_frames = 0;
    struct mta_symbolizer *sym = mta_sym_new();
    struct mta_frame *frames = malloc(MT_MAX_DEPTH * 2 * sizeof *frames);
    if (!sym || !frames) {
        mta_sym_free(sym);
        free(frames);
        mta_set_error(err, MTA_EXIT_INTERNAL, "out of memory");
        return MTA_EXIT_INTERNAL;
    }
    mta_sym_short_templates(sym, o->short_templates);
    for (size_t i = 0; i < m->n_modules; i++)
        mta_sym_add_module(sym, &m->modules[i]);
    int rc = 0;
    for (size_t i = 0; i < m->stacks.n && i < m->sites_cap && !rc; i++) {
        struct mta_site *site = &m->sites[i];
        if (!site->leak_blocks)
            continue;
        unsigned k = mta_stack_frames(sym, m, (uint32_t)i, &fo, frames, MT_MAX_DEPTH * 2);
        struct mta_supp_rule *hit = NULL;
        for (size_t r = 0; r < s->n && !hit; r++) {
            if (s->rules[r].from_program && r < first_program)
                continue; /* another process's own rules */
            for (unsigned j = 0; j < k && !hit; j++)
                if (frame_matches(&s->rules[r], &frames[j]))
                    hit = &s->rules[r];
        }
        if (!hit) {
            if (s->print) {
                for (unsigned j = 0; j < k; j++) {
                    if (is_allocator_frame(&frames[j]) || !frames[j].function)
                        continue;
                    if (add_printed(s, frames[j].function))
                        rc = MTA_EXIT_INTERNAL;
                    break;
                }
            }
            continue;
        }
        hit->blocks += site->leak_blocks;
        hit->bytes = mta_sat_sum(hit->bytes, site->leak_bytes);
        for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++) {
            if (c != MTA_LEAK_DEFINITE && c != MTA_LEAK_INDIRECT)
                continue;
            site->supp_blocks[c] = site->cls_blocks[c];
            site->supp_bytes[c] = site->cls_bytes[c];
            m->supp_blocks[c] += site->cls_blocks[c];
            m->supp_bytes[c] = mta_sat_sum(m->supp_bytes[c], site->cls_bytes[c]);
        }
        m->suppressed_blocks += site->leak_blocks;
        m->suppressed_bytes = mta_sat_sum(m->suppressed_bytes, site->leak_bytes);
        m->leaked_blocks -= site->leak_blocks;
        m->leaked_bytes -= site->leak_bytes < m->leaked_bytes ? site->leak_bytes
                                                                : m->leaked_bytes;
        site->leak_blocks = 0;
        site->leak_bytes = 0;
    }
    free(frames);
    mta_sym_free(sym);
    if (rc)
        mta_set_error(err, rc, "out of memory");
    return rc;
}

void mta_supp_report_text(FILE *out, const struct mta_supp *s)
{
    int any = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct mta_supp_rule *r = &s->rules[i];
        if (!r->blocks && r->from_program)
            continue;
        if (!any++)
            fprintf(out, "\nSuppressions used (leak:PATTERN: blocks, bytes, where the rule is)\n");
        char a[32], b[32];
        fprintf(out, "  %8s blocks %14s bytes  leak:%s  (%s:%u)\n",
                mta_commas(a, sizeof a, r->blocks), mta_commas(b, sizeof b, r->bytes),
                r->pattern, r->file, r->line);
    }
    if (s->print) {
        fprintf(out, "\nSuppressions for the lost blocks (--print-suppressions):\n");
        if (!s->nprinted)
            fprintf(out, "# none: nothing is lost\n");
        for (size_t i = 0; i < s->nprinted; i++)
            fprintf(out, "leak:%s\n", s->printed[i]);
    }
}

json_t *mta_supp_json(const struct mta_supp *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n; i++) {
        const struct mta_supp_rule *r = &s->rules[i];
        if (!r->blocks && r->from_program)
            continue;
        json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:I}", "rule", r->pattern,
            "file", r->file, "line", (json_int_t)r->line, "blocks", (json_int_t)r->blocks,
            "bytes", (json_int_t)r->bytes));
    }
    return a;
}

/* The frames the reports show for a stack: symbolised, inlined frames
 * expanded, the tracer's and libc's start-up frames left out, cut at main()
 * and at --frames; and the key that matches a stack across traces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "model.h"
#include "xalloc.h"

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


char *mta_stack_key(const struct mta_frame *f, unsigned n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *k = open_memstream(&buf, &len);
    if (!k)
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        if (f[i].function)
            fprintf(k, "%s|%s|%d|%d\n", f[i].function, f[i].file ? f[i].file : "",
                    f[i].line, f[i].inlined);
        else
            fprintf(k, "?|%s|%llx\n", f[i].module ? f[i].module : "",
                    (unsigned long long)(f[i].module ? f[i].offset : f[i].address));
    }
    if (fclose(k))
        return NULL;
    return buf;
}

/* "function|file|line|inlined" or "?|module|offset", one a line */
int mta_stack_key_next(const char **cursor, struct mta_key_frame *f)
{
    const char *line = *cursor;
    if (!*line)
        return 0;
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    *cursor = end ? end + 1 : line + len;
    snprintf(f->buf, sizeof f->buf, "%.*s", (int)len, line);
    char *field[4] = {f->buf, NULL, NULL, NULL};
    for (int i = 1; i < 4; i++) {
        char *bar = field[i - 1] ? strchr(field[i - 1], '|') : NULL;
        if (bar) {
            *bar = '\0';
            field[i] = bar + 1;
        }
    }
    int named = strcmp(field[0], "?") != 0;
    f->function = named ? field[0] : NULL;
    f->file = named && field[1] && *field[1] ? field[1] : NULL;
    f->line = named && field[2] ? atoi(field[2]) : 0;
    f->inlined = named && field[3] && *field[3] == '1';
    f->module = named ? NULL : field[1];
    f->offset = named ? NULL : field[2];
    return 1;
}

/* Copies s to *at and returns the copy (NULL stays NULL). */
static const char *put_string(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s) + 1;
    char *copy = memcpy(*at, s, len);
    *at += len;
    return copy;
}

struct mta_frame *mta_frames_dup(const struct mta_frame *f, unsigned n)
{
    size_t size = (size_t)n * sizeof *f;
    for (unsigned i = 0; i < n; i++) {
        const char *strings[] = {f[i].function, f[i].file, f[i].module};
        for (size_t j = 0; j < 3; j++)
            size += strings[j] ? strlen(strings[j]) + 1 : 0;
    }
    struct mta_frame *out = mta_xmalloc(size ? size : 1);
    char *at = (char *)(out + n);
    for (unsigned i = 0; i < n; i++) {
        out[i] = f[i];
        out[i].function = put_string(&at, f[i].function);
        out[i].file = put_string(&at, f[i].file);
        out[i].module = put_string(&at, f[i].module);
    }
    return out;
}

struct mta_symbolizer *mta_model_symbolizer(const struct mta_model *m,
                                            const struct mta_report_opts *o)
{
    struct mta_symbolizer *sym = mta_sym_new();
    if (!sym)
        mta_out_of_memory("a symbolizer");
    mta_sym_short_templates(sym, o->short_templates);
    for (size_t i = 0; i < m->n_modules; i++)
        mta_sym_add_module(sym, &m->modules[i]);
    return sym;
}

#include "regions.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_header_line(char *line, struct mta_region *r)
{
    unsigned long long s, e, off, ino;
    char perms[8], dev[16];
    int name_at = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &s, &e, perms, &off, dev, &ino,
               &name_at) < 6)
        return -1;
    memset(r, 0, sizeof *r);
    r->start = s;
    r->end = e;
    r->offset = off;
    r->inode = ino;
    memcpy(r->perms, perms, 4);
    snprintf(r->dev, sizeof r->dev, "%s", dev);
    r->name = name_at ? line + name_at : "";
    r->name_len = strlen(r->name);
    return e >= s ? 0 : -1;
}

int mta_regions_parse(const char *text, struct mta_regions *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return 0;
    out->text = mta_xstrdup(text);
    size_t cap = 64;
    out->v = mta_xcalloc(cap, sizeof *out->v);
    if (!out->text || !out->v) {
        mta_regions_free(out);
        return -1;
    }
    struct mta_region *cur = NULL;
    for (char *line = out->text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        struct mta_region r;
        if (parse_header_line(line, &r) == 0) {
            if (out->n == cap) {
                struct mta_region *nv = mta_xreallocarray(out->v, cap * 2, sizeof *nv);
                if (!nv) {
                    mta_regions_free(out);
                    return -1;
                }
                out->v = nv;
                cap *= 2;
            }
            out->v[out->n] = r;
            cur = &out->v[out->n++];
        } else if (cur) {
            unsigned long long kb;
            if (sscanf(line, "Rss: %llu kB", &kb) == 1)
                cur->rss_kb = kb, cur->have_smaps = 1;
            else if (sscanf(line, "Pss: %llu kB", &kb) == 1)
                cur->pss_kb = kb;
            else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
                cur->anon_kb = kb;
            else if (sscanf(line, "Swap: %llu kB", &kb) == 1)
                cur->swap_kb = kb;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

void mta_regions_free(struct mta_regions *rs)
{
    free(rs->v);
    free(rs->text);
    memset(rs, 0, sizeof *rs);
}

const struct mta_region *mta_regions_find(const struct mta_regions *rs, uint64_t addr)
{
    size_t lo = 0, hi = rs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (addr < rs->v[mid].start)
            hi = mid;
        else if (addr >= rs->v[mid].end)
            lo = mid + 1;
        else
            return &rs->v[mid];
    }
    return NULL;
}

int mta_region_named(const struct mta_region *r, const char *s)
{
    return r->name_len == strlen(s) && !memcmp(r->name, s, r->name_len);
}

static int ends_with(const struct mta_region *r, const char *s)
{
    size_t n = strlen(s);
    return r->name_len >= n && !memcmp(r->name + r->name_len - n, s, n);
}

static const char *base_name(const struct mta_region *r, size_t *len)
{
    const char *b = r->name;
    for (size_t i = 0; i < r->name_len; i++)
        if (r->name[i] == '/')
            b = r->name + i + 1;
    *len = r->name_len - (size_t)(b - r->name);
    return b;
}

static int is_trace_file(const struct mta_region *r)
{
    /* mtrace's file: a shared writable mapping of *.trace[.N] */
    if (strcmp(r->perms, "rw-s") || !r->name_len)
        return 0;
    size_t len;
    const char *b = base_name(r, &len);
    for (size_t i = 0; i + 6 <= len; i++)
        if (!memcmp(b + i, ".trace", 6) && (i + 6 == len || b[i + 6] == '.'))
            return 1;
    return 0;
}

const char *mta_region_kind(const struct mta_regions *rs, size_t i, const char *exe)
{
    const struct mta_region *r = &rs->v[i];
    if (mta_region_named(r, "[heap]"))
        return "brk heap";
    if (mta_region_named(r, "[stack]"))
        return "main thread stack";
    if (mta_region_named(r, "[vdso]"))
        return "vdso";
    if (r->name_len >= 6 && !memcmp(r->name, "[vvar", 5))
        return "vvar";
    if (mta_region_named(r, "[vsyscall]"))
        return "vsyscall";
    if (mta_region_named(r, "[anon:mtrace]"))
        return "mtrace's own memory"; /* named by the shim (PR_SET_VMA_ANON_NAME) */
    if (is_trace_file(r))
        return "mtrace trace file";
    if (!r->name_len && !strcmp(r->perms, "---p") && i > 0 && is_trace_file(&rs->v[i - 1]) &&
        rs->v[i - 1].end == r->start)
        return "mtrace reserved space";
    if (!r->name_len && i > 0 && rs->v[i - 1].end == r->start && rs->v[i - 1].name_len &&
        rs->v[i - 1].name[0] == '/' && !strcmp(rs->v[i - 1].perms, "rw-p") &&
        !strcmp(r->perms, "rw-p"))
        return "bss of the preceding object"; /* the loader maps .bss past the file */
    if (!r->name_len)
        return "anonymous";
    if (r->name[0] == '[')
        return "special";
    if (exe && mta_region_named(r, exe))
        return "executable";
    size_t len;
    const char *b = base_name(r, &len);
    if (len >= 3 && !memcmp(b, "ld-", 3) && memmem(b, len, ".so", 3))
        return "dynamic loader";
    if (ends_with(r, "/libmtrace.so"))
        return "mtrace (the tracer)";
    if (memmem(b, len, ".so", 3))
        return "shared library";
    return "file";
}

uint64_t mta_own_bytes(const char *own, uint64_t start, uint64_t end)
{
    uint64_t total = 0;
    while (own && *own) {
        unsigned long long s, e;
        int used = 0;
        if (sscanf(own, "%llx-%llx%n", &s, &e, &used) != 2)
            break;
        uint64_t lo = s > start ? s : start, hi = e < end ? e : end;
        if (hi > lo)
            total += hi - lo;
        own = strchr(own + used, '\n');
        if (own)
            own++;
    }
    return total < end - start ? total : end - start;
}

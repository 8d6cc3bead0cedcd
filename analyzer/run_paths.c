/* The traces of a run: the inputs of the command line, a directory
 * standing for the trace files in it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run_paths.h"

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

/* mtrace-report --pack and --unpack: one file at a time, each to NAME.zst
 * (or back to NAME), never over an existing file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "pack.h"
#include "xalloc.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

static int pack_one(const char *in, const char *output, int unpack, int level)
{
    char *out;
    if (output) {
        out = mta_xstrdup(output);
    } else if (!unpack) {
        out = mta_xmalloc(strlen(in) + 5);
        sprintf(out, "%s.zst", in);
    } else if (ends_with(in, ".zst")) {
        out = mta_xmemdup0(in, strlen(in) - 4);
    } else {
        fprintf(stderr, "mtrace-report: --unpack %s: the name does not end in .zst; give the "
                "unpacked trace's name with --output\n", in);
        return MTA_EXIT_USAGE;
    }
    struct mta_error err = {{0}, 0};
    struct mta_pack_stats st = {0, 0, 0};
    int rc = unpack ? mta_unpack_file(in, out, &err) : mta_pack_file(in, out, level, &st, &err);
    if (rc) {
        fprintf(stderr, "mtrace-report: %s\n", err.msg);
        free(out);
        return err.code ? err.code : MTA_EXIT_INTERNAL;
    }
    if (!unpack) {
        fprintf(stderr, "mtrace-report: packed %s into %s: %llu -> %llu bytes", in, out,
                (unsigned long long)st.in_bytes, (unsigned long long)st.out_bytes);
        if (st.events)
            fprintf(stderr, ", %.2f bytes per event (%llu events)",
                    (double)st.out_bytes / (double)st.events, (unsigned long long)st.events);
        fputc('\n', stderr);
    }
    free(out);
    return MTA_EXIT_OK;
}

int mta_pack_cli(int unpack, char **paths, int n, const char *output, int level)
{
    if (output && n != 1) {
        fprintf(stderr, "mtrace-report: --output names one %s trace; %d were given\n",
                unpack ? "unpacked" : "packed", n);
        return MTA_EXIT_USAGE;
    }
    int rc = MTA_EXIT_OK;
    for (int i = 0; i < n; i++) {
        int r = pack_one(paths[i], output, unpack, level);
        if (r > rc)
            rc = r;
    }
    return rc;
}

/* mtrace-report --diff (cli_diff.h). */
#include "cli_diff.h"
#include "cli_load.h"
#include "errors.h"
#include "render_views.h"

int mta_diff_command(FILE *out, const char *a, const char *b, int json,
                     const struct mta_report_opts *o, long long fail_over)
{
    struct mta_loaded la, lb;
    struct mta_error err = {{0}, 0};
    int rc = mta_load(&la, a, o, &err);
    if (rc) {
        fprintf(stderr, "mtrace-report: %s\n", err.msg);
        return rc;
    }
    if ((rc = mta_load(&lb, b, o, &err))) {
        fprintf(stderr, "mtrace-report: %s\n", err.msg);
        mta_loaded_free(&la);
        return rc;
    }
    struct mta_diff d;
    mta_diff_make(&d, &la.model, la.sym, &lb.model, lb.sym, o);
    if (json) {
        if (mta_render_diff_json(out, &d, a, b) && !ferror(out)) {
            fprintf(stderr, "mtrace-report: internal error: the JSON diff could not be built\n");
            rc = MTA_EXIT_INTERNAL;
        }
    } else {
        mta_render_diff_text(out, &d, a, b, o);
    }
    if (!rc && fail_over >= 0) {
        int64_t leaked = mta_diff_delta(d.a, d.b, MTA_DIFF_LEAKED);
        int64_t peak = mta_diff_delta(d.a, d.b, MTA_DIFF_PEAK);
        if (leaked > fail_over || peak > fail_over) {
            fprintf(stderr, "mtrace-report: %s leaked %lld and peaked %lld bytes more than %s "
                    "(--fail-on-increase limit %lld)\n", b, (long long)leaked, (long long)peak,
                    a, fail_over);
            rc = MTA_EXIT_LEAKS;
        }
    }
    mta_diff_free(&d);
    mta_loaded_free(&la);
    mta_loaded_free(&lb);
    return rc;
}

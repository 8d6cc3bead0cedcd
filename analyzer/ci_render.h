/* The CI formats, each a renderer of the CI view (ci_view.h), and the
 * plain words they share (ci_text.c).  docs/ci-formats.md describes them. */
#ifndef MTA_CI_RENDER_H
#define MTA_CI_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "ci_view.h"

/* JUnit XML: one <testsuite name="mtrace">, a <testcase> per process.
 * 0, or -1 if writing failed. */
int mta_ci_junit(FILE *out, const struct mta_ci_run *ci);
/* SARIF 2.1.0: a result per leak finding (and per --max-peak failure).
 * 0, or -1 if writing failed. */
int mta_ci_sarif(FILE *out, const struct mta_ci_run *ci);
/* GitHub Actions workflow commands (::error file=F,line=N,title=T::MSG),
 * one line per finding that is not suppressed. */
void mta_ci_annotations(FILE *out, const struct mta_ci_run *ci);

/* ---- ci_text.c: words, unescaped (each renderer escapes for its format) ---- */

/* "leak_big_buffer samples/leaky.c:97", "?? /usr/lib/libfoo.so", "0x7f..." */
const char *mta_ci_frame_text(char *buf, size_t cap, const struct mta_ci_frame *f);
/* "200,000 bytes in 1 block definitely lost, allocated in leak_big_buffer
 * (samples/leaky.c:97), process leaky pid 1234" */
const char *mta_ci_finding_text(char *buf, size_t cap, const struct mta_ci_proc *p,
                                const struct mta_ci_finding *f);
/* Why a failed process failed: "200,448 bytes lost (definite,indirect) ...". */
const char *mta_ci_failure_text(char *buf, size_t cap, const struct mta_ci_run *ci,
                                const struct mta_ci_proc *p);
/* "definite,indirect" */
const char *mta_ci_kinds_text(char *buf, size_t cap, unsigned kinds);
/* "exit 0", "signal 9", "exec", "did not finish" */
const char *mta_ci_ended_text(char *buf, size_t cap, const struct mta_ci_proc *p);

#endif

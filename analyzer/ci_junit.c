/* JUnit XML of the CI view: <testsuites><testsuite name="mtrace"> with a
 * <testcase> per process image; <failure> when a gate fails for it (the
 * stacks it leaked in the failure's text), <error> when its verdict is
 * inconclusive or its trace could not be read, the totals in <system-out>.
 * The layout Jenkins, GitLab and most JUnit readers take (docs/ci-formats.md). */
#include <stdio.h>

#include "ci_render.h"
#include "report.h"
#include "xml_escape.h"

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    mta_xml_escape(out, value);
    fputc('"', out);
}

static void attr_u(FILE *out, const char *name, unsigned long long v)
{
    fprintf(out, " %s=\"%llu\"", name, v);
}

static void property(FILE *out, const char *name, const char *value)
{
    fputs("      <property", out);
    attr(out, "name", name);
    attr(out, "value", value);
    fputs("/>\n", out);
}

/* The findings of a process, numbered, with their frames; errors_only:
 * those the failed gate counted. */
static void stacks_text(FILE *out, const struct mta_ci_proc *p, int errors_only)
{
    char line[2048], a[32], b[32];
    unsigned n = 0;
    for (size_t i = 0; i < p->nfindings; i++) {
        const struct mta_ci_finding *f = &p->findings[i];
        if (errors_only ? !f->error : f->suppressed)
            continue;
        snprintf(line, sizeof line, "\n#%u %s bytes in %s block%s %s%s\n", ++n,
                 mta_commas(a, sizeof a, f->bytes), mta_commas(b, sizeof b, f->blocks),
                 f->blocks == 1 ? "" : "s", mta_ci_class_words(f->cls),
                 f->counted ? "" : " (not counted by the gate)");
        mta_xml_escape(out, line);
        if (!f->nframes)
            fputs("    (no stack recorded)&#10;", out);
        for (unsigned k = 0; k < f->nframes; k++) {
            fputs("    ", out);
            mta_xml_escape(out, mta_ci_frame_text(line, sizeof line, &f->frames[k]));
            fputs("&#10;", out);
        }
        if (f->more_frames)
            fprintf(out, "    ... %u more frames (--frames 0 shows all)&#10;", f->more_frames);
    }
    size_t omitted = 0;
    for (unsigned c = 0; c < MTA_LEAK_CLASSES; c++)
        omitted += p->omitted[c];
    if (omitted)
        fprintf(out, "&#10;... and %zu more stacks (--top 0 lists all)&#10;", omitted);
}

static void totals_text(FILE *out, const struct mta_ci_proc *p)
{
    char line[4096], a[32], b[32], e[64];
    snprintf(line, sizeof line, "trace: %s\npid %llu, parent %llu, ended: %s\ncommand: %s\n"
             "peak live heap: %s bytes\n", p->trace, (unsigned long long)p->pid,
             (unsigned long long)p->ppid, mta_ci_ended_text(e, sizeof e, p),
             p->cmdline ? p->cmdline : "?", mta_commas(a, sizeof a, p->peak_bytes));
    mta_xml_escape(out, line);
    if (p->exec) {
        fputs("replaced by exec: its memory was released, not leaked&#10;", out);
        return;
    }
    snprintf(line, sizeof line, "unfreed at exit: %s bytes in %s blocks\n",
             mta_commas(a, sizeof a, p->unfreed_bytes), mta_commas(b, sizeof b, p->unfreed_blocks));
    mta_xml_escape(out, line);
    if (p->why_inconclusive)
        return;
    for (unsigned c = MTA_LEAK_DEFINITE; c <= MTA_LEAK_REACHABLE; c++) {
        snprintf(line, sizeof line, "  %s: %s bytes in %s blocks\n", mta_leak_class_name(c),
                 mta_commas(a, sizeof a, p->cls_bytes[c]), mta_commas(b, sizeof b, p->cls_blocks[c]));
        mta_xml_escape(out, line);
    }
    snprintf(line, sizeof line, "suppressed: %s bytes in %s blocks\ncounted by the gate: %s "
             "bytes\n", mta_commas(a, sizeof a, p->suppressed_bytes),
             mta_commas(b, sizeof b, p->suppressed_blocks), mta_commas(e, sizeof e, p->gate_bytes));
    mta_xml_escape(out, line);
}

static void testcase(FILE *out, const struct mta_ci_run *ci, const struct mta_ci_proc *p)
{
    char name[512], msg[1024];
    if (p->error)
        snprintf(name, sizeof name, "%s", p->trace);
    else
        snprintf(name, sizeof name, "%s (pid %llu)", p->image, (unsigned long long)p->pid);
    fputs("    <testcase", out);
    attr(out, "name", name);
    attr(out, "classname", p->error ? "unreadable" : p->image);
    fputs(" time=\"0\">\n", out);
    switch (p->verdict) {
    case MTA_CI_FAIL:
        fputs("      <failure", out);
        attr(out, "message", mta_ci_failure_text(msg, sizeof msg, ci, p));
        attr(out, "type", p->leak_fail ? "leak" : "max-peak");
        fputc('>', out);
        mta_xml_escape(out, msg);
        fputs("&#10;", out);
        if (p->leak_fail)
            stacks_text(out, p, 1);
        fputs("</failure>\n", out);
        break;
    case MTA_CI_INCONCLUSIVE:
        snprintf(msg, sizeof msg, "leak check inconclusive: %s", p->why_inconclusive);
        fputs("      <error", out);
        attr(out, "message", msg);
        attr(out, "type", "inconclusive");
        fputc('>', out);
        stacks_text(out, p, 0);
        fputs("</error>\n", out);
        break;
    case MTA_CI_UNREADABLE:
        fputs("      <error", out);
        attr(out, "message", p->error);
        attr(out, "type", "unreadable");
        fputs("/>\n", out);
        break;
    case MTA_CI_PASS:
        break;
    }
    if (!p->error) {
        fputs("      <system-out>", out);
        totals_text(out, p);
        fputs("</system-out>\n", out);
    }
    fputs("    </testcase>\n", out);
}

int mta_ci_junit(FILE *out, const struct mta_ci_run *ci)
{
    char v[96];
    size_t errors = ci->inconclusive + ci->unreadable;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
    attr(out, "name", "mtrace");
    attr_u(out, "tests", ci->n);
    attr_u(out, "failures", ci->failed);
    attr_u(out, "errors", errors);
    fputs(">\n  <testsuite", out);
    attr(out, "name", "mtrace");
    attr_u(out, "tests", ci->n);
    attr_u(out, "failures", ci->failed);
    attr_u(out, "errors", errors);
    fputs(" skipped=\"0\" time=\"0\">\n    <properties>\n", out);
    snprintf(v, sizeof v, "%lld%s", ci->limit, ci->gate_given ? "" : " (not given: 0)");
    property(out, "fail-on-leaks", v);
    property(out, "leak-kinds", mta_ci_kinds_text(v, sizeof v, ci->leak_kinds));
    if (ci->max_peak_set) {
        snprintf(v, sizeof v, "%lld", ci->max_peak);
        property(out, "max-peak", v);
    }
    snprintf(v, sizeof v, "%llu", (unsigned long long)ci->gate_sum);
    property(out, "counted-bytes", v);
    fputs("    </properties>\n", out);
    for (size_t i = 0; i < ci->n; i++)
        testcase(out, ci, &ci->procs[i]);
    fputs("  </testsuite>\n</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}

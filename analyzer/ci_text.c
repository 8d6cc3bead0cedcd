/* The plain words the CI formats share (ci_render.h). */
#include <stdio.h>

#include "ci_render.h"
#include "report.h"

const char *mta_ci_frame_text(char *buf, size_t cap, const struct mta_ci_frame *f)
{
    int rel;
    if (f->file)
        snprintf(buf, cap, "%s %s:%d", f->function ? f->function : "??",
                 mta_ci_rel_path(f->file, &rel), f->line);
    else if (f->module)
        snprintf(buf, cap, "%s %s", f->function ? f->function : "??", f->module);
    else
        snprintf(buf, cap, "%s 0x%llx", f->function ? f->function : "??",
                 (unsigned long long)f->address);
    return buf;
}

const char *mta_ci_finding_text(char *buf, size_t cap, const struct mta_ci_proc *p,
                                const struct mta_ci_finding *f)
{
    char a[32], b[32], where[1024] = "";
    const struct mta_ci_frame *fr = f->loc >= 0 ? &f->where : f->nframes ? &f->frames[0] : NULL;
    if (fr) {
        int rel;
        if (fr->file)
            snprintf(where, sizeof where, ", allocated in %s (%s:%d)",
                     fr->function ? fr->function : "??", mta_ci_rel_path(fr->file, &rel),
                     fr->line);
        else
            snprintf(where, sizeof where, ", allocated in %s", fr->function ? fr->function
                                                                            : "??");
    }
    snprintf(buf, cap, "%s bytes in %s block%s %s%s%s, process %s pid %llu",
             mta_commas(a, sizeof a, f->bytes), mta_commas(b, sizeof b, f->blocks),
             f->blocks == 1 ? "" : "s", mta_ci_class_words(f->cls), where,
             f->suppressed ? " (suppressed)" : "", p->image, (unsigned long long)p->pid);
    return buf;
}

const char *mta_ci_kinds_text(char *buf, size_t cap, unsigned kinds)
{
    static const char *const names[] = {"definite", "indirect", "possible", "reachable"};
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned c = 0; c < 4; c++)
        if (kinds & (1u << c)) {
            int w = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", names[c]);
            if (w < 0 || (size_t)w >= cap - len)
                break;
            len += (size_t)w;
        }
    return buf;
}

const char *mta_ci_failure_text(char *buf, size_t cap, const struct mta_ci_run *ci,
                                const struct mta_ci_proc *p)
{
    char a[32], b[32], k[64], peak[160] = "";
    if (p->peak_fail)
        snprintf(peak, sizeof peak, "%speak live heap %s bytes is above --max-peak %s",
                 p->leak_fail ? "; " : "", mta_commas(a, sizeof a, p->peak_bytes),
                 mta_commas(b, sizeof b, (uint64_t)ci->max_peak));
    if (!p->leak_fail) {
        snprintf(buf, cap, "%s", peak);
        return buf;
    }
    snprintf(buf, cap, "%s bytes of leaks (%s) counted; the gate allows %s byte%s over all "
             "processes%s%s", mta_commas(a, sizeof a, p->gate_bytes),
             mta_ci_kinds_text(k, sizeof k, ci->leak_kinds),
             mta_commas(b, sizeof b, (uint64_t)ci->limit), ci->limit == 1 ? "" : "s",
             ci->gate_given ? "" : " (--fail-on-leaks not given: 0)", peak);
    return buf;
}

const char *mta_ci_ended_text(char *buf, size_t cap, const struct mta_ci_proc *p)
{
    return mta_ended_text(buf, cap, p->end_state, p->end_code);
}

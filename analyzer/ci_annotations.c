/* GitHub Actions workflow commands of the CI view: a line
 *   ::error file=F,line=N,title=T::MESSAGE
 * per finding the failed gate counts (::warning for the others shown, none
 * for suppressed ones), one per --max-peak failure, inconclusive verdict
 * and unreadable trace.  GitHub turns each into an annotation on F:N.
 * Escaping is GitHub's: in the message % CR LF as %25 %0D %0A; in a
 * property also : and , as %3A and %2C. */
#include <stdio.h>

#include "ci_render.h"

static void escaped(FILE *out, const char *s, int property)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '%': fputs("%25", out); break;
        case '\r': fputs("%0D", out); break;
        case '\n': fputs("%0A", out); break;
        case ':': fputs(property ? "%3A" : ":", out); break;
        case ',': fputs(property ? "%2C" : ",", out); break;
        default: fputc(*s, out); break;
        }
    }
}

/* ::KIND file=F,line=N,title=T::MESSAGE (file and line when known) */
static void command(FILE *out, const char *kind, const struct mta_ci_frame *where,
                    const char *title, const char *message)
{
    fprintf(out, "::%s ", kind);
    if (where && where->file) {
        int rel;
        fputs("file=", out);
        escaped(out, mta_ci_rel_path(where->file, &rel), 1);
        if (where->line > 0)
            fprintf(out, ",line=%d", where->line);
        fputc(',', out);
    }
    fputs("title=", out);
    escaped(out, title, 1);
    fputs("::", out);
    escaped(out, message, 0);
    fputc('\n', out);
}

static void finding(FILE *out, const struct mta_ci_proc *p, const struct mta_ci_finding *f)
{
    char msg[8192], title[256], fr[1024];
    size_t len = 0;
    int w = snprintf(msg, sizeof msg, "%s", mta_ci_finding_text(fr, sizeof fr, p, f));
    len = w > 0 ? (size_t)w : 0;
    for (unsigned k = 0; k < f->nframes && len < sizeof msg; k++) {
        w = snprintf(msg + len, sizeof msg - len, "\n    %s",
                     mta_ci_frame_text(fr, sizeof fr, &f->frames[k]));
        len += w > 0 ? (size_t)w : 0;
    }
    snprintf(title, sizeof title, "mtrace: %s (%s pid %llu)", mta_ci_class_words(f->cls),
             p->image, (unsigned long long)p->pid);
    command(out, f->error ? "error" : "warning", f->loc >= 0 ? &f->where : NULL, title, msg);
}

void mta_ci_annotations(FILE *out, const struct mta_ci_run *ci)
{
    char msg[1024], title[256];
    for (size_t i = 0; i < ci->n; i++) {
        const struct mta_ci_proc *p = &ci->procs[i];
        if (p->error) {
            snprintf(msg, sizeof msg, "trace not read: %s", p->error);
            command(out, "error", NULL, "mtrace: trace not read", msg);
            continue;
        }
        for (size_t j = 0; j < p->nfindings; j++)
            if (!p->findings[j].suppressed)
                finding(out, p, &p->findings[j]);
        snprintf(title, sizeof title, "mtrace: %s pid %llu", p->image,
                 (unsigned long long)p->pid);
        if (p->peak_fail) {
            snprintf(msg, sizeof msg, "peak live heap %llu bytes is above --max-peak %lld",
                     (unsigned long long)p->peak_bytes, ci->max_peak);
            command(out, "error", NULL, title, msg);
        }
        if (p->verdict == MTA_CI_INCONCLUSIVE) {
            snprintf(msg, sizeof msg, "leak check inconclusive: %s", p->why_inconclusive);
            command(out, "warning", NULL, title, msg);
        }
    }
}

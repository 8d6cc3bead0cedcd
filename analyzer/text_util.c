/* What every text renderer shares: a frame on its line, a stack's frames
 * and the note on how it ends. */
#include <stdio.h>

#include "fmt.h"
#include "frames.h"
#include "text_util.h"

void mta_print_frame(FILE *out, const struct mta_frame *f, const struct mta_report_opts *o)
{
    const char *fn = f->function ? f->function : "??";
    fprintf(out, "      %s%s%s", MTA_BOLD(o), fn, MTA_RESET(o));
    if (f->inlined)
        fprintf(out, " %s(inlined)%s", MTA_DIM(o), MTA_RESET(o));
    if (f->file)
        fprintf(out, "  %s:%d", mta_short_path(f->file), f->line);
    else if (f->module)
        fprintf(out, "  %s%s+0x%llx%s", MTA_DIM(o), mta_short_path(f->module),
                (unsigned long long)f->offset, MTA_RESET(o));
    else
        fprintf(out, "  %s0x%llx%s", MTA_DIM(o), (unsigned long long)f->address, MTA_RESET(o));
    fputc('\n', out);
}

/* A listed stack's frames, one a line, and how it ends (cut, more frames). */
void mta_print_stack(FILE *out, struct mta_symbolizer *sym, const struct mta_model *m,
                     uint32_t stack, const struct mta_report_opts *o)
{
    struct mta_frame frames[MT_MAX_DEPTH * 2];
    struct mta_stack_end end;
    unsigned k = mta_stack_frames_end(sym, m, stack, o, frames,
                                      sizeof frames / sizeof frames[0], &end);
    if (!k)
        fprintf(out, "      (no stack recorded)\n");
    for (unsigned j = 0; j < k; j++)
        mta_print_frame(out, &frames[j], o);
    mta_print_stack_end(out, &end, "      ");
}

void mta_print_stack_end(FILE *out, const struct mta_stack_end *end, const char *indent)
{
    if (end->more)
        fprintf(out, "%s... %u more frame%s (--frames 0 shows all)%s\n", indent, end->more,
                end->more == 1 ? "" : "s", end->cut ? "," : "");
    if (end->cut) {
        if (end->depth)
            fprintf(out, "%s(stack cut at MTRACE_DEPTH=%u: the program had more frames)\n",
                    indent, end->depth);
        else
            fprintf(out, "%s(stack cut at the depth limit: the program had more frames)\n",
                    indent);
    }
}


/* Progress on a terminal (progress.h). */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

#define CHECK_EVERY 65536            /* events between clock reads */
#define FIRST_AFTER_NS 500000000ull  /* quiet for short reads */
#define EVERY_NS 200000000ull

int mta_progress_wanted(void)
{
    return isatty(2);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void p_info(void *ctx, const struct mta_trace_info *in)
{
    struct mta_progress *p = ctx;
    if (p->inner.info)
        p->inner.info(p->inner.ctx, in);
}

static void p_stack(void *ctx, uint64_t id, const uint64_t *frames, unsigned n)
{
    struct mta_progress *p = ctx;
    if (p->inner.stack)
        p->inner.stack(p->inner.ctx, id, frames, n);
}

static void p_module(void *ctx, const struct mta_module *m)
{
    struct mta_progress *p = ctx;
    if (p->inner.module)
        p->inner.module(p->inner.ctx, m);
}

static void p_done(void *ctx, const struct mta_trace_info *in)
{
    struct mta_progress *p = ctx;
    if (p->inner.done)
        p->inner.done(p->inner.ctx, in);
}

static void p_upcoming(void *ctx, const struct mta_event *ev)
{
    struct mta_progress *p = ctx;
    if (p->inner.upcoming)
        p->inner.upcoming(p->inner.ctx, ev);
}

static void p_stack_cut(void *ctx, uint64_t id)
{
    struct mta_progress *p = ctx;
    if (p->inner.stack_cut)
        p->inner.stack_cut(p->inner.ctx, id);
}

static int p_event(void *ctx, const struct mta_event *ev)
{
    struct mta_progress *p = ctx;
    if (++p->events >= p->next_check) {
        p->next_check = p->events + CHECK_EVERY;
        uint64_t t = now_ns();
        if (t - p->start_ns >= FIRST_AFTER_NS && t - p->last_ns >= EVERY_NS) {
            p->last_ns = t;
            p->shown = 1;
            fprintf(stderr, "\rmtrace-report: reading %s: %.1f M events (%.0f s)\033[K",
                    p->what, (double)p->events / 1e6, (double)(t - p->start_ns) / 1e9);
        }
    }
    return p->inner.event ? p->inner.event(p->inner.ctx, ev) : 0;
}

struct mta_sink mta_progress_sink(struct mta_progress *p, struct mta_sink inner,
                                  const char *what)
{
    *p = (struct mta_progress){.inner = inner, .what = what, .next_check = CHECK_EVERY,
                               .start_ns = now_ns()};
    struct mta_sink s = {p, p_info, p_stack, p_module, p_event, p_done,
                         inner.upcoming ? p_upcoming : NULL, p_stack_cut};
    return s;
}

void mta_progress_step(struct mta_progress *p, const char *step)
{
    if (!p->shown)
        return;
    if (step)
        fprintf(stderr, "\rmtrace-report: %s: %s\033[K", p->what, step);
    else
        fputs("\r\033[K", stderr);
}

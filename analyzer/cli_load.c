/* One trace loaded for a report (cli_load.h). */
#include <stdio.h>

#include "cli_load.h"
#include "errors.h"
#include "progress.h"
#include "suppress.h"
#include "xalloc.h"

int mta_load(struct mta_loaded *l, const char *path, const struct mta_report_opts *o,
             struct mta_error *err)
{
    l->sym = NULL;
    mta_alloc_set_input(path);
    if (mta_model_init(&l->model)) {
        mta_set_error(err, MTA_EXIT_INTERNAL, "out of memory");
        return MTA_EXIT_INTERNAL;
    }
    struct mta_progress progress;
    struct mta_sink sink = mta_model_sink(&l->model);
    if (o->progress)
        sink = mta_progress_sink(&progress, sink, path);
    l->model.source_path = mta_xstrdup(path);
    int rc = mta_read_any(path, &sink, err);
    if (o->progress)
        mta_progress_step(&progress, NULL);
    if (rc) {
        mta_model_free(&l->model);
        return err->code ? err->code : MTA_EXIT_CORRUPT;
    }
    mta_model_finish(&l->model);
    if (o->supp && (rc = mta_supp_apply(o->supp, &l->model, o, err))) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%.200s: %.300s", path, err->msg);
        mta_set_error(err, rc, "%s", msg);
        mta_model_free(&l->model);
        return rc;
    }
    l->sym = mta_sym_new();
    mta_sym_short_templates(l->sym, o->short_templates);
    for (size_t i = 0; i < l->model.n_modules; i++)
        mta_sym_add_module(l->sym, &l->model.modules[i]);
    return 0;
}

void mta_loaded_free(struct mta_loaded *l)
{
    mta_sym_free(l->sym);
    mta_model_free(&l->model);
}

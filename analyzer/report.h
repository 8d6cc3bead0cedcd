/* What views and renderers of a process's report build on: the model, its
 * symbolised frames, the options, the site ranker, words and numbers.
 * Renderers: render_text.h (for people), render_json.h (for programs). */
#ifndef MTA_REPORT_H
#define MTA_REPORT_H

#include <stdio.h>

#include "ci_view.h"
#include "fmt.h"
#include "frames.h"
#include "model.h"
#include "report_opts.h"
#include "suppress.h"
#include "symbolize.h"
#include "view_sites.h"

#endif

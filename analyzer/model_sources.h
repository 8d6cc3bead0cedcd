/* The sources part of the model (model_sources.c): model.c passes it each
 * allocation, heap-layout event and malloc setting as the trace is read. */
#ifndef MTA_MODEL_SOURCES_H
#define MTA_MODEL_SOURCES_H

#include <stdint.h>

#include "model_core.h"

/* Reads glibc's settings from the recorded tunables (after the trace info). */
void mta_sources_tunables(struct mta_model *m);
void mta_sources_on_alloc(struct mta_model *m, const struct mta_event *ev, uint32_t stack);
void mta_sources_on_heap_event(struct mta_model *m, const struct mta_event *ev, uint32_t stack);
void mta_sources_on_setting(struct mta_model *m, const struct mta_event *ev);

#endif

/* The analyzer's one model of a trace: live blocks, stacks, per-stack
 * totals, and where the memory came from.  Every report is a function of
 * it.  It grows with live blocks, distinct stacks and heap-layout events
 * (break moves, chunk mmaps), never with the number of allocations.
 * Its data and shared helpers: model_core.h. */
#ifndef MTA_MODEL_H
#define MTA_MODEL_H

#include <stdint.h>

#include "model_core.h"

int mta_model_init(struct mta_model *m);
void mta_model_free(struct mta_model *m);
/* A sink that feeds the model. */
struct mta_sink mta_model_sink(struct mta_model *m);
/* Could ptr, freed without the trace having seen it allocated, have been a
 * heap block made before tracing began?  (See invalid_frees.) */
int mta_model_could_be_heap(struct mta_model *m, uint64_t ptr);
/* Computes leaks (blocks still live) per site.  Call after reading. */
void mta_model_finish(struct mta_model *m);
/* Reads a trace (binary or JSON) into the model. */
int mta_model_load(struct mta_model *m, const char *path, struct mta_error *err);

#endif

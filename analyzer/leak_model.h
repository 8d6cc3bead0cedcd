/* The leak verdicts of the model (leak_model.c), called once by
 * mta_model_finish after the whole trace was read. */
#ifndef MTA_LEAK_MODEL_H
#define MTA_LEAK_MODEL_H

#include "model_core.h"

/* Classifies the blocks unfreed at the end. */
void mta_leaks_finish(struct mta_model *m);

#endif

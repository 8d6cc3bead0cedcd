/* Temporaries (model_temporary.c): blocks freed by the allocating thread
 * before it allocated again; model.c passes it allocations and frees. */
#ifndef MTA_MODEL_TEMPORARY_H
#define MTA_MODEL_TEMPORARY_H

#include <stdint.h>

#include "model_core.h"

/* Thread tid allocated ptr. */
void mta_temporary_on_alloc(struct mta_model *m, uint32_t tid, uint64_t ptr);
/* Thread tid frees ptr: 1 if it was a temporary. */
int mta_temporary_on_free(struct mta_model *m, uint32_t tid, uint64_t ptr);

#endif

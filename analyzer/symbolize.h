/* Offline symbolisation of recorded return addresses with elfutils libdw,
 * from the module list the trace recorded (path, load range, bias,
 * build-id).  Never runs inside the traced process. */
#ifndef MTA_SYMBOLIZE_H
#define MTA_SYMBOLIZE_H

#include <stdint.h>

#include "trace.h"

struct mta_frame {
    uint64_t address;      /* the recorded address */
    const char *function;  /* demangled if possible; NULL if unknown */
    const char *file;      /* source file, NULL if unknown */
    int line;              /* 0 if unknown */
    int inlined;           /* 1: an inlined frame inside the next frame */
    const char *module;    /* path of the module, NULL if none */
    uint64_t offset;       /* address - module bias */
};

struct mta_symbolizer;

struct mta_symbolizer *mta_sym_new(void);
void mta_sym_free(struct mta_symbolizer *s);
/* Registers a module as recorded (the same module may be reported twice;
 * keep one per start address). */
void mta_sym_add_module(struct mta_symbolizer *s, const struct mta_module *m);
/* Resolves one recorded address.  `is_return_address` is 1 for frames of a
 * recorded stack (look up address - 1 so the line is the call's).  Writes
 * the innermost inlined frame first and the containing function last; returns
 * how many (at least 1: an unknown address gives one frame with NULL names).
 * Strings stay valid until mta_sym_free. Results are cached per address. */
unsigned mta_sym_resolve(struct mta_symbolizer *s, uint64_t address, int is_return_address,
                         struct mta_frame *out, unsigned max);
/* Problems noticed (missing file, build-id mismatch), one per line, or NULL. */
const char *mta_sym_warnings(struct mta_symbolizer *s);

#endif

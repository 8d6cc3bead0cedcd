/* Offline symbolisation of recorded return addresses with elfutils libdw,
 * from the module list the trace recorded (path, load range, bias,
 * build-id).  Never runs inside the traced process. */
#ifndef MTA_SYMBOLIZE_H
#define MTA_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct mta_frame {
    uint64_t address;      /* the recorded address */
    const char *function;  /* NULL if unknown.  DWARF name, else the symbol
                              table's (without "@VERSION").  C++ names are
                              demangled ("operator new(unsigned long)") */
    const char *file;      /* source file (made absolute with the CU's
                              compilation directory, as addr2line does);
                              NULL if unknown */
    int line;              /* 0 if unknown */
    int inlined;           /* 1: an inlined frame inside the next frame */
    const char *module;    /* path of the module as recorded, NULL if none */
    uint64_t offset;       /* address - module bias (the address itself when
                              no module holds it) */
};

/* Not thread-safe: use one symbolizer from one thread at a time. */
struct mta_symbolizer;

/* NULL if out of memory.  Every function accepts a NULL symbolizer. */
struct mta_symbolizer *mta_sym_new(void);
void mta_sym_free(struct mta_symbolizer *s);
/* Registers a module as recorded (the same module may be reported twice;
 * keep one per start address: the first).  Empty or inverted ranges are
 * ignored.  Files are opened lazily, when an address inside is resolved; a
 * path that is not absolute and does not exist ("linux-vdso.so.1", "[vdso]")
 * or an empty path gives frames without names and no warning. */
void mta_sym_add_module(struct mta_symbolizer *s, const struct mta_module *m);
/* Resolves one recorded address.  `is_return_address` is 1 for frames of a
 * recorded stack (look up address - 1 so the line is the call's).  Writes
 * the innermost inlined frame first and the containing function last; returns
 * how many (at least 1: an unknown address gives one frame with NULL names).
 * Each frame's file:line is where that function stands: the innermost's from
 * the line table, an outer one's the call site of the frame inside it (as
 * addr2line -i prints them).  With more frames than `max`, the innermost
 * max - 1 and the containing function are written; max == 0 writes nothing
 * and returns 0.  Strings stay valid until mta_sym_free. Results are cached
 * per address. */
unsigned mta_sym_resolve(struct mta_symbolizer *s, uint64_t address, int is_return_address,
                         struct mta_frame *out, unsigned max);
/* Template arguments of C++ names shortened from now on (call before
 * resolving: results are cached): "Registry<...>::make<...>(int&)". */
void mta_sym_short_templates(struct mta_symbolizer *s, int on);
/* Writes `in` with every template argument list replaced by "<...>"
 * (operator<, operator<< and friends kept) into out (cap bytes, always
 * terminated when cap > 0); returns the length the whole result needs. */
size_t mta_short_templates(const char *in, char *out, size_t cap);
/* Problems noticed so far (missing file, build-id mismatch), one per line,
 * or NULL.  A module is only checked when an address inside it is first
 * resolved, so ask after resolving.  Valid until the next call or
 * mta_sym_free.  Lines look like
 *   PATH: not found; its frames are shown as addresses
 *   PATH: cannot be read (REASON); its frames are shown as addresses
 *   PATH: build-id on disk (HEX) does not match the trace (HEX); file:line may be wrong
 * with control characters of PATH escaped as \xNN. */
const char *mta_sym_warnings(struct mta_symbolizer *s);

#endif

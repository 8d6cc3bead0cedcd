/* Unwinding the program's stack from inside a hook.
 *
 * Exact and fast, in three tiers:
 *  1. Frame-pointer walk, trusted only through functions known to keep rbp as
 *     their frame base at that call site (a per-return-address verdict).
 *  2. Where the walk reaches a frame that does not (or is not known yet),
 *     libunwind (DWARF CFI) unwinds the rest from that frame, and while doing
 *     so learns the verdicts of every frame it steps through: a frame is
 *     frame-pointer based iff the caller libunwind finds is the one the
 *     frame-pointer rule would give.
 * Both tiers also report where each return address sits on the stack, so
 * that stack.c can recognise a stack it has seen without unwinding it.
 * MTRACE_UNWIND=1 uses libunwind's unw_backtrace for every stack. */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>
#include <string.h>
#include <ucontext.h>

#include "glibc.h"
#include "options.h"
#include "shim.h"
#include "unwind.h"

/* ---- the address range of libmtrace.so's own code: frames there are ours ---- */

static uintptr_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t probe = (uintptr_t)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (probe >= lo && probe < hi) {
            self_lo = lo;
            self_hi = hi;
            return 1;
        }
    }
    return 0;
}

static inline int is_self(uintptr_t pc)
{
    return pc >= self_lo && pc < self_hi;
}

/* ---- verdicts: how to find the caller of the frame around a return address ----
 *
 * FP: the function keeps rbp as its frame base (caller = *(rbp + 8)).
 * SP: it does not, but its frame has a fixed size at this call site: the
 *   caller's stack pointer (the CFA) is sp + k, its return address sits at
 *   CFA - 8, and rbp is either the caller's own (SP) or saved at CFA - o
 *   (SP_BP).  Learnt from libunwind's steps, trusted only once a second
 *   step from the same return address agreed (a function with alloca or a
 *   realigned stack has no fixed k: it disagrees and stays NOFP); each use
 *   checks the return address found is in a module's code.  This is what
 *   spares code built without frame pointers (Debian's binaries) a libunwind
 *   walk, and its signal-mask system calls, for every stack not seen before.
 * NOFP: neither: libunwind (DWARF) every time.
 * The word: kind in bits 0-7, k in bits 8-31, o in bits 32-47. */
enum { VERDICT_UNKNOWN = 0, VERDICT_FP = 1, VERDICT_NOFP = 2, VERDICT_SP = 3,
       VERDICT_SP_BP = 4, VERDICT_SP_SEEN = 5, VERDICT_SP_BP_SEEN = 6 };
#define VERDICT_KIND(w) ((unsigned)((w) & 0xff))
#define VERDICT_K(w) (((w) >> 8) & 0xffffff)
#define VERDICT_O(w) (((w) >> 32) & 0xffff)

#define VERDICT_SLOTS (1u << 16)
struct verdict_slot {
    uintptr_t ra;
    uintptr_t verdict;
};
static struct verdict_slot *verdicts; /* lock-free: slots claimed by CAS on ra */

static inline size_t verdict_hash(uintptr_t ra)
{
    return (size_t)((ra * 0x9e3779b97f4a7c15ull) >> 48) & (VERDICT_SLOTS - 1);
}

static inline uintptr_t verdict_of(uintptr_t ra)
{
    if (MT_UNLIKELY(!verdicts))
        return VERDICT_UNKNOWN; /* MTRACE_UNWIND=1 fell back to the first frame */
    size_t i = verdict_hash(ra);
    for (unsigned probe = 0; probe < 8; probe++, i = (i + 1) & (VERDICT_SLOTS - 1)) {
        uintptr_t k = __atomic_load_n(&verdicts[i].ra, __ATOMIC_ACQUIRE);
        if (k == ra)
            return __atomic_load_n(&verdicts[i].verdict, __ATOMIC_RELAXED);
        if (!k)
            return VERDICT_UNKNOWN;
    }
    return VERDICT_UNKNOWN;
}

/* A step libunwind made from the frame at ra gave this verdict word. */
static void verdict_learn(uintptr_t ra, uintptr_t w)
{
    unsigned kind = VERDICT_KIND(w);
    uintptr_t first = kind == VERDICT_SP ? (w & ~(uintptr_t)0xff) | VERDICT_SP_SEEN
                    : kind == VERDICT_SP_BP ? (w & ~(uintptr_t)0xff) | VERDICT_SP_BP_SEEN : w;
    size_t i = verdict_hash(ra);
    for (unsigned probe = 0; probe < 8; probe++, i = (i + 1) & (VERDICT_SLOTS - 1)) {
        uintptr_t k = __atomic_load_n(&verdicts[i].ra, __ATOMIC_ACQUIRE);
        if (!k) {
            /* publish the verdict before the key becomes visible */
            __atomic_store_n(&verdicts[i].verdict, first, __ATOMIC_RELAXED);
            if (__atomic_compare_exchange_n(&verdicts[i].ra, &k, ra, 0, __ATOMIC_RELEASE,
                                            __ATOMIC_ACQUIRE))
                return;
        }
        if (k == ra) {
            uintptr_t old = __atomic_load_n(&verdicts[i].verdict, __ATOMIC_RELAXED);
            unsigned ok = VERDICT_KIND(old);
            if (ok == VERDICT_SP_SEEN || ok == VERDICT_SP_BP_SEEN)
                /* the second step: the same rule confirms it, another
                 * condemns the return address to DWARF */
                __atomic_store_n(&verdicts[i].verdict, old == first ? w : VERDICT_NOFP,
                                 __ATOMIC_RELAXED);
            return; /* else the first verdict stands */
        }
    }
}

/* The rule a step from (sp, bp) to (nsp, nbp) followed, if a fixed-size
 * frame explains it: the verdict word, or VERDICT_NOFP. */
static uintptr_t sp_rule(uintptr_t sp, uintptr_t bp, uintptr_t nsp, uintptr_t nbp)
{
    uintptr_t k = nsp - sp;
    if (nsp <= sp || k >= (1u << 20) || (k & 7))
        return VERDICT_NOFP;
    if (nbp == bp)
        return VERDICT_SP | k << 8;
    /* where this frame saved the caller's rbp: the highest slot holding it */
    for (uintptr_t a = nsp - 16; a >= sp && nsp - a <= 512; a -= 8)
        if (*(const uintptr_t *)a == nbp)
            return VERDICT_SP_BP | k << 8 | (uintptr_t)(nsp - a) << 32;
    return VERDICT_NOFP;
}

void mt_unwind_forget_code(void)
{
    /* a module was unloaded: its addresses may be reused by other code */
    if (verdicts)
        memset(verdicts, 0, VERDICT_SLOTS * sizeof *verdicts);
}

/* ---- tier 3: libunwind from a known frame ---- */

/* Unwinds the callers of the frame (ip, sp, bp) with libunwind; writes up to
 * max return addresses (and their stack pointers) and learns verdicts.  Stops
 * at the outermost frame or at a frame of libmtrace (the shim's main wrapper,
 * its exit()): nothing outward of it is the program's.  *more is set when a
 * further frame of the program exists beyond max (the stack was cut). */
static unsigned dwarf_tail(uintptr_t ip, uintptr_t sp, uintptr_t bp, uintptr_t *ips,
                           uintptr_t *sps, unsigned max, int *more)
{
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    uc.uc_mcontext.gregs[REG_RIP] = (greg_t)ip;
    uc.uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
    uc.uc_mcontext.gregs[REG_RBP] = (greg_t)bp;
    unw_cursor_t cur;
    if (unw_init_local(&cur, &uc) < 0)
        return 0;
    unsigned n = 0;
    uintptr_t cip = ip, csp = sp, cbp = bp;
    while (unw_step(&cur) > 0) {
        unw_word_t nip, nsp, nbp;
        unw_get_reg(&cur, UNW_REG_IP, &nip);
        unw_get_reg(&cur, UNW_REG_SP, &nsp);
        unw_get_reg(&cur, UNW_X86_64_RBP, &nbp);
        if (!nip)
            break;
        /* would the frame-pointer rule have found this caller?  Learnt for
         * the program's outermost frame too (its caller is the shim's main
         * wrapper): else every new stack would end in libunwind. */
        int fp_ok = cbp >= csp && cbp - csp < (64u << 20) && !(cbp & 7) &&
                    nsp == cbp + 16 && nip == *(const uintptr_t *)(cbp + 8) &&
                    nbp == *(const uintptr_t *)cbp;
        verdict_learn(cip, fp_ok ? VERDICT_FP : sp_rule(csp, cbp, nsp, nbp));
        if (is_self(nip))
            break;
        if (n == max) {
            *more = 1;
            break;
        }
        ips[n] = nip;
        sps[n] = nsp;
        n++;
        cip = nip;
        csp = nsp;
        cbp = nbp;
    }
    return n;
}

/* ---- the unwinder ---- */

static unsigned unwind_dwarf_only(uintptr_t *frames, unsigned max, int *cut)
{
    void *buf[MT_MAX_DEPTH + 17];
    unsigned want = max + 17;
    int n = unw_backtrace(buf, (int)want);
    int i = 0;
    while (i < n && is_self((uintptr_t)buf[i]))
        i++;
    unsigned out = 0;
    for (; i < n && !is_self((uintptr_t)buf[i]); i++) {
        if (out == max) {
            *cut = 1;
            break;
        }
        frames[out++] = (uintptr_t)buf[i];
    }
    return out;
}

/* The first frame of the program above libmtrace's own frames, as it will
 * be once the hook returns.  All of libmtrace keeps frame pointers. */
__attribute__((noinline)) void mt_unwind_start(struct mt_frame *f)
{
    uintptr_t bp = (uintptr_t)__builtin_frame_address(0);
    uintptr_t ip = *(uintptr_t *)(bp + 8);
    uintptr_t sp = bp + 16;
    bp = *(uintptr_t *)bp;
    while (is_self(ip)) {
        uintptr_t nbp = *(uintptr_t *)bp;
        sp = bp + 16;
        ip = *(uintptr_t *)(bp + 8);
        bp = nbp;
    }
    f->ip = ip;
    f->sp = sp;
    f->bp = bp;
}

unsigned mt_unwind_from(const struct mt_frame *start, uintptr_t *ips, uintptr_t *sps,
                        unsigned max, int *cut)
{
    uintptr_t ip = start->ip, sp = start->sp, bp = start->bp;
    unsigned n = 0;
    *cut = 0;
    /* Walk while each frame is known to keep rbp as its frame base.  The
     * walk ends at the outermost frame, or where it reaches libmtrace's own
     * code (the main wrapper the shim hands to __libc_start_main): the
     * program's stack ends there, and libc's start-up frames are outward. */
    for (;;) {
        uintptr_t w = verdict_of(ip), nip, nsp, nbp;
        unsigned kind = VERDICT_KIND(w);
        if (kind == VERDICT_FP) {
            if (bp < sp || bp - sp > (64u << 20) || (bp & 7)) {
                if (n == max)
                    return n;
                ips[n] = ip;
                sps[n] = sp;
                n++;
                break; /* implausible frame pointer: let DWARF decide */
            }
            nsp = bp + 16;
            nip = *(uintptr_t *)(bp + 8);
            nbp = *(uintptr_t *)bp;
        } else if (kind == VERDICT_SP || kind == VERDICT_SP_BP) {
            nsp = sp + VERDICT_K(w);
            nip = *(uintptr_t *)(nsp - 8);
            nbp = kind == VERDICT_SP ? bp : *(uintptr_t *)(nsp - VERDICT_O(w));
            if (nip && !is_self(nip) && !mt_code_known(nip)) {
                if (n == max)
                    break; /* DWARF says whether the stack goes on */
                ips[n] = ip;
                sps[n] = sp;
                n++;
                break; /* not the return address the rule promised: DWARF */
            }
        } else {
            if (n == max)
                break; /* DWARF says whether the stack goes on */
            ips[n] = ip;
            sps[n] = sp;
            n++;
            break;
        }
        if (n == max) {
            /* is there another frame of the program? (one more step) */
            *cut = nip && !is_self(nip);
            return n;
        }
        ips[n] = ip;
        sps[n] = sp;
        n++;
        if (!nip || is_self(nip))
            return n; /* the outermost frame of the program */
        sp = nsp;
        bp = nbp;
        ip = nip;
    }
    if (!mt_glibc_loader_walk_ok())
        return n; /* libunwind would wait forever for the loader's lock */
    /* DWARF for the rest, learning verdicts on the way.  In a section:
     * libunwind's per-thread cache is not safe against a signal handler's
     * hook unwinding on the same thread, nor its locks against fork. */
    struct mt_internal in;
    mt_internal_begin(&in);
    unsigned k = dwarf_tail(ip, sp, bp, ips + n, sps + n, max - n, cut);
    mt_internal_end(&in);
    return n + k;
}

unsigned mt_unwind_dwarf(uintptr_t *frames, unsigned max, int *cut)
{
    *cut = 0;
    if (!mt_glibc_loader_walk_ok())
        return 0;
    struct mt_internal in;
    mt_internal_begin(&in);
    unsigned n = unwind_dwarf_only(frames, max, cut);
    mt_internal_end(&in);
    return n;
}

void mt_unwind_init(void)
{
    struct mt_internal in;
    mt_internal_begin(&in);
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&mt_unwind_init);
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    if (mt_opt.unwind == 0)
        verdicts = mt_os_alloc(VERDICT_SLOTS * sizeof *verdicts);
    mt_internal_end(&in);
}

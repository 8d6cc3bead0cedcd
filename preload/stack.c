/* Call stacks: capture (unwind.c) and interning.  A stack is written to the
 * trace once per writer level with a global id; later events carry the id.
 * The intern table is per thread and per level, so lookups take no lock;
 * only a new stack touches the shared id counter.
 *
 * In front of it sits a cache of recently seen stacks keyed by the first
 * frame (return address, stack address).  An entry holds where every frame's
 * return address sat on the stack; if the same return addresses still sit in
 * the same places, it is the same stack, and its id is known without
 * unwinding or hashing: one load and compare per frame. */
#include <string.h>

#include "glibc.h"
#include "mtrace/varint.h"
#include "options.h"
#include "unwind.h"
#include "writer.h"

struct slot {
    uint64_t hash;
    const uintptr_t *frames; /* in a pool segment */
    uint32_t id;    /* 0 = empty */
    uint32_t n;     /* frames | SLOT_CUT when the stack was cut at the depth limit */
    uint64_t seq;   /* ring mode: 1 + chunk sequence it was last written in */
};

#define SLOT_CUT (1u << 31)

#define RECENT_SLOTS 256
#define RECENT_FRAMES 64

struct recent {
    uintptr_t ip0, sp0;  /* the first frame */
    uint32_t id;         /* 0: empty */
    uint32_t n;
    uint16_t cut;        /* the stack was cut at the depth limit */
    uint16_t lru;        /* even entry of a set: the way hit last (0 or 1) */
    uint64_t seq;        /* ring mode: as slot.seq */
    uintptr_t ip[RECENT_FRAMES];
    uintptr_t sp[RECENT_FRAMES];
};

struct mt_intern {
    struct recent *recent; /* RECENT_SLOTS entries, mapped on first use */
    struct slot *slots;
    uint32_t mask;
    uint32_t count;
    /* Frames of the stacks seen, in segments that never move (each twice
     * the last): growing copies nothing, so a million new stacks do not
     * fault in a second copy of what is already there. */
    uintptr_t *pool;            /* the current segment */
    size_t pool_cap, pool_used; /* of the current segment, in frames */
#define POOL_SEGMENTS 40
    struct { uintptr_t *base; size_t cap; } seg[POOL_SEGMENTS];
    unsigned nseg;
};

static uint32_t next_stack_id = 1;

static uint64_t hash_frames(const uintptr_t *f, unsigned n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    for (unsigned i = 0; i < n; i++) {
        h ^= f[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h | 1;
}

static struct mt_intern *intern_new(void)
{
    struct mt_intern *in = mt_os_alloc(sizeof *in);
    if (!in)
        return NULL;
    in->mask = 4095;
    in->slots = mt_os_alloc((in->mask + 1) * sizeof(struct slot));
    in->pool_cap = 1u << 16;
    in->pool = mt_os_alloc(in->pool_cap * sizeof(uintptr_t));
    in->seg[0].base = in->pool;
    in->seg[0].cap = in->pool_cap;
    in->nseg = 1;
    if (!in->slots || !in->pool) {
        mt_os_free(in->slots, (in->mask + 1) * sizeof(struct slot));
        mt_os_free(in->pool, in->pool_cap * sizeof(uintptr_t));
        mt_os_free(in, sizeof *in);
        return NULL;
    }
    return in;
}

void mt_intern_reset(struct mt_intern **inp)
{
    struct mt_intern *in = *inp;
    if (!in)
        return;
    *inp = NULL;
    mt_os_free(in->slots, (in->mask + 1) * sizeof(struct slot));
    for (unsigned i = 0; i < in->nseg; i++)
        mt_os_free(in->seg[i].base, in->seg[i].cap * sizeof(uintptr_t));
    mt_os_free(in->recent, RECENT_SLOTS * sizeof(struct recent));
    mt_os_free(in, sizeof *in);
}

static int grow_slots(struct mt_intern *in)
{
    uint32_t ncap = (in->mask + 1) * 2;
    struct slot *ns = mt_os_alloc(ncap * sizeof *ns);
    if (!ns)
        return -1;
    for (uint32_t i = 0; i <= in->mask; i++) {
        struct slot *s = &in->slots[i];
        if (!s->id)
            continue;
        uint32_t j = (uint32_t)s->hash & (ncap - 1);
        while (ns[j].id)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    mt_os_free(in->slots, (in->mask + 1) * sizeof(struct slot));
    in->slots = ns;
    in->mask = ncap - 1;
    return 0;
}

/* A new segment of at least `need` frames, twice the last. */
static int grow_pool(struct mt_intern *in, size_t need)
{
    if (in->nseg == POOL_SEGMENTS)
        return -1;
    size_t ncap = in->pool_cap * 2;
    while (ncap < need)
        ncap *= 2;
    uintptr_t *np = mt_os_alloc(ncap * sizeof *np);
    if (!np)
        return -1;
    in->seg[in->nseg].base = np;
    in->seg[in->nseg].cap = ncap;
    in->nseg++;
    in->pool = np;
    in->pool_cap = ncap;
    in->pool_used = 0;
    return 0;
}

/* Bytes of the records a hook writes after its stack: the event and the
 * heap events that carry the same stack id (an mmap record holds a path). */
#define EVENT_ROOM 1280

/* Ring mode: a chunk that holds an event also holds its stack, since older
 * chunks are overwritten first.  Makes room for the stack and the event in
 * the current chunk and writes the stack there unless it already is. */
static void ring_place(struct mt_thread *t, uint32_t id, const uintptr_t *f, unsigned n,
                       int cut, uint64_t *seq)
{
    struct mt_cursor *c = mt_cursor_of(t);
    if (!mt_reserve(t, c, 1 + (2 + (size_t)n) * MT_VARINT_MAX + EVENT_ROOM, mt_ticks()))
        return; /* the event will be counted as lost */
    uint64_t here = c->chunk->seq + 1;
    if (*seq != here && mt_record_stack(t, id, f, n, cut) == 0)
        *seq = here;
}

static uint32_t intern(struct mt_thread *t, const uintptr_t *f, unsigned n, int cut)
{
    struct mt_cursor *c = mt_cursor_of(t);
    struct mt_intern *in = c->intern;
    if (MT_UNLIKELY(!in)) {
        in = c->intern = intern_new();
        if (!in)
            return 0;
    }
    uint64_t h = hash_frames(f, n) ^ (cut ? 2 : 0);
    uint32_t nkey = n | (cut ? SLOT_CUT : 0);
    uint32_t i = (uint32_t)h & in->mask;
    for (;;) {
        struct slot *s = &in->slots[i];
        if (!s->id)
            break;
        if (s->hash == h && s->n == nkey && !memcmp(s->frames, f, n * sizeof *f)) {
            if (MT_UNLIKELY(mt_w.ring))
                ring_place(t, s->id, f, n, cut, &s->seq);
            return s->id;
        }
        i = (i + 1) & in->mask;
    }
    /* New stack: give it an id and write it before any event uses it.  A
     * new stack may run code the loader just mapped: record new modules. */
    mt_check_modules_for(t, f, n);
    if (in->pool_used + n > in->pool_cap && grow_pool(in, n))
        return 0;
    uint32_t id = __atomic_fetch_add(&next_stack_id, 1, __ATOMIC_RELAXED);
    uint64_t seq = 0;
    if (MT_UNLIKELY(mt_w.ring)) {
        ring_place(t, id, f, n, cut, &seq);
        if (!seq)
            return 0;
    } else if (mt_record_stack(t, id, f, n, cut)) {
        return 0;
    }
    struct slot *s = &in->slots[i];
    s->hash = h;
    s->id = id;
    s->n = nkey;
    s->seq = seq;
    s->frames = in->pool + in->pool_used;
    memcpy(in->pool + in->pool_used, f, n * sizeof *f);
    in->pool_used += n;
    if (++in->count * 2 > in->mask)
        grow_slots(in);
    return id;
}

/* Two ways per set: call sites a few bytes apart that hash to one set (16
 * malloc calls of one function, say) no longer evict each other on every
 * call, so the hit rate does not depend on code layout.  The even entry's
 * `lru` says which way was hit last; a new stack replaces the other. */
static inline struct recent *recent_set(struct mt_intern *in, uintptr_t ip, uintptr_t sp)
{
    size_t h = (size_t)(((ip ^ (sp << 9)) * 0x9e3779b97f4a7c15ull) >> 57);
    return &in->recent[(h * 2) & (RECENT_SLOTS - 1)];
}

/* Is the stack at (ip0, sp0) the one this entry recorded? */
static inline int recent_matches(const struct recent *r, uintptr_t ip0, uintptr_t sp0)
{
    if (r->ip0 != ip0 || r->sp0 != sp0 || !r->id)
        return 0;
    for (uint32_t i = 1; i < r->n; i++)
        if (*(const uintptr_t *)(r->sp[i] - 8) != r->ip[i])
            return 0;
    return 1;
}

uint32_t mt_stack_here(struct mt_thread *t)
{
    struct mt_frame start;
    mt_unwind_start(&start);
    return mt_stack_at(t, &start);
}

uint32_t mt_stack_at(struct mt_thread *t, const struct mt_frame *from)
{
    uintptr_t frames[MT_MAX_DEPTH], sps[MT_MAX_DEPTH];
    unsigned max = mt_opt.depth;
    if (MT_UNLIKELY(mt_opt.unwind == 1) && mt_glibc_loader_walk_ok()) {
        int cut;
        unsigned n = mt_unwind_dwarf(frames, max, &cut);
        return n ? intern(t, frames, n, cut) : 0;
    }
    struct mt_frame start = *from;
    struct mt_cursor *c = mt_cursor_of(t);
    struct mt_intern *in = c->intern;
    struct recent *r = NULL;
    if (MT_LIKELY(in && in->recent)) {
        struct recent *set = recent_set(in, start.ip, start.sp);
        for (unsigned way = 0; way < 2; way++) {
            r = set + way;
            if (recent_matches(r, start.ip, start.sp)) {
                if (set->lru != way)
                    set->lru = (uint16_t)way;
                if (MT_UNLIKELY(mt_w.ring))
                    ring_place(t, r->id, r->ip, r->n, (int)r->cut, &r->seq);
                return r->id;
            }
        }
    }
    int cut;
    unsigned n = mt_unwind_from(&start, frames, sps, max, &cut);
    if (!n)
        return 0;
    uint32_t id = intern(t, frames, n, cut);
    in = c->intern;
    if (id && in && n <= RECENT_FRAMES) {
        if (!in->recent)
            in->recent = mt_os_alloc(RECENT_SLOTS * sizeof(struct recent));
        if (in->recent) {
            struct recent *set = recent_set(in, start.ip, start.sp);
            unsigned way = !set[0].id ? 0 : !set[1].id ? 1 : 1u - set->lru;
            set->lru = (uint16_t)way;
            r = set + way;
            r->id = 0; /* invalid while being rewritten (signal handlers) */
            r->ip0 = start.ip;
            r->sp0 = start.sp;
            r->n = n;
            r->cut = (uint16_t)cut;
            /* intern() left the stack in the current chunk (ring mode) */
            r->seq = mt_w.ring && c->chunk ? c->chunk->seq + 1 : 0;
            memcpy(r->ip, frames, n * sizeof *frames);
            memcpy(r->sp, sps, n * sizeof *sps);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            r->id = id;
        }
    }
    return id;
}

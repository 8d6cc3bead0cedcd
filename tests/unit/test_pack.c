/* Packing (analyzer/pack_*.c): whatever the bytes, pack + unpack gives them
 * back; records are split into columns where they can be, stored as they
 * are where they cannot; a damaged packed file is refused with exit 3. */
#include <criterion/criterion.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errors.h"
#include "pack.h"
#include "pack_format.h"
#include "trace_builder.h"

static int memfd_with(const void *data, size_t n)
{
    int fd = memfd_create("unit", MFD_CLOEXEC);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, data, n), (ssize_t)n);
    return fd;
}

static uint8_t *contents(int fd, size_t *n)
{
    off_t end = lseek(fd, 0, SEEK_END);
    uint8_t *b = malloc((size_t)end + 1);
    cr_assert_eq(pread(fd, b, (size_t)end, 0), end);
    *n = (size_t)end;
    return b;
}

/* Packs data; returns the packed bytes (to free) after checking that
 * unpacking gives data back. */
static uint8_t *roundtrip(const void *data, size_t n, struct mta_pack_stats *st, size_t *packed_n)
{
    int in = memfd_with(data, n), packed = memfd_create("p", 0), back = memfd_create("b", 0);
    struct mta_error err = {{0}, 0};
    cr_assert_eq(mta_pack_fd(in, n, packed, "/tmp", 3, "unit", st, &err), 0, "%s", err.msg);
    cr_assert_eq(mta_unpack_fd(packed, back, "unit", &err), 0, "%s", err.msg);
    size_t got_n;
    uint8_t *got = contents(back, &got_n);
    cr_assert_eq(got_n, n);
    cr_assert(memcmp(got, data, n) == 0, "unpacked bytes differ");
    free(got);
    uint8_t *p = contents(packed, packed_n);
    close(in);
    close(packed);
    close(back);
    return p;
}

static struct tb t;

static void some_records(struct tb *b, uint64_t base)
{
    uint64_t frames[3] = {0x401000, 0x401100, 0x7f0000001000};
    tb_stack(b, 1, frames, 3);
    for (uint64_t i = 0; i < 50; i++)
        tb_alloc(b, 2000 + i, (unsigned)(i % 3), base + i * 48, 32 + i, MT_SRC_BRK, 1);
    tb_realloc(b, 2100, base + 48, base + 0x9000 + 8, 4000, 1); /* not 16-aligned */
    for (uint64_t i = 0; i < 50; i += 2)
        tb_free(b, 2200 + i, base + (49 - i) * 48);
}

Test(pack, records_split_into_columns)
{
    tb_init(&t);
    tb_chunk(&t, 7, 0, 1500);
    some_records(&t, 0x555500000000);
    tb_chunk(&t, 8, 1, 1600);
    some_records(&t, 0x7f1200000000);
    tb_close_chunk(&t);
    struct mta_pack_stats st;
    size_t n;
    free(roundtrip(t.buf, t.len, &st, &n));
    cr_assert_eq(st.events, 2 * (50 + 1 + 25));
    cr_assert_eq(st.in_bytes, t.len);
    cr_assert_eq(st.out_bytes, n);
}

Test(pack, odd_records_are_stored_as_they_are)
{
    tb_init(&t);
    tb_chunk(&t, 7, 0, 1500);
    tb_alloc(&t, 2000, 0, 0x1000, 16, MT_SRC_BRK, 0);
    /* a padded dt (kept as written) and a padded pointer delta (not in the
     * columns' shortest form: the rest of the chunk goes as it is) */
    tb_raw(&t, (uint8_t[]){MT_TAG_FREE, 0x81, 0x80, 0x00, 0x00}, 5);
    tb_raw(&t, (uint8_t[]){MT_TAG_FREE, 0x02, 0x80, 0x80, 0x00}, 5);
    tb_free(&t, 2010, 0x1000);
    tb_chunk(&t, 7, 1, 1600);
    tb_alloc(&t, 2000, 0, 0x1000, 16, MT_SRC_BRK, 0);
    tb_raw(&t, (uint8_t[]){13, 1, 2, 3}, 4); /* an unknown tag */
    tb_chunk(&t, 7, 2, 1700);
    tb_alloc(&t, 2000, 0, 0x1000, 16, MT_SRC_BRK, 0);
    tb_raw(&t, (uint8_t[]){MT_TAG_INFO, 1, 200, 'x'}, 4); /* runs past used */
    tb_close_chunk(&t);
    /* a page never initialised, then bytes that are no chunk */
    memset(t.buf + t.len, 0, 4096);
    t.len += 4096;
    memcpy(t.buf + t.len, "not a chunk header at all, just text", 36);
    t.len += 36;
    struct mta_pack_stats st;
    size_t n;
    free(roundtrip(t.buf, t.len, &st, &n));
    cr_assert_eq(st.events, 4); /* the alloc and the padded-dt free; 1; 1 */
}

Test(pack, ring_slots)
{
    tb_init(&t);
    struct mt_file_header *h = (struct mt_file_header *)t.buf;
    h->flags |= MT_HDR_RING;
    h->ring_bytes = 3 * 4096;
    tb_chunk(&t, 7, 3, 1500); /* slot 0 */
    some_records(&t, 0x555500000000);
    tb_close_chunk(&t);
    memset(t.buf + t.len, 0xa5, 4096); /* slot 1: garbage */
    t.len += 4096;
    tb_chunk(&t, 7, 5, 1600); /* slot 2 */
    some_records(&t, 0x555500000000);
    tb_close_chunk(&t);
    struct mta_pack_stats st;
    size_t n;
    free(roundtrip(t.buf, t.len, &st, &n));
    cr_assert_eq(st.events, 2 * 76);
}

Test(pack, any_bytes)
{
    static uint8_t junk[20000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        junk[i] = (uint8_t)x;
    }
    size_t sizes[] = {0, 1, 100, 4096, 4100, sizeof junk};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n;
        free(roundtrip(junk, sizes[i], NULL, &n));
        memcpy(junk, MT_FILE_MAGIC, 8); /* then a header that claims a trace */
        ((struct mt_file_header *)junk)->header_size = MT_HEADER_SIZE;
    }
}

/* Every damage to a packed file is "not a valid trace", never a crash. */
Test(pack, damaged_packed_files)
{
    tb_init(&t);
    tb_chunk(&t, 7, 0, 1500);
    some_records(&t, 0x555500000000);
    tb_close_chunk(&t);
    size_t n;
    uint8_t *good = roundtrip(t.buf, t.len, NULL, &n);
    uint8_t *bad = malloc(n + 1);
    for (size_t cut = 0; cut <= n; cut += cut < 200 ? 1 : 37) {
        for (int flip = 0; flip < 2; flip++) {
            memcpy(bad, good, n);
            size_t len = cut;
            if (flip && cut < n) { /* a flipped byte instead of a cut */
                bad[cut] ^= 0x20;
                len = n;
            } else if (flip) {
                continue;
            }
            int in = memfd_with(bad, len), out = memfd_create("o", 0);
            struct mta_error err = {{0}, 0};
            int rc = mta_unpack_fd(in, out, "bad.zst", &err);
            if (rc == 0) { /* a flip zstd's checksum cannot see (e.g. a reserved field) */
                size_t got_n;
                free(contents(out, &got_n));
                cr_assert_eq(got_n, t.len);
            } else {
                cr_assert_eq(err.code, MTA_EXIT_CORRUPT, "cut %zu flip %d: %s", cut, flip,
                             err.msg);
                cr_assert(strstr(err.msg, "bad.zst"), "%s", err.msg);
            }
            close(in);
            close(out);
        }
    }
    free(bad);
    free(good);
}

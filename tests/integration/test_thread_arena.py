"""Thread arenas (samples/thread_arena): requests made by the two worker
threads are served by their own arenas, not the brk heap; each arena's heap
(64 MiB reserved, aligned to 64 MiB) is reported where it appeared and who
first allocated there, and --maps labels its regions."""
import os
import re
import unittest

import mtt
import strace_seq

HEAP_MAX = 64 << 20


class ThreadArena(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        d = cls.work.__enter__()
        cls.cp, traces = mtt.run_traced([mtt.sample("thread_arena")], d)
        assert len(traces) == 1, traces
        cls.js = mtt.report_json(traces[0])
        cls.sources = mtt.report(traces[0], "--sources", "--color", "never").stdout
        cls.maps = mtt.report(traces[0], "--maps", "--color", "never").stdout
        cls.bases = sorted(int(b, 16) for b in
                           re.findall(r"arena heap base (0x[0-9a-f]+)", cls.cp.stdout))

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_program_saw_two_arenas(self):
        self.assertIn("thread_arena: as expected", self.cp.stdout)
        self.assertEqual(len(self.bases), 2)

    def test_tracer_never_called_the_programs_malloc(self):
        # new threads attach, unwind and intern stacks on their own memory
        self.assertEqual(self.js["process"]["tracer_allocations"], 0)

    def test_requests_by_source(self):
        t = self.js["sources"]["totals"]
        # per thread: the kept array + 1000 blocks; main: the probe and the
        # two DTVs pthread_create callocs (thread_arena.c's header comment)
        self.assertEqual(t["arena"]["requests"], 2 * 1001)
        self.assertEqual(t["brk"]["requests"], 3)
        self.assertEqual(t["mmap"]["requests"], 0)
        self.assertRegex(self.sources, r"512 B - 4\.0 KiB\s+1\s+2,002\s+0")

    def test_arena_heaps_reported(self):
        heaps = self.js["sources"]["arena_heaps"]
        self.assertEqual(sorted(int(h["base"], 16) for h in heaps), self.bases)
        for h in heaps:
            self.assertEqual(h["size"], HEAP_MAX)
            self.assertEqual(int(h["base"], 16) % HEAP_MAX, 0)
            self.assertGreater(h["writable"], 0)
            self.assertEqual(h["frames"][0]["function"], "worker")
        events = [e for e in self.js["sources"]["events"] if e["kind"] == "arena_heap"]
        self.assertEqual(sorted(int(e["addr"], 16) for e in events), self.bases)
        self.assertEqual(len(re.findall(r"reserved for a thread arena", self.sources)), 2)

    def test_maps_labels_arena_heap_regions(self):
        regions = self.js["maps"]["regions"]
        for b in self.bases:
            inside = [r for r in regions
                      if b <= int(r["start"], 16) and int(r["end"], 16) <= b + HEAP_MAX]
            self.assertTrue(inside, hex(b))
            self.assertEqual(int(inside[0]["start"], 16), b)
            self.assertEqual(inside[0]["label"], "thread arena heap")
            self.assertEqual(inside[0]["perms"], "rw-p")
            for r in inside[1:]:
                self.assertTrue(r["label"].startswith("thread arena heap"), r)
        self.assertEqual(self.maps.count("[thread arena heap]"), 2)

    @unittest.skipUnless(strace_seq.strace_k_works(), "strace -k not available")
    def test_arena_heaps_inside_the_reservations_strace_shows(self):
        # glibc reserves 2 x HEAP_MAX with PROT_NONE and unmaps the unaligned
        # ends; the aligned heap mtrace reports lies inside that reservation.
        with mtt.Workdir() as d:
            cp, calls = strace_seq.run([mtt.sample("thread_arena")], os.path.join(d, "s"),
                                       env_for_tracee={"LD_PRELOAD": mtt.LIB,
                                                       "MTRACE_OUT": os.path.join(d, "t.trace")})
            self.assertEqual(cp.returncode, 0, cp.stderr[-2000:])
            js = mtt.report_json(os.path.join(d, "t.trace"))
        # The first heap comes from a 2 x HEAP_MAX reservation; a later one
        # may be placed at glibc's aligned_heap_area hint with a single
        # HEAP_MAX mapping instead.  (strace -k's backtraces of threads are not
        # always complete, so the reservations are not filtered by stack.)
        reserves = [(int(c.ret, 16), c.num(1)) for c in calls if c.ok and c.name == "mmap"
                    and c.num(1) in (HEAP_MAX, 2 * HEAP_MAX) and c.arg(2) == "PROT_NONE"]
        self.assertGreaterEqual(len(reserves), 1)
        heaps = js["sources"]["arena_heaps"]
        self.assertEqual(len(heaps), 2)
        for h in heaps:
            base = int(h["base"], 16)
            self.assertTrue(any(r <= base and base + HEAP_MAX <= r + size
                                for r, size in reserves), hex(base))


if __name__ == "__main__":
    mtt.main()

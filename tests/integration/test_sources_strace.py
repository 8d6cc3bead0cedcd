"""Truth: every program-break move and every mmap/munmap/mremap that glibc's
malloc makes, as strace sees it, is in mtrace's sources.events[] with the
same size, in the same order, and nothing else is; and the tracer does not
perturb the heap (a traced run makes the same heap calls as a plain one).

Where the comparison starts (see strace_seq.py): at calls made while the
program's main() is on the stack, known exactly from strace -k's stacks.
That excludes the loader's and libc's start-up mappings and the initial
brk(NULL) query without guessing from sizes or output lines; those start-up
regions are what mtrace reports as sources.startup[] (checked at the end).

Sizes: brk = the signed move of the break; mmap/munmap = the length (glibc
passes page-rounded lengths: request + 16 rounded up); mremap = new length.
"""
import os
import unittest

import mtt
import strace_seq

SAMPLES = ["alloc_size", "threshold", "realloc_growth",
           # one call that moves the break (glibc's per-thread cache) and
           # then maps the block (tests/progs/first_call.c)
           "first_call calloc", "first_call realloc_null", "first_call grow"]


def argv_of(name):
    prog, *args = name.split()
    exe = mtt.sample(prog)
    return [exe if os.path.exists(exe) else mtt.prog(prog), *args]


def events_of(js):
    return [(e["kind"], e["bytes"]) for e in js["sources"]["events"]]


@unittest.skipUnless(strace_seq.strace_k_works(), "strace with -k (stack traces) not available")
class SourcesAgainstStrace(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        cls.dir = cls.work.__enter__()
        cls.plain, cls.traced, cls.under, cls.under_js = {}, {}, {}, {}
        cls.under_all = {}
        for name in SAMPLES:
            argv = argv_of(name)
            # 1. without the tracer, under strace
            tag = name.replace(" ", "_")
            out = os.path.join(cls.dir, f"plain.{tag}.strace")
            cp, calls = strace_seq.run(argv, out)
            assert cp.returncode == 0, cp.stderr[-2000:]
            cls.plain[name] = strace_seq.after_start(calls)
            # 2. with the tracer, a normal run
            sub = os.path.join(cls.dir, "traced." + tag)
            os.mkdir(sub)
            _, traces = mtt.run_traced(argv, sub)
            assert len(traces) == 1, traces
            cls.traced[name] = mtt.report_json(traces[0])
            # 3. with the tracer, under strace (the perturbation check)
            sub = os.path.join(cls.dir, "under." + tag)
            os.mkdir(sub)
            out = os.path.join(cls.dir, f"under.{tag}.strace")
            cp, calls = strace_seq.run(argv, out, env_for_tracee={
                "LD_PRELOAD": mtt.LIB, "MTRACE_OUT": os.path.join(sub, "t.%p.trace")},
                cwd=sub)
            assert cp.returncode == 0, cp.stderr[-2000:]
            cls.under[name] = strace_seq.after_start(calls)
            cls.under_all[name] = calls
            traces = sorted(os.listdir(sub))
            assert len(traces) == 1, traces
            cls.under_js[name] = mtt.report_json(os.path.join(sub, traces[0]))

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_plain_run_makes_only_heap_calls_after_start(self):
        # The samples map nothing themselves: after main() starts, every
        # mapping call of a plain run is malloc's.
        for name in SAMPLES:
            with self.subTest(sample=name):
                other = [c for c in self.plain[name] if not c.heap and c.name != "brk"]
                self.assertEqual(other, [])
                self.assertTrue([c for c in self.plain[name] if c.heap])

    def test_events_equal_strace_of_plain_run(self):
        for name in SAMPLES:
            with self.subTest(sample=name):
                want = [c.item() for c in self.plain[name] if c.heap]
                self.assertEqual(events_of(self.traced[name]), want)

    def test_traced_run_makes_the_same_heap_calls(self):
        for name in SAMPLES:
            with self.subTest(sample=name):
                want = [c.item() for c in self.plain[name] if c.heap]
                got = [c.item() for c in self.under[name] if c.heap]
                self.assertEqual(got, want)

    def test_tracer_never_called_the_programs_malloc(self):
        # the shim counts any call its own work makes into the real malloc
        for name in SAMPLES:
            with self.subTest(sample=name):
                self.assertEqual(self.traced[name]["process"]["tracer_allocations"], 0)
                self.assertEqual(self.under_js[name]["process"]["tracer_allocations"], 0)

    def test_traced_run_other_calls_are_the_tracers_own(self):
        for name in SAMPLES:
            with self.subTest(sample=name):
                rest = [c for c in self.under[name] if not c.heap and c.name != "brk"]
                self.assertEqual([c for c in rest if not c.own], [])

    def test_events_name_the_same_addresses_as_strace(self):
        # Same run: the tracer's events and strace's calls line up one to
        # one, addresses included.
        for name in SAMPLES:
            with self.subTest(sample=name):
                heap = [c for c in self.under[name] if c.heap]
                events = self.under_js[name]["sources"]["events"]
                self.assertEqual(len(events), len(heap))
                for c, e in zip(heap, events):
                    self.assertEqual((e["kind"], e["bytes"]), c.item(), c)
                    if c.name == "brk":
                        self.assertEqual(int(e["new_break"], 16), c.addr(), c)
                    else:
                        self.assertEqual(int(e["addr"], 16), c.addr(), c)
                        self.assertTrue(e["malloc_driven"], e)
                    if c.name == "mremap":
                        self.assertEqual(int(e["new_addr"], 16), int(c.ret, 16), c)

    def test_expected_figures_from_the_samples(self):
        # the header comments of the samples document these sequences
        self.assertEqual(events_of(self.traced["alloc_size"]),
                         [("brk", 135168)] + [("mmap", 266240)] * 3 + [("munmap", 266240)] * 3)
        self.assertEqual(events_of(self.traced["threshold"]),
                         [("brk", 135168), ("mmap", 167936), ("mmap", 208896),
                          ("munmap", 208896), ("brk", 266240), ("mmap", 311296),
                          ("munmap", 311296), ("munmap", 167936)])
        self.assertEqual(events_of(self.traced["realloc_growth"]),
                         [("brk", 135168), ("mmap", 266240)]
                         + [("mremap", n) for n in (528384, 1052672, 2101248, 4198400,
                                                    8392704)]
                         + [("munmap", 8392704)])

    def test_startup_regions_are_reported(self):
        # What strace shows before main() (the loader mapping the program
        # and its libraries) is listed as start-up: the executable, ld.so,
        # libc, the stack and the vdso.
        for name in SAMPLES:
            with self.subTest(sample=name):
                startup = self.traced[name]["sources"]["startup"]
                names = " ".join(r["name"] for r in startup)
                for want in (name.split()[0], "ld-linux", "libc.so", "[stack]", "[vdso]"):
                    self.assertIn(want, names)
                labels = {r["label"] for r in startup}
                self.assertIn("executable", labels)
                self.assertIn("dynamic loader", labels)

    def test_every_startup_mapping_strace_shows_is_listed(self):
        # Same run: each mmap made before main() that was still mapped when
        # main() started lies inside a region of sources.startup[].
        for name in SAMPLES:
            with self.subTest(sample=name):
                calls = self.under_all[name]
                first = next(i for i, c in enumerate(calls) if c.started)
                live = {}
                for c in calls[:first]:
                    if not c.ok:
                        continue
                    if c.name == "mmap":
                        live[c.addr()] = c
                    elif c.name == "munmap":
                        live.pop(c.num(0), None)
                regions = [(int(r["start"], 16), int(r["end"], 16))
                           for r in self.under_js[name]["sources"]["startup"]]
                missing = [c for a, c in live.items()
                           if not any(lo <= a < hi for lo, hi in regions)]
                self.assertEqual(missing, [])
                self.assertGreater(len(live), 10)


if __name__ == "__main__":
    mtt.main()

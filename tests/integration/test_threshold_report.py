"""The mmap threshold report on samples/threshold (see its header comment):
glibc starts at 128 KiB; the free of step 3's mmapped 200 KiB block raises
the threshold to that chunk's size (208896 = 200 KiB + 16, page-rounded);
step 4's 160 KiB request, between the old and the new value, then comes
from the brk heap.  With MALLOC_MMAP_THRESHOLD_ in the environment, or after
mallopt(M_MMAP_THRESHOLD), glibc never moves the threshold: the report must
not move it either, and step 4 is mmapped."""
import os
import unittest

import mtt

KIB = 1024
INITIAL = 131072
RAISED = 208896     # chunk of step 3: 204800 + 16, rounded up to pages
RAISED_AGAIN = 311296  # step 5's 300 KiB chunk, freed at the end


def band(js, lo):
    return next(b for b in js["sources"]["bands"] if b["min_size"] == lo)


class ThresholdReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        d = cls.work.__enter__()
        runs = {"dynamic": ([], {}, 0),
                "tunable": ([], {"MALLOC_MMAP_THRESHOLD_": str(INITIAL)}, 2),
                "mallopt": (["0", str(INITIAL)], {}, 0)}
        cls.js, cls.text, cls.out = {}, {}, {}
        for name, (args, env, status) in runs.items():
            sub = f"{d}/{name}"
            os.mkdir(sub)
            cp, traces = mtt.run_traced([mtt.sample("threshold"), *args], sub, extra_env=env,
                                        check=False)
            # the program checks placements itself; under the tunable it
            # cannot know the threshold is fixed and says so with status 2
            assert cp.returncode == status, (name, cp.returncode, cp.stdout, cp.stderr)
            assert len(traces) == 1, traces
            cls.out[name] = cp.stdout
            cls.js[name] = mtt.report_json(traces[0])
            cls.text[name] = mtt.report(traces[0], "--sources", "--color", "never").stdout

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_initial_and_raised_values(self):
        thr = self.js["dynamic"]["sources"]["threshold"]
        self.assertEqual(thr[0]["value"], INITIAL)
        self.assertEqual(thr[0]["cause"], "initial")
        self.assertEqual(thr[0]["set_by"], "default")
        self.assertEqual([(t["previous"], t["value"], t["cause"]) for t in thr[1:]],
                         [(INITIAL, RAISED, "free"), (RAISED, RAISED_AGAIN, "free")])
        self.assertEqual(thr[1]["freed_size"], 200 * KIB)
        self.assertTrue(self.js["dynamic"]["sources"]["threshold_dynamic"])

    def test_raising_free_names_the_allocating_stack(self):
        frames = self.js["dynamic"]["sources"]["threshold"][1]["frames"]
        fns = [f["function"] for f in frames]
        self.assertEqual(fns[0], "step")
        self.assertIn("main", fns)
        self.assertTrue(frames[0]["file"].endswith("threshold.c"), frames[0])

    def test_request_between_old_and_new_threshold_served_from_brk(self):
        js = self.js["dynamic"]
        after = js["sources"]["threshold"][1]
        self.assertEqual(after["heap_requests_between"], 1)  # step 4
        self.assertEqual(after["mmap_requests_between"], 0)
        self.assertEqual(after["largest_heap_request"], 160 * KIB)
        # the 128 KiB - 1 MiB band: step 4 from brk, steps 2, 3, 5 by mmap
        b = band(js, 131072)
        self.assertEqual((b["brk"]["requests"], b["mmap"]["requests"]), (1, 3))
        # and the heap grew for it: the brk event right after the munmap
        ev = js["sources"]["events"]
        i = next(i for i, e in enumerate(ev) if e["kind"] == "munmap")
        self.assertEqual((ev[i]["bytes"], ev[i + 1]["kind"]), (RAISED, "brk"))
        self.assertEqual(ev[i + 1]["frames"][0]["function"], "step")
        self.assertIn("step 4: malloc(160 KiB)", self.out["dynamic"])
        self.assertRegex(self.out["dynamic"], r"step 4: .* brk ")

    def test_text_names_values_and_stack(self):
        t = self.text["dynamic"]
        self.assertIn("initial: 128.0 KiB (131072 bytes)", t)
        self.assertIn("128.0 KiB -> 204.0 KiB (208896 bytes) after free(", t)
        self.assertRegex(t, r"204\.0 KiB \(208896 bytes\) after free\(0x[0-9a-f]+\), a 204,800-byte "
                            r"block allocated at:\n\s+step\s+\S*threshold\.c:\d+\n\s+main\s")
        self.assertIn("requests from 128.0 KiB to 204.0 KiB: 1 served by a heap, 0 by mmap", t)

    def test_tunable_fixes_the_threshold(self):
        js = self.js["tunable"]
        self.assertIn("MALLOC_MMAP_THRESHOLD_=131072", js["process"]["tunables"])
        thr = js["sources"]["threshold"]
        self.assertEqual(thr, [dict(thr[0], value=INITIAL, cause="initial", set_by="tunable")])
        self.assertFalse(js["sources"]["threshold_dynamic"])
        b = band(js, 131072)
        self.assertEqual((b["brk"]["requests"], b["mmap"]["requests"]), (0, 4))
        self.assertIn("fixed by a malloc tunable", self.text["tunable"])
        self.assertRegex(self.out["tunable"], r"step 4: .* mmap ")

    def test_mallopt_fixes_the_threshold(self):
        js = self.js["mallopt"]
        thr = js["sources"]["threshold"]
        self.assertEqual([(t["cause"], t["value"]) for t in thr],
                         [("initial", INITIAL), ("mallopt", INITIAL)])
        self.assertFalse(js["sources"]["threshold_dynamic"])
        b = band(js, 131072)
        self.assertEqual((b["brk"]["requests"], b["mmap"]["requests"]), (0, 4))
        self.assertIn("set by mallopt(M_MMAP_THRESHOLD)", self.text["mallopt"])
        self.assertRegex(self.out["mallopt"], r"step 4: .* mmap ")


if __name__ == "__main__":
    mtt.main()

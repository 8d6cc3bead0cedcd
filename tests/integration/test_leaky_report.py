"""The walking skeleton end to end: trace samples/leaky, and the report
names the leaking functions with file:line and the exact leaked bytes."""
import os
import re
import unittest

import mtt

# samples/leaky.c documents these figures (and prints them to stderr)
EXPECTED_BLOCKS = 13
EXPECTED_BYTES = 200448


class LeakyReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        cls.dir = cls.work.__enter__()
        cls.cp, traces = mtt.run_traced([mtt.sample("leaky")], cls.dir)
        assert len(traces) == 1, traces
        cls.trace = traces[0]
        cls.json = mtt.report_json(cls.trace)
        cls.text = mtt.report(cls.trace, "--color", "never").stdout

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_program_states_its_expectation(self):
        m = re.search(r"expected leaked_blocks=(\d+) leaked_bytes=(\d+)", self.cp.stderr)
        self.assertIsNotNone(m, self.cp.stderr)
        self.assertEqual((int(m.group(1)), int(m.group(2))), (EXPECTED_BLOCKS, EXPECTED_BYTES))

    def test_summary_totals_exact(self):
        s = self.json["summary"]
        self.assertEqual(s["leaked_blocks"], EXPECTED_BLOCKS)
        self.assertEqual(s["leaked_bytes"], EXPECTED_BYTES)
        # leaky.c: malloc 31, calloc 5, realloc 3 calls; free 24
        self.assertEqual(s["allocations"], 39)
        self.assertEqual(s["frees"], 26)
        self.assertGreaterEqual(s["peak_bytes"], EXPECTED_BYTES)

    def test_classes_as_valgrind_states_them(self):
        # leaky.c's header: memcheck says 200,304 B in 10 blocks definitely
        # lost (8 strings, the list head, the big buffer) and 144 B in 3
        # blocks indirectly lost (list nodes 2..4, reachable only from the
        # lost head); nothing possibly lost or still reachable
        lc = self.json["leak_check"]
        self.assertTrue(lc["conclusive"], lc["inconclusive_reason"])
        got = {k: (v["blocks"], v["bytes"]) for k, v in lc["classes"].items()}
        self.assertEqual(got, {"definitely_lost": (10, 200304), "indirectly_lost": (3, 144),
                               "possibly_lost": (0, 0), "still_reachable": (0, 0),
                               "after_scan": (0, 0)})
        self.assertEqual((lc["unfreed_blocks"], lc["unfreed_bytes"]),
                         (EXPECTED_BLOCKS, EXPECTED_BYTES))
        # the records list: 3 lost of the list's 4 nodes are indirect
        rec = [s for s in lc["classes"]["indirectly_lost"]["stacks"]]
        self.assertEqual([(s["blocks"], s["bytes"]) for s in rec], [(3, 144)])
        self.assertEqual(rec[0]["frames"][0]["function"], "leak_records")

    def test_three_leak_sites_with_functions_and_lines(self):
        leaks = self.json["leaks"]
        self.assertEqual(len(leaks), 3)
        self.assertEqual(sum(l["bytes"] for l in leaks), EXPECTED_BYTES)
        bytes_by_fn = {}
        for leak in leaks:
            fns = [f["function"] for f in leak["frames"]]
            self.assertIn("main", fns)
            top = leak["frames"][0]
            self.assertTrue(top["file"].endswith("leaky.c"), top)
            self.assertGreater(top["line"], 0)
            bytes_by_fn[top["function"]] = leak["bytes"]
        self.assertEqual(bytes_by_fn, {"leak_big_buffer": 200000, "leak_small_strings": 256,
                                       "leak_records": 192})
        # largest first
        self.assertEqual([l["bytes"] for l in leaks], sorted([l["bytes"] for l in leaks],
                                                             reverse=True))

    def test_text_report_names_functions_and_lines(self):
        self.assertIn("200,448 bytes in 13 blocks", self.text)
        for fn in ("leak_big_buffer", "leak_small_strings", "leak_records"):
            self.assertRegex(self.text, fn + r"\s+\S*leaky\.c:\d+")

    def test_process_end_recorded(self):
        p = self.json["process"]
        self.assertEqual(p["end_state"], "exit")
        self.assertEqual(p["end_code"], 0)
        self.assertIn("leaky", p["cmdline"])


if __name__ == "__main__":
    mtt.main()

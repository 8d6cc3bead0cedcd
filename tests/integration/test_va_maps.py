"""samples/va under the tracer: it runs as it does plainly, its small heap
block lands in the [heap] region of --maps, and its 100e6-byte block was
served by a dedicated mmap whose address and size the sources report."""
import re
import unittest

import mtt


class VaMaps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        d = cls.work.__enter__()
        cls.cp, traces = mtt.run_traced([mtt.sample("va")], d)
        assert len(traces) == 1, traces
        cls.js = mtt.report_json(traces[0])
        cls.maps_text = mtt.report(traces[0], "--maps", "--color", "never").stdout

        def loc(what):
            return int(re.search(r"location of %s\s*: (0x[0-9a-f]+)" % what, cls.cp.stdout)
                       .group(1), 16)
        cls.heap, cls.big, cls.code, cls.stack = loc("heap"), loc("big"), loc("code"), loc("stack")

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def region_of(self, addr):
        return next((r for r in self.js["maps"]["regions"]
                     if int(r["start"], 16) <= addr < int(r["end"], 16)), None)

    def test_runs_as_untraced(self):
        self.assertIn("heap block is in [heap]: yes", self.cp.stdout)
        self.assertIn("big block is in [heap]: no", self.cp.stdout)
        self.assertEqual(self.js["process"]["end_state"], "exit")
        self.assertEqual(self.js["summary"]["leaked_blocks"], 0)

    def test_heap_address_in_heap_region(self):
        r = self.region_of(self.heap)
        self.assertIsNotNone(r)
        self.assertEqual(r["name"], "[heap]")
        self.assertEqual(r["label"], "brk heap (main arena)")
        self.assertRegex(self.maps_text, r"\[heap\]\s+\[brk heap \(main arena\)\]")

    def test_code_and_stack_regions(self):
        self.assertEqual(self.region_of(self.code)["label"], "executable")
        self.assertEqual(self.region_of(self.stack)["name"], "[stack]")

    def test_big_block_by_mmap(self):
        ev = self.js["sources"]["events"]
        # 100e6 + 16 bytes of chunk header, rounded up to pages
        mm = [e for e in ev if e["kind"] == "mmap" and e["bytes"] == 100003840]
        self.assertEqual(len(mm), 1, ev)
        self.assertEqual(int(mm[0]["addr"], 16), self.big - 16)
        self.assertEqual(mm[0]["frames"][0]["function"], "main")
        top = next(b for b in self.js["sources"]["bands"] if b["min_size"] == 16 << 20)
        self.assertEqual(top["mmap"]["requests"], 1)
        self.assertIsNone(self.region_of(self.big))  # freed (munmapped) before exit


if __name__ == "__main__":
    mtt.main()

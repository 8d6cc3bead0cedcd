"""The region map tells the program's memory from the tracer's: a
program's own mmap shows as its own region, labelled with the stack that
made it, never merged with mtrace's own memory; the program's total leaves
out the tracer's mappings (its 16 GiB reservation included)."""
import re
import unittest

import mtt


class MapsOwnMmap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        cls.dir = cls.work.__enter__()
        cls.cp, traces = mtt.run_traced([mtt.prog("own_mmap")], cls.dir)
        assert len(traces) == 1, traces
        cls.trace = traces[0]
        cls.table = int(re.search(r"table at (0x[0-9a-f]+)", cls.cp.stderr).group(1), 16)
        cls.maps = mtt.report_json(cls.trace)["maps"]
        cls.text = mtt.report(cls.trace, "--maps", "--color", "never").stdout

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def region_at(self, addr):
        for r in self.maps["regions"]:
            if int(r["start"], 16) <= addr < int(r["end"], 16):
                return r
        self.fail(f"no region holds {addr:#x}")

    def test_programs_mapping_is_its_own_region_with_its_stack(self):
        r = self.region_at(self.table)
        self.assertEqual(int(r["start"], 16), self.table)
        self.assertEqual(r["size"], 1 << 20)  # not merged with anything
        self.assertEqual(r["mtrace_bytes"], 0)
        self.assertFalse(r["tracer"])
        self.assertEqual(r["label"], "mapped by the program (its own mmap)")
        fns = [f["function"] for f in r["mapped_by_program"]]
        self.assertEqual(fns[:2], ["map_table", "main"])
        self.assertIn(f"{self.table:x}", self.text)
        block = self.text.split(f"{self.table:x}", 1)[1]
        self.assertRegex(block.split("\n", 1)[1], r"^\s+mapped by the program at\n\s+map_table ")

    def test_tracer_memory_never_merged_with_the_programs(self):
        for r in self.maps["regions"]:
            if r["mtrace_bytes"]:
                self.assertEqual(r["mtrace_bytes"], r["size"], r)
                self.assertTrue(r["tracer"], r)
        self.assertNotIn("the kernel merged adjacent mappings", self.text)
        self.assertIn("[mtrace's own memory]", self.text)

    def test_program_total_leaves_out_the_tracer(self):
        total, program = self.maps["total_size"], self.maps["program_size"]
        tracer = sum(r["size"] for r in self.maps["regions"] if r["tracer"])
        self.assertEqual(total - program, tracer)
        self.assertGreaterEqual(tracer, 16 << 30)  # the trace's reservation
        self.assertLess(program, 1 << 30)
        self.assertGreaterEqual(program, 1 << 20)
        m = re.search(r"program kB\s+(\d+)", self.text)
        self.assertEqual(int(m.group(1)) * 1024, program)


if __name__ == "__main__":
    mtt.main()

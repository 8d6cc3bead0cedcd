"""MTRACE_RING, the flight recorder: the file keeps a fixed size, the report
says which window it covers, stacks and modules survive the wrap, and blocks
allocated before the window are treated honestly."""
import os
import unittest

import mtt

RING = 1 << 20


class Ring(unittest.TestCase):
    def run_ring(self, pairs1, leaks, pairs2):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("ring_phases"), str(pairs1), str(leaks),
                                        str(pairs2)], d, extra_env={"MTRACE_RING": "1M"})
            self.assertEqual(len(traces), 1)
            size = os.path.getsize(traces[0])
            rep = mtt.report_json(traces[0], "--top", "0")
            text = mtt.report(traces[0], "--color", "never").stdout
            js = mtt.report(traces[0], "--export-json").stdout
            with open(os.path.join(d, "x.json"), "w") as f:
                f.write(js)
            back = mtt.report_json(os.path.join(d, "x.json"), "--top", "0")
        self.assertEqual(size, 4096 + RING)
        self.assertEqual(back["summary"], rep["summary"])
        return rep, text

    def test_leak_inside_window(self):
        rep, text = self.run_ring(300000, 10, 20000)
        p = rep["process"]
        self.assertEqual(p["ring_bytes"], RING)
        self.assertGreater(p["window_start_ns"], 0)
        self.assertIn("the report covers", text)
        # exactly the leak_phase blocks: not the 666-byte block allocated before
        # the window (a real leak the trace can no longer see), nothing else
        self.assertEqual([(l["bytes"], l["blocks"]) for l in rep["leaks"]], [(7770, 10)])
        fns = [f["function"] for f in rep["leaks"][0]["frames"]]
        self.assertIn("leak_phase", fns)  # its stack survived the wrap
        self.assertIn("main", fns)
        # the free of the 555-byte block is of a block from before the window
        self.assertEqual(rep["summary"]["untracked_frees"], 1)
        self.assertEqual(rep["process"]["lost_events"], 0)
        self.assertIn("ring_phases", p["cmdline"])  # the description was re-emitted

    def test_leak_before_window_not_reported(self):
        rep, text = self.run_ring(1000, 10, 400000)
        self.assertGreater(rep["process"]["window_start_ns"], 0)
        self.assertEqual(rep["leaks"], [])
        self.assertIn("the report covers", text)

    def test_small_run_keeps_everything(self):
        rep, text = self.run_ring(1000, 3, 1000)
        self.assertEqual(rep["process"]["window_start_ns"], 0)
        self.assertEqual(sorted((l["bytes"], l["blocks"]) for l in rep["leaks"]),
                         [(666, 1), (2331, 3)])
        self.assertIn("nothing was overwritten", text)


if __name__ == "__main__":
    mtt.main()

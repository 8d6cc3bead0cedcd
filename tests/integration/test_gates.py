"""--max-peak: fail (exit 4) when the peak live heap of a process exceeds
SIZE, for one trace and over a run (naming the process)."""
import os
import subprocess
import unittest

import mtt

RUN = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")


def run(d, rd, *args):
    return subprocess.run([RUN, "--run-dir", os.path.join(d, rd)] + list(args), cwd=d,
                          capture_output=True, text=True, timeout=120)


class MaxPeak(unittest.TestCase):
    def test_leaky_peak(self):
        # leaky's peak: 500,448 bytes live (the leaks and its 300000-byte block)
        with mtt.Workdir() as d:
            r = run(d, "a", "--max-peak=400K", "--", mtt.sample("leaky"))
            self.assertEqual(r.returncode, 4, r.stderr)
            self.assertRegex(r.stderr, r"peak live heap 500448 bytes is above --max-peak 409600")
            r = run(d, "b", "--max-peak", "1M", "--", mtt.sample("leaky"))
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run(d, "c", "--max-peak=lots", "--", mtt.sample("leaky"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("--max-peak wants a size", r.stderr)

    def test_run_names_process(self):
        with mtt.Workdir() as d:
            cp = run(d, "r", "--no-report", "--", mtt.prog("forker"), "1")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            rep = mtt.report(os.path.join(d, "r"), "--max-peak=1", check=False)
            self.assertEqual(rep.returncode, 4, rep.stderr)
            self.assertIn("peak live heap above --max-peak 1:", rep.stderr)
            self.assertRegex(rep.stderr, r"pid \d+: [\d,]+ bytes;.*pid \d+: [\d,]+ bytes;")
            rep = mtt.report(os.path.join(d, "r"), "--max-peak=1G", check=False)
            self.assertEqual(rep.returncode, 0, rep.stderr)


if __name__ == "__main__":
    mtt.main()

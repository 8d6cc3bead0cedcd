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


class LeakKinds(unittest.TestCase):
    """reach_cases leaves every class: 712 definitely + 812 indirectly lost,
    432 possibly lost, 500 still reachable (test_reach_valgrind checks them
    against memcheck)."""

    def gate(self, d, rd, *args):
        return run(d, rd, *args, "--", mtt.prog("reach_cases"))

    def test_kinds(self):
        with mtt.Workdir() as d:
            cases = [
                ([], "=1524", 0), ([], "=1523", 4),
                (["--leak-kinds=reachable"], "=500", 0), (["--leak-kinds=reachable"], "=499", 4),
                (["--leak-kinds", "possible,reachable"], "=931", 4),
                (["--leak-kinds", "possible,reachable"], "=932", 0),
                (["--leak-kinds=all"], "=2456", 0), (["--leak-kinds=all"], "=2455", 4),
                (["--leak-kinds=definite"], "=712", 0), (["--leak-kinds=definite"], "=711", 4),
            ]
            for n, (kinds, size, want) in enumerate(cases):
                r = self.gate(d, "k%d" % n, *kinds, "--fail-on-leaks" + size)
                self.assertEqual(r.returncode, want, (kinds, size, r.stderr))
            r = self.gate(d, "bad", "--leak-kinds=lost", "--fail-on-leaks")
            self.assertEqual(r.returncode, 1)
            self.assertIn("--leak-kinds wants", r.stderr)

    def test_kinds_checked_before_the_program_runs(self):
        # a bad kind is refused before the program starts: it leaves no file
        with mtt.Workdir() as d:
            for kinds in ("definite,lost", "", "all,"):
                r = run(d, "x", "--leak-kinds=" + kinds, "--", "/usr/bin/touch", "ran")
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("--leak-kinds wants", r.stderr)
                self.assertFalse(os.path.exists(os.path.join(d, "ran")), kinds)
                self.assertFalse(os.path.exists(os.path.join(d, "x")), kinds)


if __name__ == "__main__":
    mtt.main()

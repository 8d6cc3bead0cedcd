"""The analyzer at its limits: a trace whose recording stopped early
(MTRACE_MAX_SIZE) is reported with blocks of unknown fate and an
inconclusive leak gate (exit 6), never false leaks (exit 4); out of memory
is exit 5 with a message, never a partial report with exit 0; a report that
cannot be written is exit 2."""
import json
import os
import subprocess
import unittest

import mtt

HOLD = 1000          # blocks of 100 bytes held across the churn, freed at the end
STACK_BITS = 17      # 131,072 distinct stacks


def run(args, limit_kib=None, timeout=300):
    pre = f"ulimit -v {limit_kib}; " if limit_kib else ""
    cmd = pre + 'exec "$@"'
    return subprocess.run(["sh", "-c", cmd, "sh", mtt.REPORT, *args], capture_output=True,
                          timeout=timeout)


def sanitized():
    """ASan reserves terabytes of shadow: ulimit -v cannot work with it."""
    out = subprocess.run(["ldd", mtt.REPORT], capture_output=True, text=True).stdout
    return "libasan" in out


class MaxSizeStop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        cls.dir = cls.work.__enter__()
        # ~13 bytes of records per pair: 8M pairs need > 64 MiB
        cp, traces = mtt.run_traced([mtt.prog("stress_trace"), "churn", str(HOLD), "8000000"],
                                    cls.dir, extra_env={"MTRACE_MAX_SIZE": "64M"})
        assert len(traces) == 1, traces
        cls.trace = traces[0]
        cls.stderr = cp.stderr

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_recording_stopped(self):
        self.assertIn("MTRACE_MAX_SIZE", self.stderr)
        rep = mtt.report_json(self.trace)
        self.assertEqual(rep["process"]["stop"]["reason"], "max_size")
        self.assertGreater(rep["process"]["lost_events"], 0)
        self.assertGreater(rep["process"]["stop"]["bytes"], 0)

    def test_live_blocks_are_unknown_not_leaked(self):
        rep = mtt.report_json(self.trace)
        s = rep["summary"]
        self.assertFalse(s["complete"])
        self.assertEqual((s["leaked_blocks"], s["leaked_bytes"]), (0, 0))
        self.assertEqual(rep["leaks"], [])
        # the held blocks, plus at most the one churn block whose free was lost
        self.assertIn(s["unknown_blocks"], (HOLD, HOLD + 1))
        self.assertGreaterEqual(s["unknown_bytes"], HOLD * 100)
        self.assertLessEqual(s["unknown_bytes"], HOLD * 100 + 512)
        top = rep["unknown"][0]
        self.assertEqual((top["blocks"], top["bytes"]), (HOLD, HOLD * 100))
        self.assertIn("main", [f["function"] for f in top["frames"]])
        text = mtt.report(self.trace, "--color", "never").stdout
        self.assertIn("Unknown fate by call stack", text)
        self.assertNotIn("Leaks by call stack", text)
        self.assertNotIn("Lost blocks by call stack", text)
        self.assertNotIn("definitely lost", text)
        self.assertIn("MTRACE_MAX_SIZE was reached", text)

    def test_fail_on_leaks_is_inconclusive(self):
        for args in (["--fail-on-leaks"], ["--fail-on-leaks=0", "--json"]):
            cp = run([*args, self.trace])
            self.assertEqual(cp.returncode, 6, cp.stderr)
            err = cp.stderr.decode()
            self.assertIn("inconclusive", err)
            self.assertIn("MTRACE_MAX_SIZE", err)
            self.assertIn(self.trace, err)

    def test_complete_run_passes_the_gate(self):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("stress_trace"), "churn", str(HOLD), "10000"], d)
            cp = run(["--fail-on-leaks", traces[0]])
            self.assertEqual(cp.returncode, 0, cp.stderr)
            rep = mtt.report_json(traces[0])
            self.assertTrue(rep["summary"]["complete"])
            self.assertEqual(rep["summary"]["unknown_blocks"], 0)
            self.assertIsNone(rep["process"]["stop"])


class OutOfMemory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        cls.dir = cls.work.__enter__()
        _, traces = mtt.run_traced([mtt.prog("stress_trace"), "stacks", str(STACK_BITS)],
                                   cls.dir, timeout=240)
        cls.trace = traces[0]

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def check_limits(self, args, path, full, limits):
        outcomes = set()
        for lim in limits:
            cp = run([*args, path], lim)
            if cp.returncode == 0:
                self.assertEqual(cp.stdout, full, f"ulimit -v {lim}: exit 0 with a different "
                                 f"report; stderr {cp.stderr!r}")
                outcomes.add(0)
                continue
            self.assertEqual(cp.returncode, 5, f"ulimit -v {lim}: {cp.stderr!r}")
            err = cp.stderr.decode()
            self.assertIn("out of memory", err)
            self.assertIn(path, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            outcomes.add(5)
        return outcomes

    def threshold(self, args, path, lo, hi):
        """The smallest limit (KiB, within 512) at which the report succeeds."""
        self.assertEqual(run([*args, path], hi).returncode, 0, f"fails at ulimit -v {hi}")
        while hi - lo > 512:
            mid = (lo + hi) // 2
            if run([*args, path], mid).returncode == 0:
                hi = mid
            else:
                lo = mid
        return hi

    def test_report_under_memory_limits(self):
        if sanitized():
            self.skipTest("ASan build: ulimit -v does not work under AddressSanitizer")
        rep = json.loads(run(["--json", self.trace]).stdout)
        self.assertEqual(rep["summary"]["distinct_stacks"], (1 << STACK_BITS) + 1)
        for args, step in ((["--json"], 500), (["--color", "never"], 1000)):
            full = run([*args, self.trace])
            self.assertEqual(full.returncode, 0, full.stderr)
            edge = self.threshold(args, self.trace, 10000, 1 << 18)
            limits = [20000, 40000, edge // 2] + list(range(edge - 3000, edge, step)) + \
                [edge, edge + 256]
            outcomes = self.check_limits(args, self.trace, full.stdout, limits)
            self.assertEqual(outcomes, {0, 5}, args)

    def test_trace_json_under_memory_limits(self):
        """A valid trace.json read under memory pressure is out of memory
        (5), never "invalid JSON" (3)."""
        if sanitized():
            self.skipTest("ASan build: ulimit -v does not work under AddressSanitizer")
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("stress_trace"), "stacks", "12"], d)
            tj = os.path.join(d, "trace.json")
            with open(tj, "wb") as f:
                cp = subprocess.run([mtt.REPORT, "--export-json", traces[0]], stdout=f,
                                    timeout=120)
            self.assertEqual(cp.returncode, 0)
            full = run(["--json", tj])
            self.assertEqual(full.returncode, 0, full.stderr)
            edge = self.threshold(["--json"], tj, 10000, 1 << 19)
            limits = list(range(max(edge - 6000, 10000), edge, 500)) + [edge, edge + 256]
            self.assertEqual(self.check_limits(["--json"], tj, full.stdout, limits), {0, 5})

    def test_unwritable_output_is_an_error(self):
        for args in (["--json"], []):
            with open("/dev/full", "w") as out:
                cp = subprocess.run([mtt.REPORT, *args, self.trace], stdout=out,
                                    stderr=subprocess.PIPE, text=True, timeout=120)
            self.assertEqual(cp.returncode, 2, cp.stderr)
            self.assertIn("cannot write the report", cp.stderr)


if __name__ == "__main__":
    mtt.main()

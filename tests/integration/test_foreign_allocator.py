"""Issue 8: another allocator preloaded before mtrace
(LD_PRELOAD="libjemalloc.so.2 libmtrace.so") serves every malloc, so nothing
can be traced.  That must never read as a clean run: the shim warns naming
the library, the trace records it (info kind 8), the report says so in text
and JSON (process.foreign_allocator), and --fail-on-leaks exits 6
(inconclusive) instead of passing.  The program itself runs as untraced."""
import glob
import os
import shutil
import subprocess
import unittest

import mtt

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
EXIT_INCONCLUSIVE = 6


def ensure_jemalloc():
    if os.path.exists(JEMALLOC):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                    "libjemalloc2"], env=env, capture_output=True, timeout=600)
    return os.path.exists(JEMALLOC)


class ForeignAllocator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not ensure_jemalloc():
            raise unittest.SkipTest("libjemalloc2 is not installed and cannot be (needs root)")

    def run_leaky(self, preload, d):
        env = mtt.traced_env(os.path.join(d, "t.%p.trace"))
        env["LD_PRELOAD"] = preload
        return subprocess.run([mtt.sample("leaky")], cwd=d, env=env, capture_output=True,
                              text=True, timeout=120)

    def test_jemalloc_first_is_said_not_passed(self):
        with mtt.Workdir() as d:
            env = dict(os.environ, LD_PRELOAD=JEMALLOC)
            plain = subprocess.run([mtt.sample("leaky")], cwd=d, env=env,
                                   capture_output=True, text=True, timeout=120)
            cp = self.run_leaky(JEMALLOC + " " + mtt.LIB, d)
            self.assertEqual(cp.returncode, plain.returncode)
            self.assertEqual(cp.stdout, plain.stdout)
            warn = [l for l in cp.stderr.splitlines() if l.startswith("mtrace[")]
            self.assertEqual(len(warn), 1, cp.stderr)
            self.assertIn(JEMALLOC, warn[0])
            traces = glob.glob(os.path.join(d, "t.*.trace"))
            self.assertEqual(len(traces), 1)
            rep = mtt.report_json(traces[0])
            self.assertEqual(rep["process"]["foreign_allocator"], JEMALLOC)
            self.assertEqual(rep["summary"]["allocations"], 0)
            text = mtt.report(traces[0]).stdout
            self.assertIn("not traced", text)
            self.assertIn(JEMALLOC, text)
            gate = mtt.report(traces[0], "--fail-on-leaks", check=False)
            self.assertEqual(gate.returncode, EXIT_INCONCLUSIVE, gate.stderr)
            self.assertIn("inconclusive", gate.stderr)
            # the interchange form keeps it
            exp = mtt.report(traces[0], "--export-json").stdout
            jpath = os.path.join(d, "trace.json")
            with open(jpath, "w") as f:
                f.write(exp)
            self.assertEqual(mtt.report_json(jpath)["process"]["foreign_allocator"], JEMALLOC)
            gate = mtt.report(jpath, "--fail-on-leaks", check=False)
            self.assertEqual(gate.returncode, EXIT_INCONCLUSIVE, gate.stderr)

    def test_mtrace_first_traces_as_usual(self):
        with mtt.Workdir() as d:
            cp = self.run_leaky(mtt.LIB + " " + JEMALLOC, d)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertNotIn("mtrace[", cp.stderr)
            traces = glob.glob(os.path.join(d, "t.*.trace"))
            rep = mtt.report_json(traces[0])
            self.assertIsNone(rep["process"]["foreign_allocator"])
            self.assertGreater(rep["summary"]["allocations"], 0)
            gate = mtt.report(traces[0], "--fail-on-leaks", check=False)
            # traced as usual, but the scan at exit knows glibc's heaps only:
            # with jemalloc underneath there is no verdict, and the gate says so
            self.assertEqual(gate.returncode, EXIT_INCONCLUSIVE, gate.stderr)
            self.assertIn("other than glibc", gate.stderr)


if __name__ == "__main__":
    mtt.main()

"""Issue 8, never harm the traced program: seccomp.

A program that installs a strict seccomp filter (anything but read, write,
exit, futex and the memory calls kills the process) and keeps allocating and
printing must behave exactly as untraced.  mtrace finishes its trace before
the filter goes in (MT_STOP_SECCOMP in the header, a true message on stderr)
and makes no system call of its own afterwards, in any thread."""
import glob
import os
import struct
import subprocess
import unittest

import mtt

STOP_SECCOMP = 4


class Seccomp(unittest.TestCase):
    def run_mode(self, mode):
        argv = [mtt.prog("seccomp_strict"), mode]
        with mtt.Workdir() as d:
            env = dict(os.environ)
            env.pop("LD_PRELOAD", None)
            plain = subprocess.run(argv, cwd=d, env=env, capture_output=True, text=True,
                                   timeout=120)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertIn("done, sum", plain.stdout)
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced(argv, d, check=False)
            self.assertEqual(cp.returncode, plain.returncode, cp.stderr)
            self.assertEqual(cp.stdout, plain.stdout)
            self.assertEqual(len(traces), 1)
            with open(traces[0], "rb") as f:
                stop = struct.unpack_from("<IiQ", f.read(184), 168)
            self.assertEqual(stop[0], STOP_SECCOMP)
            self.assertIn("installs a seccomp filter", cp.stderr)
            rep = mtt.report_json(traces[0])
            # the 1000 allocations made before the filter are all there
            self.assertGreaterEqual(rep["summary"]["allocations"], 1000)
            self.assertGreaterEqual(rep["summary"]["frees"], 1000)

    def test_prctl_filter(self):
        self.run_mode("prctl")

    def test_seccomp_syscall_filter(self):
        self.run_mode("syscall")

    def test_new_thread_after_filter(self):
        self.run_mode("thread")


if __name__ == "__main__":
    mtt.main()

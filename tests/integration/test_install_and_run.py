"""`cmake --install` puts libmtrace.so in P/lib and the tools in P/bin, and
the installed mtrace-run traces a program and prints its report."""
import os
import subprocess
import unittest

import mtt


class InstallAndRun(unittest.TestCase):
    def test_installed_layout_and_launcher(self):
        with mtt.Workdir() as d:
            prefix = os.path.join(d, "prefix")
            cp = subprocess.run(["cmake", "--install", mtt.BUILD, "--prefix", prefix],
                                capture_output=True, text=True)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            lib = os.path.join(prefix, "lib", "libmtrace.so")
            self.assertTrue(os.path.exists(lib), os.listdir(prefix))
            for tool in ("mtrace-report", "mtrace-run"):
                self.assertTrue(os.access(os.path.join(prefix, "bin", tool), os.X_OK), tool)
            run = subprocess.run([os.path.join(prefix, "bin", "mtrace-run"), "--color", "never",
                                  "--", mtt.sample("leaky")], capture_output=True, text=True,
                                 cwd=d, timeout=120)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn("200,448 bytes in 13 blocks", run.stdout)
            self.assertIn("leak_big_buffer", run.stdout)
            gate = subprocess.run([os.path.join(prefix, "bin", "mtrace-run"), "--fail-on-leaks",
                                   "--", mtt.sample("leaky")], capture_output=True, text=True,
                                  cwd=d, timeout=120)
            self.assertEqual(gate.returncode, 4, gate.stderr)


if __name__ == "__main__":
    mtt.main()

"""Never crash on a trace, and keep every committed record when the traced
program dies: abort, SIGSEGV, _exit and kill -9 at a random moment."""
import os
import random
import re
import signal
import subprocess
import time
import unittest

import mtt


class Crashes(unittest.TestCase):
    def check_end(self, mode, rc, end_state, end_code):
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("crasher"), mode, "300"], d, check=False)
            self.assertEqual(cp.returncode, rc, cp.stderr)
            self.assertEqual(len(traces), 1)
            rep = mtt.report_json(traces[0])
            text = mtt.report(traces[0], "--color", "never").stdout
        m = re.search(r"blocks=(\d+) bytes=(\d+)", cp.stderr)
        self.assertEqual(rep["process"]["end_state"], end_state)
        self.assertEqual(rep["process"]["end_code"], end_code)
        leaks = [l for l in rep["leaks"] if l["frames"] and l["frames"][0]["function"] == "keep_blocks"]
        self.assertEqual(sum(l["blocks"] for l in leaks), int(m.group(1)))
        self.assertEqual(sum(l["bytes"] for l in leaks), int(m.group(2)))
        return text

    def test_abort(self):
        text = self.check_end("abort", -signal.SIGABRT, "abort", signal.SIGABRT)
        self.assertIn("aborted (SIGABRT)", text)

    def test_sigsegv(self):
        text = self.check_end("segv", -signal.SIGSEGV, "signal", signal.SIGSEGV)
        self.assertIn(f"killed by SIGSEGV (signal {signal.SIGSEGV})", text)

    def test_underscore_exit(self):
        text = self.check_end("_exit", 7, "_exit", 7)
        self.assertIn("ended by _exit(7)", text)

    def test_kill_9_at_random_moments(self):
        """20 runs of churn_log killed with SIGKILL after a random delay.  Every
        trace opens, reports, says the run did not finish, and holds between V
        and V + 2000 events, V being the calls the program had logged (it logs
        every 1000 pairs; the shared-mapping writer loses nothing committed)."""
        rnd = random.Random(20240901)
        with mtt.Workdir() as d:
            for run in range(20):
                side = os.path.join(d, f"side{run}")
                out = os.path.join(d, f"k{run}.trace")
                env = mtt.traced_env(out)
                p = subprocess.Popen([mtt.prog("churn_log"), side], env=env,
                                     stderr=subprocess.DEVNULL)
                # the random moment counts from the program's start, not the
                # spawn (on a loaded machine start-up alone can take 0.3 s)
                deadline = time.monotonic() + 30
                while not os.path.exists(side) and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(0.05 + rnd.random() * 0.25)
                p.send_signal(signal.SIGKILL)
                p.wait()
                with open(side) as f:
                    logged = int(f.read().strip() or 0)
                rep = mtt.report_json(out)
                text = mtt.report(out, "--color", "never").stdout
                self.assertEqual(rep["process"]["end_state"], "running")
                self.assertFalse(rep["process"]["finished"])
                self.assertIn("did not finish", text)
                s = rep["summary"]
                events = s["allocations"] + s["frees"]
                self.assertEqual(rep["process"]["lost_events"], 0)
                self.assertGreaterEqual(events, logged, (run, events, logged))
                self.assertLessEqual(events, logged + 2000, (run, events, logged))
                self.assertGreater(logged, 0)


if __name__ == "__main__":
    mtt.main()

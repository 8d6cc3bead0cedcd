"""Attaching to a running process (mtrace-run --pid) and the dormant start
(MTRACE_START=off with mtrace-run --start/--stop): the report covers exactly
the traced windows, blocks from before are never leaks, the program's exit
status is its own, and impossible attaches are refused clearly."""
import glob
import os
import signal
import subprocess
import time
import unittest

import mtt

RUN = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")


def wait_file(path, timeout=30):
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.01)


def touch(path):
    open(path, "w").close()


def untraced_env():
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("MTRACE_") or k == "LD_PRELOAD":
            del env[k]
    return env


class Attach(unittest.TestCase):
    def start_target(self, d):
        p = subprocess.Popen([mtt.prog("attach_target"), d], env=untraced_env(),
                             stderr=subprocess.DEVNULL)
        wait_file(os.path.join(d, "ready"))
        return p

    def attach(self, d, pid, *extra):
        return subprocess.Popen([RUN, "--run-dir", os.path.join(d, "run"), "--no-report",
                                 "--pid", str(pid), *extra], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def trace_report(self, d):
        traces = glob.glob(os.path.join(d, "run", "*.trace"))
        self.assertEqual(len(traces), 1)
        return mtt.report_json(traces[0])

    def wait_attached(self, runner):
        line = runner.stderr.readline()
        self.assertRegex(line, r"^mtrace-run: attached to \d+ \(attach_target\) at ")
        return line

    def test_leak_after_attach(self):
        with mtt.Workdir() as d:
            p = self.start_target(d)
            try:
                runner = self.attach(d, p.pid)
                self.wait_attached(runner)
                touch(os.path.join(d, "go"))
                wait_file(os.path.join(d, "done"))
                touch(os.path.join(d, "end"))
                self.assertEqual(p.wait(timeout=60), 7)  # its own status
                out, err = runner.communicate(timeout=120)
            finally:
                p.kill()
                p.wait()
            self.assertIn("exited", err)
            proc = self.trace_report(d)
        self.assertTrue(proc["process"]["attached"])
        self.assertEqual(proc["process"]["end_state"], "exit")
        self.assertEqual(proc["process"]["end_code"], 7)
        leaks = proc["leaks"]
        self.assertEqual([(l["bytes"], l["blocks"]) for l in leaks], [(4242, 1)])
        self.assertIn("leak_after_attach", [f["function"] for f in leaks[0]["frames"]])
        s = proc["summary"]
        self.assertEqual(s["leaked_bytes"], 4242)  # the 8 x 3000 early blocks are not leaks
        self.assertEqual(s["untracked_frees"], 4)  # early blocks freed after the attach
        self.assertEqual(s["allocations"], 2)

    def test_detach_leaves_program_running(self):
        with mtt.Workdir() as d:
            p = self.start_target(d)
            try:
                runner = self.attach(d, p.pid, "--duration", "60")
                self.wait_attached(runner)
                touch(os.path.join(d, "go"))
                wait_file(os.path.join(d, "done"))
                runner.send_signal(2)  # Ctrl-C: detach
                out, err = runner.communicate(timeout=120)
                self.assertIn("detached from", err)
                self.assertIsNone(p.poll())  # still running, untraced
                touch(os.path.join(d, "end"))
                self.assertEqual(p.wait(timeout=60), 7)
            finally:
                p.kill()
                p.wait()
            proc = self.trace_report(d)
        self.assertEqual(proc["process"]["end_state"], "detached")
        s = proc["summary"]
        self.assertEqual(s["leaked_bytes"], 0)  # its fate after the detach is unknown
        self.assertEqual(s["unknown_bytes"], 4242)

    def refused(self, argv, want, env=None):
        p = subprocess.Popen(argv, env=env or untraced_env(), stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            cp = subprocess.run([RUN, "--pid", str(p.pid)], capture_output=True, text=True,
                                timeout=60)
        finally:
            p.kill()
            p.wait()
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("cannot attach", cp.stderr)
        self.assertIn(want, cp.stderr)

    def test_refuses_static(self):
        if not os.path.exists(mtt.prog("static_hello")):
            self.skipTest("no static glibc")
        self.refused([mtt.prog("static_hello"), "30"], "statically linked")

    def test_refuses_traced(self):
        if not mtt.have("strace"):
            self.skipTest("no strace")
        with mtt.Workdir() as d:
            # strace's child is the program; find its pid once it waits
            p = subprocess.Popen(["strace", "-f", "-o", os.devnull, mtt.prog("attach_target"), d],
                                 env=untraced_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            child = None
            try:
                wait_file(os.path.join(d, "ready"))
                child = int(subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                                           text=True).stdout.split()[0])
                cp = subprocess.run([RUN, "--pid", str(child)], capture_output=True, text=True,
                                    timeout=60)
            finally:
                if child:
                    os.kill(child, signal.SIGKILL)  # strace's death would orphan it
                p.kill()
                p.wait()
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("already traced", cp.stderr)

    def test_refuses_no_process(self):
        cp = subprocess.run([RUN, "--pid", "999999999"], capture_output=True, text=True)
        self.assertNotEqual(cp.returncode, 0)

    def test_refuses_permission(self):
        if os.geteuid() == 0:
            self.skipTest("root may trace any process")
        self.refused(["sleep", "30"], "permission")


class Dormant(unittest.TestCase):
    def test_two_windows(self):
        with mtt.Workdir() as d:
            env = mtt.traced_env(os.path.join(d, "t.%p.trace"), {"MTRACE_START": "off"})
            p = subprocess.Popen([mtt.prog("window_phases"), d, "4"], env=env,
                                 stderr=subprocess.DEVNULL)
            self.addCleanup(p.wait)
            self.addCleanup(p.kill)

            def phase(k):
                touch(os.path.join(d, f"phase{k}"))
                wait_file(os.path.join(d, f"done{k}"))

            def switch(opt):
                cp = subprocess.run([RUN, opt, str(p.pid)], capture_output=True, text=True,
                                    timeout=60)
                self.assertEqual(cp.returncode, 0, cp.stderr)

            phase(1)           # off: 10 allocations unseen
            switch("--start")
            phase(2)           # window 1: 20 allocations
            switch("--stop")
            phase(3)           # off: 30 unseen
            switch("--start")
            phase(4)           # window 2: 40 allocations
            switch("--stop")
            touch(os.path.join(d, "end0"))
            self.assertEqual(p.wait(timeout=60), 0)
            traces = glob.glob(os.path.join(d, "t.*.trace"))
            self.assertEqual(len(traces), 1)
            rep = mtt.report_json(traces[0])
            text = mtt.report(traces[0], "--color", "never").stdout
        ws = rep["process"]["windows"]
        self.assertEqual([(w["allocations"], w["bytes"]) for w in ws],
                         [(20, 20 * 102), (40, 40 * 104)])
        self.assertTrue(all(not w["open"] for w in ws))
        self.assertEqual(rep["summary"]["allocations"], 60)
        self.assertEqual(rep["leaks"], [])  # kept blocks were freed unseen: unknown
        self.assertIn("tracing windows: 2", text)

    def test_control_refuses_untraced(self):
        p = subprocess.Popen(["sleep", "30"], env=untraced_env())
        try:
            time.sleep(0.2)
            cp = subprocess.run([RUN, "--start", str(p.pid)], capture_output=True, text=True)
        finally:
            p.kill()
            p.wait()
        self.assertEqual(cp.returncode, 1)
        self.assertIn("does not run libmtrace.so", cp.stderr)


if __name__ == "__main__":
    unittest.main()

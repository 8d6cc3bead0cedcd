"""Issue 8, never harm the traced program: its file descriptors.

A program that closes descriptors it did not open (closefrom, close_range,
Python's os.close loop, dup2 over everything in /proc/self/fd) and then works
with files of its own must behave exactly as untraced: same output, same exit
status, same files; and the trace stays complete.  A close mtrace cannot see
(an inline system call) stops tracing cleanly with MT_STOP_FD_LOST and a true
message, and the program is still unharmed."""
import glob
import os
import struct
import subprocess
import sys
import unittest

import mtt

STOP_FD_LOST = 3


def header_stop(path):
    """(stop_reason, stop_errno, stop_bytes) from the trace header."""
    with open(path, "rb") as f:
        head = f.read(184)
    return struct.unpack_from("<IiQ", head, 168)


def run_both(argv, files, timeout=300):
    """Runs argv untraced and traced in fresh directories; returns
    (untraced cp, untraced files, traced cp, traced files, trace paths)."""
    results = []
    for traced in (False, True):
        with mtt.Workdir() as d:
            env = mtt.traced_env(os.path.join(d, "t.%p.trace")) if traced else dict(os.environ)
            if not traced:
                env.pop("LD_PRELOAD", None)
            cp = subprocess.run(argv, cwd=d, env=env, capture_output=True, text=True,
                                timeout=timeout)
            contents = {}
            for name in files:
                p = os.path.join(d, name)
                contents[name] = open(p, "rb").read() if os.path.exists(p) else None
            traces = sorted(glob.glob(os.path.join(d, "t.*.trace")))
            infos = []
            for t in traces:
                infos.append((header_stop(t), mtt.report_json(t), cp.stderr))
            results.append((cp, contents, infos))
    return results


class ProgramFds(unittest.TestCase):
    def assert_same(self, plain, traced):
        self.assertEqual(traced[0].returncode, plain[0].returncode, traced[0].stderr)
        self.assertEqual(traced[0].stdout, plain[0].stdout)
        self.assertEqual(traced[1], plain[1])
        for name, data in plain[1].items():
            self.assertIsNotNone(data, name)

    def test_python_closes_3_to_1023_then_writes_files(self):
        script = (
            "import os\n"
            "n = 0\n"
            "for fd in range(3, 1024):\n"
            "    try:\n"
            "        os.close(fd); n += 1\n"
            "    except OSError:\n"
            "        pass\n"
            "blobs = []\n"
            "for i in range(40):\n"
            "    with open('f%d.txt' % i, 'w') as f:\n"
            "        for j in range(2000):\n"
            "            blobs.append(bytearray(600 + j % 300))\n"
            "            f.write('%d %d\\n' % (i, j))\n"
            "        blobs.clear()\n"
            "print('closed', n, 'done')\n")
        files = ["f%d.txt" % i for i in range(40)]
        plain, traced = run_both([sys.executable, "-S", "-c", script], files)
        self.assert_same(plain, traced)
        self.assertEqual(len(traced[2]), 1)
        stop, rep, stderr = traced[2][0]
        self.assertEqual(stop[0], 0, stderr)  # tracing never stopped
        self.assertNotIn("mtrace[", stderr)
        self.assertGreater(rep["summary"]["allocations"], 80000)
        self.assertEqual(rep["process"]["lost_events"], 0)
        self.assertEqual(rep["process"]["end_state"], "exit")

    def check_mode(self, mode):
        plain, traced = run_both([mtt.prog("fd_closer"), mode], ["out.txt"])
        self.assert_same(plain, traced)
        self.assertIn("rounds 400000", plain[0].stdout)
        self.assertEqual(len(traced[2]), 1)
        return traced[2][0]

    def test_tracer_fds_are_out_of_reach(self):
        for mode in ("close", "syscall", "closefrom", "range", "dup2", "dup3"):
            with self.subTest(mode=mode):
                stop, rep, stderr = self.check_mode(mode)
                self.assertEqual(stop[0], 0, stderr)
                self.assertNotIn("mtrace[", stderr)
                # every event is there: 400000 malloc/free pairs and more
                self.assertGreaterEqual(rep["summary"]["allocations"], 400000)
                self.assertGreaterEqual(rep["summary"]["frees"], 400000)
                self.assertEqual(rep["process"]["lost_events"], 0)
                self.assertEqual(rep["process"]["end_state"], "exit")

    def test_raw_close_stops_tracing_cleanly(self):
        stop, rep, stderr = self.check_mode("raw")
        self.assertEqual(stop[0], STOP_FD_LOST, stderr)
        self.assertIn("closed or replaced behind mtrace's back", stderr)
        self.assertNotIn("MTRACE_MAX_SIZE", stderr)
        # the trace up to the stop is readable, later events are counted lost
        self.assertGreater(rep["summary"]["allocations"], 1000)
        self.assertGreater(rep["process"]["lost_events"], 0)
        self.assertLess(rep["summary"]["allocations"], 400000)

    def test_program_sees_its_own_fds_only_below_the_tracers(self):
        # the tracer's fds sit just below min(soft limit, 1024); what ls finds
        # in /proc/self/fd below them is exactly what it finds untraced
        import resource
        edge = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1024) - 64
        plain, traced = run_both(["ls", "/proc/self/fd"], [])
        low = lambda out: sorted(int(x) for x in out.split() if int(x) < edge)
        self.assertEqual(low(traced[0].stdout), low(plain[0].stdout))
        high = [int(x) for x in traced[0].stdout.split() if int(x) >= edge]
        self.assertGreaterEqual(len(high), 1)  # the trace file (and libunwind's pipe)


if __name__ == "__main__":
    mtt.main()

"""Never harm the traced program (issue 8).

- A full disk: the trace goes to a 1 MiB tmpfs.  The program must exit with
  its own status and output (a sparse MAP_SHARED file used to kill it with
  SIGBUS); the trace and both reports say recording stopped for lack of space.
- Waste: 10,000 short threads and a fork child; /proc snapshots.  The file
  is at most 2x its records plus a fixed amount, and no event is lost.
- Settings: MTRACE_CHUNK=5000, a small MTRACE_MAX_SIZE, a ring with more
  threads than slots.

Every traced run is compared with the same run untraced: same exit status,
same standard output, same files."""
import glob
import os
import subprocess
import sys
import tempfile
import unittest

import mtt

FIXED = 1 << 20  # header, chunks in flight, first-chunk growth


def untraced(argv, cwd, timeout=300, preexec=None):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec)


def traced(argv, cwd, out_pattern, extra=None, timeout=300, preexec=None):
    return subprocess.run(argv, env=mtt.traced_env(out_pattern, extra), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)


def files_of(d):
    """Name -> content of the files a run left, traces aside."""
    out = {}
    for name in sorted(os.listdir(d)):
        if ".trace" in name:
            continue
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    return out


def fn_names(site):
    return [f["function"] for f in site["frames"]]


class Harmless(unittest.TestCase):
    def same_as_untraced(self, argv, extra=None, timeout=300, export=False, preexec=None):
        """Runs argv untraced and traced in two directories; asserts the same
        status, stdout and files; returns (traced run, its trace paths)."""
        with mtt.Workdir() as plain, mtt.Workdir() as d:
            base = untraced(argv, plain, timeout, preexec)
            cp = traced(argv, d, os.path.join(d, "t.%p.trace"), extra, timeout, preexec)
            self.assertEqual(cp.returncode, base.returncode, cp.stderr[-2000:])
            self.assertEqual(cp.stdout, base.stdout)
            self.assertEqual(files_of(d), files_of(plain))
            traces = sorted(glob.glob(os.path.join(d, "t.*.trace*")))
            reports = [(mtt.report_json(t, "--top", "0"), mtt.report(t).stdout) for t in traces]
            self.exported = [subprocess.run([mtt.REPORT, "--export-json", t],
                                            capture_output=True, text=True, timeout=120,
                                            check=True).stdout
                             for t in traces] if export else []
            return cp, reports


class FullDisk(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="mtrace-fulldisk-")
        self.addCleanup(os.rmdir, self.mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", self.mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            if os.geteuid() == 0:
                self.fail(f"mount tmpfs: {r.stderr}")
            self.skipTest("mounting a tmpfs needs root")
        self.addCleanup(subprocess.run, ["umount", "-l", self.mnt])

    def run_full(self, argv, extra=None):
        with mtt.Workdir() as plain, mtt.Workdir() as d:
            base = untraced(argv, plain)
            cp = traced(argv, d, os.path.join(self.mnt, "t.%p.trace"), extra)
            # the program's own fate: not SIGBUS, its status, its output, its files
            self.assertEqual(cp.returncode, base.returncode, cp.stderr[-2000:])
            self.assertEqual(cp.stdout, base.stdout)
            self.assertEqual(files_of(d), files_of(plain))
            traces = sorted(glob.glob(os.path.join(self.mnt, "t.*.trace*")))
            self.assertEqual(len(traces), 1, traces)
            return cp, traces[0]

    def check_stopped(self, cp, trace):
        warn = [l for l in cp.stderr.splitlines() if l.startswith("mtrace[")]
        self.assertEqual(len(warn), 1, cp.stderr)
        self.assertIn("no space left on device (ENOSPC 28)", warn[0])
        self.assertIn(self.mnt, warn[0])
        rep = mtt.report_json(trace, "--top", "0")
        stop = rep["process"]["stop"]
        self.assertIsNotNone(stop)
        self.assertEqual(stop["reason"], "no_space")
        self.assertEqual(stop["errno"], "ENOSPC")
        self.assertGreater(rep["process"]["lost_events"], 0)
        self.assertEqual(stop["lost_events"], rep["process"]["lost_events"])
        self.assertLessEqual(stop["bytes"], 1 << 20)
        self.assertLessEqual(os.path.getsize(trace), 1 << 20)
        text = mtt.report(trace).stdout
        self.assertRegex(text, r"recording stopped: no space left on device \(ENOSPC\) after "
                               r"[0-9.]+ [KM]iB; [0-9,]+ later events lost")
        # the trace.json interchange form keeps the three fields
        js = subprocess.run([mtt.REPORT, "--export-json", trace], capture_output=True,
                            text=True, timeout=120, check=True).stdout
        self.assertIn('"stop_reason": "no_space"', js)
        self.assertIn('"stop_errno": 28', js)
        with mtt.Workdir() as d:
            p = os.path.join(d, "trace.json")
            with open(p, "w") as f:
                f.write(js)
            again = mtt.report_json(p, "--top", "0")
        self.assertEqual(again["process"]["stop"], stop)
        return rep

    def test_threads_fill_the_disk(self):
        argv = [mtt.prog("short_threads"), "100", "3000", "4", "0", "7", "result.txt"]
        cp, trace = self.run_full(argv)
        self.assertEqual(cp.returncode, 7)
        rep = self.check_stopped(cp, trace)
        self.assertGreater(rep["summary"]["allocations"], 1000)  # recorded until the stop

    def test_ring_that_does_not_fit(self):
        argv = [mtt.prog("short_threads"), "10", "1000", "4", "0", "5", "result.txt"]
        cp, trace = self.run_full(argv, {"MTRACE_RING": "8M"})
        self.assertEqual(cp.returncode, 5)
        self.check_stopped(cp, trace)


class Waste(Harmless):
    def test_10000_short_threads_and_a_fork_child(self):
        threads, pairs, child = 10000, 100, 20000
        cp, reports = self.same_as_untraced(
            [mtt.prog("short_threads"), str(threads), str(pairs), "8", str(child), "0"])
        self.assertEqual(len(reports), 2)
        parent = [r for r, _ in reports if "child_pairs" not in
                  "".join(str(fn_names(s)) for s in r["sites"])]
        kid = [r for r, _ in reports if r not in parent]
        self.assertEqual((len(parent), len(kid)), (1, 1))
        for rep, own_fn, n in ((parent[0], "thread_pairs", threads * pairs),
                               (kid[0], "child_pairs", child)):
            t = rep["trace"]
            self.assertLessEqual(t["file_bytes"], 2 * t["record_bytes"] + FIXED, t)
            self.assertEqual(rep["process"]["lost_events"], 0)
            self.assertIsNone(rep["process"]["stop"])
            own = [s for s in rep["sites"] if own_fn in fn_names(s)]
            self.assertEqual(sum(s["allocations"] for s in own), n)
            self.assertEqual(sum(s["frees"] for s in own), n)
        # 200 events a thread: far from one chunk each
        self.assertGreater(parent[0]["summary"]["events"], 2 * threads * pairs)

    def test_kill_9_while_threads_come_and_go(self):
        """Chunks are split and their tails reused all the time: a trace cut
        by kill -9 at any moment still reads, every committed record in it."""
        import time
        for delay in (0.3, 0.8, 1.5):
            with mtt.Workdir() as d:
                p = subprocess.Popen([mtt.prog("short_threads"), "1000000", "100", "8", "0",
                                      "0"], env=mtt.traced_env(os.path.join(d, "t.%p.trace")),
                                     cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(delay)
                p.kill()
                p.wait()
                traces = glob.glob(os.path.join(d, "t.*.trace"))
                self.assertEqual(len(traces), 1)
                rep = mtt.report_json(traces[0], "--top", "0")
                self.assertEqual(rep["process"]["end_state"], "running")
                self.assertFalse(rep["trace"]["truncated"])
                self.assertGreater(rep["summary"]["allocations"], 100)
                # a thread's pairs are recorded in order: never a free the
                # trace did not see allocated
                self.assertEqual(rep["summary"]["untracked_frees"], 0)

    def test_maps_snapshots_claim_about_their_size(self):
        # one snapshot per mapping call, at most every 10 ms: ~150 of them
        # (each used to claim a fresh 68 KiB chunk: 12 MB for 3 MB of records)
        script = ("import mmap, time\n"
                  "for i in range(150):\n"
                  "    m = mmap.mmap(-1, 1 << 20); m[0] = 1; m.close()\n"
                  "    time.sleep(0.012)\n"
                  "print('done')\n")
        cp, reports = self.same_as_untraced([sys.executable, "-c", script],
                                            {"MTRACE_MAPS_ON_MMAP": "1"}, export=True)
        self.assertEqual(cp.stdout, "done\n")
        rep = max((r for r, _ in reports), key=lambda r: r["trace"]["record_bytes"])
        t = rep["trace"]
        self.assertLessEqual(t["file_bytes"], 2 * t["record_bytes"] + FIXED, t)
        # the snapshots were taken (one per mapping call, at most every 10 ms)
        snaps = max(js.count('"reason":"mapping"') + js.count('"reason": "mapping"')
                    for js in self.exported)
        self.assertGreater(snaps, 100)


class Settings(Harmless):
    def test_chunk_not_a_page_multiple_is_rounded(self):
        cp, reports = self.same_as_untraced([mtt.prog("mt_pairs"), "4", "20000"],
                                            {"MTRACE_CHUNK": "5000"})
        warn = [l for l in cp.stderr.splitlines() if l.startswith("mtrace[")]
        self.assertEqual(len(warn), 1, cp.stderr)
        self.assertIn("MTRACE_CHUNK=5000 is not a multiple of the page size (4096); using 8192",
                      warn[0])
        rep = reports[0][0]
        own = [s for s in rep["sites"] if "thread_main" in fn_names(s)]
        self.assertEqual(sum(s["allocations"] for s in own), 80000)
        self.assertEqual(sum(s["frees"] for s in own), 80000)
        self.assertEqual(rep["process"]["lost_events"], 0)

    def test_small_max_size_is_honoured(self):
        cp, reports = self.same_as_untraced(
            [mtt.prog("short_threads"), "8", "50000", "8", "0", "3", "result.txt"],
            {"MTRACE_MAX_SIZE": "2M"})
        self.assertEqual(cp.returncode, 3)
        rep, text = reports[0]
        self.assertLessEqual(rep["trace"]["file_bytes"], 2 << 20)
        self.assertGreater(rep["trace"]["file_bytes"], 1 << 20)
        stop = rep["process"]["stop"]
        self.assertEqual(stop["reason"], "max_size")
        self.assertGreater(rep["process"]["lost_events"], 0)
        self.assertIn("recording stopped: the trace reached MTRACE_MAX_SIZE", text)
        warn = [l for l in cp.stderr.splitlines() if l.startswith("mtrace[")]
        self.assertEqual(len(warn), 1, cp.stderr)
        self.assertIn("MTRACE_MAX_SIZE", warn[0])

    def test_file_size_limit_is_not_a_signal(self):
        """RLIMIT_FSIZE below what the trace wants: growing past it would
        raise SIGXFSZ and kill the program; recording stops instead."""
        import resource

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))
        cp, reports = self.same_as_untraced(
            [mtt.prog("short_threads"), "8", "50000", "8", "0", "4", "result.txt"],
            preexec=limit)
        self.assertEqual(cp.returncode, 4)
        rep, text = reports[0]
        self.assertLessEqual(rep["trace"]["file_bytes"], 2 << 20)
        stop = rep["process"]["stop"]
        self.assertEqual((stop["reason"], stop["errno"]), ("no_space", "EFBIG"))
        self.assertIn("recording stopped: file too large (EFBIG)", text)
        warn = [l for l in cp.stderr.splitlines() if l.startswith("mtrace[")]
        self.assertEqual(len(warn), 1, cp.stderr)
        self.assertIn("file too large (EFBIG 27)", warn[0])

    def test_ring_with_more_threads_than_slots_warns_and_counts(self):
        # 16 threads each make a first pair and wait for the others: 16
        # cursors hold a chunk at once, in a ring of 8
        cp, reports = self.same_as_untraced(
            [mtt.prog("short_threads"), "16", "20000", "16", "0", "0"],
            {"MTRACE_RING": "256K", "MTRACE_CHUNK": "32K"})
        warn = [l for l in cp.stderr.splitlines() if l.startswith("mtrace[")]
        self.assertEqual(len(warn), 1, cp.stderr)
        self.assertIn("MTRACE_RING holds 8 chunks", warn[0])
        rep, text = reports[0]
        self.assertGreater(rep["process"]["lost_events"], 0)
        self.assertIn("more threads wrote at once than MTRACE_RING holds chunks", text)


if __name__ == "__main__":
    unittest.main()

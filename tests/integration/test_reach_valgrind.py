"""Leak verdicts against valgrind memcheck: the blocks unfreed at exit in the
four classes memcheck reports (definitely, indirectly, possibly lost, still
reachable) must agree block for block and byte for byte.  valgrind runs
without --run-libc-freeres/--run-cxx-freeres (mtrace calls neither, so
libc's and libstdc++'s start-up blocks stay allocated in both)."""
import os
import shutil
import subprocess
import unittest

import mtt


def dtv_blocks(records):
    """glibc's dynamic thread vector (allocate_dtv) per class: its size is
    16 bytes per TLS module, and libmtrace.so adds modules valgrind's preload
    does not, so its bytes differ by construction (272 vs 304 here)."""
    out = {}
    for key, blocks, nbytes, fns in records:
        if "allocate_dtv" in fns:
            b, n = out.get(key, (0, 0))
            out[key] = (b + blocks, n + nbytes)
    return out


def our_dtv_blocks(rep):
    out = {}
    for key in mtt.LEAK_KEYS:
        for s in rep["leak_check"]["classes"][key]["stacks"]:
            if any(f["function"] == "allocate_dtv" for f in s["frames"]):
                b, n = out.get(key, (0, 0))
                out[key] = (b + s["blocks"], n + s["bytes"])
    return out


@unittest.skipUnless(mtt.have("valgrind"), "valgrind not installed")
class ReachVsValgrind(unittest.TestCase):
    def compare(self, argv, env=None, cwd=None, ignore_dtv=False):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced(argv, cwd or d, extra_env=env)
            traces = traces or sorted(
                os.path.join(d, f) for f in os.listdir(d) if ".trace" in f)
            self.assertEqual(len(traces), 1, traces)
            ours, rep = mtt.our_leaks(traces[0])
            vg = mtt.valgrind_leaks(argv, cwd=cwd or d, env={**os.environ, **(env or {})})
        lc = rep["leak_check"]
        self.assertTrue(lc["conclusive"], lc["inconclusive_reason"])
        self.assertEqual(ours["after_scan"], (0, 0))
        if ignore_dtv:
            a, b = our_dtv_blocks(rep), dtv_blocks(vg["records"])
            self.assertEqual({k: v[0] for k, v in a.items()}, {k: v[0] for k, v in b.items()},
                             "the DTV blocks are in different classes")
            for key in mtt.LEAK_KEYS:
                ours[key] = (ours[key][0], ours[key][1] - a.get(key, (0, 0))[1])
                vg[key] = (vg[key][0], vg[key][1] - b.get(key, (0, 0))[1])
        for key in mtt.LEAK_KEYS:
            self.assertEqual(ours[key], vg[key], f"{key}: mtrace {ours}, valgrind "
                             f"{ {k: vg[k] for k in mtt.LEAK_KEYS} }")
        return ours, rep

    def test_reach_cases_every_class(self):
        ours, rep = self.compare([mtt.prog("reach_cases")], ignore_dtv=True)
        # the program's own blocks (reach_cases.c): the figures themselves
        self.assertEqual(ours["definitely_lost"], (2, 200 + 512))
        self.assertEqual(ours["indirectly_lost"], (2, 300 + 512))
        self.assertEqual(ours["possibly_lost"][0], 2)      # 128 B + glibc's DTV
        self.assertEqual(ours["still_reachable"], (2, 100 + 400))
        # --fail-on-leaks counts definitely + indirectly lost only
        self.assertEqual(rep["summary"]["leaked_bytes"], 200 + 512 + 300 + 512)

    def test_reach_cases_without_thread(self):
        ours, _ = self.compare([mtt.prog("reach_cases"), "--no-thread"])
        self.assertEqual(ours["possibly_lost"], (1, 128))
        self.assertEqual(ours["still_reachable"], (1, 100))

    def test_python_pass(self):
        python = "/usr/bin/python3"
        if not os.path.exists(python):
            self.skipTest("no /usr/bin/python3")
        # valgrind adds variables to its client's environment
        # (VALGRIND_LAUNCHER, its LD_PRELOAD) and mtrace adds LD_PRELOAD and
        # MTRACE_OUT; with a fixed hash seed Python's start-up does not depend
        # on the values, and the classes match exactly (measured: 23 blocks,
        # 399,468 B still reachable, nothing lost)
        ours, _ = self.compare([python, "-c", "pass"], env={"PYTHONHASHSEED": "0"})
        self.assertGreater(ours["still_reachable"][1], 100000)
        self.assertEqual(ours["definitely_lost"], (0, 0))

    @unittest.skipUnless(shutil.which("g++"), "no g++")
    def test_cxx_iostream(self):
        with mtt.Workdir() as d:
            exe = os.path.join(d, "hello")
            subprocess.run(["g++", "-O1", "-g", "-o", exe,
                            os.path.join(mtt.SOURCE, "tests", "progs", "hello_iostream.cpp")],
                           check=True)
            ours, _ = self.compare([exe], cwd=d)
        # libstdc++'s emergency pool (72,704 B) is still reachable, not lost
        self.assertGreaterEqual(ours["still_reachable"][1], 72704)
        self.assertEqual(ours["definitely_lost"], (0, 0))

    def test_sort_agrees_with_memcheck(self):
        # Debian's sort(1) loses one small block (memcheck: "16 bytes in 1
        # blocks are definitely lost", allocated under main): the gate is
        # right to fail it, and must name exactly what memcheck names.
        sort = shutil.which("sort")
        if not sort:
            self.skipTest("no sort")
        with mtt.Workdir() as d:
            src = os.path.join(d, "in.txt")
            with open(src, "w") as f:
                f.write("".join("line %d\n" % (i * 7919 % 1000) for i in range(1000)))
            ours, rep = self.compare([sort, src], cwd=d)
        self.assertEqual(rep["summary"]["leaked_bytes"],
                         ours["definitely_lost"][1] + ours["indirectly_lost"][1])

    def test_true_has_nothing_lost(self):
        ours, _ = self.compare(["/bin/true"])
        self.assertEqual(ours["definitely_lost"], (0, 0))
        self.assertEqual(ours["indirectly_lost"], (0, 0))


class FailOnLeaks(unittest.TestCase):
    def test_python_pass_passes_fail_on_leaks(self):
        python = "/usr/bin/python3"
        if not os.path.exists(python):
            self.skipTest("no /usr/bin/python3")
        run = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")
        with mtt.Workdir() as d:
            env = dict(os.environ, PATH=os.path.dirname(mtt.REPORT) + ":" + os.environ["PATH"])
            cp = subprocess.run([run, "--fail-on-leaks", "--", python, "-c", "pass"], cwd=d,
                                env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(cp.returncode, 0, cp.stderr + cp.stdout[-1500:])
        self.assertIn("still reachable", cp.stdout)

    def test_true_passes_and_false_keeps_its_status(self):
        run = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")
        with mtt.Workdir() as d:
            for prog, want in (("/bin/true", 0), ("/bin/false", 1)):
                cp = subprocess.run([run, "--fail-on-leaks", "--", prog], cwd=d,
                                    capture_output=True, text=True, timeout=120)
                self.assertEqual(cp.returncode, want, prog + ": " + cp.stderr)

    def test_lost_blocks_fail_with_4(self):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("reach_cases"), "--no-thread"], d)
            cp = mtt.report(traces[0], "--fail-on-leaks", check=False)
            self.assertEqual(cp.returncode, 4, cp.stderr)
            # the lost ones: 200 + 300 + 512 + 512
            cp = mtt.report(traces[0], "--fail-on-leaks=1524", check=False)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            cp = mtt.report(traces[0], "--fail-on-leaks=1523", check=False)
            self.assertEqual(cp.returncode, 4, cp.stderr)

    def test_no_scan_is_inconclusive(self):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("reach_cases"), "--no-thread"], d,
                                       extra_env={"MTRACE_LEAK_CHECK": "off"})
            cp = mtt.report(traces[0], "--fail-on-leaks", check=False)
            self.assertEqual(cp.returncode, 6, cp.stderr)
            self.assertIn("not known", cp.stderr)
            text = mtt.report(traces[0]).stdout
            self.assertIn("leak check inconclusive", text)
            self.assertNotIn("definitely lost", text)
            lc = mtt.report_json(traces[0])["leak_check"]
            self.assertFalse(lc["conclusive"])
            self.assertIn("MTRACE_LEAK_CHECK", lc["inconclusive_reason"])


if __name__ == "__main__":
    mtt.main()

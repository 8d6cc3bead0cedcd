"""The installed package: another CMake project (tests/cmake_consumer) finds
mtrace with find_package, builds the samples and runs them under
mtrace_add_test through CTest; the installed mtrace.pc gives the library to
LD_PRELOAD.  Installed under a prefix with a space, then moved."""
import glob
import json
import os
import re
import subprocess
import unittest
import xml.etree.ElementTree as ET

import mtt

CONSUMER = os.path.join(mtt.SOURCE, "tests", "cmake_consumer")
RUN = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")
# test name -> mtrace-run's exit status, the program, and the options its
# command must hold
EXPECTED = {
    "leaky_gate": (4, "leaky", ["--fail-on-leaks"]),
    "leaky_suppressed": (0, "leaky", ["--fail-on-leaks", "--suppressions",
                                      os.path.join(CONSUMER, "leaky.supp")]),
    "leaky_under_threshold": (0, "leaky", ["--fail-on-leaks=1M",
                                           "--leak-kinds=definite,indirect", "--top", "3"]),
    "alloc_size_clean": (0, "alloc_size", ["--fail-on-leaks", "--max-peak=10M"]),
    "alloc_size_peak": (4, "alloc_size", ["--max-peak=100K"]),
}


def sh(argv, **kw):
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)
    if cp.returncode != 0:
        raise AssertionError(f"{argv} exited {cp.returncode}:\n{cp.stdout[-3000:]}\n"
                             f"{cp.stderr[-3000:]}")
    return cp


def install(prefix):
    sh(["cmake", "--install", mtt.BUILD, "--prefix", prefix])


def project_version():
    text = open(os.path.join(mtt.SOURCE, "CMakeLists.txt")).read()
    return re.search(r"project\(mtrace VERSION ([\d.]+)", text).group(1)


class CMakePackage(unittest.TestCase):
    def test_find_package_and_ctest(self):
        with mtt.Workdir() as d:
            # installed in one place and moved: the package must not remember where
            stage, prefix = os.path.join(d, "stage dir"), os.path.join(d, "pre fix")
            install(stage)
            os.rename(stage, prefix)
            cmdir = os.path.join(prefix, "lib", "cmake", "mtrace")
            for f in ("mtraceConfig.cmake", "mtraceConfigVersion.cmake", "mtraceAddTest.cmake"):
                self.assertTrue(os.path.exists(os.path.join(cmdir, f)), f)
            b = os.path.join(d, "consumer")
            sh(["cmake", "-S", CONSUMER, "-B", b, "-DCMAKE_PREFIX_PATH=" + prefix,
                "-DMTRACE_SAMPLES=" + os.path.join(mtt.SOURCE, "samples")])
            sh(["cmake", "--build", b])

            # every test is an mtrace-run command line from the installed prefix
            listing = json.loads(sh(["ctest", "--show-only=json-v1"], cwd=b).stdout)
            tests = {t["name"]: t for t in listing["tests"]}
            self.assertEqual(sorted(tests), sorted(EXPECTED))
            run = os.path.join(prefix, "bin", "mtrace-run")
            for name, (_, program, opts) in EXPECTED.items():
                cmd = tests[name]["command"]
                self.assertEqual(cmd[0], run, name)
                self.assertEqual(cmd[1], "--clean-run-dir", name)
                self.assertIn("--run-dir", cmd)
                self.assertEqual(cmd[cmd.index("--run-dir") + 1],
                                 os.path.join(b, "mtrace", name))
                sep = cmd.index("--")
                self.assertEqual(cmd[sep + 1], os.path.join(b, program), name)
                for o in opts:
                    self.assertIn(o, cmd[:sep], name)
            self.assertEqual(tests["alloc_size_clean"]["command"][-3:], ["16", "200", "0"])

            # CTest's verdicts, and the report in the output it keeps
            junit = os.path.join(d, "junit.xml")
            cp = subprocess.run(["ctest", "-j2", "--output-junit", junit], cwd=b,
                                capture_output=True, text=True, timeout=120)
            self.assertNotEqual(cp.returncode, 0, cp.stdout)
            cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
            self.assertEqual(sorted(cases), sorted(EXPECTED))
            for name, (code, _, _) in EXPECTED.items():
                self.assertEqual(cases[name].get("status"), "fail" if code else "run",
                                 name + ": " + (cases[name].findtext("system-out") or ""))
            gate = cases["leaky_gate"].findtext("system-out")
            self.assertIn("200,448 bytes in 13 blocks", gate)
            self.assertIn("leak_big_buffer", gate)
            self.assertIn("peak live heap 614400 bytes is above --max-peak 102400",
                          cases["alloc_size_peak"].findtext("system-out"))
            # REPORT_FILE: the report is in the file, not in the test's output
            self.assertNotIn("Summary", cases["leaky_under_threshold"].findtext("system-out"))
            self.assertIn("200,448 bytes in 13 blocks",
                          open(os.path.join(b, "leaky_report.txt")).read())

            # the exact statuses (a gate's 4, not a crash), from a second run in
            # the same run directories: the first run's traces are replaced
            for name, (code, _, _) in EXPECTED.items():
                t = tests[name]
                wd = next((p["value"] for p in t.get("properties", [])
                           if p["name"] == "WORKING_DIRECTORY"), b)
                r = subprocess.run(t["command"], cwd=wd, capture_output=True, text=True,
                                   timeout=120)
                self.assertEqual(r.returncode, code, f"{name}: {r.stderr[-2000:]}")
                self.assertIn("deleted 1 trace of an earlier run", r.stderr, name)
                self.assertEqual(len(glob.glob(os.path.join(b, "mtrace", name, "*.trace"))),
                                 1, name)

    def test_pkg_config(self):
        with mtt.Workdir() as d:
            prefix = os.path.join(d, "prefix")  # LD_PRELOAD cannot carry a space
            install(prefix)
            env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))

            def var(name):
                return sh(["pkg-config", "--variable=" + name, "mtrace"], env=env).stdout.strip()

            lib = var("preload")
            self.assertEqual(lib, os.path.join(prefix, "lib", "libmtrace.so"))
            self.assertEqual(var("mtrace_run"), os.path.join(prefix, "bin", "mtrace-run"))
            self.assertEqual(var("mtrace_report"), os.path.join(prefix, "bin", "mtrace-report"))
            self.assertEqual(sh(["pkg-config", "--modversion", "mtrace"], env=env).stdout.strip(),
                             project_version())
            traced = dict(os.environ, LD_PRELOAD=lib,
                          MTRACE_OUT=os.path.join(d, "leaky.%p.trace"))
            sh([mtt.sample("leaky")], env=traced, cwd=d)
            traces = glob.glob(os.path.join(d, "leaky.*.trace"))
            self.assertEqual(len(traces), 1, os.listdir(d))
            rep = sh([var("mtrace_report"), traces[0]])
            self.assertIn("200,448 bytes in 13 blocks", rep.stdout)

    def test_clean_run_dir(self):
        with mtt.Workdir() as d:
            r = subprocess.run([RUN, "--clean-run-dir", "--", mtt.sample("leaky")], cwd=d,
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 1)
            self.assertIn("--clean-run-dir cleans the directory given with --run-dir", r.stderr)
            # only regular files are deleted, never what a symlink points to
            rd = os.path.join(d, "rd")
            os.mkdir(rd)
            victim = os.path.join(d, "keep.trace")
            open(victim, "w").write("x")
            os.symlink(victim, os.path.join(rd, "old.trace"))
            r = subprocess.run([RUN, "--clean-run-dir", "--run-dir", rd, "--",
                                mtt.sample("leaky")], cwd=d, capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("already holds traces", r.stderr)
            self.assertTrue(os.path.exists(victim))
            self.assertTrue(os.path.islink(os.path.join(rd, "old.trace")))


if __name__ == "__main__":
    mtt.main()

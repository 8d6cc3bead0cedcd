"""Leak suppressions (LeakSanitizer syntax): --suppressions files,
MTRACE_SUPPRESSIONS, a program's own __lsan_default_suppressions(), and
--print-suppressions, through mtrace-run --fail-on-leaks and mtrace-report."""
import json
import os
import subprocess
import unittest

import mtt

RUN = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")
SUPP = "# leaky's three leaks\nleak:leak_small_strings\n\nleak:^leak_records$\nleak:leak_big*\n"


RUNS = [0]


def run(d, *args, env=None):
    RUNS[0] += 1
    e = dict(os.environ)
    e.pop("MTRACE_SUPPRESSIONS", None)
    e.update(env or {})
    return subprocess.run([RUN, "--run-dir", os.path.join(d, "rd%d" % RUNS[0])] + list(args),
                          cwd=d, env=e, capture_output=True, text=True, timeout=120)


class Suppressions(unittest.TestCase):
    def test_file_covers_leaky(self):
        with mtt.Workdir() as d:
            f = os.path.join(d, "s.supp")
            open(f, "w").write(SUPP)
            r = run(d, "--fail-on-leaks", "--suppressions", f, "--", mtt.sample("leaky"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"8 blocks +256 bytes  leak:leak_small_strings  \(.*s.supp:2\)")
            self.assertRegex(r.stdout, r"4 blocks +192 bytes  leak:\^leak_records\$  \(.*s.supp:4\)")
            self.assertRegex(r.stdout, r"1 blocks +200,000 bytes  leak:leak_big\*")
            # JSON: each rule with its counts
            rep = json.loads(subprocess.run(
                [mtt.REPORT, "--json", "--suppressions", f, os.path.join(d, "rd%d" % RUNS[0])],
                capture_output=True, text=True, check=True).stdout)
            rules = {s["rule"]: s for s in rep["suppressions"]}
            self.assertEqual((rules["leak_small_strings"]["blocks"],
                              rules["leak_small_strings"]["bytes"],
                              rules["leak_small_strings"]["line"]), (8, 256, 2))
            self.assertEqual(rep["leaked_bytes"], 0)

    def test_without_suppressions_fails_naming_leaks(self):
        with mtt.Workdir() as d:
            r = run(d, "--fail-on-leaks", "--", mtt.sample("leaky"))
            self.assertEqual(r.returncode, 4)
            for fn in ("leak_small_strings", "leak_records", "leak_big_buffer"):
                self.assertIn(fn, r.stdout)

    def test_env_and_partial(self):
        with mtt.Workdir() as d:
            f = os.path.join(d, "one.supp")
            open(f, "w").write("leak:leak_small_strings\n")
            r = run(d, "--fail-on-leaks", "--", mtt.sample("leaky"),
                    env={"MTRACE_SUPPRESSIONS": "/nonexistent-x:" + f})
            self.assertEqual(r.returncode, 2, r.stderr)  # the bad file is named
            self.assertIn("/nonexistent-x", r.stderr)
            r = run(d, "--fail-on-leaks", "--", mtt.sample("leaky"),
                    env={"MTRACE_SUPPRESSIONS": f})
            self.assertEqual(r.returncode, 4)
            self.assertIn("200192 bytes lost in 5 blocks", r.stderr)  # 200448 - 256

    def test_bad_file_names_line(self):
        with mtt.Workdir() as d:
            f = os.path.join(d, "bad.supp")
            open(f, "w").write("leak:ok\ninterceptor_via_fun:foo\n")
            r = run(d, "--fail-on-leaks", "--suppressions", f, "--", mtt.sample("leaky"))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("bad.supp:2:", r.stderr)
            open(f, "w").write("leak:\n")
            r = run(d, "--suppressions", f, "--", mtt.sample("leaky"))
            self.assertIn("bad.supp:1:", r.stderr)
            open(f, "wb").write(b"leak:a\x00b\n" + b"x" * 10000 + b"\n")
            r = run(d, "--suppressions", f, "--", mtt.sample("leaky"))
            self.assertIn("bad.supp:1:", r.stderr)
            self.assertNotIn("AddressSanitizer", r.stderr)

    def test_print_suppressions(self):
        with mtt.Workdir() as d:
            r = run(d, "--print-suppressions", "--", mtt.sample("leaky"))
            lines = [l for l in r.stdout.splitlines() if l.startswith("leak:")]
            self.assertEqual(sorted(lines), ["leak:leak_big_buffer", "leak:leak_records",
                                             "leak:leak_small_strings"])
            f = os.path.join(d, "p.supp")
            open(f, "w").write("\n".join(lines) + "\n")
            r = run(d, "--fail-on-leaks", "--suppressions", f, "--", mtt.sample("leaky"))
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_program_default_suppressions(self):
        with mtt.Workdir() as d:
            r = run(d, "--fail-on-leaks", "--", mtt.prog("lsan_suppressed"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("leak:leak_here", r.stdout)
            self.assertIn("__lsan_default_suppressions()", r.stdout)
            r = run(d, "--fail-on-leaks", "--", mtt.prog("lsan_suppressed"), "other")
            self.assertEqual(r.returncode, 4)
            self.assertIn("leak_elsewhere", r.stdout)


if __name__ == "__main__":
    mtt.main()

"""Stacks end at the program's outermost frame: no frame of libmtrace.so
and nothing outward of it (libc's __libc_start_call_main,
__libc_start_main, _start), in programs without a `main` symbol (sort,
git, python3) as in our own; and a stack cut at MTRACE_DEPTH or by
--frames says it was cut."""
import json
import re
import os
import subprocess
import sys
import unittest

import mtt

OUTSIDE = {"__libc_start_call_main", "__libc_start_main", "__libc_start_main_impl",
           "_start", "main_then_snapshot", "start_thread", "clone", "clone3"}


def all_frames(doc):
    """Every frame list anywhere in a --json report."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "frames" and isinstance(v, list):
                out.append(v)
            else:
                out.extend(all_frames(v))
    elif isinstance(doc, list):
        for v in doc:
            out.extend(all_frames(v))
    return out


def export(trace):
    return json.loads(mtt.report(trace, "--export-json").stdout)


class StackEnds(unittest.TestCase):
    def setUp(self):
        self.work = mtt.Workdir()
        self.dir = self.work.__enter__()

    def tearDown(self):
        self.work.__exit__(None, None, None)

    def check_program(self, argv, env=None, cwd=None, json_report=True):
        _, traces = mtt.run_traced(argv, cwd or self.dir, extra_env=env)
        self.assertTrue(traces)
        for trace in traces:
            # the shim stopped at its main wrapper: no recorded address lies
            # inside libmtrace.so
            raw = export(trace)
            own = [(int(m["start"], 16), int(m["end"], 16)) for m in raw["modules"]
                   if os.path.basename(m["path"]).startswith("libmtrace")]
            self.assertTrue(own, "libmtrace.so is not in the module list")
            nstacks = 0
            for st in raw["stacks"]:
                for a in st["frames"]:
                    a = int(a, 16)
                    self.assertFalse(any(lo <= a < hi for lo, hi in own),
                                     f"{argv}: stack {st['id']} holds a libmtrace address")
                nstacks += 1
            self.assertGreater(nstacks, 0)
            if json_report:
                doc = mtt.report_json(trace, "--top", "0", "--frames", "0", "--all-frames")
                lists = all_frames(doc)
                self.assertTrue(lists, f"{argv}: no frames in the report")
                for frames in lists:
                    for f in frames:
                        self.assertNotIn(f["function"], OUTSIDE, f"{argv}: {frames}")
                        self.assertFalse(os.path.basename(f["module"] or "")
                                         .startswith("libmtrace"), f)
            text = mtt.report(trace, "--color", "never", "--top", "0", "--frames", "0").stdout
            leaks = re.split(r"(?:Lost|Unfreed) blocks by call stack|No leaks", text)[-1]
            leaks = leaks.split("\nSymbols")[0]
            for name in OUTSIDE:
                self.assertNotIn(" " + name + "  ", leaks)
            self.assertNotIn("libmtrace.so", leaks)

    def test_sort(self):
        src = os.path.join(self.dir, "in.txt")
        with open(src, "w") as f:
            f.write("b\na\nc\n" * 100)
        self.check_program(["sort", src])

    @unittest.skipUnless(mtt.have("git"), "no git")
    def test_git(self):
        repo = os.path.join(self.dir, "repo")
        os.mkdir(repo)
        env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": self.dir, "GIT_AUTHOR_NAME": "t",
               "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@e"}
        genv = dict(os.environ, **env)
        subprocess.run(["git", "init", "-q", repo], check=True, env=genv)
        with open(os.path.join(repo, "f"), "w") as f:
            f.write("x\n")
        subprocess.run(["git", "-C", repo, "add", "f"], check=True, env=genv)
        subprocess.run(["git", "-C", repo, "commit", "-qm", "one"], check=True, env=genv)
        self.check_program(["git", "--version"], env=env)
        for t in os.listdir(self.dir):
            if t.endswith(".trace"):
                os.unlink(os.path.join(self.dir, t))
        self.check_program(["git", "-C", repo, "log", "--oneline"], env=dict(env, GIT_PAGER="cat"))

    def test_python(self):
        # the JSON report of python's trace (every heap event's frames in
        # sources) runs to tens of MB: the text report and the raw stacks
        self.check_program([os.path.realpath(sys.executable), "-c", "pass"],
                           env={"PYTHONMALLOC": "malloc"}, json_report=False)

    def test_own_program_ends_at_main(self):
        _, traces = mtt.run_traced([mtt.prog("deep_stack")], self.dir)
        doc = mtt.report_json(traces[0], "--frames", "0")
        (leak,) = [l for l in doc["leaks"] if l["bytes"] == 100]
        fns = [f["function"] for f in leak["frames"]]
        self.assertEqual(fns, ["descend"] * 21 + ["main"])
        self.assertFalse(leak["stack_cut"])
        self.assertEqual(leak["more_frames"], 0)
        raw = export(traces[0])
        self.assertFalse(any(st.get("cut") for st in raw["stacks"]))


class AnalyzerTrims(unittest.TestCase):
    """Traces the shim could not cut (older traces): the analyzer drops
    frames inside libmtrace.so and everything outward of them."""

    def test_frames_in_the_tracer_and_outward_are_dropped(self):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("deep_stack"), "2"], d)
            raw = export(traces[0])
            (lib,) = [m for m in raw["modules"]
                      if os.path.basename(m["path"]).startswith("libmtrace")]
            libc = [m for m in raw["modules"] if "libc.so" in m["path"]][0]
            inside = int(lib["start"], 16) + 0x100
            outward = int(libc["start"], 16) + 0x100
            plain = os.path.join(d, "plain.json")
            with open(plain, "w") as f:
                json.dump(raw, f)
            want = mtt.report_json(plain, "--all-frames")["leaks"]
            for st in raw["stacks"]:
                st["frames"] += [hex(inside), hex(outward)]
            old = os.path.join(d, "old.json")
            with open(old, "w") as f:
                json.dump(raw, f)
            got = mtt.report_json(old, "--all-frames")["leaks"]
            text = mtt.report(old, "--color", "never", "--all-frames").stdout
        strip = lambda ls: [[(f["function"], f["line"]) for f in l["frames"]] for l in ls]
        self.assertEqual(strip(got), strip(want))
        self.assertEqual([f["function"] for f in got[0]["frames"]], ["descend"] * 3 + ["main"])
        self.assertNotIn("libmtrace", text.split("Unfreed blocks by call stack")[1])


class DepthLimit(unittest.TestCase):
    def setUp(self):
        self.work = mtt.Workdir()
        self.dir = self.work.__enter__()

    def tearDown(self):
        self.work.__exit__(None, None, None)

    def check_cut(self, env):
        _, traces = mtt.run_traced([mtt.prog("deep_stack")], self.dir,
                                   extra_env=dict(env, MTRACE_DEPTH="8"))
        trace = traces[0]
        text = mtt.report(trace, "--color", "never").stdout
        self.assertIn("(stack cut at MTRACE_DEPTH=8: the program had more frames)", text)
        doc = mtt.report_json(trace)
        (leak,) = [l for l in doc["leaks"] if l["bytes"] == 100]
        self.assertTrue(leak["stack_cut"])
        self.assertEqual([f["function"] for f in leak["frames"]], ["descend"] * 8)
        # the mark survives trace.json
        raw = export(trace)
        self.assertTrue(any(st.get("cut") and len(st["frames"]) == 8 for st in raw["stacks"]))
        tj = os.path.join(self.dir, "trace.json")
        with open(tj, "w") as f:
            json.dump(raw, f)
        self.assertIn("(stack cut at MTRACE_DEPTH=8", mtt.report(tj, "--color", "never").stdout)
        for t in traces:
            os.unlink(t)

    def test_depth_limit_says_cut(self):
        self.check_cut({})

    def test_depth_limit_says_cut_dwarf_unwinder(self):
        self.check_cut({"MTRACE_UNWIND": "1"})

    def test_exact_depth_is_not_cut(self):
        # descend(6): 7 descend frames + main = 8 frames, exactly the limit
        _, traces = mtt.run_traced([mtt.prog("deep_stack"), "6"], self.dir,
                                   extra_env={"MTRACE_DEPTH": "8"})
        doc = mtt.report_json(traces[0])
        (leak,) = [l for l in doc["leaks"] if l["bytes"] == 100]
        self.assertEqual([f["function"] for f in leak["frames"]], ["descend"] * 7 + ["main"])
        self.assertFalse(leak["stack_cut"])

    def test_frames_option_says_more(self):
        _, traces = mtt.run_traced([mtt.prog("deep_stack")], self.dir)
        text = mtt.report(traces[0], "--color", "never", "--frames", "5").stdout
        self.assertIn("... 17 more frames (--frames 0 shows all)", text)
        doc = mtt.report_json(traces[0], "--frames", "5")
        (leak,) = [l for l in doc["leaks"] if l["bytes"] == 100]
        self.assertEqual(leak["more_frames"], 17)
        self.assertFalse(leak["stack_cut"])


if __name__ == "__main__":
    mtt.main()

"""Stacks stay exact: the fast unwinder (frame pointers where a function
keeps them, DWARF elsewhere, plus the cache of recent stacks) must give the
same stack for every allocation as libunwind alone (MTRACE_UNWIND=1), on
programs with and without frame pointers."""
import bisect
import json
import os
import subprocess
import unittest

import mtt


def allocation_stacks(trace):
    """[(module basename, offset), ...] per allocation, in order."""
    doc = json.loads(subprocess.run([mtt.REPORT, "--export-json", trace], capture_output=True,
                                    text=True, check=True).stdout)
    mods = sorted((int(m["start"], 16), int(m["end"], 16), os.path.basename(m["path"]))
                  for m in doc["modules"])
    starts = [m[0] for m in mods]

    def place(addr):
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr < mods[i][1]:
            return (mods[i][2], addr - mods[i][0])
        return ("?", addr)

    stacks = {s["id"]: tuple(place(int(f, 16)) for f in s["frames"]) for s in doc["stacks"]}
    return [stacks.get(e["stack"], ()) for e in doc["events"]
            if e["type"] in ("alloc", "realloc") and e.get("ptr", "0x0") != "0x0"]


class UnwindExact(unittest.TestCase):
    def compare(self, argv, env=None, min_allocs=100):
        runs = {}
        for mode in ("0", "1"):
            with mtt.Workdir() as d:
                extra = dict(env or {})
                extra["MTRACE_UNWIND"] = mode
                _, traces = mtt.run_traced(argv, d, extra_env=extra)
                self.assertEqual(len(traces), 1, traces)
                runs[mode] = allocation_stacks(traces[0])
        fast, dwarf = runs["0"], runs["1"]
        self.assertGreaterEqual(len(dwarf), min_allocs)
        self.assertEqual(len(fast), len(dwarf))
        diffs = [i for i, (a, b) in enumerate(zip(fast, dwarf)) if a != b]
        self.assertEqual(diffs, [], f"{len(diffs)} of {len(fast)} stacks differ; first: "
                         f"{fast[diffs[0]] if diffs else ''} vs {dwarf[diffs[0]] if diffs else ''}")

    def test_churn_with_frame_pointers(self):
        self.compare([mtt.bench("churn"), "20000", "1"])

    def test_churn_without_frame_pointers(self):
        self.compare([mtt.bench("churn_nofp"), "20000", "1"])

    def test_deep_stacks(self):
        self.compare([mtt.bench("deep"), "5000", "1", "48"])

    def test_sort_from_debian(self):
        with mtt.Workdir() as d:
            data = os.path.join(d, "in.txt")
            with open(data, "w") as f:
                f.write("".join(f"{(i * 7919) % 10007}\n" for i in range(5000)))
            self.compare(["sort", "-n", data])

    def test_python(self):
        if not os.path.exists("/usr/bin/python3"):
            self.skipTest("no /usr/bin/python3")
        self.compare(["/usr/bin/python3", "-c", "import json; json.dumps(list(range(1000)))"],
                     env={"PYTHONHASHSEED": "0"}, min_allocs=1000)

    @unittest.skipUnless(mtt.have("git"), "git not installed")
    def test_git_log_from_debian(self):
        # Debian's git has no frame pointers: the unwinder learns each call
        # site's fixed frame size from libunwind (two agreeing steps), then
        # walks such frames itself; every stack must still be libunwind's.
        with mtt.Workdir() as d:
            repo = os.path.join(d, "repo")
            env = dict(os.environ, GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@b",
                       GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@b")
            subprocess.run(["git", "init", "-q", repo], check=True, env=env)
            for i in range(30):
                with open(os.path.join(repo, "f.txt"), "w") as f:
                    f.write("".join(f"line {(j * 31 + i) % 97}\n" for j in range(40 + i)))
                subprocess.run(["git", "-C", repo, "add", "f.txt"], check=True, env=env)
                subprocess.run(["git", "-C", repo, "commit", "-q", "-m", f"c{i}"], check=True,
                               env=env)
            self.compare(["git", "-C", repo, "--no-pager", "log", "-p"], min_allocs=1000)


if __name__ == "__main__":
    mtt.main()

"""Processes that fork, exec and spawn: every process image gets a trace of
its own holding exactly its own allocations; no child deadlocks on a lock
another thread held at fork; vfork and posix_spawn children leave the
parent's trace alone."""
import os
import re
import unittest

import mtt


def leaks(rep):
    return sorted((l["bytes"], l["blocks"], ([f["function"] for f in l["frames"]] or [None])[0])
                  for l in rep["leaks"])


def by_pid(traces):
    out = {}
    for t in traces:
        rep = mtt.report_json(t)
        out[rep["process"]["pid"]] = rep
    return out


class ForkExec(unittest.TestCase):
    def test_forker_50_children(self):
        n = 50
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("forker"), str(n)], d, timeout=300)
            self.assertEqual(len(traces), n + 1, traces)
            reps = by_pid(traces)
        parent = int(re.search(r"parent pid (\d+)", cp.stderr).group(1))
        kids = {int(p): int(i) for i, p in re.findall(r"child (\d+) pid (\d+)", cp.stderr)}
        self.assertEqual(len(kids), n)
        p = reps[parent]
        self.assertEqual(p["process"]["end_state"], "exit")
        self.assertEqual(p["summary"]["allocations"], 2)
        self.assertEqual(p["summary"]["frees"], 2)
        self.assertEqual(p["leaks"], [])
        for pid, i in kids.items():
            k = reps[pid]
            self.assertEqual(k["process"]["ppid"], parent)
            self.assertEqual(k["process"]["end_state"], "exit")
            self.assertEqual(k["summary"]["allocations"], 1, pid)
            self.assertEqual(leaks(k), [((i + 1) * 1000, 1, "leak_in_child")])

    def test_exec_chain_of_3_images(self):
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("exec_chain"), "2"], d)
            self.assertEqual(len(traces), 3, traces)
            # the same pid: t.PID.trace, t.PID.trace.1, t.PID.trace.2, in exec order
            traces.sort(key=lambda t: (len(t), t))
            reps = [mtt.report_json(t) for t in traces]
            self.assertNotIn("exists; writing", cp.stderr)  # expected siblings are quiet
        self.assertEqual([r["process"]["end_state"] for r in reps], ["exec", "exec", "exit"])
        for r in reps:
            self.assertEqual(r["summary"]["allocations"], 1)
            self.assertEqual(r["leak_check"]["unfreed_bytes"], 111)
        # the images replaced by exec lost nothing: the exec released their block
        for r in reps[:2]:
            self.assertEqual(leaks(r), [])
            self.assertTrue(r["leak_check"]["released_by_exec"])
            self.assertEqual(r["summary"]["leaked_bytes"], 0)
        self.assertFalse(reps[2]["leak_check"]["released_by_exec"])
        self.assertEqual(leaks(reps[2]), [(111, 1, "leak_111")])

    def test_posix_spawn_and_vfork_children(self):
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("spawner"), mtt.prog("exec_chain"), "0"], d)
            self.assertIn("children ok", cp.stderr)
            reps = by_pid(traces)
        self.assertEqual(len(reps), 3, traces)  # spawner + 2 traced exec_chain images
        spawner = [r for r in reps.values() if "spawner" in r["process"]["cmdline"]]
        self.assertEqual(len(spawner), 1)
        s = spawner[0]
        self.assertEqual(s["process"]["end_state"], "exit")
        self.assertEqual(leaks(s), [(4321, 1, "spawner_leak")])
        self.assertEqual(s["summary"]["allocations"], 4)
        for r in reps.values():
            if r is not s:
                self.assertEqual(r["process"]["ppid"], s["process"]["pid"])
                self.assertEqual(leaks(r), [(111, 1, "leak_111")])
                self.assertEqual(r["process"]["end_state"], "exit")

    def check_fork_stress(self, extra_env):
        children = 30
        with mtt.Workdir() as d:
            lib = mtt.prog("libmt_helper.so")
            cp, traces = mtt.run_traced([mtt.prog("fork_stress"), str(children), "2", lib], d,
                                        extra_env=extra_env, timeout=280, check=False)
            self.assertEqual(cp.returncode, 0, cp.stderr[-2000:])
            self.assertIn(f"{children} children ok", cp.stderr)
            reps = by_pid(traces)
        self.assertEqual(len(reps), children + 1)
        kids = [r for r in reps.values() if r["process"]["ppid"] != reps_parent_ppid(reps)]
        got = sorted(l for r in reps.values() for l in leaks(r) if l[2] == "child_leak")
        self.assertEqual(got, [(1000 + i, 1, "child_leak") for i in range(children)])
        self.assertEqual(len(kids), children)

    def test_fork_while_threads_unwind_and_dlopen(self):
        self.check_fork_stress({})

    def test_fork_while_threads_use_libunwind_only(self):
        self.check_fork_stress({"MTRACE_UNWIND": "1"})


def reps_parent_ppid(reps):
    """The ppid of the process whose children the others are."""
    pids = set(reps)
    parents = [r for r in reps.values() if r["process"]["ppid"] not in pids]
    return parents[0]["process"]["ppid"]


if __name__ == "__main__":
    mtt.main()

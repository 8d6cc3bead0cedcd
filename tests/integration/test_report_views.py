"""The views for eyes on samples/phases (see its header comment): the peak
is exact (1,024,000 bytes, all held by hold_big_blocks), the 1,000
temporaries are churn's, folded weights of a phase sum to its bytes, usage
over time is bounded and finds the peak, and two runs that differ by two
leaked blocks diff to exactly those 8,192 bytes at leak_extra's stack."""
import json
import subprocess
import unittest

import mtt

PEAK = 10 * 100 * 1024
CHURN = 1000
EXTRA = 2 * 4096


def fn(frames):
    return [f["function"] for f in frames]


def folded(trace, *args):
    lines = mtt.report(trace, "--folded", *args).stdout.splitlines()
    out = {}
    for line in lines:
        stack, weight = line.rsplit(" ", 1)
        assert stack and weight.isdigit(), line
        out[stack] = out.get(stack, 0) + int(weight)
    return out


def weight_of(fold, function):
    return sum(w for s, w in fold.items() if function in s.split(";"))


class ReportViews(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        d = cls.work.__enter__()
        cls.traces = []
        for extra in ("0", "2"):
            _, traces = mtt.run_traced([mtt.sample("phases"), extra], d)
            new = [t for t in traces if t not in cls.traces]
            assert len(new) == 1, traces
            cls.traces.append(new[0])
        cls.a, cls.b = cls.traces
        cls.js = mtt.report_json(cls.a)

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_peak_is_exact_with_its_holder(self):
        peak = self.js["peak"]
        self.assertEqual(peak["bytes"], PEAK)
        self.assertEqual(self.js["summary"]["peak_bytes"], PEAK)
        top = peak["stacks"][0]
        self.assertEqual((top["bytes"], top["blocks"]), (PEAK, 10))
        self.assertEqual(fn(top["frames"])[:2], ["hold_big_blocks", "main"])
        # the holders at the peak add up to the peak
        self.assertEqual(sum(s["bytes"] for s in peak["stacks"]), PEAK)
        text = mtt.report(self.a, "--peak", "--color", "never").stdout
        self.assertIn("1,024,000 bytes in 10 blocks at the peak", text)
        self.assertIn("hold_big_blocks", text)

    def test_temporaries_are_churns_and_deterministic(self):
        tmp = self.js["temporary"]
        top = tmp["stacks"][0]
        self.assertEqual(top["temporary"], CHURN)
        self.assertEqual(top["allocations"], CHURN)
        self.assertEqual(fn(top["frames"])[0], "churn")
        # hold_big_blocks frees its last block first: one more
        self.assertEqual(tmp["temporary"], CHURN + 1)
        site = next(s for s in self.js["sites"] if fn(s["frames"])[0] == "churn")
        self.assertEqual(site["temporary"], CHURN)
        other = mtt.report_json(self.b)["temporary"]["temporary"]
        self.assertEqual(other, tmp["temporary"])
        self.assertIn("1,000 temporary of 1,000 allocations",
                      mtt.report(self.a, "--temporary").stdout)

    def test_folded_weights(self):
        by_bytes = folded(self.a)
        self.assertEqual(weight_of(by_bytes, "hold_big_blocks"), PEAK)
        self.assertEqual(weight_of(by_bytes, "churn"), CHURN * 256)
        self.assertEqual(weight_of(by_bytes, "fill_cache"), 200 * 64)
        self.assertIn("main;hold_big_blocks", by_bytes)  # root first
        self.assertEqual(weight_of(folded(self.a, "--weight=calls"), "churn"), CHURN)
        by_peak = folded(self.a, "--weight", "peak")
        self.assertEqual(by_peak, {s: w for s, w in by_peak.items() if "hold_big_blocks" in s})
        self.assertEqual(sum(by_peak.values()), PEAK)
        self.assertEqual(folded(self.a, "--weight=leaked"), {})
        self.assertEqual(weight_of(folded(self.b, "--weight=leaked"), "leak_extra"), EXTRA)
        bad = mtt.report(self.a, "--folded", "--weight=nope", check=False)
        self.assertEqual(bad.returncode, 1)

    def test_usage_over_time(self):
        u = self.js["usage"]
        self.assertLessEqual(len(u["points"]), 1024)
        self.assertEqual(max(p["live"] for p in u["points"]), PEAK)
        at_peak = max(u["points"], key=lambda p: p["live"])
        self.assertEqual(at_peak["sources"]["brk"], PEAK)  # 100 KiB < the threshold
        self.assertEqual(u["threshold"][0]["value"], 128 * 1024)
        self.assertEqual(fn(u["rises"][0]["frames"])[0], "hold_big_blocks")
        self.assertIn("Largest rises", mtt.report(self.a, "--usage").stdout)

    def test_allocators(self):
        al = self.js["allocators"]
        self.assertEqual(fn(al["by_calls"]["stacks"][0]["frames"])[0], "churn")
        self.assertEqual(fn(al["by_bytes"]["stacks"][0]["frames"])[0], "hold_big_blocks")

    def test_diff_names_the_two_leaked_blocks(self):
        cp = mtt.report(self.b, "--diff", "--json", self.a)  # report() puts its first last
        d = json.loads(cp.stdout)
        self.assertEqual(d["schema"], "mtrace-diff")
        self.assertEqual(d["totals"]["change"]["leaked"], EXTRA)
        self.assertEqual(d["totals"]["change"]["peak"], 0)
        changed = d["stacks"]
        self.assertEqual(len(changed), 1, changed)
        row = changed[0]
        self.assertEqual(row["change"], {"leaked": EXTRA, "peak": 0, "allocations": 2,
                                         "bytes": EXTRA})
        self.assertEqual(fn(row["frames"])[0], "leak_extra")
        text = mtt.report(self.b, "--diff", "--color", "never", self.a).stdout
        self.assertIn("leaked +8,192", text)

    def test_diff_gate(self):
        def gate(*args):
            return subprocess.run([mtt.REPORT, "--diff", *args], capture_output=True,
                                  text=True, timeout=120).returncode
        self.assertEqual(gate("--fail-on-increase", self.a, self.b), 4)
        self.assertEqual(gate("--fail-on-increase=8K", self.a, self.b), 0)
        self.assertEqual(gate("--fail-on-increase", self.b, self.a), 0)
        self.assertEqual(gate(self.a), 1)
        self.assertEqual(gate(self.a, "/nonexistent.trace"), 2)


if __name__ == "__main__":
    mtt.main()

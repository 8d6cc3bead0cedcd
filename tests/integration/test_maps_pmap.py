"""Truth: mtrace-report --maps against `pmap -X` of the same process.

samples/memory_user 100 allocates one 100 MiB block, touches every page,
and then (MEMORY_USER_HOLD_FILE) waits before returning from main(); pmap -X
is taken while it waits.  mtrace snapshots the address space "at exit" when
main() returns, so with MEMORY_USER_NO_FREE=1 (the block is not freed before
main returns) nothing happens between the two looks but the release of the
wait and the tracer's own snapshot: the tables must agree region for region
(start, size, permissions, name), with RSS within two pages, and the block
must be shown inside its own anonymous mapping, owned by main().

One region legitimately differs: mtrace's trace file.  It is mapped at the
bottom of a reserved PROT_NONE range and grows into it as records are
written (the exit snapshot itself is a record), so the split between the
file mapping and the reserved rest moves between the two looks.  The test
compares the pair as one range: same start, same end.
"""
import os
import re
import subprocess
import time
import unittest

import mtt

MIB = 100
PAGE_KB = 4
RSS_SLACK_KB = 2 * PAGE_KB


def parse_pmap_x(text):
    lines = text.splitlines()
    head = next(i for i, l in enumerate(lines) if l.strip().startswith("Address"))
    cols = lines[head].split()
    numeric = len(cols) - 1  # every column but the last, Mapping
    regions = []
    for line in lines[head + 1:]:
        parts = line.split()
        if len(parts) < 2 or not re.fullmatch(r"[r-][w-][x-][sp]", parts[1]):
            continue
        row = dict(zip(cols[:numeric], parts[:numeric]))
        row["Mapping"] = " ".join(parts[numeric:])
        regions.append({
            "start": int(row["Address"], 16),
            "size": int(row["Size"]) * 1024,
            "rss": int(row["Rss"]) * 1024,
            "perms": row["Perm"],
            "name": row["Mapping"],
        })
    return regions


def base(name):
    return os.path.basename(name) if name.startswith("/") else name


def is_trace(r):
    return r["perms"] == "rw-s" and ".trace" in base(r["name"])


def without_trace(regions):
    """Regions other than the trace file and the reserved range after it;
    and the (start, end) of that pair."""
    out, pair = [], None
    i = 0
    while i < len(regions):
        r = regions[i]
        if is_trace(r):
            end = r["start"] + r["size"]
            nxt = regions[i + 1] if i + 1 < len(regions) else None
            if nxt and nxt["perms"] == "---p" and not nxt["name"] and nxt["start"] == end:
                end = nxt["start"] + nxt["size"]
                i += 1
            pair = (r["start"], end)
        else:
            out.append(r)
        i += 1
    return out, pair


@unittest.skipUnless(mtt.have("pmap"), "pmap not installed")
class MapsAgainstPmap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        d = cls.dir = cls.work.__enter__()
        ready, hold = os.path.join(d, "ready"), os.path.join(d, "hold")
        env = mtt.traced_env(os.path.join(d, "t.%p.trace"), {
            "MEMORY_USER_READY_FILE": ready, "MEMORY_USER_HOLD_FILE": hold,
            "MEMORY_USER_NO_FREE": "1"})
        # SECONDS = 0: one pass over the pages, then wait for the hold file
        p = subprocess.Popen([mtt.sample("memory_user"), str(MIB), "0"], env=env, cwd=d,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 60
            while not os.path.exists(ready):
                assert time.time() < deadline and p.poll() is None, "memory_user never got ready"
                time.sleep(0.02)
            pid = int(open(ready).read())
            assert pid == p.pid
            time.sleep(0.3)  # past the ready file, into the wait for the hold file
            cls.pmap_text = subprocess.run(["pmap", "-X", str(pid)], capture_output=True,
                                           text=True, check=True).stdout
        finally:
            open(hold, "w").close()
            out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        cls.block = int(re.search(r"block=(0x[0-9a-f]+)", err).group(1), 16)
        traces = [f for f in os.listdir(d) if f.startswith("t.")]
        assert len(traces) == 1, traces
        cls.js = mtt.report_json(os.path.join(d, traces[0]))
        cls.maps = cls.js["maps"]
        cls.pmap = parse_pmap_x(cls.pmap_text)
        cls.ours = [{"start": int(r["start"], 16), "size": r["size"], "rss": r["rss"],
                     "perms": r["perms"], "name": r["name"], "r": r}
                    for r in cls.maps["regions"]]

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_snapshot_is_the_exit_one_with_smaps(self):
        self.assertEqual(self.maps["snapshot"], "exit")
        self.assertTrue(self.maps["smaps"])

    def test_trace_file_and_its_reserved_range_cover_the_same_addresses(self):
        _, theirs = without_trace(self.pmap)
        _, ours = without_trace(self.ours)
        self.assertIsNotNone(theirs)
        self.assertEqual(ours, theirs)
        labels = [r["r"]["label"] for r in self.ours if is_trace(r)]
        self.assertEqual(labels, ["mtrace trace file"])

    def test_same_regions(self):
        theirs, _ = without_trace(self.pmap)
        ours, _ = without_trace(self.ours)
        key = lambda r: (hex(r["start"]), r["size"], r["perms"], base(r["name"]))
        self.assertEqual([key(r) for r in ours], [key(r) for r in theirs],
                         "\npmap -X:\n" + self.pmap_text)

    def test_rss_within_two_pages_per_region(self):
        theirs, _ = without_trace(self.pmap)
        ours, _ = without_trace(self.ours)
        bad = [(hex(a["start"]), base(a["name"]), a["rss"] // 1024, b["rss"] // 1024)
               for a, b in zip(ours, theirs) if abs(a["rss"] - b["rss"]) > RSS_SLACK_KB * 1024]
        self.assertEqual(bad, [], "(start, name, our RSS kB, pmap RSS kB)")

    def test_block_in_its_own_anonymous_mapping(self):
        want = MIB << 20
        r = next(r["r"] for r in self.ours
                 if r["start"] <= self.block < r["start"] + r["size"])
        self.assertEqual(r["name"], "")
        self.assertGreaterEqual(r["size"] - r["mtrace_bytes"], want + 4096)
        self.assertIn("own mmap", r["label"])
        self.assertEqual(r["live_blocks"], 1)
        self.assertEqual(r["live_bytes"], want)
        self.assertGreaterEqual(r["rss"], want)
        frames = r["owners"][0]["frames"]
        self.assertEqual(frames[0]["function"], "main")
        self.assertTrue(frames[0]["file"].endswith("memory_user.c"), frames[0])
        p = next(p for p in self.pmap if p["start"] <= self.block < p["start"] + p["size"])
        self.assertEqual((p["start"], p["size"]), (int(r["start"], 16), r["size"]))
        self.assertLessEqual(abs(p["rss"] - r["rss"]), RSS_SLACK_KB * 1024)

    def test_heap_and_stack_labelled(self):
        labels = {r["name"]: r["label"] for r in self.maps["regions"] if r["name"]}
        self.assertEqual(labels["[heap]"], "brk heap (main arena)")
        self.assertEqual(labels["[stack]"], "main thread stack")
        self.assertEqual(labels[mtt.sample("memory_user")], "executable")

    def test_every_region_is_explained(self):
        # each region says what it is; the tracer's own anonymous memory is
        # counted (mtrace_bytes) wherever the kernel put or merged it
        self.assertEqual([r["start"] for r in self.maps["regions"] if not r["label"]], [])
        own = sum(r["mtrace_bytes"] for r in self.maps["regions"])
        self.assertGreater(own, 1 << 20)  # at least the unwinder's verdict table
        for r in self.maps["regions"]:
            self.assertLessEqual(r["mtrace_bytes"], r["size"])
            if r["mtrace_bytes"] == r["size"]:
                self.assertEqual(r["label"], "mtrace's own memory")

    def test_block_is_reported_leaked(self):
        s = self.js["summary"]
        self.assertEqual((s["leaked_blocks"], s["leaked_bytes"]), (1, MIB << 20))


if __name__ == "__main__":
    mtt.main()

#!/usr/bin/env python3
"""mtrace overhead benchmark: runs each workload untraced and under each tool
(mtrace; heaptrack and valgrind memcheck where installed; a LeakSanitizer
build of the same source for the C workloads), in pairs, in one run, and prints
a table of median wall times, the median of the per-pair ratios with their
min-max, peak RSS, trace bytes per event, and the analyzers' speed and peak RSS
on each trace.

    python3 bench/run.py [--build build] [--runs 5] [--valgrind-runs 2]
                         [--only churn,...] [--big] [--no-heaptrack]
                         [--no-valgrind] [--no-lsan] [--markdown]

Pairing: for each workload and each tool the script alternates an untraced run
(A) and a run under the tool (B), A B A B ..., and divides each B by the A just
before it, so load from other work on the machine lands on both sides of a
pair rather than on one tool's block of runs.  The ratio shown is the median of
those per-pair ratios, [min-max] beside it.  For LSan, A is the plain binary
and B the same source built with -fsanitize=leak (bench/CMakeLists.txt).

No timed assertions live in the test suite; this script is where speed is
measured.  Figures vary with the machine's load: compare ratios from one run.
"""
import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


MEASURE = None  # bench/measure, set in main()
ENV = {"PYTHONHASHSEED": "0"}  # added to every measured run, untraced or not


def run_measured(argv, env=None, cwd=None):
    """Runs argv through bench/measure with `env` (a dict of variables to add
    for the program only); returns (wall s, peak RSS KiB, status)."""
    sets = []
    for k, v in (env or {}).items():
        sets += ["-e", f"{k}={v}"]
    p = subprocess.run([MEASURE, *sets, *argv], cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    line = [l for l in p.stderr.splitlines() if l.startswith("measure: ")][-1]
    f = dict(kv.split("=") for kv in line[len("measure: "):].split())
    return int(f["wall_ns"]) / 1e9, int(f["maxrss_kib"]), int(f["status"])


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.lib = os.path.join(self.build, "preload", "libmtrace.so")
        self.report = os.path.join(self.build, "analyzer", "mtrace-report")
        self.work = tempfile.mkdtemp(prefix="mtrace-bench-")
        self.heaptrack = shutil.which("heaptrack") if not args.no_heaptrack else None
        self.heaptrack_print = shutil.which("heaptrack_print")
        self.valgrind = shutil.which("valgrind") if not args.no_valgrind else None
        self.rows = []

    def bin(self, name):
        return os.path.join(self.build, "bench", name)

    def lsan_argv(self, argv):
        """argv with its bench binary replaced by the -fsanitize=leak build, or
        None when there is none (not a bench binary, or no LSan compiler)."""
        if self.args.no_lsan or not argv[0].startswith(self.bin("")):
            return None
        lsan = argv[0] + "_lsan"
        return [lsan, *argv[1:]] if os.access(lsan, os.X_OK) else None

    # Inputs for the system-program workloads, generated once per run of the
    # script (only for the workloads selected) in the temporary directory.

    def sort_input(self):
        data = os.path.join(self.work, "sort-input.txt")
        rnd = random.Random(42)
        with open(data, "w") as f:
            f.write("".join(f"{rnd.randrange(10**12)} line {i}\n" for i in range(400000)))
        return ["sort", data, "-o", os.path.join(self.work, "sort-out.txt")]

    def python_workload(self):
        py = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
        code = "d = {str(i): i for i in range(200000)}; del d"
        return [py, "-c", code]

    def git_repo(self):
        """A repository of 300 commits, each changing a few lines of a few of 20
        files, made with git fast-import (seconds, not a commit per process)."""
        repo = os.path.join(self.work, "repo")
        env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=self.work)
        subprocess.run(["git", "init", "-q", repo], check=True, env=env)
        rnd = random.Random(7)
        files = {f"src/f{i:02}.txt": [f"line {j} of file {i}\n" for j in range(200)]
                 for i in range(20)}
        out = []
        for c in range(300):
            out.append(f"commit refs/heads/main\nmark :{c + 1}\n"
                       f"committer Bench <bench@example.org> {1700000000 + c * 60} +0000\n")
            msg = f"change {c}\n"
            out.append(f"data {len(msg)}\n{msg}")
            if c:
                out.append(f"from :{c}\n")
            for name in (rnd.sample(sorted(files), 3) if c else sorted(files)):
                lines = files[name]
                for _ in range(5):
                    lines[rnd.randrange(len(lines))] = f"edit {c} {rnd.randrange(10**9)}\n"
                blob = "".join(lines).encode()
                out.append(f"M 100644 inline {name}\ndata {len(blob)}\n")
                out.append(blob.decode() + "\n")
        subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], input="".join(out),
                       text=True, check=True, env=env)
        subprocess.run(["git", "-C", repo, "symbolic-ref", "HEAD", "refs/heads/main"],
                       check=True, env=env)
        return ["git", "--no-pager", "-C", repo, "log", "-p", "main"]

    def xz_input(self):
        """8 MiB of text-like data (compressible about 3:1); xz -1 makes 3 MiB
        blocks, so -T2 really compresses on two threads."""
        data = os.path.join(self.work, "xz-input.bin")
        rnd = random.Random(3)
        words = [bytes(rnd.choices(b"abcdefghijklmnopqrstuvwxyz", k=rnd.randrange(2, 9)))
                 for _ in range(4096)]
        with open(data, "wb") as f:
            n = 0
            while n < 8 << 20:
                chunk = b" ".join(rnd.choices(words, k=4096)) + b"\n"
                f.write(chunk)
                n += len(chunk)
        return ["xz", "-T2", "-1", "-c", data]

    def workloads(self):
        """(name, argv or a function making the input and returning argv)."""
        b = self.bin
        pairs = "2000000"
        return [
            ("churn", [b("churn"), pairs, "1"]),
            ("churn 2 threads", [b("churn"), pairs, "2"]),
            ("churn 4 threads", [b("churn"), pairs, "4"]),
            ("churn, no frame pointers", [b("churn_nofp"), pairs, "1"]),
            ("deep stacks (48 frames)", [b("deep"), "500000", "1", "48"]),
            ("realloc growth", [b("realloc_bench")]),
            ("1 M distinct stacks", [b("stacks"), "20"]),
            ("sort (Debian) 400k lines", self.sort_input),
            ("python3 -c dict of 200k", self.python_workload),
            ("git log -p, 300 commits", self.git_repo),
            ("xz -T2 -1, 8 MiB", self.xz_input),
        ]

    def clean(self, prefix):
        for f in os.listdir(self.work):
            if f.startswith(prefix):
                os.unlink(os.path.join(self.work, f))

    def paired(self, base_argv, tool_argv, runs, env=None, before=None):
        """runs pairs (untraced, under the tool), alternating; returns the
        untraced and tool wall times, the per-pair ratios and the peak RSS of
        each side."""
        base, tool, ratios, base_rss, tool_rss = [], [], [], 0, 0
        for _ in range(runs):
            wall_a, rss_a, rc = run_measured(base_argv, env=ENV, cwd=self.work)
            if rc != 0:
                raise RuntimeError(f"{base_argv} failed with {rc}")
            if before:
                before()
            wall_b, rss_b, rc = run_measured(tool_argv, env={**ENV, **(env or {})},
                                             cwd=self.work)
            if rc != 0:
                raise RuntimeError(f"{tool_argv} failed with {rc}")
            base.append(wall_a)
            tool.append(wall_b)
            ratios.append(wall_b / wall_a)
            base_rss, tool_rss = max(base_rss, rss_a), max(tool_rss, rss_b)
        return {"base": base, "tool": tool, "ratios": ratios,
                "base_rss": base_rss, "tool_rss": tool_rss}

    @staticmethod
    def summarize(row, key, p):
        row[key + "_s"] = statistics.median(p["tool"])
        row[key + "_ratio"] = statistics.median(p["ratios"])
        row[key + "_ratio_min"] = min(p["ratios"])
        row[key + "_ratio_max"] = max(p["ratios"])
        row[key + "_base_s"] = statistics.median(p["base"])
        row[key + "_pairs"] = len(p["ratios"])

    def trace_env(self, out):
        return {"LD_PRELOAD": self.lib, "MTRACE_OUT": out, "MTRACE_QUIET": "1"}

    def analyze_mtrace(self, trace):
        summary = json.loads(subprocess.run([self.report, "--json", "--top", "5", trace],
                                            capture_output=True, text=True,
                                            check=True).stdout)["summary"]
        wall, rss, rc = run_measured([self.report, "--top", "5", trace])
        return summary["events"], wall, rss

    def one(self, name, argv):
        runs = self.args.runs
        trace = os.path.join(self.work, "t.trace")
        p = self.paired(argv, argv, runs, env=self.trace_env(trace),
                        before=lambda: self.clean("t.trace"))
        row = {"workload": name, "untraced_s": statistics.median(p["base"]),
               "untraced_rss_kib": p["base_rss"], "mtrace_rss_kib": p["tool_rss"]}
        self.summarize(row, "mtrace", p)
        size = os.path.getsize(trace)
        events, an_wall, an_rss = self.analyze_mtrace(trace)
        # at rest: the trace packed (mtrace-report --pack, zstd level 3)
        subprocess.run([self.report, "--pack", trace], check=True, capture_output=True)
        packed = os.path.getsize(trace + ".zst")
        self.clean("t.trace")
        row.update({
            "trace_bytes": size, "events": events,
            "bytes_per_event": size / events if events else 0,
            "packed_bytes_per_event": packed / events if events else 0,
            "analyzer_events_per_s": events / an_wall if an_wall else 0,
            "analyzer_rss_kib": an_rss,
        })
        if self.heaptrack:
            out = os.path.join(self.work, "ht")
            p = self.paired(argv, [self.heaptrack, "-o", out, *argv], runs,
                            before=lambda: self.clean("ht."))
            self.summarize(row, "heaptrack", p)
            files = [f for f in os.listdir(self.work) if f.startswith("ht.")]
            if files and self.heaptrack_print and events:
                htfile = os.path.join(self.work, files[0])
                row["heaptrack_trace_bytes"] = os.path.getsize(htfile)
                row["heaptrack_bytes_per_event"] = row["heaptrack_trace_bytes"] / events
                wall, rss, rc = run_measured([self.heaptrack_print, "-f", htfile])
                row["heaptrack_print_events_per_s"] = events / wall
                row["heaptrack_print_rss_kib"] = rss
            self.clean("ht.")
        if self.valgrind and self.args.valgrind_runs > 0:
            log = os.path.join(self.work, "vg.log")
            p = self.paired(argv, [self.valgrind, "--tool=memcheck", "--leak-check=full",
                                   f"--log-file={log}", *argv],
                            self.args.valgrind_runs, before=lambda: self.clean("vg.log"))
            self.summarize(row, "memcheck", p)
            self.clean("vg.log")
        lsan = self.lsan_argv(argv)
        if lsan:
            # exitcode=0: a leak report (none expected) must not fail the run;
            # the leak check at exit still runs and is timed.
            p = self.paired(argv, lsan, runs, env={"LSAN_OPTIONS": "exitcode=0"})
            self.summarize(row, "lsan", p)
        self.rows.append(row)
        print(f"  {name}: untraced {row['untraced_s']:.3f}s, " + ", ".join(
            f"{k} {row[k + '_s']:.3f}s ({row[k + '_ratio']:.2f}x)"
            for k in ("mtrace", "heaptrack", "memcheck", "lsan") if k + "_s" in row),
            file=sys.stderr, flush=True)

    def big(self):
        """The analyzer on a 100M-event trace (50M churn pairs)."""
        trace = os.path.join(self.work, "big.trace")
        argv = [self.bin("churn"), "50000000", "1"]
        run_measured(argv, env=self.trace_env(trace), cwd=self.work)
        events, wall, rss = self.analyze_mtrace(trace)
        print(f"\nAnalyzer on a {events:,}-event trace ({os.path.getsize(trace) / 2**20:.0f} MiB): "
              f"{wall:.2f} s, {events / wall / 1e6:.1f} M events/s, peak RSS {rss / 1024:.1f} MiB")
        os.unlink(trace)

    def table(self):
        md = self.args.markdown
        tools = [("mtrace", "mtrace"), ("heaptrack", "heaptrack"),
                 ("memcheck", "memcheck"), ("lsan", "LSan")]
        tools = [(k, t) for k, t in tools if any(k + "_s" in r for r in self.rows)]
        cols = ["workload", "untraced"]
        for _, title in tools:
            cols += [title, "ratio [min-max]"]
        cols += ["RSS untraced/mtrace", "B/event (ht)", "packed B/event", "report Mev/s (ht)",
                 "report RSS (ht)"]
        lines = []
        for r in self.rows:
            line = [r["workload"], f"{r['untraced_s']:.3f}s"]
            for k, _ in tools:
                if k + "_s" not in r:
                    line += ["-", "-"]
                    continue
                line += [f"{r[k + '_s']:.3f}s",
                         f"{r[k + '_ratio']:.2f}x [{r[k + '_ratio_min']:.2f}-"
                         f"{r[k + '_ratio_max']:.2f}]"]
            line += [
                f"{r['untraced_rss_kib'] / 1024:.1f}/{r['mtrace_rss_kib'] / 1024:.1f} MiB",
                f"{r['bytes_per_event']:.1f}" + (f" ({r['heaptrack_bytes_per_event']:.1f})"
                                                  if "heaptrack_bytes_per_event" in r else ""),
                f"{r['packed_bytes_per_event']:.1f}",
                f"{r['analyzer_events_per_s'] / 1e6:.1f}" +
                (f" ({r['heaptrack_print_events_per_s'] / 1e6:.1f})"
                 if "heaptrack_print_events_per_s" in r else ""),
                f"{r['analyzer_rss_kib'] / 1024:.0f} MiB" +
                (f" ({r['heaptrack_print_rss_kib'] / 1024:.0f})"
                 if "heaptrack_print_rss_kib" in r else ""),
            ]
            lines.append(line)
        if md:
            print("| " + " | ".join(cols) + " |")
            print("|" + "---|" * len(cols))
            for l in lines:
                print("| " + " | ".join(l) + " |")
        else:
            widths = [max(len(c), *(len(l[i]) for l in lines)) for i, c in enumerate(cols)]
            print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
            for l in lines:
                print("  ".join(v.ljust(w) for v, w in zip(l, widths)))
        vg = (f", memcheck {self.args.valgrind_runs}" if any("memcheck_s" in r for r in self.rows)
              else "")
        print(f"\npairs per tool: {self.args.runs}{vg}; each pair = one untraced run then one "
              f"run under the tool; ratio = median of the per-pair ratios (tool / untraced "
              f"wall), [min-max] of them; times are medians; untraced = the mtrace pairs' "
              f"untraced runs; LSan = the -fsanitize=leak build against the plain binary; "
              f"B/event = trace file bytes per event; packed = after mtrace-report --pack "
              f"(at rest, zstd level 3); report = mtrace-report "
              f"(heaptrack_print) speed and peak RSS on that trace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated workload name prefixes")
    ap.add_argument("--big", action="store_true", help="also time the analyzer on 100M events")
    ap.add_argument("--valgrind-runs", type=int, default=2,
                    help="pairs for valgrind memcheck (slow; default 2)")
    ap.add_argument("--no-heaptrack", action="store_true")
    ap.add_argument("--no-valgrind", action="store_true")
    ap.add_argument("--no-lsan", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    global MEASURE
    MEASURE = os.path.join(os.path.abspath(args.build), "bench", "measure")
    b = Bench(args)
    try:
        for name, argv in b.workloads():
            if args.only and not any(name.startswith(p) for p in args.only.split(",")):
                continue
            b.one(name, argv() if callable(argv) else argv)
        if b.rows:
            b.table()
        if args.big:
            b.big()
    finally:
        shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()

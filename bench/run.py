#!/usr/bin/env python3
"""mtrace overhead benchmark: runs each workload untraced, under mtrace and
(where installed) under heaptrack, side by side in one run, and prints a table
of median wall time, the ratio to untraced, peak RSS, trace bytes per event,
and the analyzers' speed and peak RSS on each trace.

    python3 bench/run.py [--build build] [--runs 5] [--only churn,...]
                         [--big] [--no-heaptrack] [--markdown]

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
        self.rows = []

    def workloads(self):
        b = lambda name: os.path.join(self.build, "bench", name)
        data = os.path.join(self.work, "sort-input.txt")
        rnd = random.Random(42)
        with open(data, "w") as f:
            f.write("".join(f"{rnd.randrange(10**12)} line {i}\n" for i in range(400000)))
        pairs = "2000000"
        return [
            ("churn", [b("churn"), pairs, "1"]),
            ("churn 2 threads", [b("churn"), pairs, "2"]),
            ("churn 4 threads", [b("churn"), pairs, "4"]),
            ("churn, no frame pointers", [b("churn_nofp"), pairs, "1"]),
            ("deep stacks (48 frames)", [b("deep"), "500000", "1", "48"]),
            ("realloc growth", [b("realloc_bench")]),
            ("sort (Debian) 400k lines", ["sort", data, "-o", os.path.join(self.work, "out")]),
        ]

    def median_run(self, argv, env=None):
        walls, rsss = [], []
        for _ in range(self.args.runs):
            wall, rss, rc = run_measured(argv, env=env, cwd=self.work)
            if rc != 0:
                raise RuntimeError(f"{argv} failed with {rc}")
            walls.append(wall)
            rsss.append(rss)
        return statistics.median(walls), max(rsss)

    def trace_env(self, out):
        return {"LD_PRELOAD": self.lib, "MTRACE_OUT": out, "MTRACE_QUIET": "1"}

    def analyze_mtrace(self, trace):
        summary = json.loads(subprocess.run([self.report, "--json", "--top", "5", trace],
                                            capture_output=True, text=True,
                                            check=True).stdout)["summary"]
        wall, rss, rc = run_measured([self.report, "--top", "5", trace])
        return summary["events"], wall, rss

    def one(self, name, argv):
        base_wall, base_rss = self.median_run(argv)
        trace = os.path.join(self.work, "t.trace")
        walls, rsss = [], []
        for _ in range(self.args.runs):
            for f in os.listdir(self.work):
                if f.startswith("t.trace"):
                    os.unlink(os.path.join(self.work, f))
            wall, rss, rc = run_measured(argv, env=self.trace_env(trace), cwd=self.work)
            if rc != 0:
                raise RuntimeError(f"traced {argv} failed with {rc}")
            walls.append(wall)
            rsss.append(rss)
        mt_wall, mt_rss = statistics.median(walls), max(rsss)
        size = os.path.getsize(trace)
        events, an_wall, an_rss = self.analyze_mtrace(trace)
        row = {
            "workload": name, "untraced_s": base_wall, "untraced_rss_kib": base_rss,
            "mtrace_s": mt_wall, "mtrace_ratio": mt_wall / base_wall, "mtrace_rss_kib": mt_rss,
            "trace_bytes": size, "events": events,
            "bytes_per_event": size / events if events else 0,
            "analyzer_events_per_s": events / an_wall if an_wall else 0,
            "analyzer_rss_kib": an_rss,
        }
        if self.heaptrack:
            ht_walls, ht_rss = [], 0
            for _ in range(self.args.runs):
                for f in os.listdir(self.work):
                    if f.startswith("ht."):
                        os.unlink(os.path.join(self.work, f))
                out = os.path.join(self.work, "ht")
                wall, rss, rc = run_measured([self.heaptrack, "-o", out, *argv], cwd=self.work)
                ht_walls.append(wall)
                ht_rss = max(ht_rss, rss)
            row["heaptrack_s"] = statistics.median(ht_walls)
            row["heaptrack_ratio"] = row["heaptrack_s"] / base_wall
            files = [f for f in os.listdir(self.work) if f.startswith("ht.")]
            if files and self.heaptrack_print:
                htfile = os.path.join(self.work, files[0])
                row["heaptrack_trace_bytes"] = os.path.getsize(htfile)
                row["heaptrack_bytes_per_event"] = row["heaptrack_trace_bytes"] / events
                wall, rss, rc = run_measured([self.heaptrack_print, "-f", htfile])
                row["heaptrack_print_events_per_s"] = events / wall
                row["heaptrack_print_rss_kib"] = rss
        self.rows.append(row)
        print(f"  {name}: untraced {base_wall:.3f}s, mtrace {mt_wall:.3f}s "
              f"({row['mtrace_ratio']:.2f}x)" +
              (f", heaptrack {row['heaptrack_s']:.3f}s ({row['heaptrack_ratio']:.1f}x)"
               if "heaptrack_s" in row else ""), file=sys.stderr, flush=True)

    def big(self):
        """The analyzer on a 100M-event trace (50M churn pairs)."""
        trace = os.path.join(self.work, "big.trace")
        argv = [os.path.join(self.build, "bench", "churn"), "50000000", "1"]
        run_measured(argv, env=self.trace_env(trace), cwd=self.work)
        events, wall, rss = self.analyze_mtrace(trace)
        print(f"\nAnalyzer on a {events:,}-event trace ({os.path.getsize(trace) / 2**20:.0f} MiB): "
              f"{wall:.2f} s, {events / wall / 1e6:.1f} M events/s, peak RSS {rss / 1024:.1f} MiB")
        os.unlink(trace)

    def table(self):
        md = self.args.markdown
        cols = ["workload", "untraced", "mtrace", "ratio", "heaptrack", "ratio",
                "RSS untraced/mtrace", "B/event (ht)", "report Mev/s (ht)", "report RSS (ht)"]
        lines = []
        for r in self.rows:
            ht = "heaptrack_s" in r
            lines.append([
                r["workload"], f"{r['untraced_s']:.3f}s", f"{r['mtrace_s']:.3f}s",
                f"{r['mtrace_ratio']:.2f}x",
                f"{r['heaptrack_s']:.3f}s" if ht else "-",
                f"{r['heaptrack_ratio']:.1f}x" if ht else "-",
                f"{r['untraced_rss_kib'] / 1024:.1f}/{r['mtrace_rss_kib'] / 1024:.1f} MiB",
                f"{r['bytes_per_event']:.1f}" + (f" ({r['heaptrack_bytes_per_event']:.1f})"
                                                  if "heaptrack_bytes_per_event" in r else ""),
                f"{r['analyzer_events_per_s'] / 1e6:.1f}" +
                (f" ({r['heaptrack_print_events_per_s'] / 1e6:.1f})"
                 if "heaptrack_print_events_per_s" in r else ""),
                f"{r['analyzer_rss_kib'] / 1024:.0f} MiB" +
                (f" ({r['heaptrack_print_rss_kib'] / 1024:.0f})"
                 if "heaptrack_print_rss_kib" in r else ""),
            ])
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
        print(f"\nmedian of {self.args.runs} runs; ratio = traced / untraced wall time in this "
              f"run; B/event = trace file bytes per event; report = mtrace-report "
              f"(heaptrack_print) speed and peak RSS on that trace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated workload name prefixes")
    ap.add_argument("--big", action="store_true", help="also time the analyzer on 100M events")
    ap.add_argument("--no-heaptrack", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    global MEASURE
    MEASURE = os.path.join(os.path.abspath(args.build), "bench", "measure")
    b = Bench(args)
    try:
        for name, argv in b.workloads():
            if args.only and not any(name.startswith(p) for p in args.only.split(",")):
                continue
            b.one(name, argv)
        if b.rows:
            b.table()
        if args.big:
            b.big()
    finally:
        shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()

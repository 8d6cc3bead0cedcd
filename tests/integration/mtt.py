"""Helpers for mtrace's integration tests: run programs under the tracer,
read reports, and ask independent witnesses (valgrind, strace, pmap)."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("MTRACE_BUILD") or os.path.abspath("build")
SOURCE = os.environ.get("MTRACE_SOURCE") or os.path.abspath(".")
LIB = os.path.join(BUILD, "preload", "libmtrace.so")
REPORT = os.path.join(BUILD, "analyzer", "mtrace-report")


def sample(name):
    return os.path.join(BUILD, "samples", name)


def prog(name):
    return os.path.join(BUILD, "tests", "progs", name)


def bench(name):
    return os.path.join(BUILD, "bench", name)


class Workdir:
    """A scratch directory removed after the test."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="mtrace-it-")

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def traced_env(out_pattern, extra=None):
    env = dict(os.environ)
    env["LD_PRELOAD"] = LIB
    env["MTRACE_OUT"] = out_pattern
    env.pop("MTRACE_QUIET", None)
    if extra:
        env.update(extra)
    return env


def run_traced(argv, workdir, extra_env=None, timeout=120, check=True, **kw):
    """Runs argv under libmtrace.so; returns (completed process, sorted trace paths)."""
    pattern = os.path.join(workdir, "t.%p.trace")
    cp = subprocess.run(argv, env=traced_env(pattern, extra_env), cwd=workdir,
                        capture_output=True, text=True, timeout=timeout, **kw)
    if check and cp.returncode != 0:
        raise AssertionError(f"{argv} exited {cp.returncode}: {cp.stderr[-2000:]}")
    traces = sorted(glob.glob(os.path.join(workdir, "t.*.trace*")))
    return cp, traces


def report(path, *args, check=True):
    cp = subprocess.run([REPORT, *args, path], capture_output=True, text=True, timeout=300)
    if check and cp.returncode != 0:
        raise AssertionError(f"mtrace-report {args} {path} exited {cp.returncode}: {cp.stderr}")
    return cp


def report_json(path, *args):
    return json.loads(report(path, "--json", *args).stdout)


def have(tool):
    return shutil.which(tool) is not None


def valgrind_totals(argv, cwd=None, env=None):
    """valgrind memcheck's heap summary for argv: allocs, frees, lost bytes."""
    cp = subprocess.run(["valgrind", "--leak-check=full", "--show-leak-kinds=all",
                         "--error-exitcode=0", *argv], capture_output=True, text=True,
                        cwd=cwd, env=env, timeout=600)
    err = cp.stderr

    def num(pattern):
        m = re.search(pattern, err)
        return int(m.group(1).replace(",", "")) if m else 0

    return {
        "allocs": num(r"total heap usage: ([\d,]+) allocs"),
        "frees": num(r"total heap usage: [\d,]+ allocs, ([\d,]+) frees"),
        "definitely": num(r"definitely lost: ([\d,]+) bytes"),
        "indirectly": num(r"indirectly lost: ([\d,]+) bytes"),
        "in_use": num(r"in use at exit: ([\d,]+) bytes"),
        "stderr": err,
    }


LEAK_KINDS = ("definitely lost", "indirectly lost", "possibly lost", "still reachable")
LEAK_KEYS = ("definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable")


def valgrind_leaks(argv, cwd=None, env=None):
    """memcheck's LEAK SUMMARY for argv as {class key: (blocks, bytes)}, plus
    "records": [(class key, blocks, bytes, [function names])] from the loss
    records.  Run without libc's and libstdc++'s freeres (mtrace does not
    call them; with them valgrind frees libc's and the C++ emergency pool's
    blocks before it checks)."""
    cp = subprocess.run(["valgrind", "--leak-check=full", "--show-leak-kinds=all",
                         "--run-libc-freeres=no", "--run-cxx-freeres=no",
                         "--num-callers=40", "--error-exitcode=0", *argv],
                        capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    err = cp.stderr
    out = {"stderr": err, "records": []}
    for kind, key in zip(LEAK_KINDS, LEAK_KEYS):
        m = re.search(kind + r": ([\d,]+) bytes in ([\d,]+) blocks", err)
        out[key] = (int(m.group(2).replace(",", "")), int(m.group(1).replace(",", ""))) \
            if m else (0, 0)
    if "LEAK SUMMARY" not in err and "All heap blocks were freed" not in err:
        raise AssertionError("no leak summary from valgrind: " + err[-2000:])
    rec = re.compile(r"==\d+== ([\d,]+)(?: \(([\d,]+) direct, [\d,]+ indirect\))? bytes in "
                     r"([\d,]+) blocks are (definitely lost|indirectly lost|possibly lost|"
                     r"still reachable) in loss record")
    lines = err.splitlines()
    for i, line in enumerate(lines):
        m = rec.search(line)
        if not m:
            continue
        nbytes = int((m.group(2) or m.group(1)).replace(",", ""))
        fns = []
        for nxt in lines[i + 1:]:
            f = re.search(r"(?:at|by) 0x[0-9A-Fa-f]+: (\S+)", nxt)
            if not f:
                break
            fns.append(f.group(1))
        out["records"].append((LEAK_KEYS[LEAK_KINDS.index(m.group(4))],
                               int(m.group(3).replace(",", "")), nbytes, fns))
    return out


def our_leaks(trace):
    """mtrace's leak classes as {class key: (blocks, bytes)} and the JSON."""
    rep = report_json(trace, "--top", "0", "--frames", "0", "--all-frames")
    lc = rep["leak_check"]
    return {k: (lc["classes"][k]["blocks"], lc["classes"][k]["bytes"])
            for k in LEAK_KEYS + ("after_scan",)}, rep


def main():
    unittest.main(verbosity=2)

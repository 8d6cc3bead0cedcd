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


def main():
    unittest.main(verbosity=2)

"""trace.json is read as a stream (analyzer/json_reader.c, json_stream.c):
memory stays flat however many events the file holds, the members of the
top-level object may come in any order, and the report equals the one from
the binary trace.

The memory checks run only in a build without sanitizers (ASan's quarantine
and shadow memory make RSS and address-space limits meaningless)."""
import os
import re
import resource
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtt  # noqa: E402

LIVE = 1000  # blocks alive at once in the generated traces


def sanitized():
    try:
        with open(os.path.join(mtt.BUILD, "CMakeCache.txt")) as f:
            return re.search(r"^MTRACE_SANITIZE:BOOL=(ON|1|TRUE)", f.read(), re.M) is not None
    except OSError:
        return False


def events(pairs):
    """pairs malloc/free pairs over a ring of LIVE blocks, one event a line."""
    t = 0
    for i in range(pairs + LIVE):
        slot = i % LIVE
        ptr = 0x10000 + slot * 0x100
        if i >= LIVE:
            t += 1
            yield ('{"t": %d, "tid": 7, "type": "free", "ptr": "0x%x"}' % (t, ptr))
        if i < pairs:
            t += 1
            yield ('{"t": %d, "tid": 7, "type": "alloc", "fn": "malloc", "ptr": "0x%x", '
                   '"size": %d, "source": "brk", "stack": %d}' % (t, ptr, 16 + slot % 200,
                                                                 1 + slot % 3))


MEMBERS = {
    "format": '"mtrace-trace"',
    "version": "1",
    "process": '{"pid": 7, "ppid": 1, "cmdline": "gen", "end_state": "exit", "depth": 8}',
    "modules": '[{"path": "/bin/gen", "start": "0x400000", "end": "0x500000", "bias": "0x0"}]',
    "stacks": '[{"id": 1, "frames": ["0x401000", "0x401100"]},\n'
              ' {"id": 2, "frames": ["0x401200"]},\n {"id": 3, "frames": []}]',
}


def write_trace(path, pairs, order=("format", "version", "process", "modules", "stacks",
                                    "events")):
    with open(path, "w") as f:
        f.write("{\n")
        for k, name in enumerate(order):
            f.write('"%s": ' % name)
            if name == "events":
                f.write("[\n")
                batch = []
                for n, line in enumerate(events(pairs)):
                    batch.append(("  " if n == 0 else ", ") + line + "\n")
                    if len(batch) == 10000:
                        f.write("".join(batch))
                        batch = []
                f.write("".join(batch))
                f.write("]")
            else:
                f.write(MEMBERS[name])
            f.write(",\n" if k + 1 < len(order) else "\n")
        f.write("}\n")


def child_maxrss(args, limit_as=None):
    """Like run_report, with the child's own max RSS (fork + wait4)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if limit_as:
                resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
            os.dup2(w, 1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.execv(mtt.REPORT, [mtt.REPORT] + args)
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 1 << 16)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(), usage.ru_maxrss


def strip_trace_line(report):
    """The report without the line naming the input file and its record bytes."""
    return "\n".join(l for l in report.splitlines() if not l.lstrip().startswith("trace:"))


class JsonStream(unittest.TestCase):
    def setUp(self):
        self.wd = mtt.Workdir()
        self.dir = self.wd.__enter__()

    def tearDown(self):
        self.wd.__exit__(None, None, None)

    @unittest.skipIf(sanitized(), "RSS and address-space limits mean nothing under ASan")
    def test_memory_does_not_grow_with_events(self):
        small = os.path.join(self.dir, "small.json")
        big = os.path.join(self.dir, "big.json")
        write_trace(small, 50_000)        # 1e5 events
        write_trace(big, 1_000_000)       # 2e6 events, about 150 MB
        rc, out_s, rss_s = child_maxrss([small])
        self.assertEqual(rc, 0)
        # 256 MiB of address space: the whole-document reader needed ~2.2 GB here
        rc, out_b, rss_b = child_maxrss([big], limit_as=256 << 20)
        self.assertEqual(rc, 0, "2e6 events did not fit in 256 MiB of address space")
        self.assertIn("2,000,000 events", out_b)
        self.assertLess(rss_b, rss_s + 8 * 1024,
                        f"max RSS {rss_b} KiB for 2e6 events vs {rss_s} KiB for 1e5")

    def test_member_order_does_not_matter(self):
        ref = os.path.join(self.dir, "ref.json")
        write_trace(ref, 3000)
        rc, base, _ = child_maxrss([ref])
        self.assertEqual(rc, 0)
        for order in (("events", "stacks", "modules", "process", "version", "format"),
                      ("process", "events", "format", "stacks", "version", "modules"),
                      ("format", "version", "process", "events", "modules", "stacks")):
            path = os.path.join(self.dir, "o.json")
            write_trace(path, 3000, order)
            rc, out, _ = child_maxrss([path])
            self.assertEqual(rc, 0, order)
            self.assertEqual(strip_trace_line(out), strip_trace_line(base), order)

    def test_json_report_equals_binary_report(self):
        _, traces = mtt.run_traced([mtt.bench("churn"), "20000"], self.dir)
        trace = traces[0]
        tj = os.path.join(self.dir, "trace.json")
        with open(tj, "w") as f:
            subprocess.run([mtt.REPORT, "--export-json", trace], stdout=f, check=True)
        a = mtt.report_json(trace)
        b = mtt.report_json(tj)
        for key in ("summary", "leaks", "sources", "process"):
            self.assertEqual(a[key], b[key], key)
        ta = subprocess.run([mtt.REPORT, "--color", "never", trace], capture_output=True,
                            text=True, check=True).stdout
        tb = subprocess.run([mtt.REPORT, "--color", "never", tj], capture_output=True,
                            text=True, check=True).stdout
        # trace.json does not carry the scan at exit (yet): only the binary
        # trace has the per-class verdict lines
        verdict = ("definitely lost", "indirectly lost", "possibly lost", "still reachable",
                   "leak check inconclusive")
        keep = lambda t: "\n".join(l for l in strip_trace_line(t).splitlines()
                                   if not any(v in l for v in verdict))
        self.assertEqual(keep(ta), keep(tb))

if __name__ == "__main__":
    unittest.main()
